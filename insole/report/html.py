"""Self-contained HTML for a :class:`~insole.report.model.Report`.

One file, readable on a phone and printable: ``string.Template`` page and CSS
from ``templates/``, figures embedded as base64 PNG, no script, and a
Content-Security-Policy that lets no request leave the machine.  Every text
value goes through :func:`html.escape` here, at the single point where text
becomes markup.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from html import escape
from importlib import resources
from string import Template

from insole._version import __version__
from insole.report.model import Bullets, Card, FigureBlock, Paragraph, Report, Section, Table

_NUMERIC = re.compile(r"^[−+\-]?[\d.,]+(\s?(%|ms|s|N|kPa|BW/s|BW))?(\s?±\s?[\d.,]+.*)?$")


@cache
def _template(name: str) -> str:
    return (resources.files("insole.report") / "templates" / name).read_text(encoding="utf-8")


def _e(text: str) -> str:
    return escape(str(text), quote=True)


def _cell(tag: str, text: str, extra: str = "") -> str:
    cls = ' class="num"' if tag == "td" and _NUMERIC.match(text.strip()) else ""
    return f"<{tag}{cls}{extra}>{_e(text)}</{tag}>"


def _table(t: Table) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in t.headers)
    body = "\n".join("<tr>" + _cell("th", r[0], ' scope="row"') + "".join(_cell("td", c) for c in r[1:]) + "</tr>" for r in t.rows)
    caption = f"<caption>{_e(t.title)}</caption>" if t.title else ""
    note = f'\n<p class="table-caption">{_e(t.caption)}</p>' if t.caption else ""
    return f'<div class="table-wrap"><table>{caption}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>{note}'


def _figure(f: FigureBlock) -> str:
    data = base64.b64encode(f.png).decode("ascii")
    caption = f"<strong>{_e(f.title)}</strong>" + (f" {_e(f.caption)}" if f.caption else "")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(f.alt)}" width="{f.width}" height="{f.height}" '
            f'decoding="sync"><figcaption>{caption}</figcaption></figure>')


def _card(c: Card) -> str:
    lines = "".join(f"<dt>{_e(label)}</dt><dd>{_e(text)}</dd>" for label, text in c.lines)
    return f'<div class="card card-{_e(c.style)}"><h4>{_e(c.title)}</h4><dl>{lines}</dl></div>'


def _block(b) -> str:
    if isinstance(b, Paragraph):
        return f'<p class="{_e(b.style)}">{_e(b.text)}</p>'
    if isinstance(b, Bullets):
        return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in b.items) + "</ul>"
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, FigureBlock):
        return _figure(b)
    if isinstance(b, Card):
        return _card(b)
    raise TypeError(f"unknown report block {type(b).__name__}")


def _section(s: Section) -> str:
    tag = f"h{s.level}"
    inner = "\n".join(_block(b) for b in s.blocks)
    return f'<section id="{_e(s.anchor)}"><{tag}>{_e(s.title)}</{tag}>\n{inner}\n</section>'


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page.

    Parameters
    ----------
    report : Report
        The document.

    Returns
    -------
    str
    """
    toc = "\n".join(f'<li><a href="#{_e(s.anchor)}">{_e(s.title)}</a></li>' for s in report.sections if s.level == 2)
    return Template(_template("report.html")).substitute(
        lang=_e(report.lang),
        generator=_e(f"insole {__version__}"),
        title=_e(report.title),
        subtitle=_e(report.subtitle),
        css=_template("report.css"),
        toc_label=_e(report.toc_label),
        toc=toc,
        body="\n".join(_section(s) for s in report.sections),
        footer=_e(report.footer),
    )


__all__ = ["render_html"]
