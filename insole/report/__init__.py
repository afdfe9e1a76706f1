"""Reports of analysed recordings: self-contained HTML and A4 PDF, in English or Dutch.

A report is built in three steps, each usable on its own:

1. :func:`load_session` analyses a recording file and gathers what the report
   needs (metadata, layouts, data quality, ``/derived`` test results);
2. :func:`assess` turns an analysis result into findings and exercise
   suggestions following science.md section 9 (pure functions, no language);
3. :func:`build_report`, :func:`build_compare` or :func:`build_history` lay
   the findings, tables and figures out as a :class:`Report` in one language
   for one audience, and :meth:`Report.save` writes ``.html`` or ``.pdf``.

Examples
--------
>>> from insole.report import build_report, load_session
>>> session = load_session("walk.h5")  # doctest: +SKIP
>>> build_report([session], lang="nl", audience="runner").save("walk.html")  # doctest: +SKIP
"""

from __future__ import annotations

from insole.report.build import AUDIENCES, build_compare, build_history, build_report
from insole.report.findings import EXERCISES, Assessment, Finding, Suggestion, assess
from insole.report.i18n import LANGUAGES, Catalog
from insole.report.model import Report
from insole.report.session import Session, load_session

__all__ = [
    "AUDIENCES",
    "EXERCISES",
    "LANGUAGES",
    "Assessment",
    "Catalog",
    "Finding",
    "Report",
    "Session",
    "Suggestion",
    "assess",
    "build_compare",
    "build_history",
    "build_report",
    "load_session",
]
