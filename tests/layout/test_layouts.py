"""Tests of insole.layout: the registry, every preset, the file schema and known answers."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from insole.exceptions import InsoleError, LayoutError, UnknownLayoutError
from insole.layout import (
    GRID_NAME_PATTERN,
    REGIONS,
    SUBREGIONS,
    SensorLayout,
    get_layout,
    list_layouts,
    load_layout_file,
    register_layout,
    standard_outline,
)
from insole.layout import _user_layouts as user_layouts
from insole.layout._make_presets import build_definitions, moticon_size_lengths_mm
from insole.layout._outline import OutlineBorders

DATA_DIR = Path(__file__).parents[2] / "insole" / "layout" / "data"
PRESETS = [*list_layouts(), "grid-32x32-5.08"]
CANONICAL = slice(0, len(REGIONS))


@pytest.fixture(params=PRESETS)
def layout(request: pytest.FixtureRequest) -> SensorLayout:
    return get_layout(request.param)


@pytest.fixture
def clean_registry():
    before = dict(user_layouts)
    yield
    user_layouts.clear()
    user_layouts.update(before)


def _user_definition(**changes) -> dict:
    definition = {
        "name": "my-insole-4",
        "description": "four FSRs",
        "length_mm": 250,
        "sensors": [
            {"id": "heel", "ap": 0.15, "ml": -0.12, "area_mm2": 127},
            {"id": "mth1", "ap": 0.72, "ml": 0.33, "area_mm2": 127},
            {"id": "mth5", "ap": 0.68, "ml": -0.42, "area_mm2": 127},
            {"id": "hallux", "ap": 0.89, "ml": 0.33, "area_mm2": 127},
        ],
    }
    definition.update(changes)
    return definition


# ---------------------------------------------------------------------------- registry


class TestRegistry:
    def test_every_data_file_is_registered_and_vice_versa(self):
        files = {p.stem for p in DATA_DIR.glob("*.json")}
        assert files == set(list_layouts())

    def test_data_files_match_the_generator(self):
        for name, definition in build_definitions().items():
            shipped = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
            assert shipped == json.loads(json.dumps(definition)), (
                f"{name}.json is stale; run python -m insole.layout._make_presets"
            )

    def test_at_least_the_specified_presets(self):
        expected = {"gaitpdb-8", "moticon-16", "pedar-99", "fscan-60x21", "diy-fsr-8",
                    "diy-fsr-16", "loadsol-3"}  # fmt: skip
        assert expected <= set(list_layouts())

    def test_descriptions(self):
        pairs = list_layouts(descriptions=True)
        assert [name for name, _ in pairs] == list_layouts()
        assert all(isinstance(text, str) and text for _, text in pairs)

    def test_unknown_name_lists_the_names(self):
        with pytest.raises(UnknownLayoutError) as info:
            get_layout("pedar-98")
        message = str(info.value)
        assert all(name in message for name in list_layouts())
        assert GRID_NAME_PATTERN in message
        assert "pedar-99" in message.split(";")[0]  # did-you-mean hint
        assert isinstance(info.value, KeyError) and isinstance(info.value, InsoleError)

    def test_bad_side(self):
        with pytest.raises(LayoutError, match="side"):
            get_layout("pedar-99", side="both")

    def test_size_only_for_sized_layouts(self):
        with pytest.raises(LayoutError, match="one size only"):
            get_layout("pedar-99", size=3)

    @pytest.mark.parametrize("name", ["grid-1x5-5", "grid-400x400-5", "grid-8x8-0"])
    def test_bad_grids(self, name):
        with pytest.raises(LayoutError, match="out of range"):
            get_layout(name)

    def test_right_side_is_the_mirror(self):
        left, right = get_layout("pedar-99"), get_layout("pedar-99", side="right")
        assert right.side == "right"
        assert right == left.mirrored()
        assert right != left

    def test_layouts_are_immutable(self):
        layout = get_layout("pedar-99")
        with pytest.raises(ValueError, match="read-only"):
            layout.ap[0] = 0.5
        with pytest.raises(AttributeError):
            layout.name = "other"  # type: ignore[misc]


# ---------------------------------------------------------------------------- every preset


class TestEveryPreset:
    def test_loads_with_consistent_shapes(self, layout):
        n = layout.n_sensors
        assert layout.kind in ("pressure_kpa", "force_n")
        assert layout.side == "left"
        for array in (layout.ap, layout.ml, layout.area_mm2, layout.x_mm, layout.y_mm):
            assert array.shape == (n,) and array.dtype == np.float64
        assert layout.active.shape == (n,) and layout.active.dtype == bool
        assert layout.region_weights.shape == (n, len(layout.region_names))
        assert layout.region_names[CANONICAL] == REGIONS
        assert np.all(layout.area_mm2 > 0)
        assert np.allclose(layout.x_mm, layout.ml * layout.width_mm)
        assert np.allclose(layout.y_mm, layout.ap * layout.length_mm)
        if layout.polygons is not None:
            assert len(layout.polygons) == n

    def test_ids_unique(self, layout):
        assert len(set(layout.sensor_ids)) == layout.n_sensors
        assert all(isinstance(i, str) for i in layout.sensor_ids)

    def test_every_active_sensor_in_the_partition(self, layout):
        sums = layout.region_weights[:, CANONICAL].sum(axis=1)
        assert np.all(np.abs(sums[layout.active] - 1.0) <= 1e-9)
        assert np.all(layout.region_weights[~layout.active] == 0.0)
        assert np.all(layout.region_weights >= 0.0)

    def test_subregions_split_their_parents(self, layout):
        if layout.grid_shape is None:
            assert layout.region_names == REGIONS
            return
        assert layout.region_names == REGIONS + SUBREGIONS
        w = dict(zip(layout.region_names, layout.region_weights.T))
        assert np.allclose(w["mth2"] + w["mth3"], w["mth2_3"])
        assert np.allclose(w["mth4"] + w["mth5"], w["mth4_5"])

    def test_mirror_twice_is_identity(self, layout):
        assert layout.mirrored().mirrored() == layout
        assert layout.mirrored().side == "right"

    def test_active_centroids_inside_the_outline(self, layout):
        assert np.all(layout.contains(layout.ap[layout.active], layout.ml[layout.active]))
        assert np.allclose(layout.outline.min(axis=0), [0.0, -0.5])
        assert np.allclose(layout.outline.max(axis=0), [1.0, 0.5])

    def test_dict_round_trip_is_exact(self, layout):
        data = layout.to_dict()
        text = json.dumps(data)
        assert SensorLayout.from_dict(json.loads(text)) == layout
        assert SensorLayout.from_json(layout.to_json()) == layout
        mirrored = layout.mirrored()
        assert SensorLayout.from_json(mirrored.to_json()) == mirrored

    def test_with_length_scales_areas(self, layout):
        bigger = layout.with_length(layout.length_mm * 1.1)
        assert bigger.width_mm == pytest.approx(layout.width_mm * 1.1)
        assert np.allclose(bigger.area_mm2, layout.area_mm2 * 1.21)
        assert np.array_equal(bigger.ap, layout.ap)
        assert SensorLayout.from_json(bigger.to_json()) == bigger

    def test_foot_axis_frame_landmarks(self, layout):
        s_heel, d_heel = layout.foot_axis_frame(*layout.heel_point)
        s_toe, d_toe = layout.foot_axis_frame(*layout.toe_point)
        assert (s_heel, d_heel) == pytest.approx((0.0, 0.0), abs=1e-12)
        assert d_toe == pytest.approx(0.0, abs=1e-12)
        assert 0.6 < s_toe < 0.9
        s, _ = layout.foot_axis_frame(layout.outline[:, 0], layout.outline[:, 1])
        assert s.max() - s.min() == pytest.approx(1.0)

    def test_foot_axis_frame_is_vectorised_and_medial_positive(self, layout):
        ap = np.array([[0.5, 0.5], [0.7, 0.7]])
        ml = np.array([[0.3, -0.3], [0.3, -0.3]])
        s, d = layout.foot_axis_frame(ap, ml)
        assert s.shape == d.shape == (2, 2)
        assert np.all(d[:, 0] > 0) and np.all(d[:, 1] < 0)

    def test_medial_of_axis_weights(self, layout):
        w = layout.medial_of_axis_weights
        assert w.shape == (layout.n_sensors,)
        assert np.all((w >= 0.0) & (w <= 1.0))
        _, d = layout.foot_axis_frame(layout.ap, layout.ml)
        clear = np.abs(d) > 0.15  # sensors well away from the axis are all on one side
        assert np.array_equal(w[clear], (d[clear] > 0).astype(float))

    def test_regions_queries(self, layout):
        measured = layout.measured_regions()
        for name in REGIONS:
            assert layout.is_measured(name) == (name in measured)
            assert layout.region_names[layout.region_index(name)] == name
        with pytest.raises(LayoutError, match="unknown region"):
            layout.is_measured("arch")

    def test_plot(self, layout):
        from matplotlib.figure import Figure

        figure = layout.plot()
        assert isinstance(figure, Figure)
        figure_right = layout.mirrored().plot()
        assert "right" in figure_right.axes[0].get_title()


# ---------------------------------------------------------------------------- known answers


def _region_of(layout: SensorLayout, sensor_id: str) -> str:
    row = layout.region_weights[layout.sensor_ids.index(sensor_id), CANONICAL]
    return REGIONS[int(np.argmax(row))]


class TestKnownAnswers:
    def test_outline_looks_like_an_insole(self):
        outline = standard_outline()
        borders = OutlineBorders.from_outline(outline)
        width = {ap: borders.medial(ap) - borders.lateral(ap) for ap in (0.15, 0.7)}
        assert width[0.7] > 1.3 * width[0.15]  # narrow heel, wide forefoot
        ap_medial_ball = outline[np.argmax(outline[:, 1]), 0]
        ap_lateral_widest = outline[np.argmin(outline[:, 1]), 0]
        assert ap_medial_ball > 0.65 and ap_medial_ball > ap_lateral_widest
        assert outline[np.argmax(outline[:, 0]), 1] > 0.0  # toe tip slightly medial

    def test_pedar_template_region_centroids(self):
        """Area-weighted region centroids reproduce the template table of science.md §10.3."""
        from insole.layout._geometry import polygon_area, polygon_centroid

        layout = get_layout("pedar-99")
        areas = np.array([polygon_area(p) for p in layout.polygons])
        centres = np.array([polygon_centroid(p) for p in layout.polygons])
        table = {"heel_medial": (0.172, 0.065), "heel_lateral": (0.166, -0.273),
                 "midfoot_medial": (0.478, 0.138), "midfoot_lateral": (0.465, -0.255),
                 "mth1": (0.726, 0.344), "mth2_3": (0.725, 0.000), "mth4_5": (0.669, -0.361),
                 "hallux": (0.889, 0.333), "lesser_toes": (0.875, -0.076)}  # fmt: skip
        for name, expected in table.items():
            w = layout.region_weights[:, layout.region_index(name)] * areas
            assert (w @ centres) / w.sum() == pytest.approx(expected, abs=0.01), name
        assert layout.area_mm2.sum() == pytest.approx(
            polygon_area(layout.outline) * layout.length_mm * layout.width_mm, rel=1e-3
        )

    def test_pedar(self):
        layout = get_layout("pedar-99")
        assert layout.n_sensors == 99 and layout.sensor_ids[:3] == ("1", "2", "3")
        assert _region_of(layout, "83") == "hallux"
        assert _region_of(layout, "1") == "heel_medial"
        assert _region_of(layout, "60") == "mth4_5"
        assert layout.heel_point == (0.169, -0.13) and layout.toe_point == (0.90, 0.14)
        assert layout.width_mm / layout.length_mm == pytest.approx(0.32)
        e = layout.foot_axis.along
        assert np.degrees(np.arctan2(e[0], e[1])) == pytest.approx(6.5, abs=0.5)

    def test_moticon(self):
        layout = get_layout("moticon-16")
        assert layout.sensor_ids == tuple(str(k) for k in range(1, 17))
        assert _region_of(layout, "14") == "hallux"
        assert _region_of(layout, "7") == "midfoot_medial"
        assert _region_of(layout, "9") == "mth1"
        assert layout.ap[13] == pytest.approx(0.914) and layout.ml[13] == pytest.approx(0.179)
        assert layout.area_mm2[0] == pytest.approx(1240.0)  # default size 7

    def test_moticon_sizes(self):
        lengths = moticon_size_lengths_mm()
        assert list(lengths) == list(range(1, 9))
        assert np.all(np.diff(list(lengths.values())) > 0)
        size3, size7 = get_layout("moticon-16", size=3), get_layout("moticon-16", size="7")
        assert size3.area_mm2[[0, 15]] == pytest.approx([870.0, 460.0])
        # science.md gives 143.8 / 204.8 cm^2; its rounded per-sensor size-3 values sum to 144.0
        assert size3.area_mm2.sum() == pytest.approx(14380.0, rel=0.002)
        assert size7.area_mm2.sum() == pytest.approx(20480.0, rel=0.002)
        size5 = get_layout("moticon-16", size=5)
        assert np.all((size5.area_mm2 > size3.area_mm2) & (size5.area_mm2 < size7.area_mm2))
        assert size5.length_mm == lengths[5]
        size1 = get_layout("moticon-16", size=1)
        expected = size3.area_mm2.sum() * (lengths[1] / lengths[3]) ** 2
        assert size1.area_mm2.sum() == pytest.approx(expected, rel=0.01)
        with pytest.raises(LayoutError, match="no size '9'"):
            get_layout("moticon-16", size=9)

    def test_fscan(self):
        layout = get_layout("fscan-60x21")
        assert layout.n_sensors == 60 * 21 and layout.grid_shape == (60, 21)
        assert 0.60 <= layout.active.mean() <= 0.80  # F-Scan: 960 of 1260 sensels
        assert layout.length_mm == pytest.approx(60 * 5.08)
        assert layout.width_mm == pytest.approx(21 * 5.08)
        assert np.allclose(layout.area_mm2, 5.08**2)
        # row-major, row 0 at the heel, column 0 medial
        assert layout.sensor_ids[0] == "r00c00" and layout.sensor_ids[21] == "r01c00"
        assert layout.ap[0] < layout.ap[21] and layout.ml[0] > layout.ml[1]
        assert all(layout.is_measured(name) for name in REGIONS + SUBREGIONS)

    def test_parametric_grid_fits_the_insole(self):
        layout = get_layout("grid-32x32-5.08")
        assert layout.grid_shape == (32, 32)
        assert layout.length_mm == pytest.approx(32 * 5.08)
        assert layout.width_mm == pytest.approx(0.40 * layout.length_mm)  # ratio clipped
        assert np.ptp(layout.x_mm) == pytest.approx(31 * 5.08)  # the grid keeps its pitch
        assert not layout.active[0] and layout.active.sum() > 200

    def test_force_layouts_have_no_hallux(self):
        for name in ("gaitpdb-8", "loadsol-3"):
            layout = get_layout(name)
            assert layout.kind == "force_n"
            assert not layout.is_measured("hallux")
            assert "hallux" not in layout.measured_regions()

    def test_gaitpdb(self):
        layout = get_layout("gaitpdb-8")
        assert layout.ap.tolist() == pytest.approx([0.1, 0.3, 0.3, 0.5, 0.5, 0.7, 0.7, 0.9])
        assert _region_of(layout, "8") == "lesser_toes"
        assert _region_of(layout, "7") == "mth1" and _region_of(layout, "6") == "mth4_5"

    def test_loadsol(self):
        layout = get_layout("loadsol-3")
        assert layout.sensor_ids == ("heel", "medial", "lateral")
        heel = layout.region_weights[0]
        assert heel[layout.region_index("heel_medial")] == 0.5
        assert heel[layout.region_index("heel_lateral")] == 0.5
        assert _region_of(layout, "medial") == "mth1"
        assert _region_of(layout, "lateral") == "mth4_5"
        assert not layout.is_measured("lesser_toes") and not layout.is_measured("midfoot_medial")

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("diy-fsr-8", ("heel_medial", "heel_lateral", "midfoot_lateral", "mth1", "mth2_3",
                           "mth4_5", "hallux", "lesser_toes")),
            ("diy-fsr-16", ("heel_medial", "heel_lateral", "heel_medial", "heel_lateral",
                            "midfoot_lateral", "midfoot_lateral", "midfoot_medial", "mth1",
                            "mth2_3", "mth2_3", "mth4_5", "mth4_5", "hallux", "lesser_toes",
                            "lesser_toes", "lesser_toes")),
        ],
    )  # fmt: skip
    def test_diy_sensors_land_in_their_labelled_regions(self, name, expected):
        layout = get_layout(name)
        assert tuple(_region_of(layout, i) for i in layout.sensor_ids) == expected
        assert layout.is_measured("hallux")
        assert np.all(np.isin(layout.region_weights, (0.0, 1.0)))  # discrete: one region each


# ---------------------------------------------------------------------------- user files


class TestUserFiles:
    def test_user_layout_loads_and_registers(self, tmp_path, clean_registry):
        path = tmp_path / "mine.json"
        path.write_text(json.dumps(_user_definition()), encoding="utf-8")
        layout = load_layout_file(path)
        assert layout.width_mm == pytest.approx(0.37 * 250)
        assert layout.heel_point == (0.169, -0.13)  # template landmarks by default
        assert _region_of(layout, "hallux") == "hallux"
        assert _region_of(layout, "heel") == "heel_medial"  # ml -0.12 is medial of the heel centre
        register_layout(layout)
        assert "my-insole-4" in list_layouts()
        assert get_layout("my-insole-4", side="right") == layout.mirrored()
        with pytest.raises(LayoutError, match="already registered"):
            register_layout(layout)
        register_layout(layout.with_length(260), overwrite=True)
        assert get_layout("my-insole-4").length_mm == 260

    def test_builtin_names_are_reserved(self, clean_registry):
        renamed = SensorLayout.from_dict(_user_definition(name="pedar-99"))
        with pytest.raises(LayoutError, match="reserved"):
            register_layout(renamed)

    def test_explicit_regions_lists_and_weights(self):
        regions = {"heel_medial": ["heel"], "mth1": {"mth1": 0.75}, "mth2_3": {"mth1": 0.25},
                   "mth4_5": ["mth5"], "hallux": ["hallux"], "mth2": ["mth1"]}  # fmt: skip
        layout = SensorLayout.from_dict(_user_definition(regions=regions))
        assert layout.region_names == (*REGIONS, "mth2")
        assert layout.region_weights[1, layout.region_index("mth1")] == 0.75
        assert SensorLayout.from_json(layout.to_json()) == layout

    @pytest.mark.parametrize(
        ("change", "match"),
        [
            ({"length_mm": -3}, "positive"),
            ({"length_mm": "long"}, "finite number"),
            ({"kind": "voltage"}, "kind"),
            ({"colour": "red"}, "unknown key 'colour'"),
            ({"sensors": []}, "non-empty list"),
            ({"regions": {"arch": ["heel"]}}, "unknown region 'arch'"),
            ({"regions": {"hallux": ["toe9"]}}, "unknown sensor 'toe9'"),
            ({"regions": {"hallux": ["hallux"]}}, "in no region"),
            ({"regions": {"hallux": {"hallux": 0.5}, "heel_medial": ["heel", "mth1", "mth5"]}},
             "summing to 0.5"),
            ({"schema_version": 99}, "upgrade insole"),
            ({"landmarks": {"heel": [0.1, 0.0]}}, "landmarks"),
            ({"outline": [[0, 0], [1, 0]]}, "at least 3 vertices"),
        ],
    )  # fmt: skip
    def test_malformed_definitions(self, change, match):
        with pytest.raises(LayoutError, match=match):
            SensorLayout.from_dict(_user_definition(**change))

    def test_missing_length(self):
        definition = _user_definition()
        del definition["length_mm"]
        with pytest.raises(LayoutError, match='no "length_mm"'):
            SensorLayout.from_dict(definition)

    def test_malformed_sensor(self):
        definition = _user_definition()
        definition["sensors"][1] = {"id": "heel", "ap": 0.5, "ml": 0.0, "area_mm2": 1}
        with pytest.raises(LayoutError, match="duplicate sensor ids"):
            SensorLayout.from_dict(definition)
        definition["sensors"][1] = {"id": "x", "ap": 0.5, "ml": 0.9, "area_mm2": 1}
        with pytest.raises(LayoutError, match="outside the outline"):
            SensorLayout.from_dict(definition)
        definition["sensors"][1] = {"id": "x", "ap": "0.5", "ml": 0.0, "area_mm2": 1}
        with pytest.raises(LayoutError, match="finite number"):
            SensorLayout.from_dict(definition)

    def test_malformed_files(self, tmp_path):
        bad = tmp_path / "bad.json"
        bad.write_text('{"name": "x", "sensors": [', encoding="utf-8")
        with pytest.raises(LayoutError, match=r"^bad\.json: not valid JSON") as info:
            load_layout_file(bad)
        assert "\n" not in str(info.value)
        bad.write_text(json.dumps(_user_definition(kind="volts")), encoding="utf-8")
        with pytest.raises(LayoutError, match=r"^bad\.json: \"kind\""):
            load_layout_file(bad)
        with pytest.raises(LayoutError, match="cannot read"):
            load_layout_file(tmp_path / "missing.json")

    def test_non_monotone_outline_is_rejected(self):
        zigzag = [[0, 0], [0.5, 0.5], [0.3, 0.2], [1, 0], [0.5, -0.5]]
        with pytest.raises(LayoutError, match="ap-monotone"):
            SensorLayout.from_dict(_user_definition(outline=zigzag))

    def test_user_grid(self):
        layout = SensorLayout.from_dict(
            {"name": "mat", "grid": {"rows": 20, "cols": 8, "pitch_mm": 12.7}}
        )
        assert layout.grid_shape == (20, 8) and layout.n_sensors == 160
        assert layout.region_names == REGIONS + SUBREGIONS
        assert SensorLayout.from_json(layout.to_json()) == layout
