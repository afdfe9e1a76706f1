"""Figures shared by reports and docs: pressure maps on the foot outline, gait lines, force curves.

Every function takes data and an optional matplotlib ``Axes`` and returns the
``Figure``; nothing calls ``pyplot`` (figures are built with
``matplotlib.figure.Figure`` so they work headless and are garbage-collected).
Feet are drawn seen from above: for a left foot the medial side is on the right.
"""

from __future__ import annotations

import numpy as np


def _axes(ax, figsize=(3.2, 6.0)):
    from matplotlib.figure import Figure

    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _to_plot(layout, ap, ml):
    sign = 1.0 if layout.side == "left" else -1.0
    return np.column_stack([sign * np.asarray(ml) * layout.width_mm, np.asarray(ap) * layout.length_mm])


def draw_outline(layout, ax, **kw) -> None:
    """The insole outline as a closed line."""
    from matplotlib.patches import Polygon

    ax.add_patch(Polygon(_to_plot(layout, layout.outline[:, 0], layout.outline[:, 1]), closed=True, fill=False,
                         edgecolor=kw.pop("edgecolor", "black"), linewidth=kw.pop("linewidth", 1.2), **kw))
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def pressure_map(layout, values, ax=None, *, title: str | None = None, vmax: float | None = None,
                 unit: str = "kPa", colorbar: bool = True):
    """Sensor values drawn on the outline: cells for grids and pedar, discs for discrete sensors."""
    from matplotlib.collections import PatchCollection, PolyCollection
    from matplotlib.patches import Circle

    fig, ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    active = np.asarray(layout.active, bool)
    vmax = vmax if vmax is not None else (float(np.nanmax(values[active])) if active.any() and np.nanmax(values[active]) > 0 else 1.0)
    if layout.polygons is not None:
        cells = [_to_plot(layout, p[:, 0], p[:, 1]) for i, p in enumerate(layout.polygons) if active[i]]
        coll = PolyCollection(cells, cmap="turbo", edgecolors="none")
    else:
        xy = _to_plot(layout, layout.ap, layout.ml)
        radius = np.sqrt(np.asarray(layout.area_mm2) / np.pi)
        coll = PatchCollection([Circle(xy[i], radius[i]) for i in range(layout.n_sensors) if active[i]], cmap="turbo",
                               edgecolors="black", linewidths=0.4)
    coll.set_array(values[active])
    coll.set_clim(0.0, vmax)
    ax.add_collection(coll)
    draw_outline(layout, ax)
    if colorbar:
        fig.colorbar(coll, ax=ax, shrink=0.6, label=unit)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def gait_lines(layout, lines_ap_ml, ax=None, *, title: str | None = None, color: str = "tab:blue"):
    """Gait lines of all steps (thin) and their mean (thick) over the outline.

    ``lines_ap_ml`` is (n_steps, n_points, 2) in the normalised insole frame.
    """
    fig, ax = _axes(ax)
    draw_outline(layout, ax)
    lines = np.asarray(lines_ap_ml, dtype=float)
    for line in lines:
        xy = _to_plot(layout, line[:, 0], line[:, 1])
        ax.plot(xy[:, 0], xy[:, 1], color=color, alpha=0.25, linewidth=0.7)
    if lines.size:
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(lines, axis=0)
        xy = _to_plot(layout, mean[:, 0], mean[:, 1])
        ax.plot(xy[:, 0], xy[:, 1], color="black", linewidth=2.0, label="mean")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def force_curves(curves_by_foot: dict[str, np.ndarray], ax=None, *, body_weight_n: float | None = None, title: str | None = None):
    """Force through stance (0-100 %), mean and +-1 SD per foot."""
    import warnings

    fig, ax = _axes(ax, figsize=(5.0, 3.2))
    colors = {"left": "tab:blue", "right": "tab:red"}
    for foot, curves in curves_by_foot.items():
        c = np.asarray(curves, dtype=float)
        if c.size == 0:
            continue
        if body_weight_n:
            c = c / body_weight_n
        x = np.linspace(0, 100, c.shape[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, sd = np.nanmean(c, axis=0), np.nanstd(c, axis=0)
        ax.plot(x, mean, color=colors.get(foot, "k"), label=f"{foot} (n={c.shape[0]})")
        ax.fill_between(x, mean - sd, mean + sd, color=colors.get(foot, "k"), alpha=0.2)
    ax.set_xlabel("stance (%)")
    ax.set_ylabel("force (body weights)" if body_weight_n else "force (N)")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def force_trace(t_s, force_by_foot: dict[str, np.ndarray], ax=None, *, title: str | None = None, events=None):
    """Total force against time per foot, with optional event markers ``{foot: (ic_s, to_s)}``."""
    fig, ax = _axes(ax, figsize=(7.0, 2.6))
    colors = {"left": "tab:blue", "right": "tab:red"}
    for foot, f in force_by_foot.items():
        ax.plot(t_s[foot], f, color=colors.get(foot, "k"), linewidth=0.8, label=foot)
        if events and foot in events:
            ic, to = events[foot]
            ax.plot(ic, np.interp(ic, t_s[foot], f), "v", color=colors.get(foot, "k"), markersize=4)
            ax.plot(to, np.interp(to, t_s[foot], f), "^", color=colors.get(foot, "k"), markersize=4)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("force (N)")
    ax.legend(fontsize=8, loc="upper right")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def save(fig, path) -> None:
    """Save a figure as PNG (150 dpi)."""
    fig.savefig(path, dpi=150)
