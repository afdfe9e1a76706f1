"""A4 PDF of a :class:`~insole.report.model.Report` through matplotlib's ``PdfPages``.

The same blocks as the HTML, laid out on A4 pages by a small flow layout:
every block becomes a list of chunks (a heading, a wrapped paragraph line
group, a table row, a card entry, a figure) with a height and a draw
function; chunks are placed top to bottom and a chunk that does not fit
starts a new page.  Text is measured with the Agg renderer so wrapping fits
the page, drawn without math parsing (``$`` in user text stays a dollar), and
embedded as TrueType (selectable).
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from insole.report.model import FIGURE_DPI, Bullets, Card, FigureBlock, Paragraph, Report, Table

PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 42.0, 48.0, 46.0
WIDTH = PAGE_W - 2 * MARGIN_X
INK, MUTED, LINE, SOFT = "#1d2430", "#5a6472", "#d5dae1", "#f5f7fa"
CARD_COLORS = {"finding": ("#1f5fa8", "#ffffff"), "trigger": ("#c98a00", "#fff7e6"), "alert": ("#a3261b", "#fdf0ee"),
               "exercise": ("#2e7d32", "#eef6ee")}
BODY, SMALL = 9.0, 8.0


@dataclass
class _Chunk:
    height: float
    draw: Callable[[object, float], None]  # (axes, y_top) -> None
    keep_with_next: bool = False


class _Measure:
    """Text width in points with the fonts the PDF will embed (per-character advances, cached)."""

    def __init__(self) -> None:
        self._fonts: dict[str, object] = {}
        self._advance: dict[tuple[str, str], float] = {}

    def _char(self, ch: str, weight: str) -> float:
        key = (ch, weight)
        if key not in self._advance:
            from matplotlib.font_manager import FontProperties, findfont, get_font

            if weight not in self._fonts:
                self._fonts[weight] = get_font(findfont(FontProperties(family="DejaVu Sans", weight=weight)))
            font = self._fonts[weight]
            font.set_size(100.0, 72)
            glyph = font.load_char(ord(ch)) if font.get_char_index(ord(ch)) else font.load_char(ord("M"))
            self._advance[key] = glyph.linearHoriAdvance / 65536.0 / 100.0  # points per point of font size
        return self._advance[key]

    def width(self, text: str, size: float, weight: str = "normal") -> float:
        """Width of one line in points (2 % margin for kerning and rounding)."""
        return 1.02 * size * sum(self._char(ch, weight) for ch in text)

    def wrap(self, text: str, width: float, size: float, weight: str = "normal") -> list[str]:
        """Greedy word wrap to ``width`` points (words longer than a line are cut)."""
        lines: list[str] = []
        for para in str(text).split("\n"):
            line = ""
            for word in para.split(" "):
                candidate = f"{line} {word}" if line else word
                if self.width(candidate, size, weight) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                while self.width(word, size, weight) > width and len(word) > 1:  # a very long token
                    cut = len(word)
                    while cut > 1 and self.width(word[:cut], size, weight) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                line = word
            lines.append(line)
        return lines


def _text(ax, x: float, y: float, s: str, size: float, *, weight: str = "normal", color: str = INK, ha: str = "left") -> None:
    ax.text(x, y, s, fontsize=size, fontweight=weight, color=color, ha=ha, va="top", parse_math=False)


def _lines_chunk(lines: list[str], x: float, size: float, *, weight: str = "normal", color: str = INK, gap: float = 3.0) -> _Chunk:
    lh = size * 1.35

    def draw(ax, y):
        for i, s in enumerate(lines):
            _text(ax, x, y - i * lh, s, size, weight=weight, color=color)

    return _Chunk(len(lines) * lh + gap, draw)


def _heading(m: _Measure, title: str, level: int) -> list[_Chunk]:
    size = 13.0 if level <= 2 else 10.5
    lines = m.wrap(title, WIDTH, size, "bold")
    lh = size * 1.3
    top = 10.0 if level <= 2 else 6.0

    def draw(ax, y):
        for i, s in enumerate(lines):
            _text(ax, MARGIN_X, y - top - i * lh, s, size, weight="bold")
        if level <= 2:
            yl = y - top - len(lines) * lh - 1
            ax.plot([MARGIN_X, MARGIN_X + WIDTH], [yl, yl], color=LINE, linewidth=1.2)

    return [_Chunk(top + len(lines) * lh + 6.0, draw, keep_with_next=True)]


def _paragraph(m: _Measure, p: Paragraph) -> list[_Chunk]:
    size = SMALL if p.style in ("note", "small") else BODY
    color = MUTED if p.style in ("note", "small") else INK
    if p.style != "alert":
        return [_lines_chunk(m.wrap(p.text, WIDTH, size), MARGIN_X, size, color=color, gap=5.0)]
    pad = 6.0
    lines = m.wrap(p.text, WIDTH - 2 * pad - 4, size)
    lh = size * 1.35
    h = len(lines) * lh + 2 * pad

    def draw(ax, y):
        from matplotlib.patches import Rectangle

        ax.add_patch(Rectangle((MARGIN_X, y - h), WIDTH, h, facecolor=CARD_COLORS["alert"][1], edgecolor="none"))
        ax.add_patch(Rectangle((MARGIN_X, y - h), 3.0, h, facecolor=CARD_COLORS["alert"][0], edgecolor="none"))
        for i, s in enumerate(lines):
            _text(ax, MARGIN_X + pad + 4, y - pad - i * lh, s, size)

    return [_Chunk(h + 6.0, draw)]


def _bullets(m: _Measure, b: Bullets) -> list[_Chunk]:
    out = []
    for item in b.items:
        lines = m.wrap(item, WIDTH - 12, BODY)
        chunk = _lines_chunk(lines, MARGIN_X + 12, BODY, gap=2.0)
        inner = chunk.draw

        def draw(ax, y, inner=inner):
            _text(ax, MARGIN_X + 2, y, "•", BODY)
            inner(ax, y)

        out.append(_Chunk(chunk.height, draw))
    out[-1].height += 4.0
    return out


def _table(m: _Measure, t: Table) -> list[_Chunk]:
    size, pad = 8.0, 3.0
    ncol = len(t.headers)
    natural = [max([m.width(t.headers[j], size, "bold")] + [m.width(r[j], size) for r in t.rows if j < len(r)]) + 2 * pad + 2
               for j in range(ncol)]
    total = sum(natural)
    if total <= WIDTH:
        widths = natural
    else:  # shrink the widest columns first, keep short ones whole
        widths = list(natural)
        while sum(widths) > WIDTH:
            j = int(np.argmax(widths))
            widths[j] = max(widths[j] - (sum(widths) - WIDTH), WIDTH / (2 * ncol), 30.0)
            if all(w <= max(WIDTH / (2 * ncol), 30.0) for w in widths):
                break
    xs = np.concatenate([[MARGIN_X], MARGIN_X + np.cumsum(widths)])
    lh = size * 1.3
    chunks: list[_Chunk] = []
    if t.title:
        chunks.append(_Chunk(BODY * 1.4 + 2, lambda ax, y: _text(ax, MARGIN_X, y, t.title, BODY, weight="bold"), keep_with_next=True))

    def row_chunk(cells: list[str], header: bool) -> _Chunk:
        weight = "bold" if header else "normal"
        wrapped = [m.wrap(cells[j] if j < len(cells) else "", widths[j] - 2 * pad, size, weight) for j in range(ncol)]
        h = max(len(w) for w in wrapped) * lh + 2 * pad

        def draw(ax, y):
            from matplotlib.patches import Rectangle

            if header:
                ax.add_patch(Rectangle((xs[0], y - h), xs[-1] - xs[0], h, facecolor=SOFT, edgecolor="none"))
            for j, lines in enumerate(wrapped):
                for i, s in enumerate(lines):
                    _text(ax, xs[j] + pad, y - pad - i * lh, s, size, weight=weight)
            ax.plot([xs[0], xs[-1]], [y - h, y - h], color=LINE, linewidth=1.2 if header else 0.6)

        return _Chunk(h, draw, keep_with_next=header)

    chunks.append(row_chunk(t.headers, True))
    chunks.extend(row_chunk(r, False) for r in t.rows)
    if t.caption:
        chunks.append(_lines_chunk(m.wrap(t.caption, WIDTH, SMALL), MARGIN_X, SMALL, color=MUTED, gap=2.0))
    chunks[-1].height += 8.0
    return chunks


def _figure(m: _Measure, f: FigureBlock) -> list[_Chunk]:
    from matplotlib.image import imread

    img = imread(io.BytesIO(f.png), format="png")
    w_pt, h_pt = f.width / FIGURE_DPI * 72.0, f.height / FIGURE_DPI * 72.0
    scale = min(1.0, 0.9 * WIDTH / w_pt, 0.42 * (PAGE_H - MARGIN_TOP - MARGIN_BOTTOM) / h_pt)
    w, h = w_pt * scale, h_pt * scale
    caption = f.title + (f" {f.caption}" if f.caption else "")
    cap_lines = m.wrap(caption, WIDTH, SMALL)
    cap_h = len(cap_lines) * SMALL * 1.35

    def draw(ax, y):
        x0 = MARGIN_X + (WIDTH - w) / 2
        ax.imshow(img, extent=(x0, x0 + w, y - h, y), interpolation="antialiased", zorder=1)
        for i, s in enumerate(cap_lines):
            _text(ax, MARGIN_X, y - h - 4 - i * SMALL * 1.35, s, SMALL, color=MUTED)

    return [_Chunk(h + 4 + cap_h + 10, draw)]


def _card(m: _Measure, c: Card) -> list[_Chunk]:
    bar, bg = CARD_COLORS.get(c.style, CARD_COLORS["finding"])
    pad, label_w = 7.0, 92.0
    inner_w = WIDTH - 2 * pad - 4
    chunks: list[_Chunk] = []

    def boxed(h: float, body: Callable[[object, float], None], top: float = 0.0, bottom: float = 0.0, keep: bool = False) -> _Chunk:
        total = h + top + bottom

        def draw(ax, y):
            from matplotlib.patches import Rectangle

            ax.add_patch(Rectangle((MARGIN_X, y - total), WIDTH, total, facecolor=bg, edgecolor="none", zorder=0))
            ax.add_patch(Rectangle((MARGIN_X, y - total), 3.5, total, facecolor=bar, edgecolor="none", zorder=0))
            body(ax, y - top)

        return _Chunk(total, draw, keep)

    title = m.wrap(c.title, inner_w, BODY + 0.5, "bold")
    tl = _lines_chunk(title, MARGIN_X + pad + 4, BODY + 0.5, weight="bold", gap=2.0)
    chunks.append(boxed(tl.height, tl.draw, top=pad, keep=True))
    for label, text in c.lines:
        label_lines = m.wrap(label, label_w - 6, SMALL, "bold")
        text_lines = m.wrap(text, inner_w - label_w, SMALL + 0.5)
        lh = (SMALL + 0.5) * 1.35
        h = max(len(label_lines) * SMALL * 1.35, len(text_lines) * lh) + 2.5

        def body(ax, y, label_lines=label_lines, text_lines=text_lines, lh=lh):
            for i, s in enumerate(label_lines):
                _text(ax, MARGIN_X + pad + 4, y - i * SMALL * 1.35, s, SMALL, weight="bold", color=MUTED)
            for i, s in enumerate(text_lines):
                _text(ax, MARGIN_X + pad + 4 + label_w, y - i * lh, s, SMALL + 0.5)

        chunks.append(boxed(h, body))
    last = chunks[-1]
    chunks[-1] = boxed(last.height, last.draw, bottom=pad - 2)  # close the box with padding
    chunks.append(_Chunk(6.0, lambda ax, y: None))
    return chunks


def _chunks(m: _Measure, report: Report) -> list[_Chunk]:
    out: list[_Chunk] = []
    title_lines = m.wrap(report.title, WIDTH, 17.0, "bold")
    out.append(_lines_chunk(title_lines, MARGIN_X, 17.0, weight="bold", gap=2.0))
    if report.subtitle:
        out.append(_lines_chunk(m.wrap(report.subtitle, WIDTH, BODY), MARGIN_X, BODY, color=MUTED, gap=8.0))
    for section in report.sections:
        out.extend(_heading(m, section.title, section.level))
        for b in section.blocks:
            if isinstance(b, Paragraph):
                out.extend(_paragraph(m, b))
            elif isinstance(b, Bullets):
                out.extend(_bullets(m, b))
            elif isinstance(b, Table):
                out.extend(_table(m, b))
            elif isinstance(b, FigureBlock):
                out.extend(_figure(m, b))
            elif isinstance(b, Card):
                out.extend(_card(m, b))
    if report.footer:
        out.append(_lines_chunk(m.wrap(report.footer, WIDTH, SMALL), MARGIN_X, SMALL, color=MUTED))
    return out


def _paginate(chunks: list[_Chunk]) -> list[list[_Chunk]]:
    avail = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
    pages: list[list[_Chunk]] = [[]]
    used = 0.0
    i = 0
    while i < len(chunks):
        # a chunk that must stay with the next moves together with it
        j = i
        group_h = chunks[i].height
        while chunks[j].keep_with_next and j + 1 < len(chunks):
            j += 1
            group_h += chunks[j].height
        need = group_h if group_h <= avail else chunks[i].height
        if used + need > avail and pages[-1]:
            pages.append([])
            used = 0.0
        pages[-1].append(chunks[i])
        used += chunks[i].height
        i += 1
    return pages


def write_pdf(report: Report, path: str | os.PathLike) -> int:
    """Write the report as an A4 PDF; returns the number of pages."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    m = _Measure()
    pages = _paginate(_chunks(m, report))
    with warnings.catch_warnings(), matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")  # user text in a script we lack
        with PdfPages(path, metadata={"Title": report.title, "Creator": "insole", "Producer": "insole"}) as pdf:
            for number, page in enumerate(pages, 1):
                fig = Figure(figsize=(PAGE_W / 72.0, PAGE_H / 72.0), dpi=72)
                ax = fig.add_axes((0, 0, 1, 1))
                ax.set_axis_off()
                y = PAGE_H - MARGIN_TOP
                for chunk in page:
                    chunk.draw(ax, y)
                    y -= chunk.height
                ax.set_xlim(0, PAGE_W)
                ax.set_ylim(0, PAGE_H)
                ax.set_aspect("auto")
                _text(ax, MARGIN_X, 28.0, report.title, 7.0, color=MUTED)
                _text(ax, PAGE_W - MARGIN_X, 28.0, f"{number} / {len(pages)}", 7.0, color=MUTED, ha="right")
                pdf.savefig(fig)
    return len(pages)


__all__ = ["write_pdf"]
