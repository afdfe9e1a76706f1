"""Drawing a :class:`SensorLayout` with matplotlib (imported lazily, never ``pyplot``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np

from insole.layout._regions import REGIONS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from insole.layout._layout import SensorLayout

#: One colour per canonical region (matplotlib's tab10 minus grey).
REGION_COLOURS: Final[dict[str, str]] = dict(
    zip(
        REGIONS,
        (
            "#1f77b4",
            "#aec7e8",
            "#2ca02c",
            "#98df8a",
            "#d62728",
            "#ff7f0e",
            "#ffbb78",
            "#9467bd",
            "#c5b0d5",
        ),
    )
)
_INACTIVE_COLOUR = "#d9d9d9"
_MAX_LABELLED_SENSORS = 120


def plot_layout(layout: SensorLayout, ax: Axes | None = None) -> Figure:
    """Draw a layout seen from above (medial to the right for a left foot).

    Parameters
    ----------
    layout : SensorLayout
        The layout.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Polygon, Wedge

    if ax is None:
        figure = Figure(figsize=(6.0, 8.0), layout="constrained")
        ax = figure.add_subplot()
    else:
        figure = ax.figure
    sign = 1.0 if layout.side == "left" else -1.0
    length, width = layout.length_mm, layout.width_mm

    def to_plot(ap: np.ndarray, ml: np.ndarray) -> np.ndarray:
        return np.column_stack([sign * np.asarray(ml) * width, np.asarray(ap) * length])

    canonical = layout.region_weights[:, : len(REGIONS)]
    dominant = np.argmax(canonical, axis=1)
    if layout.polygons is not None:
        face = [
            to_rgba(REGION_COLOURS[REGIONS[r]], 0.85) if on else (0.0, 0.0, 0.0, 0.0)
            for r, on in zip(dominant, layout.active)
        ]
        edge = [to_rgba("white" if on else _INACTIVE_COLOUR) for on in layout.active]
        cells = [to_plot(p[:, 0], p[:, 1]) for p in layout.polygons]
        ax.add_collection(PolyCollection(cells, facecolors=face, edgecolors=edge, linewidths=0.5))
    else:
        for i in range(layout.n_sensors):
            centre = (sign * layout.x_mm[i], layout.y_mm[i])
            radius = float(np.sqrt(layout.area_mm2[i] / np.pi))
            # a sensor split between regions is drawn as a pie, medial share on the medial side
            start = -90.0 if sign > 0 else 90.0
            for r in np.flatnonzero(canonical[i] > 0.0):
                sweep = 360.0 * canonical[i, r]
                ax.add_patch(Wedge(centre, radius, start, start + sweep, alpha=0.85,
                                   facecolor=REGION_COLOURS[REGIONS[r]], edgecolor="black",
                                   linewidth=0.6))  # fmt: skip
                start += sweep
    if layout.n_sensors <= _MAX_LABELLED_SENSORS:
        fontsize = 5 if layout.n_sensors > 40 else 7
        for i, sensor_id in enumerate(layout.sensor_ids):
            ax.text(sign * layout.x_mm[i], layout.y_mm[i], sensor_id, ha="center", va="center",
                    fontsize=fontsize)  # fmt: skip

    outline = to_plot(layout.outline[:, 0], layout.outline[:, 1])
    ax.add_patch(Polygon(outline, closed=True, fill=False, edgecolor="black", linewidth=1.2))

    axis = layout.foot_axis
    outline_mm = np.column_stack([layout.outline[:, 1] * width, layout.outline[:, 0] * length])
    u = (outline_mm - axis.heel_mm) @ axis.along
    ends_mm = axis.heel_mm + np.outer([u.min(), u.max()], axis.along)
    ax.plot(sign * ends_mm[:, 0], ends_mm[:, 1], "--", color="0.25", linewidth=1.0,
            label="foot axis H→T")  # fmt: skip
    for (ap, ml), marker, label in (
        (layout.heel_point, "o", "H heel centre"),
        (layout.toe_point, "^", "T second toe"),
    ):
        ax.plot(sign * ml * width, ap * length, marker, color="black", markersize=6, label=label)

    handles, _ = ax.get_legend_handles_labels()
    measured = [r for r in layout.measured_regions() if r in REGIONS]
    handles += [Patch(facecolor=REGION_COLOURS[r], label=r) for r in measured]
    if not layout.active.all():
        handles.append(Patch(facecolor="none", edgecolor=_INACTIVE_COLOUR, label="inactive"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7,
              frameon=False)  # fmt: skip

    ax.autoscale_view()  # the patches' extents (grids may reach beyond the outline)
    ax.margins(0.04)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm), medial →" if sign > 0 else "x (mm), ← medial")
    ax.set_ylabel("y (mm) from heel")
    ax.set_title(
        f"{layout.name}, {layout.side} foot\n{layout.n_sensors} {layout.kind} sensors "
        f"({int(layout.active.sum())} active), {length:.0f} x {width:.0f} mm",
        fontsize=9,
    )
    return figure
