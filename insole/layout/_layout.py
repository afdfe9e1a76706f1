"""``SensorLayout``: where each sensor of one insole sits, in the side-agnostic insole frame."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from insole.exceptions import LayoutError
from insole.layout._geometry import FloatArray, grid_cells
from insole.layout._outline import OutlineBorders
from insole.layout._regions import REGIONS, SUBREGIONS, polygon_samples

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Sensor kinds: what one sample of a sensor measures.
KINDS: Final[tuple[str, ...]] = ("pressure_kpa", "force_n")

#: Foot sides.
SIDES: Final[tuple[str, ...]] = ("left", "right")

#: Tolerance on the sum of an active sensor's canonical region weights.
WEIGHT_SUM_TOLERANCE: Final[float] = 1e-6

#: Samples along the foot axis when the forefoot width perpendicular to it is measured.
_AXIS_WIDTH_SAMPLES = 1001


@dataclass(frozen=True)
class FootAxis:
    """The foot axis of a layout in mm (science.md §0.2), precomputed for :meth:`SensorLayout.foot_axis_frame`.

    Parameters
    ----------
    heel_mm : ndarray, shape (2,)
        Heel centre H as ``(x_mm, y_mm)`` (``x`` positive medial, ``y`` toe-ward).
    along : ndarray, shape (2,)
        Unit vector ``e`` from H towards the second toe T.
    medial : ndarray, shape (2,)
        Unit vector ``n`` perpendicular to ``e``, pointing medially.
    length_mm : float
        ``L_axis``: extent of the outline along ``e`` (heel tip to toe tip).
    width_mm : float
        ``W_ff``: the longest chord of the outline perpendicular to ``e`` (forefoot width).
    """

    heel_mm: FloatArray
    along: FloatArray
    medial: FloatArray
    length_mm: float
    width_mm: float


@dataclass(frozen=True, eq=False, repr=False)
class SensorLayout:
    """Positions, areas and regions of the sensors under one insole.

    Coordinates use the side-agnostic insole frame of science.md §0.1: ``ap`` runs from 0 at
    the heel tip to 1 at the toe tip, ``ml`` is normalised by the maximum insole width with the
    origin at the centre of the outline's bounding box and **positive medial** for either foot.
    Physical coordinates are ``x_mm = ml * width_mm`` (medial positive) and
    ``y_mm = ap * length_mm``.

    Grid layouts (``grid_shape`` set) list their cells row-major, row 0 at the heel and column 0
    at the medial edge; their ``polygons`` are built from the centroids when not given.

    Instances are immutable (arrays are read-only) and compare equal when every field is equal.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"pedar-99"``.
    description : str
        One line: device, source of the geometry, caveats.
    kind : {"pressure_kpa", "force_n"}
        What each sensor reports.
    side : {"left", "right"}
        Foot side; :meth:`mirrored` gives the other one.
    sensor_ids : tuple of str
        Unique sensor identifiers, in data-column order.
    ap, ml : array_like, shape (n_sensors,)
        Sensor centroids in the insole frame.
    area_mm2 : array_like, shape (n_sensors,)
        Sensor areas for the insole size ``length_mm`` x ``width_mm``.
    length_mm, width_mm : float
        Insole length and maximum width.
    outline : array_like, shape (m, 2)
        Closed ``(ap, ml)`` polygon of the insole; the first vertex is not repeated.
    active : array_like of bool, shape (n_sensors,)
        False for grid cells trimmed away (outside the outline).
    region_names : tuple of str
        :data:`REGIONS`, optionally followed by :data:`SUBREGIONS` in order.
    region_weights : array_like, shape (n_sensors, len(region_names))
        Share of each sensor in each region; an active sensor's weights over :data:`REGIONS`
        sum to 1, an inactive sensor's weights are all 0.
    heel_point, toe_point : tuple of float
        ``(ap, ml)`` of the foot-axis landmarks H (heel centre) and T (second toe).
    polygons : tuple of array_like, each (k, 2), optional
        Sensor outlines in ``(ap, ml)``; None for discrete sensors.
    grid_shape : tuple of int, optional
        ``(rows, cols)`` of a grid layout.

    Attributes
    ----------
    n_sensors : int
        Number of sensors (active or not).
    x_mm, y_mm : ndarray
        Physical centroid coordinates.
    foot_axis : FootAxis
        The foot axis in mm, as used by :meth:`foot_axis_frame`.
    medial_of_axis_weights : ndarray
        Fraction of each sensor medial of the foot axis.
    """

    name: str
    description: str
    kind: str
    side: str
    sensor_ids: tuple[str, ...]
    ap: FloatArray
    ml: FloatArray
    area_mm2: FloatArray
    length_mm: float
    width_mm: float
    outline: FloatArray
    active: NDArray[np.bool_]
    region_names: tuple[str, ...]
    region_weights: FloatArray
    heel_point: tuple[float, float]
    toe_point: tuple[float, float]
    polygons: tuple[FloatArray, ...] | None = None
    grid_shape: tuple[int, int] | None = None
    _borders: OutlineBorders = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Validate every field and freeze the arrays."""
        put = object.__setattr__
        where = f"layout {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise LayoutError("layout name must be a non-empty string; give the layout a name")
        _check_choice(self.kind, KINDS, f"{where}: kind")
        _check_choice(self.side, SIDES, f"{where}: side")
        ids = tuple(str(i) for i in self.sensor_ids)
        if not ids:
            raise LayoutError(f"{where} has no sensors; list at least one sensor")
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise LayoutError(
                f"{where}: duplicate sensor ids {dupes}; give every sensor its own id"
            )
        put(self, "sensor_ids", ids)
        n = len(ids)
        for key in ("ap", "ml", "area_mm2"):
            put(self, key, _frozen(getattr(self, key), (n,), f"{where}: {key}"))
        if np.any(self.area_mm2 <= 0.0):
            raise LayoutError(f"{where}: sensor areas must be positive; fix area_mm2")
        for key in ("length_mm", "width_mm"):
            value = float(getattr(self, key))
            if not (np.isfinite(value) and value > 0.0):
                raise LayoutError(f"{where}: {key} must be a positive number of mm, got {value}")
            put(self, key, value)
        put(self, "outline", _frozen(self.outline, (-1, 2), f"{where}: outline"))
        if len(self.outline) < 3:
            raise LayoutError(f"{where}: the outline needs at least 3 vertices")
        put(self, "_borders", OutlineBorders.from_outline(self.outline))
        active = np.array(self.active, dtype=bool).reshape(-1)
        if active.shape != (n,):
            raise LayoutError(f"{where}: active must hold one flag per sensor ({n})")
        active.flags.writeable = False
        put(self, "active", active)
        outside = active & ~self._borders.contains(self.ap, self.ml)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise LayoutError(
                f"{where}: sensor {ids[i]!r} at (ap={self.ap[i]:.3f}, ml={self.ml[i]:.3f}) lies "
                "outside the outline; fix its coordinates or mark it inactive"
            )
        self._check_regions(where, n)
        for key in ("heel_point", "toe_point"):
            point = tuple(float(v) for v in np.asarray(getattr(self, key), dtype=float).ravel())
            if len(point) != 2 or not np.all(np.isfinite(point)):
                raise LayoutError(f"{where}: {key} must be one finite (ap, ml) pair")
            put(self, key, point)
        if self.heel_point == self.toe_point:
            raise LayoutError(f"{where}: heel_point and toe_point coincide; move the toe point")
        self._check_polygons(where, n)

    def _check_regions(self, where: str, n: int) -> None:
        names = tuple(self.region_names)
        extra = names[len(REGIONS) :]
        if names[: len(REGIONS)] != REGIONS or extra != tuple(s for s in SUBREGIONS if s in extra):
            raise LayoutError(
                f"{where}: region_names must be {list(REGIONS)} optionally followed by "
                f"sub-regions from {list(SUBREGIONS)} in that order"
            )
        object.__setattr__(self, "region_names", names)
        weights = _frozen(self.region_weights, (n, len(names)), f"{where}: region_weights")
        if np.any(weights < 0.0) or np.any(weights > 1.0 + WEIGHT_SUM_TOLERANCE):
            raise LayoutError(f"{where}: region weights must lie in [0, 1]")
        canonical = weights[:, : len(REGIONS)].sum(axis=1)
        bad = self.active & (np.abs(canonical - 1.0) > WEIGHT_SUM_TOLERANCE)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LayoutError(
                f"{where}: sensor {self.sensor_ids[i]!r} has region weights summing to "
                f"{canonical[i]:.6g}; assign every active sensor to the regions with weights "
                "summing to 1"
            )
        if np.any(weights[~self.active] != 0.0):
            raise LayoutError(f"{where}: inactive sensors must have no region weights")
        object.__setattr__(self, "region_weights", weights)

    def _check_polygons(self, where: str, n: int) -> None:
        if self.grid_shape is not None:
            shape = tuple(int(v) for v in self.grid_shape)
            if len(shape) != 2 or min(shape) < 2 or shape[0] * shape[1] != n:
                raise LayoutError(
                    f"{where}: grid_shape {self.grid_shape} does not match {n} sensors; "
                    "give (rows, cols) with rows * cols sensors, at least 2 x 2"
                )
            object.__setattr__(self, "grid_shape", shape)
            if self.polygons is None:
                object.__setattr__(self, "polygons", grid_cells(self.ap, self.ml, shape))
        if self.polygons is None:
            return
        polygons = tuple(
            _frozen(p, (-1, 2), f"{where}: polygon of sensor {i!r}")
            for i, p in zip(self.sensor_ids, self.polygons)
        )
        if len(polygons) != n or any(len(p) < 3 for p in polygons):
            raise LayoutError(f"{where}: give one polygon of at least 3 vertices per sensor")
        object.__setattr__(self, "polygons", polygons)

    # ------------------------------------------------------------------ comparison and display

    def __eq__(self, other: object) -> bool:
        """Return True when ``other`` is a layout with identical fields and arrays."""
        if not isinstance(other, SensorLayout):
            return NotImplemented
        for f in dataclasses.fields(self):
            if not f.compare:
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "polygons" and mine is not None and theirs is not None:
                if len(mine) != len(theirs) or not all(map(np.array_equal, mine, theirs)):
                    return False
            elif isinstance(mine, np.ndarray):
                if not np.array_equal(mine, theirs):
                    return False
            elif mine != theirs:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]  # equality compares arrays: unhashable

    def __repr__(self) -> str:
        """Return a one-line summary."""
        return (
            f"<SensorLayout {self.name!r}: {self.n_sensors} {self.kind} sensors "
            f"({int(self.active.sum())} active), {self.side}, "
            f"{self.length_mm:.1f} x {self.width_mm:.1f} mm>"
        )

    # ------------------------------------------------------------------ geometry

    @property
    def n_sensors(self) -> int:
        """Number of sensors, active or not."""
        return len(self.sensor_ids)

    @property
    def x_mm(self) -> FloatArray:
        """Medio-lateral centroid coordinate in mm, positive medial."""
        return self.ml * self.width_mm

    @property
    def y_mm(self) -> FloatArray:
        """Anterior-posterior centroid coordinate in mm from the heel tip."""
        return self.ap * self.length_mm

    def mirrored(self) -> SensorLayout:
        """Return the same layout for the other foot.

        The normalised coordinates are unchanged because ``+ml`` is medial for both feet; only
        ``side`` (and hence the plotting direction) flips.

        Returns
        -------
        SensorLayout
        """
        other = SIDES[1 - SIDES.index(self.side)]
        return dataclasses.replace(self, side=other)

    def with_length(self, length_mm: float, width_mm: float | None = None) -> SensorLayout:
        """Return the layout scaled to another insole size.

        Parameters
        ----------
        length_mm : float
            New insole length.
        width_mm : float, optional
            New maximum insole width; by default the width-to-length ratio is kept.

        Returns
        -------
        SensorLayout
            Same normalised geometry; areas scale with ``length_mm * width_mm``.
        """
        length_mm = float(length_mm)
        if width_mm is None:
            width_mm = self.width_mm * length_mm / self.length_mm
        scale = (length_mm / self.length_mm) * (float(width_mm) / self.width_mm)
        return dataclasses.replace(
            self, length_mm=length_mm, width_mm=float(width_mm), area_mm2=self.area_mm2 * scale
        )

    @cached_property
    def foot_axis(self) -> FootAxis:
        """The foot axis from ``heel_point`` to ``toe_point`` in mm (science.md §0.2)."""
        heel = np.array([self.heel_point[1] * self.width_mm, self.heel_point[0] * self.length_mm])
        toe = np.array([self.toe_point[1] * self.width_mm, self.toe_point[0] * self.length_mm])
        along = (toe - heel) / np.linalg.norm(toe - heel)
        medial = np.array([along[1], -along[0]])
        outline_mm = np.column_stack(
            [self.outline[:, 1] * self.width_mm, self.outline[:, 0] * self.length_mm]
        )
        u = (outline_mm - heel) @ along
        v = (outline_mm - heel) @ medial
        u_next, v_next = np.roll(u, -1), np.roll(v, -1)
        stations = np.linspace(u.min(), u.max(), _AXIS_WIDTH_SAMPLES)[1:-1, None]
        crosses = ((u <= stations) != (u_next <= stations)) & (u != u_next)
        with np.errstate(divide="ignore", invalid="ignore"):
            v_cross = v + (stations - u) * (v_next - v) / (u_next - u)
        chord = np.where(crosses, v_cross, -np.inf).max(axis=1) - np.where(
            crosses, v_cross, np.inf
        ).min(axis=1)
        return FootAxis(
            heel_mm=heel,
            along=along,
            medial=medial,
            length_mm=float(u.max() - u.min()),
            width_mm=float(chord.max()),
        )

    def foot_axis_frame(self, ap: ArrayLike, ml: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Convert insole-frame points to foot-axis coordinates (science.md §0.2).

        Parameters
        ----------
        ap, ml : array_like
            Points in the insole frame (broadcast together).

        Returns
        -------
        s : ndarray
            Position along the axis, 0 at the heel centre H, in units of ``L_axis`` (the
            outline's extent along the axis; about 1 at the toe tip).
        d : ndarray
            Signed distance from the axis, positive medial, in units of ``W_ff`` (the longest
            chord of the outline perpendicular to the axis).
        """
        axis = self.foot_axis
        x = np.asarray(ml, dtype=np.float64) * self.width_mm - axis.heel_mm[0]
        y = np.asarray(ap, dtype=np.float64) * self.length_mm - axis.heel_mm[1]
        s = (x * axis.along[0] + y * axis.along[1]) / axis.length_mm
        d = (x * axis.medial[0] + y * axis.medial[1]) / axis.width_mm
        return s, d

    @cached_property
    def medial_of_axis_weights(self) -> FloatArray:
        """Fraction of each sensor medial of the foot axis, for the lateral–medial force index.

        Sensors with polygons use the area fraction of their part inside the outline; discrete
        sensors count fully on the side of their centroid (1 if ``d > 0``, else 0).
        """
        _, d_centroid = self.foot_axis_frame(self.ap, self.ml)
        weights = (d_centroid > 0.0).astype(np.float64)
        if self.polygons is not None:
            points, owner = polygon_samples(self.polygons)
            inside = self._borders.contains(points[:, 0], points[:, 1])
            _, d = self.foot_axis_frame(points[inside, 0], points[inside, 1])
            total = np.bincount(owner[inside], minlength=self.n_sensors)
            medial = np.bincount(owner[inside], weights=d > 0.0, minlength=self.n_sensors)
            weights = np.where(total > 0, medial / np.maximum(total, 1), weights)
        weights.flags.writeable = False
        return weights

    def contains(self, ap: ArrayLike, ml: ArrayLike) -> NDArray[np.bool_]:
        """Return True where insole-frame points lie inside the outline.

        Parameters
        ----------
        ap, ml : array_like
            Points in the insole frame (broadcast together).

        Returns
        -------
        ndarray of bool
        """
        return self._borders.contains(ap, ml)

    # ------------------------------------------------------------------ regions

    def region_index(self, name: str) -> int:
        """Return the column of ``name`` in :attr:`region_weights`.

        Raises
        ------
        LayoutError
            If the layout has no region of that name.
        """
        if name not in self.region_names:
            raise LayoutError(
                f"layout {self.name!r} has no region {name!r}; use one of {list(self.region_names)}"
            )
        return self.region_names.index(name)

    def is_measured(self, name: str) -> bool:
        """Return True when at least one sensor has weight in region ``name``.

        A region no sensor covers is "not measured" and must be reported as such, never as 0.

        Raises
        ------
        LayoutError
            If ``name`` is neither a canonical region nor a sub-region.
        """
        if name not in REGIONS + SUBREGIONS:
            raise LayoutError(f"unknown region {name!r}; use one of {list(REGIONS + SUBREGIONS)}")
        return name in self.region_names and bool(
            np.any(self.region_weights[:, self.region_names.index(name)] > 0.0)
        )

    def measured_regions(self) -> tuple[str, ...]:
        """Return the names of the regions at least one sensor has weight in, in column order."""
        covered = np.any(self.region_weights > 0.0, axis=0)
        return tuple(name for name, yes in zip(self.region_names, covered) if yes)

    # ------------------------------------------------------------------ serialisation

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict from which :meth:`from_dict` rebuilds an equal layout.

        Returns
        -------
        dict
            The layout file schema of ``docs/layouts.md`` with every field filled in.
        """
        from insole.layout._schema import layout_to_dict

        return layout_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SensorLayout:
        """Build a layout from the layout file schema of ``docs/layouts.md``.

        Parameters
        ----------
        data : dict
            Output of :meth:`to_dict` or a hand-written definition with optional keys missing.

        Returns
        -------
        SensorLayout

        Raises
        ------
        LayoutError
            If the definition is malformed.
        """
        from insole.layout._schema import layout_from_dict

        return layout_from_dict(data)

    def to_json(self, indent: int | None = None) -> str:
        """Return :meth:`to_dict` as a JSON string (floats round-trip exactly).

        Parameters
        ----------
        indent : int, optional
            Passed to :func:`json.dumps`; None gives the most compact string.

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> SensorLayout:
        """Build a layout from a JSON string written by :meth:`to_json`.

        Parameters
        ----------
        text : str
            JSON text.

        Returns
        -------
        SensorLayout

        Raises
        ------
        LayoutError
            If the text is not JSON or not a valid layout.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LayoutError(f"layout JSON is malformed ({exc}); fix the syntax") from None
        return cls.from_dict(data)

    # ------------------------------------------------------------------ plotting

    def plot(self, ax: Axes | None = None) -> Figure:
        """Draw the outline, the sensors coloured by region and the foot axis.

        The insole is seen from above: medial is to the right for a left foot and to the left
        for a right foot.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; by default a new figure is made (no pyplot, never shown).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from insole.layout._plot import plot_layout

        return plot_layout(self, ax)


def _check_choice(value: object, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise LayoutError(f"{what} must be one of {list(choices)}, got {value!r}")


def _frozen(values: ArrayLike, shape: tuple[int, ...], what: str) -> FloatArray:
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise LayoutError(f"{what} must be numbers") from None
    if array.ndim != len(shape) or any(s not in (-1, a) for s, a in zip(shape, array.shape)):
        raise LayoutError(f"{what} has shape {array.shape}; expected {shape} (-1: any)")
    if not np.all(np.isfinite(array)):
        raise LayoutError(f"{what} contains non-finite values")
    array.flags.writeable = False
    return array
