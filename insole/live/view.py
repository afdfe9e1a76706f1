"""The live figure: pressure map on the foot outline per foot, COP trail, force trace, link health.

:class:`LiveView` builds every artist once (the pressure cells and the
outline of :func:`insole.plotting.pressure_map`, a trail line and a COP dot
per foot, a force line per foot, a status text) and then only updates their
data.  The changing artists are *animated*: a full draw renders the static
background once and caches it, and each update restores the background and
draws only the changing artists on it (blitting).  A full draw happens again
only when the colour scale or the force axis must grow, or the window changes.

It works on any Agg-based canvas: a window (TkAgg, QtAgg, ...) or plain Agg
without a display, where :meth:`LiveView.save_png` writes what was drawn.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np

from insole.live.model import FEET, LiveSnapshot
from insole.plotting import FOOT_COLORS, _to_plot, pressure_map

#: Most points drawn per force line (older samples are binned by their maximum).
MAX_TRACE_POINTS: Final = 1200
#: The colour scale or the force axis grows to this much above the largest value.
HEADROOM: Final = 1.25
#: The force axis shrinks when the largest force of the window drops below this fraction of it.
SHRINK_BELOW: Final = 0.35
#: Seconds between updates of the status line (text is the slowest thing to draw).
STATUS_EVERY_S: Final = 0.25
#: Figure band (fraction of the height, bottom and top) the status line is redrawn in.
STATUS_BAND: Final = (0.875, 0.958)


def has_display() -> bool:
    """True when a window can be opened (a DISPLAY or WAYLAND_DISPLAY on Linux/BSD; always elsewhere)."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def make_figure(*, interactive: bool, figsize: tuple[float, float] = (9.0, 7.0)) -> tuple[Any, bool]:
    """A figure for the live view: in a window when ``interactive`` and a GUI backend works, else Agg.

    Returns
    -------
    figure : matplotlib.figure.Figure
    interactive : bool
        Whether the figure is in a window (False: Agg, draw into memory).
    """
    if interactive and has_display():
        try:
            import matplotlib
            import matplotlib.pyplot as plt

            if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo", "template"):
                fig = plt.figure(figsize=figsize)
                fig.canvas.manager.set_window_title("insole live")
                plt.show(block=False)
                return fig, True
        except Exception:  # no usable GUI toolkit: draw into memory
            pass
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, False


