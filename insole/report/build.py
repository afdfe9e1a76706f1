"""Build report documents from analysed sessions: one or several recordings, a comparison, a history.

:func:`build_report`, :func:`build_compare` and :func:`build_history` turn
:class:`~insole.report.session.Session` objects into a
:class:`~insole.report.model.Report` in one language (``en``/``nl``) for one
audience (``clinician``: everything; ``runner``: shorter, with the technique
cues a coach gives).  All sentences come from the message catalogues; the
findings and exercise suggestions from :func:`insole.report.findings.assess`.

Comparisons (``compare``, ``history``) show a change only where it exceeds
the between-step variability: the difference of the means must be larger than
twice its standard error computed from the between-step SDs,
``|Δ| > 2·√(SD₁²/n₁ + SD₂²/n₂)`` (shares of steps: ``2·√(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂)``);
the heel-raise count changes only beyond its between-day limits of agreement
(±6 repetitions, Hébert-Losier 2017).  The report states the rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Final

import numpy as np

from insole import plotting
from insole._version import __version__
from insole.analysis._params import RUN_PHASES, WALK_PHASES
from insole.report import findings as F
from insole.report.findings import (
    Assessment,
    Finding,
    Suggestion,
    assess,
    exceeds_variability,
    proportion_exceeds,
)
from insole.report.i18n import Catalog, Num, Shares, Term
from insole.report.model import Report
from insole.report.references import REFERENCES, short_label
from insole.report.session import Session

AUDIENCES: Final = ("clinician", "runner")
#: Finding topics behind the runner's technique cues (placement, contact, balance, land quieter).
CUE_TOPICS: Final = ("strike", "temporal", "symmetry", "loading_rate")
#: Topics a runner's report shows in full besides the cues and the findings behind exercises.
RUNNER_TOPICS: Final = ("quality", "heel_raise", "balance", "static")
FEET: Final = ("left", "right")

#: Per-foot metrics of the temporal table: (summary key, label key, scale, digits).
TEMPORAL: Final = (
    ("contact_time_s", "metric.contact_time_ms", 1000.0, 0),
    ("stride_time_s", "metric.stride_time_s", 1.0, 2),
    ("swing_time_s", "metric.swing_time_ms", 1000.0, 0),
    ("step_time_s", "metric.step_time_ms", 1000.0, 0),
    ("cadence_spm", "metric.cadence", 1.0, 0),
    ("stance_pct", "metric.stance_pct", 1.0, 1),
    ("double_support_pct", "metric.double_support_pct", 1.0, 1),
    ("flight_time_s", "metric.flight_time_ms", 1000.0, 0),
    ("peak_force_bw", "metric.peak_force_bw", 1.0, 2),
)
#: Typical walking values at self-selected speed (Perry & Burnfield 2010, science.md 2.4).
WALK_TYPICAL: Final = {"stride_time_s": "1.0–1.2", "cadence_spm": "100–120", "stance_pct": "60–62", "double_support_pct": "20–24"}
#: Metrics compared between sessions: (summary key, label key, scale, digits); "lmfi_mean" is shown as the medial share.
CHANGE_METRICS: Final = (
    ("contact_time_s", "metric.contact_time_ms", 1000.0, 0),
    ("stride_time_s", "metric.stride_time_s", 1.0, 2),
    ("cadence_spm", "metric.cadence", 1.0, 0),
    ("peak_force_bw", "metric.peak_force_bw", 1.0, 2),
    ("strike_index_pct", "metric.strike_index", 1.0, 0),
    ("lmfi_mean", "metric.medial_share", -50.0, 1),
    ("cpei_pct", "metric.cpei", 1.0, 1),
    ("hallux_fti_share", "metric.hallux_share", 100.0, 1),
    ("medial_pushoff_share", "metric.medial_pushoff", 100.0, 0),
    ("valr_bw_s", "metric.valr", 1.0, 0),
)
#: Metrics drawn in the history trends.
TREND_METRICS: Final = ("contact_time_s", "cadence_spm", "lmfi_mean", "hallux_fti_share", "cpei_pct", "peak_force_bw")
#: Shares of steps compared between sessions: (counts key, category, label key).
CHANGE_SHARES: Final = (("toe_off_route", "lateral", "metric.route_lateral"), ("toe_off_route", "first-ray", "metric.route_first_ray"),
                        ("strike_pattern", "RFS", "metric.strike_rfs"))


def _when(recorded_at: str | None) -> str | None:
    """``2026-03-10T18:00:00.123`` -> ``2026-03-10 18:00`` (other text unchanged)."""
    if not recorded_at:
        return None
    try:
        return datetime.fromisoformat(recorded_at).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return recorded_at


def _stat(summary: dict, key: str, scale: float = 1.0) -> tuple[float | None, float | None, int]:
    """Mean, SD (scaled) and n of a summary entry; a negative scale maps LMFI to the medial share."""
    v = summary.get(key)
    n = int(summary.get("n_steps") or 0)
    if not isinstance(v, dict) or v.get("mean") is None:
        return None, None, n
    if scale < 0:  # medial share % = 50 (1 - LMFI)
        return 50.0 * (1.0 - v["mean"]), (None if v.get("sd") is None else -scale * v["sd"]), n
    return scale * v["mean"], (None if v.get("sd") is None else scale * v["sd"]), n


class _Builder:
    """Shared pieces of every report kind."""

    def __init__(self, lang: str, audience: str) -> None:
        if audience not in AUDIENCES:
            raise ValueError(f"unknown audience {audience!r}; use one of {', '.join(AUDIENCES)}")
        self.c = Catalog(lang)
        self.t = self.c.text
        self.audience = audience
        self.clinician = audience == "clinician"
        self.refs: dict[str, None] = {}
        self.report: Report | None = None

    # ------------------------------------------------------------------ small helpers
    def cite(self, refs: Sequence[str]) -> str:
        """Short labels of references, recorded for the reference list."""
        for r in refs:
            self.refs.setdefault(r, None)
        return "; ".join(short_label(r) for r in refs)

    def mean_sd(self, m: float | None, sd: float | None, digits: int) -> str:
        """``mean ± SD`` in this language, a dash when missing."""
        if m is None:
            return "–"
        return self.c.number(m, digits) + ("" if sd is None else " ± " + self.c.number(sd, digits))

    def foot(self, foot: str) -> str:
        return self.t(f"foot.{foot}")

    def new(self, title: str, subtitle: str) -> Report:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        self.report = Report(title, lang=self.c.lang, subtitle=subtitle, toc_label=self.t("report.contents"),
                             footer=self.t("report.footer", version=__version__, date=stamp))
        return self.report

    @property
    def r(self) -> Report:
        assert self.report is not None
        return self.report

    def task_name(self, task: str | None) -> str:
        key = f"task.{task}"
        return self.t(key) if task and key in self.c else (task or self.t("common.not_recorded"))

    def value_or_missing(self, v: Any) -> str:
        return self.t("common.not_recorded") if v in (None, "") else str(v)

    # ------------------------------------------------------------------ header and quality
    def header(self, s: Session) -> None:
        md, data = s.metadata, s.data
        lay = sorted({lay.name for lay in s.layouts.values()})
        rows = [
            [self.t("header.subject"), self.value_or_missing(md.subject_id)],
            [self.t("header.date"), self.value_or_missing(_when(md.recorded_at))],
            [self.t("header.task"), self.task_name(md.task or data.get("task"))
             + (f" ({self.t('header.gait_mode', mode=self.task_name(data.get('gait_mode')))})" if data.get("gait_mode") not in (None, "unknown") else "")],
            [self.t("header.footwear"), self.footwear(md.footwear)],
            [self.t("header.device"), self.value_or_missing(md.device)],
            [self.t("header.layout"), ", ".join(lay) or self.t("common.not_recorded")],
            [self.t("header.sampling_rate"), self.t("unit.hz", value=Num(data.get("sampling_rate_hz"), 0))],
            [self.t("header.body_mass"), self.t("unit.kg", value=Num(md.body_mass_kg, 0)) if md.body_mass_kg else self.t("common.not_recorded")],
        ]
        if md.speed_m_s:
            rows.append([self.t("header.speed"), self.t("unit.m_s", value=Num(md.speed_m_s, 2))])
        rows.append([self.t("header.file"), s.label])
        if md.notes and self.clinician:
            rows.append([self.t("header.notes"), md.notes])
        self.r.add_table(rows, [self.t("header.item"), self.t("header.value")], title=self.t("header.title"))

    def footwear(self, footwear: str | None) -> str:
        if not footwear:
            return self.t("common.not_recorded")
        key = f"footwear.{footwear.lower()}"
        return self.t(key) if key in self.c else footwear

    def quality(self, s: Session) -> None:
        rows = []
        for foot in FEET:
            q = s.quality.get(foot)
            if q is None:
                rows.append([self.foot(foot), self.t("quality.no_data"), "", "", ""])
                continue
            rows.append([self.foot(foot), str(q.steps), str(q.steps_found), str(q.lost_frames), str(q.lost_in_steps)])
        self.r.add_table(rows, [self.t("quality.foot"), self.t("quality.steps"), self.t("quality.steps_found"),
                                self.t("quality.lost_frames"), self.t("quality.lost_in_steps")], title=self.t("quality.title"))
        if len(s.layouts) < 2:
            sync = self.t("quality.sync_one_foot")
        elif s.sync_error_ms is not None:
            sync = self.t("quality.sync", value=Num(s.sync_error_ms, 1))
        else:
            sync = self.t("quality.sync_not_recorded")
        self.r.add_text(sync, style="note")
        warnings = list(s.data.get("warnings") or [])
        if warnings:
            self.r.add_text(self.t("quality.warnings"))
            self.r.add_list(warnings)
            if self.c.lang != "en":
                self.r.add_text(self.t("quality.warnings_language"), style="small")
        else:
            self.r.add_text(self.t("quality.no_warnings"), style="note")

    # ------------------------------------------------------------------ figures
    def figures(self, s: Session) -> None:
        curves = s.result.curves
        unit_of = {f: ("kPa" if lay.kind == "pressure_kpa" else "N") for f, lay in s.layouts.items()}
        unit = "kPa" if "kPa" in unit_of.values() else "N"
        titles = {f: self.foot(f) for f in FEET}
        peak = {f: c["pressure_peak"] for f, c in curves.items() if "pressure_peak" in c}
        if peak:
            self.r.add_figure(plotting.pressure_maps(s.layouts, peak, titles=titles, unit=unit),
                              title=self.t("figure.peak.title"), caption=self.t("figure.peak.caption", unit=unit))
            if self.clinician:
                mean = {f: c["pressure_mean"] for f, c in curves.items() if "pressure_mean" in c}
                self.r.add_figure(plotting.pressure_maps(s.layouts, mean, titles=titles, unit=unit),
                                  title=self.t("figure.mean.title"), caption=self.t("figure.mean.caption", unit=unit))
        if s.force_trace:
            self.r.add_figure(plotting.force_trace({f: t for f, (t, _) in s.force_trace.items()},
                                                   {f: v for f, (_, v) in s.force_trace.items()},
                                                   xlabel=self.t("figure.time_axis"), ylabel=self.t("figure.force_n_axis"), labels=titles),
                              title=self.t("figure.trace.title"), caption=self.t("figure.trace.caption"))
        steps = {f: c["gait_line_insole"][self._included(s, f)] for f, c in curves.items() if "gait_line_insole" in c}
        steps = {f: v for f, v in steps.items() if v.shape[0]}
        if steps and F.is_gait(s.data):
            self.r.add_figure(plotting.gait_lines_feet(s.layouts, steps, titles=titles, mean_label=self.t("figure.mean_label")),
                              title=self.t("figure.gait_lines.title"), caption=self.t("figure.gait_lines.caption"))
            force = {f: curves[f]["force_curve_n"][self._included(s, f)] for f in steps}
            bw = s.body_weight_n
            labels = {f: self.t("figure.foot_n", foot=self.foot(f), n=int(v.shape[0])) for f, v in force.items()}
            self.r.add_figure(plotting.force_curves(force, body_weight_n=bw, labels=labels, xlabel=self.t("figure.stance_axis"),
                                                    ylabel=self.t("figure.force_bw_axis" if bw else "figure.force_n_axis")),
                              title=self.t("figure.force.title"), caption=self.t("figure.force.caption"))
            if self.clinician:
                axis = {f: curves[f]["gait_line_axis"][self._included(s, f)] for f in steps}
                self.r.add_figure(plotting.ml_through_stance(axis, labels=titles, xlabel=self.t("figure.stance_axis"),
                                                             ylabel=self.t("figure.ml_axis"), medial=self.t("figure.toward_medial"),
                                                             lateral=self.t("figure.toward_lateral")),
                                  title=self.t("figure.ml.title"), caption=self.t("figure.ml.caption"))

    @staticmethod
    def _included(s: Session, foot: str) -> np.ndarray:
        steps = s.data["feet"].get(foot, {}).get("steps") or []
        return np.array([not st.get("excluded") for st in steps], bool)

    # ------------------------------------------------------------------ tables
    def temporal_table(self, s: Session, *, typical: bool = True) -> None:
        summaries = {f: (s.data["feet"].get(f) or {}).get("summary") or {} for f in FEET}
        walk = not F.is_run(s.data)
        typical = typical and walk and self.clinician
        sym = s.data.get("symmetry") or {}
        rows = []
        keys = [k for k in TEMPORAL if not (walk and k[0] == "flight_time_s") and not (not walk and k[0] == "double_support_pct")]
        if not self.clinician:
            keys = [k for k in keys if k[0] in ("contact_time_s", "cadence_spm", "flight_time_s", "stride_time_s", "peak_force_bw")]
        for key, label, scale, digits in keys:
            stats = {f: _stat(summaries[f], key, scale) for f in FEET}
            if all(st[0] is None for st in stats.values()):
                continue
            sa = (sym.get(key) or {}).get("symmetry_angle_pct")
            if sa is None and stats["left"][0] and stats["right"][0]:
                sa = F.symmetry_angle(stats["left"][0], stats["right"][0])
            row = [self.t(label), *(self.mean_sd(stats[f][0], stats[f][1], digits) for f in FEET),
                   self.c.number(None if sa is None or not math.isfinite(sa) else abs(sa), 1)]
            if typical:
                row.append(WALK_TYPICAL.get(key, ""))
            rows.append(row)
        headers = [self.t("table.metric"), self.t("table.left_mean_sd"), self.t("table.right_mean_sd"), self.t("table.symmetry_angle")]
        caption = self.t("table.temporal.caption")
        if typical:
            headers.append(self.t("table.typical_walk"))
            caption += " " + self.t("table.temporal.typical", refs=self.cite(["perry2010"]))
        self.r.add_table(rows, headers, title=self.t("table.temporal.title"), caption=caption)

    def loading_table(self, s: Session) -> None:
        summaries = {f: (s.data["feet"].get(f) or {}).get("summary") or {} for f in FEET}
        run = F.is_run(s.data)
        rows: list[list[str]] = []

        def counts_row(key: str, order: Sequence[str], term: str, label: str) -> None:
            dist = {f: F.step_shares(summaries[f], key, order, term) for f in FEET}
            if any(d.items for d in dist.values()):
                rows.append([self.t(label), *(self.c.value(dist[f]) for f in FEET)])

        def stat_row(key: str, label: str, scale: float, digits: int) -> None:
            stats = {f: _stat(summaries[f], key, scale) for f in FEET}
            if any(st[0] is not None for st in stats.values()):
                rows.append([label, *(self.mean_sd(stats[f][0], stats[f][1], digits) for f in FEET)])

        counts_row("strike_pattern", ("RFS", "MFS", "FFS"), "strike", "metric.strike_pattern")
        stat_row("strike_index_pct", self.t("metric.strike_index"), 1.0, 0)
        stat_row("lmfi_mean", self.t("metric.medial_share"), -50.0, 1)
        for name, start, end in RUN_PHASES if run else WALK_PHASES:
            stat_row(f"lmfi_{name}_mean", self.t("metric.medial_share_phase", phase=Term(f"phase.{name}"), start=start, end=end), -50.0, 1)
        if self.clinician:
            stat_row("cpei_pct", self.t("metric.cpei"), 1.0, 1)
            stat_row("forefoot_balance_pct", self.t("metric.forefoot_balance"), 1.0, 1)
        counts_row("toe_off_route", ("first-ray", "central", "lateral"), "route", "metric.toe_off_route")
        stat_row("hallux_fti_share", self.t("metric.hallux_share"), 100.0, 1)
        if self.clinician:
            stat_row("hallux_contact_pct", self.t("metric.hallux_contact"), 1.0, 0)
            stat_row("medial_pushoff_share", self.t("metric.medial_pushoff"), 100.0, 0)
        stat_row("valr_bw_s", self.t("metric.valr"), 1.0, 0)
        self.r.add_table(rows, [self.t("table.metric"), self.t("table.left_mean_sd"), self.t("table.right_mean_sd")],
                         title=self.t("table.loading.title"), caption=self.t("table.loading.caption"))

    def static_table(self, s: Session) -> None:
        st = s.data.get("static")
        if not st:
            return
        left = st.get("left_share_pct")
        rows = [[self.t("metric.static_share"), self.c.number(left, 0), self.c.number(None if left is None else 100 - left, 0)],
                [self.t("metric.static_forefoot"), *(self.c.number((st.get(f) or {}).get("forefoot_share_pct"), 0) for f in FEET)]]
        self.r.add_table(rows, [self.t("table.metric"), self.foot("left"), self.foot("right")], title=self.t("table.static.title"))

    def end_class(self, cls: Any) -> str:
        """An end-position class of the heel-raise test in this language (unknown ones as stored)."""
        key = F.END_CLASS_TERMS.get(str(cls))
        return self.t(key) if key else str(cls)

    def heel_raise_tables(self, tree: dict[str, Any]) -> None:
        """Per foot: a summary of the heel-raise test and one row per repetition (science.md 8.2)."""
        n = self.c.number
        for foot, d in F._per_foot(tree).items():
            if foot not in FEET or not isinstance(d, dict):
                continue
            judged = bool(d.get("end_position_judged", True))
            counts = d.get("end_class_counts") if isinstance(d.get("end_class_counts"), dict) else {}
            total = sum(int(v) for v in counts.values())
            dist = self.c.value(Shares(tuple((self.end_class(k), 100.0 * int(v) / total)
                                             for k, v in sorted(counts.items(), key=lambda kv: -int(kv[1]))))) if total else "–"
            drift = d.get("fatigue_drift_status")
            rows = [
                [self.t("hr.valid_reps"), f"{int(d.get('n_valid_reps', 0))} / {int(d.get('target_reps', 10))}"],
                [self.t("hr.rejected_reps"), str(int(d.get("n_rejected_reps", 0)))],
                [self.t("hr.assists"), str(int(d.get("n_assists", 0)))],
                [self.t("hr.end_position"), dist if judged else self.t("hr.not_judged")],
                [self.t("hr.fatigue_drift"), self.t(f"hr.drift.{drift}") if drift in F.DRIFT_STATUSES else "–"],
                [self.t("hr.cadence"), n(d.get("cadence_reps_min"), 0)],
                [self.t("hr.hold"), n(d.get("hold_s_median"), 2)],
                [self.t("hr.medial_share"), n(None if d.get("medial_share_top_mean") is None else 100 * float(d["medial_share_top_mean"]), 0)],
            ]
            self.r.add_table(rows, [self.t("table.metric"), self.t("table.value")],
                             title=self.t("hr.summary_title", foot=self.t(f"foot_name.{foot}")),
                             caption=self.t("hr.summary_caption"))
            starts = np.atleast_1d(np.asarray(d.get("rep_start_s", []), dtype=float))
            if not starts.size:
                continue

            def col(key: str, fill: Any = np.nan, d: dict = d, n_reps: int = starts.size) -> np.ndarray:
                v = np.atleast_1d(np.asarray(d.get(key, [fill] * n_reps)))
                return v if v.size == n_reps else np.full(n_reps, fill)

            valid, classes, reasons = col("valid", False).astype(bool), col("end_class", ""), col("reject_reason", "")
            hold, dtop, med = col("hold_s").astype(float), col("d_top").astype(float), col("medial_share_top").astype(float)
            assisted = col("assisted", False).astype(bool)
            reps = []
            for i in range(starts.size):  # one row per repetition
                why = next((self.t(key) for start, key in F.REJECT_REASON_TERMS if str(reasons[i]).startswith(start)), str(reasons[i]) or "–")
                status = self.t("hr.valid") if valid[i] else self.t("hr.rejected", reason=why)
                if assisted[i]:
                    status += " · " + self.t("hr.assisted")
                reps.append([str(i + 1), n(starts[i], 1), n(hold[i], 2), n(dtop[i], 2),
                             n(100 * med[i] if np.isfinite(med[i]) else None, 0),
                             self.end_class(classes[i]) if valid[i] else "–", status])
            self.r.add_table(reps, [self.t("hr.rep"), self.t("hr.start_s"), self.t("hr.hold_s"), self.t("hr.d_top"),
                                    self.t("hr.medial_pct"), self.t("hr.end_position"), self.t("hr.status")],
                             title=self.t("hr.reps_title", foot=self.t(f"foot_name.{foot}")),
                             caption=self.t("hr.reps_caption"))
        sym = tree.get("symmetry") if isinstance(tree.get("symmetry"), dict) else None
        if sym:  # both feet tested: symmetry angles (science.md 7.2) of the count and of the medial share
            rows = [[self.t(label), n(sym.get(f"{key}_left"), digits), n(sym.get(f"{key}_right"), digits), n(sym.get(f"{key}_sa_pct"), 1)]
                    for key, label, digits in (("valid_reps", "hr.valid_reps_short", 0), ("medial_share", "hr.medial_share_short", 2))
                    if sym.get(f"{key}_sa_pct") is not None]
            self.r.add_table(rows, [self.t("table.metric"), self.foot("left"), self.foot("right"), self.t("hr.sa")],
                             title=self.t("hr.symmetry_title"), caption=self.t("hr.symmetry_caption"))

    def balance_table(self, tree: dict[str, Any]) -> None:
        """Single-leg balance per foot: COP ranges and speeds, touch-downs (left and right columns)."""
        per = {f: d for f, d in F._per_foot(tree).items() if f in FEET and isinstance(d, dict)}
        if not per:
            return
        n = self.c.number
        keys = (("duration_s", "bal.duration", 0), ("cop_ml_range_mm", "bal.ml_range", 1), ("cop_ap_range_mm", "bal.ap_range", 1),
                ("cop_ml_velocity_mm_s", "bal.ml_velocity", 1), ("cop_ap_velocity_mm_s", "bal.ap_velocity", 1),
                ("n_touchdowns", "bal.touchdowns", 0))
        rows = [[self.t(label), *(n(per[f].get(key), digits) if f in per and per[f].get(key) is not None else "–" for f in FEET)]
                for key, label, digits in keys]
        self.r.add_table(rows, [self.t("table.metric"), self.foot("left"), self.foot("right")],
                         title=self.t("table.balance.title"), caption=self.t("bal.caption"))

    def derived_table(self, name: str, tree: dict[str, Any]) -> None:
        """A ``/derived`` test result rendered generically: scalars as they are, arrays summarised."""
        rows = []

        def walk(prefix: str, node: Any) -> None:
            for key, value in node.items():
                label = f"{prefix}{key}"
                if isinstance(value, dict):
                    walk(label + " / ", value)
                else:
                    rows.append([label, self._summarise(value)])

        walk("", tree)
        self.r.add_table(rows, [self.t("table.item"), self.t("table.value")], title=self.t(f"table.{name}.title"),
                         caption=self.t("table.derived.caption", group=f"/derived/{name}"))

    def _summarise(self, value: Any) -> str:
        arr = np.asarray(value)
        if arr.ndim == 0:
            v = arr.item()
            if isinstance(v, bool):
                return self.c.value(v)
            if isinstance(v, float):
                return self.c.number(v, 3 if abs(v) < 1 else 1)
            return str(v)
        if arr.size == 0:
            return "–"
        if arr.dtype.kind in "US":
            values, counts = np.unique(arr.astype(str), return_counts=True)
            return ", ".join(f"{v} × {c}" for v, c in zip(values, counts))
        if arr.dtype == bool:
            return self.t("table.true_of", k=int(arr.sum()), n=int(arr.size))
        flat = arr.astype(float).ravel()
        if flat.size <= 12:
            return " ".join(self.c.number(x, 3 if np.nanmax(np.abs(flat)) < 1 else 1) for x in flat)
        return self.t("table.array_summary", n=int(flat.size), mean=Num(float(np.nanmean(flat)), 3))

    # ------------------------------------------------------------------ findings and exercises
    def finding_card(self, f: Finding, *, show_source: bool = False, style: str | None = None) -> None:
        lines = [(self.t("card.finding"), self.c.render(f.text)),
                 (self.t("card.compared_with"), self.c.render(f.comparison)),
                 (self.t("card.evidence"), self.t(f"evidence.{f.evidence}"))]
        lines.extend((self.t("card.caveat"), self.c.render(cv)) for cv in f.caveats)
        if f.refs:
            refs = self.cite(f.refs)
            if self.clinician:
                lines.append((self.t("card.references"), refs))
        if show_source and f.source:
            lines.append((self.t("card.recording"), f.source))
        if style is None:
            style = "alert" if f.clinician_first else ("trigger" if f.rule else "finding")
        self.r.add_card(self.t(f"topic.{f.topic}"), lines, style=style)

    def safety(self, a: Assessment, multi: bool) -> None:
        first = a.clinician_first
        if first:
            self.r.add_text(self.t("safety.clinician_first"), style="alert")
            for f in first:
                self.finding_card(f, show_source=multi)
        else:
            for f in a.findings:
                if f.topic == "safety":
                    self.r.add_text(self.c.render(f.text), style="note")
        self.r.add_text(self.t("safety.what_insoles_measure", refs=self.cite(["buldt2013", "nielsen2014"])), style="note")

    def interpretation(self, a: Assessment, multi: bool) -> None:
        """Finding cards: all of them for clinicians; for runners those behind an exercise or about a test."""
        for f in a.too_short:
            self.finding_card(f, show_source=multi)
        shown = 0
        for f in a.findings:
            if f.topic == "safety" or f.clinician_first:
                continue
            if not self.clinician and not (f.rule or f.topic in RUNNER_TOPICS):
                continue
            self.finding_card(f, show_source=multi)
            shown += 1
        if not self.clinician and not shown and not a.too_short:
            self.r.add_text(self.t("interpretation.runner_nothing"), style="note")

    def exercises(self, a: Assessment, multi: bool) -> None:
        suggestions = a.suggestions
        if not suggestions:
            if a.too_short and not any(f.rule for f in a.findings):
                self.r.add_text(self.t("exercise.none_too_short"), style="alert")
            else:
                self.r.add_text(self.t("exercise.none_triggered"))
            return
        if a.clinician_first:
            self.r.add_text(self.t("exercise.after_clinician"), style="alert")
        self.r.add_text(self.t("exercise.intro"))
        for sug in suggestions:
            self.exercise_card(sug, multi)
        self.r.add_text(self.t("exercise.retest", refs=self.cite(["hara2022", "mulligan2013", "okamura2020"])))
        self.r.add_text(self.t("exercise.prevention", refs=self.cite(["taddei2020", "leppanen2024"])), style="note")
        self.r.add_text(self.t("exercise.not_diagnosis"), style="note")

    def exercise_card(self, sug: Suggestion, multi: bool) -> None:
        ex = sug.exercise
        lines: list[tuple[str, str]] = []
        for rule, fs in sug.reasons:
            why = dict.fromkeys(self.c.render(f.text) + (f" ({f.source})" if multi and f.source else "") for f in fs)
            lines.append((self.t("card.why"), " ".join(why)))
            lines.append((self.t("card.compared_with"), "; ".join(dict.fromkeys(self.c.render(f.comparison) for f in fs))))
            lines.append((self.t("card.mechanism"), self.t(f"rule.{rule}.rationale")))
            lines.append((self.t("card.evidence"), f"{self.t(f'evidence.{F.RULES[rule].evidence}')}: "
                                                   f"{self.t(f'rule.{rule}.evidence')} ({self.cite(F.RULES[rule].refs)})"))
            lines.append((self.t("card.caveat"), self.t(f"rule.{rule}.caveat")))
        lines.append((self.t("card.how"), self.t(f"exercise.{ex}.how")))
        lines.append((self.t("card.dose"), self.t(f"exercise.{ex}.dose")))
        self.r.add_card(self.t(f"exercise.{ex}.title"), lines, style="exercise")

    def runner_cues(self, s: Session, a: Assessment) -> None:
        if not F.is_run(s.data):
            self.r.add_text(self.t("cues.not_a_run"), style="note")
            return
        if a.too_short and not a.findings:
            return
        by_topic: dict[str, list[Finding]] = {}
        for f in a.findings:
            by_topic.setdefault(f.topic, []).append(f)
        for cue, topic in zip(("placement", "contact", "balance", "quieter"), CUE_TOPICS):
            fs = by_topic.get(topic, [])
            self.r.add_text(self.t(f"cues.{cue}.intro"), style="note")
            if not fs:
                self.r.add_text(self.t("cues.no_data"))
            for f in fs:
                self.finding_card(f)

    def references(self) -> None:
        if not self.refs:
            return
        self.r.add_section(self.t("section.references"))
        self.r.add_list([REFERENCES[r] for r in sorted(self.refs, key=lambda k: REFERENCES[k])])

    def glossary(self) -> None:
        self.r.add_list([self.t(f"glossary.{k}") for k in ("rfs", "lmfi", "cpei", "route", "sa", "valr", "evidence")])


# ============================================================================= single / several recordings
def build_report(sessions: Sequence[Session], *, lang: str = "en", audience: str = "clinician") -> Report:
    """A report of one or several recordings.

    Parameters
    ----------
    sessions : sequence of Session
        The recordings (each from :func:`insole.report.load_session`).
    lang : {"en", "nl"}
        Language.
    audience : {"clinician", "runner"}
        ``clinician``: all tables, figures and findings; ``runner``: shorter,
        with the technique cues.

    Returns
    -------
    Report
    """
    b = _Builder(lang, audience)
    multi = len(sessions) > 1
    subjects = sorted({s.metadata.subject_id for s in sessions if s.metadata.subject_id})
    dates = ", ".join(sorted({s.date for s in sessions if s.date}))
    subject = ", ".join(subjects) or b.t("common.not_recorded")
    r = b.new(b.t(f"report.title.{audience}"),
              b.t("report.subtitle", subject=subject, date=dates) if dates else b.t("report.subtitle_no_date", subject=subject))
    total = Assessment()
    per: list[tuple[Session, Assessment]] = []
    for s in sessions:
        a = assess(s.data, metadata=s.metadata, heel_raise=s.derived.get("heel_raise"), balance=s.derived.get("balance"))
        per.append((s, a))
        total.extend(a, s.label)
    r.add_section(b.t("section.safety"))
    b.safety(total, multi)
    for i, (s, a) in enumerate(per, 1):
        _recording_sections(b, s, a, i if multi else None)
    r.add_section(b.t("section.interpretation"))
    b.r.add_text(b.t("interpretation.intro"), style="note")
    b.interpretation(total, multi)
    r.add_section(b.t("section.exercises"))
    b.exercises(total, multi)
    if audience == "clinician":
        r.add_section(b.t("section.glossary"))
        b.glossary()
    b.references()
    return r


def _recording_sections(b: _Builder, s: Session, a: Assessment, index: int | None) -> None:
    r = b.r
    level = 3 if index is not None else 2
    if index is not None:
        r.add_section(b.t("section.recording", n=index, label=s.label))
    r.add_section(b.t("section.about"), level=level)
    b.header(s)
    b.quality(s)
    for f in a.too_short:
        r.add_text(b.c.render(f.text), style="alert")
    if b.audience == "runner" and F.is_run(s.data):
        r.add_section(b.t("section.cues"), level=level)
        b.runner_cues(s, a)
    r.add_section(b.t("section.figures"), level=level)
    b.figures(s)
    if b.clinician and F.is_gait(s.data) and any((fd.get("summary") or {}).get("n_steps") for fd in s.data["feet"].values()):
        r.add_section(b.t("section.tables"), level=level)
        if a.too_short:
            r.add_text(b.t("table.too_short_note"), style="note")
        b.temporal_table(s, typical=not a.too_short)
        b.loading_table(s)
    if s.data.get("static"):
        r.add_section(b.t("section.static"), level=level)
        b.static_table(s)
    for name, tree in s.derived.items():
        r.add_section(b.t(f"section.{name}"), level=level)
        if name == "heel_raise":
            b.heel_raise_tables(tree)
        elif name == "balance":
            b.balance_table(tree)
        else:
            b.derived_table(name, tree)
    if s.data.get("task") in ("heel-raise", "balance") and s.data["task"].replace("-", "_") not in s.derived:
        r.add_section(b.t(f"section.{s.data['task'].replace('-', '_')}"), level=level)
        r.add_text(b.t(f"finding.{s.data['task'].replace('-', '_')}_missing"), style="note")


# ============================================================================= compare
def _change_rows(b: _Builder, before: Session, after: Session) -> tuple[list[list[str]], int]:
    rows, n_changed = [], 0
    for key, label, scale, digits in CHANGE_METRICS:
        for foot in FEET:
            s1 = (before.data["feet"].get(foot) or {}).get("summary") or {}
            s2 = (after.data["feet"].get(foot) or {}).get("summary") or {}
            m1, sd1, n1 = _stat(s1, key, scale)
            m2, sd2, n2 = _stat(s2, key, scale)
            if m1 is None or m2 is None:
                continue
            se = math.sqrt(sd1**2 / n1 + sd2**2 / n2) if sd1 is not None and sd2 is not None and n1 > 1 and n2 > 1 else None
            changed = exceeds_variability(m1, sd1, n1, m2, sd2, n2)
            n_changed += changed
            rows.append([b.t(label), b.foot(foot), b.mean_sd(m1, sd1, digits) + f" (n={n1})", b.mean_sd(m2, sd2, digits) + f" (n={n2})",
                         b.c.number(Num(m2 - m1, digits + 1, signed=True)) if changed else "",
                         b.c.number(None if se is None else F.CHANGE_SE * se, digits + 1),
                         b.t("change.yes" if changed else ("change.no_short" if se is not None else "change.unknown"))])
    for key, category, label in CHANGE_SHARES:
        for foot in FEET:
            c1 = F.step_counts((before.data["feet"].get(foot) or {}).get("summary") or {}, key)
            c2 = F.step_counts((after.data["feet"].get(foot) or {}).get("summary") or {}, key)
            n1, n2 = sum(c1.values()), sum(c2.values())
            if not n1 or not n2:
                continue
            p1, p2 = c1.get(category, 0) / n1, c2.get(category, 0) / n2
            changed = proportion_exceeds(p1, n1, p2, n2)
            n_changed += changed
            se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
            rows.append([b.t(label), b.foot(foot), f"{b.c.number(100 * p1, 0)} % (n={n1})", f"{b.c.number(100 * p2, 0)} % (n={n2})",
                         b.c.number(Num(100 * (p2 - p1), 0, signed=True)) if changed else "", b.c.number(100 * F.CHANGE_SE * se, 0),
                         b.t("change.yes" if changed else "change.no_short")])
    return rows, n_changed


def build_compare(before: Session, after: Session, *, lang: str = "en", audience: str = "clinician") -> Report:
    """A before/after comparison (an exercise programme, or two shoes).

    Differences are shown only where they exceed the between-step variability
    (module docstring); the findings and exercises are those of ``after``,
    with ``before`` as the person's own baseline.

    Parameters
    ----------
    before, after : Session
        The two recordings.
    lang : {"en", "nl"}
        Language.
    audience : {"clinician", "runner"}
        Level of detail.

    Returns
    -------
    Report
    """
    b = _Builder(lang, audience)
    subject = after.metadata.subject_id or before.metadata.subject_id
    r = b.new(b.t("report.title.compare"), b.t("report.subtitle_compare", subject=b.value_or_missing(subject),
                                                  before=before.label, after=after.label))
    a = assess(after.data, metadata=after.metadata, heel_raise=after.derived.get("heel_raise"),
               balance=after.derived.get("balance"), baseline=before.data)
    a0 = assess(before.data, metadata=before.metadata)
    r.add_section(b.t("section.safety"))
    b.safety(a, False)
    r.add_section(b.t("section.sessions"))
    rows = []
    for role, s in ((b.t("compare.before"), before), (b.t("compare.after"), after)):
        rows.append([role, s.label, b.value_or_missing(_when(s.metadata.recorded_at)), b.task_name(s.metadata.task or s.data.get("task")),
                     b.footwear(s.metadata.footwear), *(str(s.quality[f].steps) if f in s.quality else "–" for f in FEET)])
    r.add_table(rows, [b.t("compare.role"), b.t("header.file"), b.t("header.date"), b.t("header.task"), b.t("header.footwear"),
                       b.t("quality.steps_foot", foot=b.foot("left")), b.t("quality.steps_foot", foot=b.foot("right"))])
    for s, aa in ((before, a0), (after, a)):
        for f in aa.too_short:
            r.add_text(f"{s.label}: {b.c.render(f.text)}", style="alert")
    r.add_section(b.t("section.changes"))
    r.add_text(b.t("change.rule", k=Num(F.CHANGE_SE, 0)))
    change_rows, n_changed = _change_rows(b, before, after)
    r.add_table(change_rows, [b.t("table.metric"), b.t("quality.foot"), b.t("compare.before"), b.t("compare.after"),
                              b.t("change.difference"), b.t("change.threshold"), b.t("change.beyond")],
                title=b.t("change.table_title"))
    r.add_text(b.t("change.summary", n=n_changed), style="body")
    r.add_text(b.t("change.accuracy", refs=b.cite(["morin2022"])), style="note")
    _compare_figures(b, before, after)
    r.add_section(b.t("section.interpretation"))
    r.add_text(b.t("interpretation.compare_intro", before=before.label, after=after.label), style="note")
    b.interpretation(a, False)
    r.add_section(b.t("section.exercises"))
    b.exercises(a, False)
    b.references()
    return r


def _compare_figures(b: _Builder, before: Session, after: Session) -> None:
    from matplotlib.figure import Figure

    feet = [f for f in FEET if f in before.result.curves and f in after.result.curves and f in after.layouts]
    if not feet or not (F.is_gait(before.data) and F.is_gait(after.data)):
        return
    fig = Figure(figsize=(6.4, 5.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(feet)))
    for ax, foot in zip(axes, feet):
        lay = after.layouts[foot]
        plotting.gait_lines(lay, before.result.curves[foot]["gait_line_insole"][b._included(before, foot)], ax, show_steps=False,
                            mean_color="0.55", mean_label=b.t("compare.before"), title=b.foot(foot))
        plotting.gait_lines(lay, after.result.curves[foot]["gait_line_insole"][b._included(after, foot)], ax, show_steps=False,
                            mean_color=plotting.FOOT_COLORS[foot], mean_label=b.t("compare.after"), outline=False)
        ax.legend(fontsize=8, loc="lower center")
    b.r.add_figure(fig, title=b.t("figure.compare_lines.title"), caption=b.t("figure.compare_lines.caption"))
    fig = Figure(figsize=(7.0, 3.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(feet), sharey=True))
    bw = after.body_weight_n
    for ax, foot in zip(axes, feet):
        curves = {"before": before.result.curves[foot]["force_curve_n"][b._included(before, foot)],
                  "after": after.result.curves[foot]["force_curve_n"][b._included(after, foot)]}
        plotting.force_curves(curves, ax, body_weight_n=bw, title=b.foot(foot), xlabel=b.t("figure.stance_axis"),
                              ylabel=b.t("figure.force_bw_axis" if bw else "figure.force_n_axis"),
                              labels={"before": b.t("compare.before"), "after": b.t("compare.after")},
                              colors={"before": "0.55", "after": plotting.FOOT_COLORS[foot]}, linestyles={"before": "--"})
    b.r.add_figure(fig, title=b.t("figure.compare_force.title"), caption=b.t("figure.force.caption"))


# ============================================================================= history
def _session_key(s: Session) -> tuple[str, str]:
    return (s.metadata.recorded_at or "", s.label)


def build_history(sessions: Sequence[Session], *, lang: str = "en", audience: str = "clinician") -> Report:
    """One subject's sessions over weeks: trends of the key metrics and of the heel-raise test.

    Sessions are ordered by their recording time (file name when it is
    missing).  Changes between the first and the last session are shown only
    beyond the between-step variability (module docstring); findings and
    exercises are those of the last walking or running session, with the first
    as baseline.

    Parameters
    ----------
    sessions : sequence of Session
        Two or more recordings of one subject.
    lang : {"en", "nl"}
        Language.
    audience : {"clinician", "runner"}
        Level of detail.

    Returns
    -------
    Report

    Raises
    ------
    InsoleError
        Fewer than two sessions, or sessions of different subjects.
    """
    from insole.exceptions import InsoleError

    if len(sessions) < 2:
        raise InsoleError("a history needs at least two recordings of one subject")
    subjects = sorted({s.metadata.subject_id for s in sessions if s.metadata.subject_id})
    if len(subjects) > 1:
        raise InsoleError(f"the recordings belong to different subjects ({', '.join(subjects)}); "
                          "a history is for one subject (use 'insole report' for several people)")
    b = _Builder(lang, audience)
    ordered = sorted(sessions, key=_session_key)
    names = [s.date or s.label for s in ordered]
    r = b.new(b.t("report.title.history"), b.t("report.subtitle_history", subject=b.value_or_missing(subjects[0] if subjects else None),
                                                  n=len(ordered), first=names[0], last=names[-1]))
    gait = [s for s in ordered if F.is_gait(s.data) and F.too_short(s.data) is None]
    last = gait[-1] if gait else ordered[-1]
    baseline = gait[0].data if len(gait) > 1 else None
    a = assess(last.data, metadata=last.metadata, heel_raise=last.derived.get("heel_raise"), balance=last.derived.get("balance"),
               baseline=baseline)
    latest_test = next((s for s in reversed(ordered) if "heel_raise" in s.derived), None)
    if latest_test is not None and latest_test is not last:  # the newest heel-raise test counts too
        extra = assess({"task": "heel-raise"}, heel_raise=latest_test.derived["heel_raise"])
        a.findings.extend(replace(f, source=latest_test.label) for f in extra.findings if f.topic != "safety")
    r.add_section(b.t("section.safety"))
    b.safety(a, False)
    r.add_section(b.t("section.sessions"))
    rows = []
    for s in ordered:
        short = F.is_gait(s.data) and F.too_short(s.data) is not None
        rows.append([s.date or "–", s.label, b.task_name(s.metadata.task or s.data.get("task")), b.footwear(s.metadata.footwear),
                     *(str(s.quality[f].steps) if f in s.quality else "–" for f in FEET),
                     b.t("history.too_short") if short else ""])
    r.add_table(rows, [b.t("header.date"), b.t("header.file"), b.t("header.task"), b.t("header.footwear"),
                       b.t("quality.steps_foot", foot=b.foot("left")), b.t("quality.steps_foot", foot=b.foot("right")), b.t("history.note")])
    r.add_section(b.t("section.trends"))
    r.add_text(b.t("change.rule", k=Num(F.CHANGE_SE, 0)))
    if len(gait) >= 2:
        _trend_figure(b, gait)
        change_rows, n_changed = _change_rows(b, gait[0], gait[-1])
        r.add_table(change_rows, [b.t("table.metric"), b.t("quality.foot"), gait[0].date or gait[0].label, gait[-1].date or gait[-1].label,
                                  b.t("change.difference"), b.t("change.threshold"), b.t("change.beyond")],
                    title=b.t("history.change_title"))
        r.add_text(b.t("change.summary", n=n_changed))
        r.add_text(b.t("change.accuracy", refs=b.cite(["morin2022"])), style="note")
    else:
        r.add_text(b.t("history.no_gait_trend"), style="note")
    _heel_raise_history(b, ordered)
    r.add_section(b.t("section.interpretation"))
    r.add_text(b.t("interpretation.history_intro", last=last.date or last.label), style="note")
    b.interpretation(a, False)
    r.add_section(b.t("section.exercises"))
    b.exercises(a, False)
    b.references()
    return r


def _trend_figure(b: _Builder, gait: Sequence[Session]) -> None:
    labels = {"contact_time_s": ("metric.contact_time_ms", 1000.0), "cadence_spm": ("metric.cadence", 1.0),
              "lmfi_mean": ("metric.medial_share", -50.0), "hallux_fti_share": ("metric.hallux_share", 100.0),
              "cpei_pct": ("metric.cpei", 1.0), "peak_force_bw": ("metric.peak_force_bw", 1.0)}
    series: dict[str, dict[str, tuple[list, list]]] = {}
    for key in TREND_METRICS:
        label, scale = labels[key]
        by_foot = {}
        for foot in FEET:
            stats = [_stat((s.data["feet"].get(foot) or {}).get("summary") or {}, key, scale) for s in gait]
            if any(m is not None for m, _, _ in stats):
                by_foot[foot] = ([m for m, _, _ in stats], [sd for _, sd, _ in stats])
        if by_foot:
            series[label] = by_foot
    if not series:
        return
    fig = plotting.trends([s.date or s.label for s in gait], series, ylabels={k: b.t(k) for k in series},
                          labels={f: b.foot(f) for f in FEET})
    b.r.add_figure(fig, title=b.t("figure.trends.title"), caption=b.t("figure.trends.caption"))


def _heel_raise_history(b: _Builder, ordered: Sequence[Session]) -> None:
    tests = [(s, F.read_heel_raise(s.derived.get("heel_raise"))) for s in ordered if s.derived.get("heel_raise")]
    if not tests and not any(s.data.get("task") == "heel-raise" for s in ordered):
        return
    b.r.add_section(b.t("section.heel_raise_history"))
    if not tests:
        b.r.add_text(b.t("finding.heel_raise_missing"), style="note")
        return
    b.r.add_text(b.t("history.heel_raise_rule", loa=F.HEEL_RAISE_LOA_REPS, refs=b.cite(["hebertlosier2017"])))
    rows = []
    for foot in FEET:
        counts = [(s, hr[foot].valid_reps) for s, hr in tests if foot in hr and hr[foot].valid_reps is not None]
        for s, n in counts:
            rows.append([b.foot(foot), s.date or s.label, str(n)])
        if len(counts) >= 2:
            delta = counts[-1][1] - counts[0][1]
            changed = abs(delta) > F.HEEL_RAISE_LOA_REPS
            rows.append([b.foot(foot), b.t("history.first_to_last"),
                         b.t("history.heel_raise_change", delta=Num(delta, 0, signed=True)) if changed else b.t("change.no")])
    b.r.add_table(rows, [b.t("quality.foot"), b.t("header.date"), b.t("history.valid_reps")], title=b.t("history.heel_raise_title"))


__all__ = ["AUDIENCES", "build_compare", "build_history", "build_report"]
