"""Figures shared by reports and docs: pressure maps on the foot outline, gait lines, force curves.

Every function takes data and an optional matplotlib ``Axes`` and returns the
``Figure``; nothing calls ``pyplot`` (figures are built with
``matplotlib.figure.Figure`` so they work headless and are garbage-collected).
Feet are drawn seen from above: for a left foot the medial side is on the right.
Labels default to English; reports pass their translated labels.
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


def _nanmean_sd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD over axis 0, ignoring NaN (all-NaN columns give NaN without warnings)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=0), np.nanstd(a, axis=0)


def gait_lines(layout, lines_ap_ml, ax=None, *, title: str | None = None, color: str = "tab:blue",
               mean_color: str = "black", mean_label: str = "mean", show_steps: bool = True, outline: bool = True):
    """Gait lines of all steps (thin) and their mean (thick) over the outline.

    ``lines_ap_ml`` is (n_steps, n_points, 2) in the normalised insole frame.
    ``show_steps=False`` draws the mean only and ``outline=False`` skips the
    outline (to overlay two sessions on one outline).
    """
    fig, ax = _axes(ax)
    if outline:
        draw_outline(layout, ax)
    lines = np.asarray(lines_ap_ml, dtype=float)
    if show_steps:
        for line in lines:
            xy = _to_plot(layout, line[:, 0], line[:, 1])
            ax.plot(xy[:, 0], xy[:, 1], color=color, alpha=0.25, linewidth=0.7)
    if lines.size:
        mean, _ = _nanmean_sd(lines)
        xy = _to_plot(layout, mean[:, 0], mean[:, 1])
        ax.plot(xy[:, 0], xy[:, 1], color=mean_color, linewidth=2.0, label=mean_label)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


#: Line colours per foot (and per session in comparisons).
FOOT_COLORS = {"left": "tab:blue", "right": "tab:red"}


def force_curves(curves_by_foot: dict[str, np.ndarray], ax=None, *, body_weight_n: float | None = None, title: str | None = None,
                 labels: dict[str, str] | None = None, xlabel: str = "stance (%)", ylabel: str | None = None,
                 colors: dict[str, str] | None = None, linestyles: dict[str, str] | None = None):
    """Force through stance (0-100 %), mean and +-1 SD per foot.

    ``labels`` names the curves (default ``"<foot> (n=<steps>)"``); ``colors``
    and ``linestyles`` are per key of ``curves_by_foot``.
    """
    fig, ax = _axes(ax, figsize=(5.0, 3.2))
    colors = {**FOOT_COLORS, **(colors or {})}
    for foot, curves in curves_by_foot.items():
        c = np.asarray(curves, dtype=float)
        if c.size == 0:
            continue
        if body_weight_n:
            c = c / body_weight_n
        x = np.linspace(0, 100, c.shape[1])
        mean, sd = _nanmean_sd(c)
        label = (labels or {}).get(foot, f"{foot} (n={c.shape[0]})")
        ax.plot(x, mean, color=colors.get(foot, "k"), label=label, linestyle=(linestyles or {}).get(foot, "-"))
        ax.fill_between(x, mean - sd, mean + sd, color=colors.get(foot, "k"), alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or ("force (body weights)" if body_weight_n else "force (N)"))
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def pressure_maps(layouts: dict, values_by_foot: dict[str, np.ndarray], *, titles: dict[str, str] | None = None,
                  unit: str = "kPa", suptitle: str | None = None, figsize=(5.6, 4.2)):
    """Both feet side by side (left foot on the left, seen from above) on one colour scale.

    Parameters
    ----------
    layouts : dict
        ``{foot: SensorLayout}``.
    values_by_foot : dict
        ``{foot: per-sensor values}`` (feet without values are skipped).
    titles : dict, optional
        Panel titles per foot.
    unit : str
        Colour-bar label.
    suptitle : str, optional
        Figure title.
    """
    from matplotlib.figure import Figure

    feet = [f for f in ("left", "right") if f in values_by_foot and f in layouts]
    fig = Figure(figsize=figsize, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(feet), 1)))
    vmax = 0.0
    for f in feet:
        act = np.asarray(layouts[f].active, bool)
        v = np.asarray(values_by_foot[f], float)[act]
        if v.size and np.isfinite(v).any():
            vmax = max(vmax, float(np.nanmax(v)))
    for ax, f in zip(axes, feet):
        pressure_map(layouts[f], values_by_foot[f], ax, title=(titles or {}).get(f, f), vmax=vmax or 1.0, colorbar=False)
    if feet:
        fig.colorbar(axes[0].collections[0], ax=list(axes), shrink=0.6, label=unit)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig


def gait_lines_feet(layouts: dict, lines_by_foot: dict[str, np.ndarray], *, titles: dict[str, str] | None = None,
                    mean_label: str = "mean", suptitle: str | None = None, figsize=(5.6, 4.4)):
    """Gait lines of all steps and their mean for both feet, side by side."""
    from matplotlib.figure import Figure

    feet = [f for f in ("left", "right") if f in lines_by_foot and f in layouts]
    fig = Figure(figsize=figsize, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(feet), 1)))
    for ax, f in zip(axes, feet):
        gait_lines(layouts[f], lines_by_foot[f], ax, title=(titles or {}).get(f, f), color=FOOT_COLORS[f], mean_label=mean_label)
    if feet:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=8, loc="outside lower center")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig


def ml_through_stance(lines_by_foot: dict[str, np.ndarray], ax=None, *, title: str | None = None,
                      labels: dict[str, str] | None = None, xlabel: str = "stance (%)",
                      ylabel: str = "COP across the foot axis (forefoot widths)", medial: str = "toward the inner border",
                      lateral: str = "toward the outer border"):
    """Medial/lateral COP position relative to the heel-second-toe axis through stance, mean and +-1 SD per foot.

    ``lines_by_foot`` are the ``gait_line_axis`` curves (n_steps, n_points, 2) whose
    second column ``d`` is positive medially, in units of forefoot width.
    """
    fig, ax = _axes(ax, figsize=(5.0, 3.2))
    for foot, lines in lines_by_foot.items():
        d = np.asarray(lines, float)
        if d.size == 0:
            continue
        d = d[..., 1]
        x = np.linspace(0, 100, d.shape[1])
        mean, sd = _nanmean_sd(d)
        ax.plot(x, mean, color=FOOT_COLORS.get(foot, "k"), label=(labels or {}).get(foot, foot))
        ax.fill_between(x, mean - sd, mean + sd, color=FOOT_COLORS.get(foot, "k"), alpha=0.2)
    ax.axhline(0.0, color="0.4", linewidth=0.8, linestyle="--")
    ax.text(0.01, 0.97, "↑ " + medial, transform=ax.transAxes, fontsize=7, va="top", color="0.3")
    ax.text(0.01, 0.03, "↓ " + lateral, transform=ax.transAxes, fontsize=7, va="bottom", color="0.3")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="upper right")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def trends(sessions: list[str], series: dict[str, dict[str, tuple[list, list]]], *, ylabels: dict[str, str],
           labels: dict[str, str] | None = None, title: str | None = None):
    """Session-to-session trends: one panel per metric, mean +-1 SD per foot.

    Parameters
    ----------
    sessions : list of str
        X tick labels (dates or names), in order.
    series : dict
        ``{metric: {foot: (means, sds)}}`` with one value per session (None when missing).
    ylabels : dict
        Axis label per metric.
    labels : dict, optional
        Legend label per foot.
    title : str, optional
        Figure title.
    """
    from matplotlib.figure import Figure

    n = max(len(series), 1)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig = Figure(figsize=(7.0, 2.3 * rows + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    x = np.arange(len(sessions))
    for ax, (metric, by_foot) in zip(axes, series.items()):
        for k, (foot, (means, sds)) in enumerate(by_foot.items()):
            m = np.array([np.nan if v is None else v for v in means], float)
            s = np.array([np.nan if v is None else v for v in sds], float)
            ax.errorbar(x + (k - 0.5) * 0.08, m, yerr=s, marker="o", markersize=4, capsize=3,
                        color=FOOT_COLORS.get(foot, "k"), label=(labels or {}).get(foot, foot))
        ax.set_xticks(x, sessions, fontsize=7, rotation=20 if len(sessions) > 3 else 0)
        ax.set_ylabel(ylabels.get(metric, metric), fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.margins(x=0.15)
    for ax in axes[len(series):]:
        ax.set_visible(False)
    if len(series):
        axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def force_trace(t_s, force_by_foot: dict[str, np.ndarray], ax=None, *, title: str | None = None, events=None,
                xlabel: str = "time (s)", ylabel: str = "force (N)", labels: dict[str, str] | None = None):
    """Total force against time per foot, with optional event markers ``{foot: (ic_s, to_s)}``."""
    fig, ax = _axes(ax, figsize=(7.0, 2.6))
    colors = {"left": "tab:blue", "right": "tab:red"}
    for foot, f in force_by_foot.items():
        ax.plot(t_s[foot], f, color=colors.get(foot, "k"), linewidth=0.8, label=(labels or {}).get(foot, foot))
        if events and foot in events:
            ic, to = events[foot]
            ax.plot(ic, np.interp(ic, t_s[foot], f), "v", color=colors.get(foot, "k"), markersize=4)
            ax.plot(to, np.interp(to, t_s[foot], f), "^", color=colors.get(foot, "k"), markersize=4)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="upper right")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def save(fig, path) -> None:
    """Save a figure as PNG (150 dpi)."""
    fig.savefig(path, dpi=150)