def _decimate(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points``: the newest samples in bins, each bin as its last time and its largest value."""
    n = x.size
    if n <= max_points:
        return x, y
    k = math.ceil(n / max_points)
    nb = n // k
    xs = x[n - nb * k:].reshape(nb, k)[:, -1]
    ys = np.fmax.reduce(y[n - nb * k:].reshape(nb, k), axis=1)
    return xs, ys


class LiveView:
    """The live figure for one or two feet.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        An empty figure on an Agg-based canvas (see :func:`make_figure`).
    layouts : mapping of str to SensorLayout
        Layout per foot; a panel is drawn for each foot given.
    window_s : float
        Seconds of force trace shown.
    force_unit, pressure_unit : str
        Axis and colour-bar labels.
    title : str
        Shown above the status line (e.g. what is being recorded).

    Attributes
    ----------
    full_draws : int
        Full redraws so far (background re-rendered).
    blits : int
        Updates that only redrew the changing artists.
    """

    def __init__(self, figure: Any, layouts: Mapping[str, Any], *, window_s: float = 5.0, force_unit: str = "counts",
                 pressure_unit: str = "counts", title: str = "") -> None:
        from matplotlib.colors import Normalize

        self.fig = figure
        self.canvas = figure.canvas
        self.feet = [f for f in FEET if f in layouts]
        self.layouts = {f: layouts[f] for f in self.feet}
        self.window_s = float(window_s)
        self.vmax = 1.0
        self.ymax = 1.0
        self.full_draws = 0
        self.blits = 0
        self._bg: Any = None
        self._regions: list[tuple[Any, Any, list[Any]]] = []
        self._status_t = -math.inf
        self._draw_times: list[float] = []
        self.blit = bool(getattr(self.canvas, "supports_blit", False))
        gs = figure.add_gridspec(2, len(self.feet) + 1, width_ratios=[1.0] * len(self.feet) + [0.05],
                                 height_ratios=[3.0, 1.25], left=0.09, right=0.93, top=0.83, bottom=0.09,
                                 hspace=0.28, wspace=0.1)
        norm = Normalize(0.0, self.vmax)
        self.cells: dict[str, Any] = {}
        self.trails: dict[str, Any] = {}
        self.dots: dict[str, Any] = {}
        self.lines: dict[str, Any] = {}
        self.active = {f: np.asarray(self.layouts[f].active, bool) for f in self.feet}
        for i, foot in enumerate(self.feet):
            ax = figure.add_subplot(gs[0, i])
            lay = self.layouts[foot]
            pressure_map(lay, np.zeros(lay.n_sensors), ax, title=foot, vmax=self.vmax, unit=pressure_unit,
                         colorbar=False)
            cells = ax.collections[-1]
            cells.set_norm(norm)
            self.cells[foot] = cells
            (self.trails[foot],) = ax.plot([], [], "-", color="white", linewidth=2.6, solid_capstyle="round")
            (trail_core,) = ax.plot([], [], "-", color="black", linewidth=1.2)
            self.trails[foot + "_core"] = trail_core
            (self.dots[foot],) = ax.plot([], [], "o", color="white", markeredgecolor="black", markersize=7)
        cax = figure.add_subplot(gs[0, -1])
        figure.colorbar(self.cells[self.feet[0]], cax=cax, label=pressure_unit)
        self.ax_force = figure.add_subplot(gs[1, :-1])
        for foot in self.feet:
            (self.lines[foot],) = self.ax_force.plot([], [], color=FOOT_COLORS[foot], linewidth=1.0, label=foot)
        self.ax_force.set_xlim(-self.window_s, 0.0)
        self.ax_force.set_ylim(0.0, self.ymax)
        self.ax_force.set_xlabel("time (s, 0 = now)")
        self.ax_force.set_ylabel(f"force ({force_unit})")
        self.ax_force.legend(fontsize=8, loc="upper left")
        figure.text(0.01, 0.985, title or "insole live", fontsize=10, va="top", weight="bold")
        self.status = figure.text(0.01, STATUS_BAND[1] - 0.01, "waiting for frames", fontsize=8, va="top", family="monospace")
        self.animated = [*self.cells.values(), *self.trails.values(), *self.dots.values(), *self.lines.values(),
                         self.status]
        if self.blit:
            for a in self.animated:
                a.set_animated(True)
        self._cid = self.canvas.mpl_connect("draw_event", self._on_draw)

    # ------------------------------------------------------------------ drawing
    def _on_draw(self, event: Any) -> None:
        """After every full draw (ours, a resize, ...): cache the background of each region, draw the changing artists.

        The regions are the foot panels, the force panel and the status band:
        an update redraws each of them alone (the status band only when its
        text changed), so the static parts are never rendered again.
        """
        if not self.blit or (event is not None and event.canvas is not self.canvas):
            return
        from matplotlib.transforms import Bbox

        self._bg = True
        fb = self.fig.bbox
        band = Bbox([[fb.x0, fb.y0 + STATUS_BAND[0] * fb.height], [fb.x1, fb.y0 + STATUS_BAND[1] * fb.height]])
        groups = [(self.cells[f].axes.bbox, [self.cells[f], self.trails[f], self.trails[f + "_core"], self.dots[f]])
                  for f in self.feet]
        groups += [(self.ax_force.bbox, list(self.lines.values())), (band, [self.status])]
        self._regions = []
        for bbox, artists in groups:
            bbox = bbox.frozen()
            self._regions.append((bbox, self.canvas.copy_from_bbox(bbox), artists))
        for a in self.animated:
            self.fig.draw_artist(a)

    def _blit_regions(self, status_changed: bool) -> None:
        for bbox, bg, artists in self._regions:
            if artists[0] is self.status and not status_changed:
                continue
            self.canvas.restore_region(bg)
            for a in artists:
                self.fig.draw_artist(a)
            self.canvas.blit(bbox)

    @property
    def closed(self) -> bool:
        """True once the window was closed (the figure lost its canvas): updates then do nothing."""
        return self.fig.canvas is not self.canvas

    def update(self, snap: LiveSnapshot, *, draw_rate_hz: float | None = None) -> None:
        """Show ``snap``: new data into the existing artists, then a blit (or a full draw when the scales grew)."""
        if self.closed:
            return
        full = self._bg is None or not self.blit
        vmax = 0.0
        fmax = 0.0
        for foot in self.feet:
            fs = snap.feet.get(foot)
            if fs is None:
                continue
            lay = self.layouts[foot]
            if fs.values is not None:
                v = fs.values[self.active[foot]]
                self.cells[foot].set_array(v)
                if v.size and np.isfinite(v).any():
                    vmax = max(vmax, float(np.nanmax(v)))
            trail = fs.trail_ap_ml
            xy = _to_plot(lay, trail[:, 0], trail[:, 1]) if trail.size else np.empty((0, 2))
            self.trails[foot].set_data(xy[:, 0], xy[:, 1])
            self.trails[foot + "_core"].set_data(xy[:, 0], xy[:, 1])
            if fs.cop_ap_ml is not None:
                d = _to_plot(lay, fs.cop_ap_ml[:1], fs.cop_ap_ml[1:])
                self.dots[foot].set_data(d[:, 0], d[:, 1])
            else:
                self.dots[foot].set_data([], [])
            x, y = _decimate(fs.t_s - snap.t_now_s, fs.force, MAX_TRACE_POINTS)
            self.lines[foot].set_data(x, y)
            if fs.force.size and np.isfinite(fs.force).any():
                fmax = max(fmax, float(np.nanmax(fs.force)))
        if vmax > self.vmax:
            self.vmax = vmax * HEADROOM
            self.cells[self.feet[0]].norm.vmax = self.vmax
            full = True
        if fmax > self.ymax or (fmax > 0 and fmax < SHRINK_BELOW * self.ymax):
            self.ymax = fmax * HEADROOM
            self.ax_force.set_ylim(0.0, self.ymax)
            full = True
        now = time.monotonic()
        status_changed = full or now - self._status_t >= STATUS_EVERY_S
        if status_changed:
            self.status.set_text(status_text(snap, draw_rate_hz))
            self._status_t = now
        if full:
            self.canvas.draw()  # its draw_event caches the backgrounds and draws the changing artists
            self.full_draws += 1
        else:
            self._blit_regions(status_changed)
            self.blits += 1

    def save_png(self, path: str | os.PathLike) -> Path:
        """Write what was last drawn as a PNG (atomically: a viewer never sees half a file)."""
        import matplotlib.image

        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.png")
        rgba = np.asarray(self.canvas.buffer_rgba())
        matplotlib.image.imsave(tmp, rgba, format="png")
        os.replace(tmp, path)
        return path

    def pump(self, timeout_s: float) -> None:
        """Let a window process its events for up to ``timeout_s`` (plain Agg: just wait)."""
        if timeout_s <= 0:
            timeout_s = 0.001
        start = getattr(self.canvas, "start_event_loop", None)
        if start is not None and type(self.canvas).__name__ != "FigureCanvasAgg":
            self.canvas.flush_events()
            start(timeout_s)
        else:
            time.sleep(timeout_s)

    def close(self) -> None:
        """Stop listening to draw events (and close a window)."""
        self.canvas.mpl_disconnect(self._cid)
        if type(self.canvas).__name__ != "FigureCanvasAgg":
            try:
                import matplotlib.pyplot as plt

                plt.close(self.fig)
            except Exception:
                pass


def status_text(snap: LiveSnapshot, draw_rate_hz: float | None = None) -> str:
    """The link-health lines: time, frames/s, frames in and lost per foot; link errors, sync, drawing rate."""
    m, s = divmod(max(snap.t_now_s, 0.0), 60)
    parts = [f"{int(m):02d}:{s:04.1f}"]
    st = snap.status
    if not snap.feet:
        parts.append("waiting for frames")
    for foot, fs in snap.feet.items():
        lost = 0
        if st is not None and foot in getattr(st, "feet", {}):
            lost = st.feet[foot].frames_lost
        stance = "stance" if fs.in_stance else "swing "
        parts.append(f"{foot[0].upper()} {fs.frames_per_s:5.0f}/s in {fs.frames_in} lost {lost} steps {fs.steps} {stance}")
    link = []
    if st is not None:
        link.append(f"link: crc {st.crc_errors} garbage {st.garbage_bytes} B cut {st.truncated_frames}")
        if st.sync_error_ms is not None:
            link.append(f"sync {st.sync_error_ms:.1f} ms")
    if draw_rate_hz is not None:
        link.append(f"view {draw_rate_hz:.0f} draws/s")
    return " | ".join(parts) + ("\n" + " | ".join(link) if link else "")


__all__ = ["LiveView", "has_display", "make_figure", "status_text"]
