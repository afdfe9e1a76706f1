"""Regenerate the built-in layout files in ``insole/layout/data/`` from science.md §10.

Run ``python -m insole.layout._make_presets`` after changing a number below or the derived
outline; ``tests/layout`` fails while the shipped files differ from what this script writes.
Every value is either copied from science.md (section noted) or derived here, never typed in
from elsewhere.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Final

import numpy as np

from insole.layout._geometry import FloatArray, clip_halfplane, polygon_area, polygon_centroid
from insole.layout._outline import (
    DEFAULT_WIDTH_RATIO,
    PEDAR_WIDTH_RATIO,
    TEMPLATE_HEEL_POINT,
    TEMPLATE_TOE_POINT,
    OutlineBorders,
    pedar_centroids,
    standard_outline,
)

DATA_DIR: Final[Path] = Path(__file__).parent / "data"

#: Insole length the pedar template (and the presets placed on it) is stated for [H].
TEMPLATE_LENGTH_MM: Final[float] = 260.0

#: Active area of an Interlink FSR 402 (round, 12.7 mm diameter), used by the DIY layouts.
FSR402_AREA_MM2: Final[float] = math.pi * (12.7 / 2.0) ** 2

#: Nominal footprint of a gaitpdb (Infotronic CDG) force sensor; unknown, used only for drawing
#: and region assignment [H].
GAITPDB_AREA_MM2: Final[float] = 300.0

_DECIMALS_COORD = 5
_DECIMALS_AREA = 2

# pedar 9-region sensel mask (pressuRe pedar_mask3, science.md §10.3)
_PEDAR_MASK: Final[dict[str, tuple[tuple[int, int], ...]]] = {
    "heel_medial": ((1, 2), (6, 8), (13, 15), (20, 22)),
    "heel_lateral": ((3, 5), (9, 12), (16, 19), (23, 26)),
    "midfoot_medial": ((27, 29), (34, 36), (41, 43), (48, 50), (55, 57)),
    "midfoot_lateral": ((30, 33), (37, 40), (44, 47), (51, 54), (58, 59)),
    "mth1": ((62, 63), (69, 70), (76, 77)),
    "mth2_3": ((64, 66), (71, 73), (78, 80)),
    "mth4_5": ((60, 61), (67, 68), (74, 75)),
    "hallux": ((83, 84), (90, 91), (96, 96)),
    "lesser_toes": ((81, 82), (85, 89), (92, 95), (97, 99)),
}

# Moticon OpenGo (science.md §10.2): X (long axis), Y (+medial), area size 3 / size 7 in cm^2
_MOTICON: Final[tuple[tuple[float, float, float, float], ...]] = (
    (-0.403, 0.109, 8.7, 12.4),
    (-0.417, -0.166, 7.7, 11.1),
    (-0.265, 0.089, 9.4, 13.4),
    (-0.288, -0.225, 9.2, 13.1),
    (-0.125, 0.061, 9.2, 13.1),
    (-0.153, -0.273, 9.1, 13.0),
    (0.080, 0.245, 12.6, 17.9),
    (-0.012, -0.391, 12.8, 18.2),
    (0.256, 0.274, 11.0, 15.7),
    (0.240, 0.064, 8.7, 12.4),
    (0.226, -0.116, 8.8, 12.5),
    (0.207, -0.295, 8.9, 12.7),
    (0.170, -0.463, 7.3, 10.2),
    (0.414, 0.179, 7.1, 10.1),
    (0.408, -0.082, 8.9, 12.5),
    (0.359, -0.312, 4.6, 6.5),
)
_MOTICON_REGIONS: Final[dict[str, tuple[int, ...]]] = {
    "heel_medial": (1, 3),
    "heel_lateral": (2, 4),
    "midfoot_medial": (5, 7),
    "midfoot_lateral": (6, 8),
    "mth1": (9,),
    "mth2_3": (10, 11),
    "mth4_5": (12, 13),
    "hallux": (14,),
    "lesser_toes": (15, 16),
}
#: Moticon sizes offered and the insole length assumed for size 3 [H]: lengths are linear in the
#: size and their ratio L7/L3 = sqrt(sum of areas size 7 / size 3).
_MOTICON_SIZES: Final[tuple[int, ...]] = (1, 2, 3, 4, 5, 6, 7, 8)
_MOTICON_SIZE3_LENGTH_MM: Final[float] = 245.0
_MOTICON_DEFAULT_SIZE: Final[int] = 7

# DIY FSR layouts (science.md §10.5): (label, ap, ml)
_DIY_8: Final[tuple[tuple[str, float, float], ...]] = (
    ("heel medial", 0.17, 0.07),
    ("heel lateral", 0.17, -0.27),
    ("lateral midfoot", 0.47, -0.26),
    ("MTH1", 0.72, 0.33),
    ("MTH2", 0.70, 0.13),
    ("MTH5", 0.68, -0.42),
    ("hallux", 0.89, 0.33),
    ("toes 2-3", 0.90, 0.08),
)
_DIY_16: Final[tuple[tuple[str, float, float], ...]] = (
    ("heel posterior medial", 0.08, -0.02),
    ("heel posterior lateral", 0.08, -0.30),
    ("heel anterior medial", 0.24, 0.10),
    ("heel anterior lateral", 0.24, -0.30),
    ("midfoot lateral proximal", 0.40, -0.30),
    ("midfoot lateral distal", 0.55, -0.32),
    ("medial arch", 0.52, 0.20),
    ("MTH1", 0.72, 0.33),
    ("MTH2", 0.71, 0.13),
    ("MTH3", 0.71, -0.02),
    ("MTH4", 0.69, -0.20),
    ("MTH5", 0.67, -0.40),
    ("hallux", 0.89, 0.33),
    ("toe 2", 0.90, 0.14),
    ("toes 3-4", 0.89, -0.05),
    ("toe 5", 0.86, -0.22),
)

# loadsol-3 zones placed on the pedar template: pedar sensels each zone covers
_LOADSOL_ZONES: Final[dict[str, tuple[int, ...]]] = {
    "heel": tuple(range(1, 27)),
    "medial": (62, 63, 64, 69, 70, 71, 76, 77, 78),  # MTH1 and the MTH2 column
    "lateral": (60, 61, 66, 67, 68, 73, 74, 75, 80),  # the MTH3 column and MTH4-5
}
_LOADSOL_REGIONS: Final[dict[str, list[str]]] = {
    "heel_medial": ["heel"],
    "heel_lateral": ["heel"],
    "mth1": ["medial"],
    "mth4_5": ["lateral"],
}

#: Smallest local width fraction a gaitpdb sensor may sit at from either border [H].
_GAITPDB_MIN_W: Final[float] = 0.10


def pedar_cells_mm(length_mm: float, width_mm: float) -> list[FloatArray]:
    """Voronoi cells of the pedar centroids clipped to the standard outline, in mm.

    Each cell is the outline cut by the perpendicular bisectors to every other centroid, so
    cells are exact Voronoi regions intersected with the outline.

    Parameters
    ----------
    length_mm, width_mm : float
        Insole size; the tessellation is done in mm so that distances are isotropic.

    Returns
    -------
    list of ndarray, each (k, 2)
        Cells as ``(y_mm, x_mm)`` = ``(ap * L, ml * W)`` vertices.
    """
    scale = np.array([length_mm, width_mm])
    centres = pedar_centroids() * scale
    outline = standard_outline() * scale
    cells = []
    for i, centre in enumerate(centres):
        cell = outline
        for j, other in enumerate(centres):
            if i != j:
                normal = other - centre
                cell = clip_halfplane(cell, normal, float(normal @ (0.5 * (centre + other))))
        cells.append(cell)
    return cells


def _rounded(values: Any, decimals: int = _DECIMALS_COORD) -> Any:
    return np.round(np.asarray(values, dtype=np.float64), decimals).tolist()


def _id_ranges(ranges: tuple[tuple[int, int], ...]) -> list[str]:
    return [str(k) for lo, hi in ranges for k in range(lo, hi + 1)]


def pedar_definition() -> dict[str, Any]:
    """Return the ``pedar-99`` layout file (science.md §10.3)."""
    length_mm = TEMPLATE_LENGTH_MM
    width_mm = PEDAR_WIDTH_RATIO * length_mm
    scale = np.array([length_mm, width_mm])
    centroids = pedar_centroids()
    sensors = []
    for k, (cell_mm, (ap, ml)) in enumerate(zip(pedar_cells_mm(length_mm, width_mm), centroids)):
        polygon = np.round(cell_mm / scale, _DECIMALS_COORD)
        sensors.append(
            {
                "id": str(k + 1),
                "ap": float(ap),
                "ml": float(ml),
                "area_mm2": round(polygon_area(polygon * scale), _DECIMALS_AREA),
                "polygon": polygon.tolist(),
            }
        )
    return {
        "name": "pedar-99",
        "description": (
            "Novel pedar/pedar-X standard insole, 99 capacitive sensors; centroids from "
            "pressuRe's pedar_insole_grid (science.md §10.3), cells and areas derived by a "
            "Voronoi tessellation clipped to the derived outline at 260 mm [H]"
        ),
        "kind": "pressure_kpa",
        "length_mm": length_mm,
        "width_mm": width_mm,
        "landmarks": {"heel": list(TEMPLATE_HEEL_POINT), "toe": list(TEMPLATE_TOE_POINT)},
        "sensors": sensors,
        "regions": {region: _id_ranges(r) for region, r in _PEDAR_MASK.items()},
    }


def moticon_size_lengths_mm() -> dict[int, float]:
    """Return the insole length assumed for each Moticon OpenGo size [H].

    The area ratio of sizes 7 and 3 fixes ``L7 / L3 = sqrt(204.8 / 143.8)``; lengths are
    linear in the size number and size 3 is assumed to be a 245 mm insole (EU 38).
    """
    area3 = sum(a3 for *_, a3, _ in _MOTICON)
    area7 = sum(a7 for *_, a7 in _MOTICON)
    length7 = _MOTICON_SIZE3_LENGTH_MM * math.sqrt(area7 / area3)
    step = (length7 - _MOTICON_SIZE3_LENGTH_MM) / 4.0
    return {s: round(_MOTICON_SIZE3_LENGTH_MM + (s - 3) * step, 1) for s in _MOTICON_SIZES}


def moticon_definition() -> dict[str, Any]:
    """Return the ``moticon-16`` layout file (science.md §10.2)."""
    sensors = [
        {"id": str(k + 1), "ap": round(x + 0.5, 3), "ml": y}
        for k, (x, y, _, _) in enumerate(_MOTICON)
    ]
    return {
        "name": "moticon-16",
        "description": (
            "Moticon OpenGo, 16 capacitive sensors; centroids and effective areas regressed from "
            "the vendor's exported COP (science.md §10.2), labels inferred; sizes 1-8 "
            "(default 7), lengths per size estimated from the area ratio [H]"
        ),
        "kind": "pressure_kpa",
        "sizes": {
            "default": str(_MOTICON_DEFAULT_SIZE),
            "length_mm": {str(s): v for s, v in moticon_size_lengths_mm().items()},
            "area_mm2": {
                "3": {str(k + 1): round(a3 * 100.0, 1) for k, (*_, a3, _) in enumerate(_MOTICON)},
                "7": {str(k + 1): round(a7 * 100.0, 1) for k, (*_, a7) in enumerate(_MOTICON)},
            },
        },
        "landmarks": {"heel": [0.16, -0.045], "toe": [0.92, 0.064]},
        "sensors": sensors,
        "regions": {r: [str(k) for k in ids] for r, ids in _MOTICON_REGIONS.items()},
    }


def gaitpdb_definition() -> dict[str, Any]:
    """Return the ``gaitpdb-8`` layout file (science.md §10.1).

    Sensors use ``ap = 0.10 + 0.80 ap_raw`` and ``ml = 0.6 ml_raw``; a sensor that lands closer
    than 10 % of the local width to a border (sensor 3, and sensor 5 at the arch) is moved
    across to that 10 % line so that every sensor lies inside the derived outline [H].
    """
    raw_xy = ((-500, -800), (-700, -400), (-300, -400), (-700, 0), (-300, 0), (-700, 400),
              (-300, 400), (-500, 800))  # fmt: skip
    borders = OutlineBorders.from_outline(standard_outline())
    sensors = []
    for k, (x, y) in enumerate(raw_xy):
        ap = 0.10 + 0.80 * (y + 800) / 1600
        ml = 0.6 * (x + 500) / 400
        medial, lateral = float(borders.medial(ap)), float(borders.lateral(ap))
        width = medial - lateral
        ml = min(max(ml, lateral + _GAITPDB_MIN_W * width), medial - _GAITPDB_MIN_W * width)
        sensors.append(
            {"id": str(k + 1), "ap": round(ap, 4), "ml": round(ml, 4), "area_mm2": GAITPDB_AREA_MM2}
        )
    return {
        "name": "gaitpdb-8",
        "description": (
            "PhysioNet gaitpdb (Infotronic CDG), 8 force sensors, 100 Hz; positions mapped from "
            "format.txt (science.md §10.1) [H], nominal 3 cm^2 footprints; COP proxy, timing "
            "and gross heel/forefoot loading only"
        ),
        "kind": "force_n",
        "length_mm": TEMPLATE_LENGTH_MM,
        "width_mm": round(DEFAULT_WIDTH_RATIO * TEMPLATE_LENGTH_MM, 2),
        "sensors": sensors,
    }


def diy_definition(points: tuple[tuple[str, float, float], ...]) -> dict[str, Any]:
    """Return a ``diy-fsr-N`` layout file (science.md §10.5).

    Parameters
    ----------
    points : tuple of (label, ap, ml)
        Sensor positions, in channel order.
    """
    n = len(points)
    labels = ", ".join(f"{k + 1} {label}" for k, (label, _, _) in enumerate(points))
    return {
        "name": f"diy-fsr-{n}",
        "description": (
            f"DIY insole with {n} FSR 402 sensors (12.7 mm round) placed on the pedar template "
            f"(science.md §10.5, not validated) [H]; sensors {labels}"
        ),
        "kind": "pressure_kpa",
        "length_mm": TEMPLATE_LENGTH_MM,
        "width_mm": round(DEFAULT_WIDTH_RATIO * TEMPLATE_LENGTH_MM, 2),
        "sensors": [
            {
                "id": str(k + 1),
                "ap": ap,
                "ml": ml,
                "area_mm2": round(FSR402_AREA_MM2, _DECIMALS_AREA),
            }
            for k, (_, ap, ml) in enumerate(points)
        ],
    }


def loadsol_definition() -> dict[str, Any]:
    """Return the ``loadsol-3`` layout file: three force zones placed on the pedar template.

    Each zone's centroid and area are those of the union of the pedar cells it covers
    (heel: sensels 1-26; medial forefoot: MTH1 and the MTH2 column; lateral forefoot: the MTH3
    column and MTH4-5), scaled to a 260 mm insole of the default width ratio.
    """
    cells = pedar_cells_mm(TEMPLATE_LENGTH_MM, PEDAR_WIDTH_RATIO * TEMPLATE_LENGTH_MM)
    scale = np.array([TEMPLATE_LENGTH_MM, PEDAR_WIDTH_RATIO * TEMPLATE_LENGTH_MM])
    width_mm = round(DEFAULT_WIDTH_RATIO * TEMPLATE_LENGTH_MM, 2)
    sensors = []
    for zone, members in _LOADSOL_ZONES.items():
        areas = np.array([polygon_area(cells[k - 1] / scale) for k in members])
        centres = np.array([polygon_centroid(cells[k - 1] / scale) for k in members])
        ap, ml = (areas[:, None] * centres).sum(axis=0) / areas.sum()
        sensors.append(
            {
                "id": zone,
                "ap": round(float(ap), 3),
                "ml": round(float(ml), 3),
                "area_mm2": round(float(areas.sum()) * TEMPLATE_LENGTH_MM * width_mm, 1),
            }
        )
    return {
        "name": "loadsol-3",
        "description": (
            "novel loadsol-style force insole, 3 zones (heel, medial and lateral forefoot) "
            "placed on the pedar template [H]; no toe or midfoot sensing"
        ),
        "kind": "force_n",
        "length_mm": TEMPLATE_LENGTH_MM,
        "width_mm": width_mm,
        "sensors": sensors,
        "regions": _LOADSOL_REGIONS,
    }


def fscan_definition() -> dict[str, Any]:
    """Return the ``fscan-60x21`` layout file (science.md §10.4)."""
    return {
        "name": "fscan-60x21",
        "description": (
            "Tekscan F-Scan resistive grid, 60 x 21 sensels at 5.08 mm (science.md §10.4), "
            "trimmed to the derived outline; sensels outside it are inactive"
        ),
        "kind": "pressure_kpa",
        "grid": {"rows": 60, "cols": 21, "pitch_mm": 5.08},
    }


def build_definitions() -> dict[str, dict[str, Any]]:
    """Return every built-in layout file, keyed by layout name."""
    definitions = [
        pedar_definition(),
        moticon_definition(),
        gaitpdb_definition(),
        diy_definition(_DIY_8),
        diy_definition(_DIY_16),
        loadsol_definition(),
        fscan_definition(),
    ]
    return {d["name"]: d for d in definitions}


def dumps_definition(definition: dict[str, Any]) -> str:
    """Format a layout file: one line per top-level key, sensor and region.

    Parameters
    ----------
    definition : dict
        A layout definition.

    Returns
    -------
    str
        JSON text ending in a newline.
    """
    lines = []
    for key, value in definition.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            inner = ",\n".join(f"  {json.dumps(item, ensure_ascii=False)}" for item in value)
            lines.append(f" {json.dumps(key)}: [\n{inner}\n ]")
        elif isinstance(value, dict):
            inner = ",\n".join(
                f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()
            )
            lines.append(f" {json.dumps(key)}: {{\n{inner}\n }}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_definitions(directory: Path = DATA_DIR) -> list[Path]:
    """Write every built-in layout file into ``directory``.

    Parameters
    ----------
    directory : Path, optional
        Target directory (default: the package's ``data/``).

    Returns
    -------
    list of Path
        The files written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, definition in build_definitions().items():
        path = directory / f"{name}.json"
        path.write_text(dumps_definition(definition), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_definitions():
        print(written)
