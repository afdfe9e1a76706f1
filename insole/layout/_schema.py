"""The layout file schema (``docs/layouts.md``): dict <-> :class:`SensorLayout`, grids and sizes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from insole.exceptions import LayoutError
from insole.layout._geometry import FloatArray, grid_cells, polygon_area
from insole.layout._layout import KINDS, SIDES, WEIGHT_SUM_TOLERANCE, SensorLayout
from insole.layout._outline import (
    DEFAULT_WIDTH_RATIO,
    TEMPLATE_HEEL_POINT,
    TEMPLATE_TOE_POINT,
    OutlineBorders,
    standard_outline,
)
from insole.layout._regions import REGIONS, SUBREGIONS, default_region_weights

#: Version of the layout file schema written by :func:`layout_to_dict`.
SCHEMA_VERSION: Final[int] = 1

#: Width-to-length ratios an insole fitted into a rectangular grid may have (science.md §13).
GRID_WIDTH_RATIO_RANGE: Final[tuple[float, float]] = (0.32, 0.40)

_TOP_KEYS: Final[frozenset[str]] = frozenset(
    {
        "schema_version",
        "name",
        "description",
        "kind",
        "side",
        "length_mm",
        "width_mm",
        "grid",
        "sizes",
        "landmarks",
        "outline",
        "sensors",
        "regions",
    }
)
_SENSOR_KEYS: Final[frozenset[str]] = frozenset({"id", "ap", "ml", "area_mm2", "active", "polygon"})
_GRID_KEYS: Final[frozenset[str]] = frozenset({"rows", "cols", "pitch_mm"})
_SIZES_KEYS: Final[frozenset[str]] = frozenset({"default", "length_mm", "area_mm2"})


def layout_to_dict(layout: SensorLayout) -> dict[str, Any]:
    """Serialise a layout to the layout file schema with every field explicit.

    Parameters
    ----------
    layout : SensorLayout
        The layout.

    Returns
    -------
    dict
        JSON-serialisable; :func:`layout_from_dict` rebuilds an equal layout.
    """
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": layout.name,
        "description": layout.description,
        "kind": layout.kind,
        "side": layout.side,
        "length_mm": layout.length_mm,
        "width_mm": layout.width_mm,
    }
    if layout.grid_shape is not None:
        data["grid"] = {"rows": layout.grid_shape[0], "cols": layout.grid_shape[1]}
    data["landmarks"] = {"heel": list(layout.heel_point), "toe": list(layout.toe_point)}
    data["outline"] = layout.outline.tolist()
    sensors = []
    for i, sensor_id in enumerate(layout.sensor_ids):
        row: dict[str, Any] = {
            "id": sensor_id,
            "ap": float(layout.ap[i]),
            "ml": float(layout.ml[i]),
            "area_mm2": float(layout.area_mm2[i]),
        }
        if not layout.active[i]:
            row["active"] = False
        if layout.polygons is not None and layout.grid_shape is None:
            row["polygon"] = layout.polygons[i].tolist()
        sensors.append(row)
    data["sensors"] = sensors
    regions: dict[str, Any] = {}
    for j, region in enumerate(layout.region_names):
        column = layout.region_weights[:, j]
        members = np.flatnonzero(column > 0.0)
        if np.all(column[members] == 1.0):
            regions[region] = [layout.sensor_ids[k] for k in members]
        else:
            regions[region] = {layout.sensor_ids[k]: float(column[k]) for k in members}
    data["regions"] = regions
    return data


def layout_from_dict(
    data: Mapping[str, Any], *, size: int | str | None = None, source: str | None = None
) -> SensorLayout:
    """Build a layout from the layout file schema.

    Parameters
    ----------
    data : mapping
        A layout definition; optional keys take the defaults documented in ``docs/layouts.md``.
    size : int or str, optional
        Size to build when the definition has a ``sizes`` block (default: its ``default``).
    source : str, optional
        Where the definition came from (a file name), to prefix error messages.

    Returns
    -------
    SensorLayout

    Raises
    ------
    LayoutError
        With a one-line message naming the problem and the fix.
    """
    try:
        return _parse(data, size)
    except LayoutError as exc:
        if source is None:
            raise
        raise LayoutError(f"{source}: {exc}") from None


def grid_geometry(
    rows: int, cols: int, pitch_mm: float
) -> tuple[float, float, FloatArray, FloatArray]:
    """Fit the insole into a rectangular sensor grid.

    The insole spans the grid when its width-to-length ratio lies in
    :data:`GRID_WIDTH_RATIO_RANGE`; otherwise the ratio is clipped to that range, the heel
    stays on row 0 and the insole is centred across the columns (cells beyond it end up
    outside the outline).

    Parameters
    ----------
    rows, cols : int
        Grid size; cells run row-major, row 0 at the heel, column 0 medial.
    pitch_mm : float
        Cell pitch.

    Returns
    -------
    length_mm, width_mm : float
        Insole size.
    ap, ml : ndarray, shape (rows * cols,)
        Cell centres in the insole frame.
    """
    grid_length_mm, grid_width_mm = rows * pitch_mm, cols * pitch_mm
    lo, hi = GRID_WIDTH_RATIO_RANGE
    ratio = grid_width_mm / grid_length_mm
    if ratio > hi:
        length_mm, width_mm = grid_length_mm, hi * grid_length_mm
    elif ratio < lo:
        length_mm, width_mm = grid_width_mm / lo, grid_width_mm
    else:
        length_mm, width_mm = grid_length_mm, grid_width_mm
    medial_edge_mm = 0.5 * (grid_width_mm - width_mm)
    y_mm = (np.arange(rows) + 0.5) * pitch_mm
    x_mm = (np.arange(cols) + 0.5) * pitch_mm - medial_edge_mm
    ap = np.repeat(y_mm / length_mm, cols)
    ml = np.tile(0.5 - x_mm / width_mm, rows)
    return length_mm, width_mm, ap, ml


def grid_sensor_ids(rows: int, cols: int) -> tuple[str, ...]:
    """Return grid cell ids ``r<row>c<col>`` (zero-based, zero-padded), row-major.

    Parameters
    ----------
    rows, cols : int
        Grid size.

    Returns
    -------
    tuple of str
    """
    wr, wc = len(str(rows - 1)), len(str(cols - 1))
    return tuple(f"r{r:0{wr}d}c{c:0{wc}d}" for r in range(rows) for c in range(cols))


# ---------------------------------------------------------------------------- parsing


def _parse(data: Mapping[str, Any], size: int | str | None) -> SensorLayout:
    if not isinstance(data, Mapping):
        raise LayoutError("a layout definition must be a JSON object; wrap the fields in {...}")
    _check_keys(data, _TOP_KEYS, "layout")
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise LayoutError(
            f"layout schema_version {version!r} is newer than this insole supports "
            f"({SCHEMA_VERSION}); upgrade insole"
        )
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise LayoutError('layout has no "name"; add a non-empty "name" string')
    kind = _text(data, "kind", "pressure_kpa", KINDS)
    side = _text(data, "side", "left", SIDES)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise LayoutError('"description" must be a string')
    outline = (
        _number_array(data["outline"], "outline", (-1, 2))
        if "outline" in data
        else standard_outline()
    )
    borders = OutlineBorders.from_outline(outline)
    heel_point, toe_point = _landmarks(data.get("landmarks"))
    grid = data.get("grid")
    sensors = data.get("sensors")
    if grid is None and sensors is None:
        raise LayoutError('layout has no "sensors"; list the sensors (or give a "grid")')
    grid_shape = None
    if grid is not None:
        _check_keys(grid, _GRID_KEYS, '"grid"')
        grid_shape = rows, cols = _positive_int(grid, "rows"), _positive_int(grid, "cols")
    length_mm, width_mm, area_by_id = _size(data, size)

    if sensors is None:  # generate the cells of the grid
        pitch_mm = _positive_number(grid, "pitch_mm", '"grid"')
        if length_mm is not None or width_mm is not None:
            raise LayoutError(
                'a "grid" without "sensors" takes its size from rows, cols and pitch_mm; '
                'drop "length_mm"/"width_mm"/"sizes"'
            )
        length_mm, width_mm, ap, ml = grid_geometry(rows, cols, pitch_mm)
        ids = grid_sensor_ids(rows, cols)
        area_mm2 = np.full(len(ids), pitch_mm**2)
        active = borders.contains(ap, ml)
        polygons = None
    else:
        if length_mm is None:
            raise LayoutError('layout has no "length_mm"; add the insole length in mm')
        width_mm = width_mm or DEFAULT_WIDTH_RATIO * length_mm
        ids, ap, ml, area_mm2, active, polygons = _sensors(
            sensors, area_by_id, length_mm * width_mm
        )
        if polygons is not None and grid_shape is not None:
            raise LayoutError('grid layouts take no sensor "polygon"s; drop them or the "grid"')

    if "regions" in data:
        region_names, weights = _regions(data["regions"], ids, active)
    else:
        with_subregions = grid_shape is not None
        polygons_for_mask = polygons if grid_shape is None else grid_cells(ap, ml, grid_shape)
        weights = default_region_weights(
            ap,
            ml,
            area_mm2,
            active,
            polygons_for_mask,
            borders,
            length_mm,
            width_mm,
            with_subregions,
        )
        region_names = REGIONS + (SUBREGIONS if with_subregions else ())
    return SensorLayout(
        name=name,
        description=description,
        kind=kind,
        side=side,
        sensor_ids=ids,
        ap=ap,
        ml=ml,
        area_mm2=area_mm2,
        length_mm=length_mm,
        width_mm=width_mm,
        outline=outline,
        active=active,
        region_names=region_names,
        region_weights=weights,
        heel_point=heel_point,
        toe_point=toe_point,
        polygons=polygons,
        grid_shape=grid_shape,
    )


def _size(
    data: Mapping[str, Any], size: int | str | None
) -> tuple[float | None, float | None, dict[str, float] | None]:
    """Resolve length, width and (for sized definitions) per-sensor areas."""
    sizes = data.get("sizes")
    width_mm = _positive_number(data, "width_mm", "layout") if "width_mm" in data else None
    if sizes is None:
        if size is not None:
            raise LayoutError(
                f"layout {data.get('name')!r} comes in one size only, got size={size!r}; "
                "drop the size and scale with SensorLayout.with_length() instead"
            )
        length_mm = _positive_number(data, "length_mm", "layout") if "length_mm" in data else None
        return length_mm, width_mm, None
    _check_keys(sizes, _SIZES_KEYS, '"sizes"')
    if "length_mm" in data or width_mm is not None:
        raise LayoutError('give either "length_mm"/"width_mm" or a "sizes" block, not both')
    lengths = {str(k): float(v) for k, v in dict(sizes.get("length_mm", {})).items()}
    measured = {str(k): dict(v) for k, v in dict(sizes.get("area_mm2", {})).items()}
    label = str(sizes.get("default") if size is None else size)
    if label not in lengths:
        raise LayoutError(
            f"layout {data.get('name')!r} has no size {label!r}; use one of {sorted(lengths, key=_size_key)}"
        )
    if not measured or any(m not in lengths for m in measured):
        raise LayoutError('"sizes.area_mm2" must give areas for sizes listed in "sizes.length_mm"')
    length_mm = lengths[label]
    # areas are linear in length**2 through the two measured sizes nearest in length
    nearest = sorted(measured, key=lambda m: abs(lengths[m] - length_mm))[:2]
    if len(nearest) == 1 or lengths[nearest[0]] == lengths[nearest[1]]:
        only = nearest[0]
        factor = (length_mm / lengths[only]) ** 2
        areas = {k: float(v) * factor for k, v in measured[only].items()}
    else:
        a, b = nearest
        t = (length_mm**2 - lengths[a] ** 2) / (lengths[b] ** 2 - lengths[a] ** 2)
        areas = {
            k: float(measured[a][k]) + t * (float(measured[b][k]) - float(measured[a][k]))
            for k in measured[a]
        }
    return length_mm, DEFAULT_WIDTH_RATIO * length_mm, areas


def _size_key(label: str) -> tuple[int, float | str]:
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def _sensors(
    sensors: Any, area_by_id: dict[str, float] | None, insole_area_mm2: float
) -> tuple[tuple[str, ...], FloatArray, FloatArray, FloatArray, np.ndarray, tuple | None]:
    if not isinstance(sensors, list) or not sensors:
        raise LayoutError('"sensors" must be a non-empty list of {"id", "ap", "ml", ...} objects')
    ids, ap, ml, areas, active, polygons = [], [], [], [], [], []
    for k, sensor in enumerate(sensors):
        where = f"sensor #{k + 1}"
        if not isinstance(sensor, Mapping):
            raise LayoutError(f'{where} must be an object like {{"id": "1", "ap": 0.1, "ml": 0.0}}')
        _check_keys(sensor, _SENSOR_KEYS, where)
        if "id" not in sensor:
            raise LayoutError(f'{where} has no "id"; give every sensor an id')
        sensor_id = str(sensor["id"])
        where = f"sensor {sensor_id!r}"
        ids.append(sensor_id)
        ap.append(_number(sensor, "ap", where))
        ml.append(_number(sensor, "ml", where))
        polygon = sensor.get("polygon")
        polygons.append(
            None if polygon is None else _number_array(polygon, f"{where} polygon", (-1, 2))
        )
        if "area_mm2" in sensor:
            areas.append(_positive_number(sensor, "area_mm2", where))
        elif area_by_id is not None and sensor_id in area_by_id:
            areas.append(area_by_id[sensor_id])
        elif polygons[-1] is not None:
            areas.append(polygon_area(polygons[-1]) * insole_area_mm2)
        else:
            raise LayoutError(f'{where} has no "area_mm2"; give its sensing area in mm^2')
        flag = sensor.get("active", True)
        if not isinstance(flag, bool):
            raise LayoutError(f'{where}: "active" must be true or false')
        active.append(flag)
    given = [p is not None for p in polygons]
    if any(given) and not all(given):
        raise LayoutError('give a "polygon" for every sensor or for none')
    return (
        tuple(ids),
        np.array(ap),
        np.array(ml),
        np.array(areas),
        np.array(active, dtype=bool),
        tuple(polygons) if all(given) else None,
    )


def _regions(
    regions: Any, ids: tuple[str, ...], active: np.ndarray
) -> tuple[tuple[str, ...], FloatArray]:
    known = REGIONS + SUBREGIONS
    if not isinstance(regions, Mapping):
        raise LayoutError('"regions" must map region names to lists of sensor ids or {id: weight}')
    unknown = [r for r in regions if r not in known]
    if unknown:
        raise LayoutError(
            f'unknown region {unknown[0]!r} in "regions"; use names from {list(known)}'
        )
    names = REGIONS + tuple(s for s in SUBREGIONS if s in regions)
    index = {sensor_id: i for i, sensor_id in enumerate(ids)}
    weights = np.zeros((len(ids), len(names)))
    listed = np.zeros((len(ids), len(names)), dtype=bool)
    for j, region in enumerate(names):
        members = regions.get(region, [])
        if isinstance(members, Mapping):
            pairs = [(str(k), v) for k, v in members.items()]
        elif isinstance(members, list):
            pairs = [(str(k), None) for k in members]
        else:
            raise LayoutError(
                f"region {region!r} must be a list of ids or an {{id: weight}} object"
            )
        for sensor_id, weight in pairs:
            if sensor_id not in index:
                raise LayoutError(
                    f"region {region!r} names unknown sensor {sensor_id!r}; fix the id"
                )
            i = index[sensor_id]
            if weight is None:
                listed[i, j] = True
            elif (
                isinstance(weight, (int, float))
                and not isinstance(weight, bool)
                and math.isfinite(weight)
            ):
                weights[i, j] = float(weight)
            else:
                raise LayoutError(
                    f"region {region!r}: weight of sensor {sensor_id!r} must be a number"
                )
    # a sensor listed in k canonical regions counts 1/k in each; sub-region lists count 1
    canonical = slice(0, len(REGIONS))
    n_listed = listed[:, canonical].sum(axis=1, keepdims=True)
    share = np.divide(1.0, n_listed, out=np.zeros(n_listed.shape), where=n_listed > 0)
    weights[:, canonical] += listed[:, canonical] * share
    weights[:, len(REGIONS) :] += listed[:, len(REGIONS) :]
    missing = active & (weights[:, canonical].sum(axis=1) < WEIGHT_SUM_TOLERANCE)
    if missing.any():
        raise LayoutError(
            f"sensor {ids[int(np.flatnonzero(missing)[0])]!r} is in no region; add it to one of "
            f"{list(REGIONS)} or mark it inactive"
        )
    return names, weights


def _landmarks(landmarks: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    if landmarks is None:
        return TEMPLATE_HEEL_POINT, TEMPLATE_TOE_POINT
    if not isinstance(landmarks, Mapping) or set(landmarks) != {"heel", "toe"}:
        raise LayoutError('"landmarks" must be {"heel": [ap, ml], "toe": [ap, ml]}')
    heel = _number_array(landmarks["heel"], "landmarks.heel", (2,))
    toe = _number_array(landmarks["toe"], "landmarks.toe", (2,))
    return (float(heel[0]), float(heel[1])), (float(toe[0]), float(toe[1]))


def _check_keys(obj: Any, allowed: frozenset[str], where: str) -> None:
    if not isinstance(obj, Mapping):
        raise LayoutError(f"{where} must be a JSON object")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise LayoutError(
            f"{where} has unknown key {unknown[0]!r}; allowed keys are {sorted(allowed)}"
        )


def _text(data: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = data.get(key, default)
    if value not in choices:
        raise LayoutError(f'"{key}" must be one of {list(choices)}, got {value!r}')
    return value


def _number(obj: Mapping[str, Any], key: str, where: str) -> float:
    if key not in obj:
        raise LayoutError(f'{where} has no "{key}"; add it')
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LayoutError(f'{where}: "{key}" must be a finite number, got {value!r}')
    return float(value)


def _positive_number(obj: Mapping[str, Any], key: str, where: str) -> float:
    value = _number(obj, key, where)
    if value <= 0.0:
        raise LayoutError(f'{where}: "{key}" must be positive, got {value}')
    return value


def _positive_int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise LayoutError(f'"grid.{key}" must be an integer >= 2, got {value!r}')
    return value


def _number_array(value: Any, what: str, shape: tuple[int, ...]) -> FloatArray:
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise LayoutError(f"{what} must be numbers") from None
    if array.ndim != len(shape) or any(s not in (-1, a) for s, a in zip(shape, array.shape)):
        raise LayoutError(f"{what} must have shape {shape} (-1: any); got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise LayoutError(f"{what} contains non-finite values")
    return array
