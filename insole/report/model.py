"""The report document: sections of paragraphs, lists, tables, figures and cards, saved as HTML or PDF.

A :class:`Report` holds plain text only (already translated); the renderers
(:mod:`insole.report.html`, :mod:`insole.report.pdf`) escape and lay it out,
so user-supplied strings (subject ids, notes, file names) can never become
markup.  Figures are kept as PNG bytes, rendered once.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Resolution of embedded figures (dots per inch).
FIGURE_DPI = 130


@dataclass
class Paragraph:
    """A paragraph; ``style`` is ``body``, ``note``, ``alert`` or ``small``."""

    text: str
    style: str = "body"


@dataclass
class Bullets:
    """A bulleted list."""

    items: list[str]


@dataclass
class Table:
    """A table of text cells; ``first_column_header`` marks row labels."""

    headers: list[str]
    rows: list[list[str]]
    title: str | None = None
    caption: str | None = None


@dataclass
class FigureBlock:
    """A PNG figure with its pixel size."""

    png: bytes
    title: str
    caption: str | None
    alt: str
    width: int
    height: int


@dataclass
class Card:
    """A boxed statement: a title and labelled lines; ``style`` is ``finding``, ``trigger``, ``alert`` or ``exercise``."""

    title: str
    lines: list[tuple[str, str]]
    style: str = "finding"


Block = Paragraph | Bullets | Table | FigureBlock | Card


@dataclass
class Section:
    """A titled part of the report; ``level`` 2 or 3."""

    title: str
    anchor: str
    level: int = 2
    blocks: list[Block] = field(default_factory=list)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def figure_png(fig: Any, dpi: int = FIGURE_DPI) -> bytes:
    """Render a matplotlib figure to PNG bytes (the figure is not kept)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


class Report:
    """A report document.

    Parameters
    ----------
    title : str
        Document title.
    lang : str
        Language code of the text (``en``, ``nl``).
    subtitle : str
        One line under the title.
    footer : str
        Line at the end.
    toc_label : str
        Name of the table of contents (HTML).

    Examples
    --------
    >>> r = Report("Demo")
    >>> _ = r.add_section("Data")
    >>> r.add_table([["left", "34"]], ["foot", "steps"], title="Steps")
    >>> len(r.sections[0].blocks)
    1
    """

    def __init__(self, title: str, *, lang: str = "en", subtitle: str = "", footer: str = "", toc_label: str = "Contents") -> None:
        self.title = title
        self.toc_label = toc_label
        self.lang = lang
        self.subtitle = subtitle
        self.footer = footer
        self.sections: list[Section] = []

    def add_section(self, title: str, *, level: int = 2) -> Section:
        """Start a section; later ``add_*`` calls without ``section`` go into it."""
        section = Section(title, f"s{len(self.sections) + 1}", level)
        self.sections.append(section)
        return section

    def _target(self, section: Section | None) -> Section:
        if section is not None:
            return section
        if not self.sections:
            return self.add_section(self.title)
        return self.sections[-1]

    def add_text(self, text: str, *, style: str = "body", section: Section | None = None) -> None:
        """Add a paragraph."""
        self._target(section).blocks.append(Paragraph(text, style))

    def add_list(self, items: list[str], *, section: Section | None = None) -> None:
        """Add a bulleted list (nothing when empty)."""
        if items:
            self._target(section).blocks.append(Bullets(list(items)))

    def add_table(self, rows: list[list[str]], headers: list[str], *, title: str | None = None,
                  caption: str | None = None, section: Section | None = None) -> None:
        """Add a table (nothing when it has no rows)."""
        if rows:
            self._target(section).blocks.append(Table(list(headers), [list(r) for r in rows], title, caption))

    def add_figure(self, fig: Any, *, title: str, caption: str | None = None, alt: str | None = None,
                   section: Section | None = None) -> None:
        """Add a matplotlib figure (rendered to PNG now) or PNG bytes."""
        png = fig if isinstance(fig, bytes) else figure_png(fig)
        w, h = png_size(png)
        self._target(section).blocks.append(FigureBlock(png, title, caption, alt or title, w, h))

    def add_card(self, title: str, lines: list[tuple[str, str]], *, style: str = "finding",
                 section: Section | None = None) -> None:
        """Add a boxed statement with labelled lines."""
        self._target(section).blocks.append(Card(title, list(lines), style))

    @property
    def n_figures(self) -> int:
        """Number of figures."""
        return sum(isinstance(b, FigureBlock) for s in self.sections for b in s.blocks)

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write ``.html`` (self-contained) or ``.pdf`` (A4), atomically.

        Raises
        ------
        InsoleError
            Unknown suffix, or the file exists and ``overwrite`` is False.
        """
        from insole.exceptions import InsoleError

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".html", ".htm", ".pdf"):
            raise InsoleError(f"{path}: a report is written as .html or .pdf")
        if path.exists() and not overwrite:
            raise InsoleError(f"{path} exists; use --overwrite to replace it")
        tmp = path.with_name(path.name + ".partial")
        try:
            if suffix == ".pdf":
                from insole.report.pdf import write_pdf

                write_pdf(self, tmp)
            else:
                from insole.report.html import render_html

                tmp.write_text(render_html(self), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InsoleError(f"cannot write {path}: {exc.strerror or exc}") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return path


__all__ = ["Block", "Bullets", "Card", "FigureBlock", "Paragraph", "Report", "Section", "Table", "figure_png", "png_size"]
