"""From an analysis result to findings and exercise suggestions (science.md 9).

Pure functions, no I/O and no language: :func:`assess` turns one recording's
analysis result (plus its metadata, the heel-raise and balance results when
the file has them, and optionally an earlier session of the same person) into
an :class:`Assessment`: a list of :class:`Finding` — each naming the measured
value, what it was compared with, the evidence level and the caveat
(science.md 9.1 rule 1) — and the :class:`Suggestion` of exercises that the
mapping table of science.md 9.2 attaches to them.

Rules kept here, all from science.md:

* fewer than 10 usable steps on a foot: the recording is too short to judge;
  nothing is interpreted and nothing is suggested (1.5, 9.2);
* strike pattern and a single session's loading rate are described, never
  used to suggest anything (3.4, 7.1, 9.2);
* red-flag answers (pain, diabetes or neuropathy, recent injury) and marked
  one-sided findings (symmetry angle above 20 % beyond step-to-step
  variability) send the reader to a clinician first (9.1 rule 2);
* wording describes load ("toward the inner border"), never a diagnosis (4.5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import numpy as np

from insole.report.i18n import Msg, Num, Shares, Term

#: Usable steps per foot below which nothing is interpreted (science.md 1.5, 13).
MIN_STEPS: Final = 10
#: Steps per foot recommended for a representative mean (Melvin 2014).
RECOMMENDED_STEPS: Final = 30
#: Symmetry-angle flags, % (science.md 7.2; heuristics).
SA_NOTABLE: Final = 10.0
SA_MARKED: Final = 20.0
#: Share of steps on the lateral toe-off route that suggests exercises (science.md 9.2).
ROUTE_SHARE: Final = 0.5
#: LMFI difference (left vs right, or vs own baseline) counted as a medially directed shift [H].
LMFI_SHIFT: Final = 0.10
#: CPEI decrease against the own baseline counted as a medial shift, % of width [H].
CPEI_SHIFT: Final = 5.0
#: Valid heel raises the project's test asks for (science.md 8.1).
HEEL_RAISE_REPS: Final = 10
#: Between-day limits of agreement of the heel-rise count, repetitions (Hébert-Losier 2017).
HEEL_RAISE_LOA_REPS: Final = 6
#: Share of heel raises ending in lateral drift that suggests exercises (science.md 9.2).
LATERAL_DRIFT_SHARE: Final = 0.5
#: Multiple of the standard error a difference must exceed (the change rule of compare/history).
CHANGE_SE: Final = 2.0

#: The five exercises (message keys ``exercise.<name>.title``, ``.how``, ``.dose``).
EXERCISES: Final = ("short_foot", "calf_raise", "single_leg_balance", "two_toe_heel_raise", "single_leg_deadlift")
#: Red-flag questions (insole.store.schema.RED_FLAGS).
RED_FLAGS: Final = ("pain", "diabetes_or_neuropathy", "recent_injury")
FEET: Final = ("left", "right")
GAIT_TASKS: Final = ("walk", "run")


@dataclass(frozen=True)
class Rule:
    """One row of the mapping table (science.md 9.2).

    Parameters
    ----------
    exercises : tuple of str
        Keys of :data:`EXERCISES` it suggests.
    evidence : str
        Evidence level of the rationale (E1, E2, E3 or H).
    refs : tuple of str
        Reference ids (:mod:`insole.report.references`).
    """

    exercises: tuple[str, ...]
    evidence: str
    refs: tuple[str, ...]


#: Trigger rules; their rationale, evidence and caveat texts are ``rule.<name>.*`` messages.
RULES: Final[dict[str, Rule]] = {
    "heel_raise_count": Rule(("calf_raise",), "E1", ("hebertlosier2017", "alfredson1998", "taddei2020", "leppanen2024")),
    "heel_raise_end": Rule(("two_toe_heel_raise", "calf_raise"), "E3", ("hicks1954", "bojsenmoller1979", "houck2009")),
    "toe_off": Rule(("calf_raise", "two_toe_heel_raise", "short_foot"), "E3", ("bojsenmoller1979", "matias2022", "zammit2008", "galica2013")),
    "medial_loading": Rule(("short_foot", "single_leg_deadlift"), "E2",
                           ("mulligan2013", "unver2020", "okamura2020", "hara2022", "engkananuwat2023", "nielsen2014")),
    "balance": Rule(("single_leg_balance",), "E2", ("mckeon2008", "mulligan2013", "hertel2002")),
    "asymmetry": Rule(("single_leg_deadlift",), "E1", ("leppanen2024", "engkananuwat2023", "comert2025")),
}


@dataclass(frozen=True)
class Finding:
    """One statement of a report: the finding and its value, the comparison, evidence and caveats.

    Parameters
    ----------
    topic : str
        Where it belongs (``safety``, ``quality``, ``strike``, ``temporal``, ``symmetry``,
        ``ml``, ``cpei``, ``hallux``, ``loading_rate``, ``static``, ``heel_raise``,
        ``balance``, ``change``).
    text : Msg
        The finding with its measured value(s).
    comparison : Msg
        What it was compared with (other foot, own baseline, a rule or a norm).
    evidence : str
        ``E1``, ``E2``, ``E3`` or ``H`` (science.md tags).
    caveats : tuple of Msg
        What limits the statement.
    refs : tuple of str
        Reference ids.
    rule : str, optional
        The :data:`RULES` entry it triggers.
    clinician_first : bool
        Sends the reader to a clinician before any exercise.
    foot : str, optional
        ``left`` or ``right`` when it concerns one foot.
    source : str
        Label of the recording it came from (set by the report builder).
    """

    topic: str
    text: Msg
    comparison: Msg
    evidence: str
    caveats: tuple[Msg, ...] = ()
    refs: tuple[str, ...] = ()
    rule: str | None = None
    clinician_first: bool = False
    foot: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Suggestion:
    """An exercise with the findings that led to it, grouped by rule.

    Parameters
    ----------
    exercise : str
        Key of :data:`EXERCISES`.
    reasons : tuple of (str, tuple of Finding)
        Per triggering rule, the findings that met it.
    """

    exercise: str
    reasons: tuple[tuple[str, tuple[Finding, ...]], ...]

    @property
    def refs(self) -> tuple[str, ...]:
        """References of every rule behind it."""
        return tuple(dict.fromkeys(r for rule, _ in self.reasons for r in RULES[rule].refs))


@dataclass
class Assessment:
    """Everything a report says about one or more recordings.

    Attributes
    ----------
    findings : list of Finding
        All statements, in report order.
    too_short : list of Finding
        "Too short to judge" statements (one per recording that is).
    """

    findings: list[Finding] = field(default_factory=list)
    too_short: list[Finding] = field(default_factory=list)

    @property
    def clinician_first(self) -> list[Finding]:
        """Findings that send the reader to a clinician before any exercise."""
        return [f for f in self.findings if f.clinician_first]

    @property
    def suggestions(self) -> list[Suggestion]:
        """Exercises triggered by the findings, in the order the triggering rules list them."""
        by_ex: dict[str, dict[str, list[Finding]]] = {}
        for f in self.findings:
            if f.rule is None:
                continue
            for ex in RULES[f.rule].exercises:
                by_ex.setdefault(ex, {}).setdefault(f.rule, []).append(f)
        return [Suggestion(ex, tuple((rule, tuple(fs)) for rule, fs in reasons.items())) for ex, reasons in by_ex.items()]

    def extend(self, other: Assessment, source: str = "") -> None:
        """Add another recording's findings, labelled with ``source``."""
        self.findings.extend(replace(f, source=source) for f in other.findings)
        self.too_short.extend(replace(f, source=source) for f in other.too_short)


# ----------------------------------------------------------------------------- helpers
def _stat(summary: Mapping[str, Any], key: str) -> tuple[float | None, float | None]:
    v = summary.get(key)
    if isinstance(v, Mapping) and v.get("mean") is not None:
        return float(v["mean"]), (None if v.get("sd") is None else float(v["sd"]))
    return None, None


def exceeds_variability(m1: float | None, sd1: float | None, n1: int, m2: float | None, sd2: float | None, n2: int,
                        k: float = CHANGE_SE) -> bool:
    """Is ``|m2 - m1|`` larger than ``k`` standard errors of the difference?

    The standard error comes from the between-step SDs:
    ``sqrt(sd1**2 / n1 + sd2**2 / n2)``. False when it cannot be judged
    (a mean or SD missing, fewer than two steps).

    Examples
    --------
    >>> exceeds_variability(250.0, 10.0, 30, 262.0, 10.0, 30)
    True
    >>> exceeds_variability(250.0, 10.0, 30, 254.0, 10.0, 30)
    False
    """
    if None in (m1, m2, sd1, sd2) or n1 < 2 or n2 < 2:
        return False
    se = math.sqrt(sd1**2 / n1 + sd2**2 / n2)  # type: ignore[operator]
    return abs(m2 - m1) > k * se  # type: ignore[operator]


def proportion_exceeds(p1: float, n1: int, p2: float, n2: int, k: float = CHANGE_SE) -> bool:
    """The change rule for shares (e.g. of steps on a toe-off route): ``|p2 - p1| > k * SE``.

    Examples
    --------
    >>> proportion_exceeds(1.0, 30, 0.0, 30)
    True
    >>> proportion_exceeds(0.5, 10, 0.6, 10)
    False
    """
    if n1 < 1 or n2 < 1:
        return False
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return abs(p2 - p1) > k * se


def symmetry_angle(left: float, right: float) -> float:
    """Symmetry angle (Zifchock 2008) in %, NaN unless both values are positive (science.md 7.2)."""
    from insole.analysis import symmetry_angle_pct

    return symmetry_angle_pct(left, right)


def step_counts(summary: Mapping[str, Any], key: str) -> dict[str, int]:
    """Steps per category of a categorical metric (``strike_pattern``, ``toe_off_route``), unmeasured left out."""
    counts = summary.get(f"{key}_counts") or {}
    return {str(k): int(v) for k, v in counts.items() if k not in (None, "None", "not measured")}


def _shares(counts: Mapping[str, int], order: Sequence[str], term: str | None) -> Shares:
    n = sum(counts.values())
    items = [((Term(f"{term}.{k}") if term else k), 100.0 * counts[k] / n) for k in order if counts.get(k)]
    return Shares(tuple(items))


def step_shares(summary: Mapping[str, Any], key: str, order: Sequence[str], term: str) -> Shares:
    """The distribution of a categorical metric in % of steps, labelled with ``<term>.<category>`` messages."""
    return _shares(step_counts(summary, key), order, term)


def _feet_summaries(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f: fd.get("summary") or {} for f, fd in (data.get("feet") or {}).items() if f in FEET}


def _n(summary: Mapping[str, Any]) -> int:
    return int(summary.get("n_steps") or 0)


def _other(foot: str) -> str:
    return "right" if foot == "left" else "left"


def _both(values: Mapping[str, Any], digits: int, scale: float = 1.0) -> dict[str, Num]:
    return {f: Num(None if values.get(f) is None else scale * values[f], digits) for f in FEET}


def is_gait(data: Mapping[str, Any]) -> bool:
    """True for walking or running recordings (by task, or by the detected gait mode when the task is unknown)."""
    task = data.get("task") or "unknown"
    return task in GAIT_TASKS or (task == "unknown" and data.get("gait_mode") in ("walk", "run", "mixed"))


def is_run(data: Mapping[str, Any]) -> bool:
    """True for running recordings."""
    return data.get("task") == "run" or (data.get("task") in (None, "unknown") and data.get("gait_mode") == "run")


# ----------------------------------------------------------------------------- safety
def _red_flags(metadata: Any) -> list[Finding]:
    flags = dict(getattr(metadata, "red_flags", None) or {})
    comparison = Msg("comparison.safety_rule")
    out = [Finding("safety", Msg("finding.red_flag", {"flag": Term(f"red_flag.{flag}")}), comparison, "E3",
                   (Msg("caveat.safety"),), clinician_first=True)
           for flag in RED_FLAGS if flags.get(flag) is True]
    if not out and not any(flag in flags for flag in RED_FLAGS):
        out.append(Finding("safety", Msg("finding.red_flags_unknown"), comparison, "E3", (Msg("caveat.safety"),)))
    return out


# ----------------------------------------------------------------------------- gait
def too_short(data: Mapping[str, Any]) -> Finding | None:
    """The "too short to judge" statement, or None when every foot has enough usable steps."""
    summaries = _feet_summaries(data)
    steps = {f: _n(summaries[f]) if f in summaries else None for f in FEET}
    present = [n for n in steps.values() if n is not None]
    if present and min(present) >= MIN_STEPS:
        return None
    limits = {"min": MIN_STEPS, "recommended": RECOMMENDED_STEPS}
    if len(present) == 1:
        foot = next(f for f in FEET if steps[f] is not None)
        text = Msg("finding.too_short_one_foot", {"foot": Term(f"foot_name.{foot}"), "n": steps[foot], **limits})
    else:
        text = Msg("finding.too_short", {**{f: (0 if steps[f] is None else steps[f]) for f in FEET}, **limits})
    return Finding("quality", text, Msg("comparison.min_steps", limits), "E2", (Msg("caveat.too_short"),), ("melvin2014",))


def _strike(data: Mapping[str, Any], summaries: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    dists = {f: _shares(step_counts(s, "strike_pattern"), ("RFS", "MFS", "FFS"), "strike") for f, s in summaries.items()}
    si = {f: _stat(s, "strike_index_pct")[0] for f, s in summaries.items()}
    if not any(d.items for d in dists.values()):
        return []
    caveats = [Msg("caveat.strike")]
    layouts = {str((data.get("feet") or {}).get(f, {}).get("layout", "")) for f in summaries}
    if any(name.startswith(("gaitpdb", "loadsol")) for name in layouts):
        caveats.append(Msg("caveat.strike_sparse"))
    params = {**{f: dists.get(f, Shares(())) for f in FEET}, **{f"si_{f}": Num(si.get(f), 0) for f in FEET}}
    return [Finding("strike", Msg("finding.strike", params), Msg("comparison.strike_cutoffs"), "E2", tuple(caveats),
                    ("cavanagh1980", "breine2014", "forrester2015", "hata2025"))]


def _temporal(data: Mapping[str, Any], summaries: Mapping[str, Mapping[str, Any]], metadata: Any) -> list[Finding]:
    ct = {f: _stat(s, "contact_time_s")[0] for f, s in summaries.items()}
    stance = {f: _stat(s, "stance_pct")[0] for f, s in summaries.items()}
    cad = [c for c in (_stat(s, "cadence_spm")[0] for s in summaries.values()) if c is not None]
    params: dict[str, Any] = {**{f"ct_{f}": Num(None if ct.get(f) is None else 1000.0 * ct[f], 0) for f in FEET},
                              **{f"stance_{f}": Num(stance.get(f), 0) for f in FEET},
                              "cadence": Num(float(np.mean(cad)) if cad else None, 0)}
    fs = float(data.get("sampling_rate_hz") or float("nan"))
    speed = getattr(metadata, "speed_m_s", None)
    if is_run(data):
        caveats = [Msg("caveat.temporal_run")]
        if not fs >= 200.0:
            caveats.append(Msg("caveat.contact_time_rate", {"fs": Num(fs, 0)}))
        if speed:
            params.update(speed=Num(speed, 1), pace=_pace(speed))
            text = Msg("finding.temporal_run_speed", params)
        else:
            text = Msg("finding.temporal_run", params)
        return [Finding("temporal", text, Msg("comparison.own_history_speed"), "E2", tuple(caveats), ("hayes2012",))]
    if speed:
        params["speed"] = Num(speed, 2)
        text = Msg("finding.temporal_walk_speed", params)
    else:
        text = Msg("finding.temporal_walk", params)
    return [Finding("temporal", text, Msg("comparison.walking_ranges"), "E3", (Msg("caveat.temporal_walk"),), ("perry2010",))]


def _pace(speed_m_s: float) -> str:
    """Running pace as ``m:ss`` per km."""
    sec = round(1000.0 / speed_m_s)
    return f"{sec // 60}:{sec % 60:02d}"


def _symmetry(data: Mapping[str, Any], summaries: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    out = []
    sym = data.get("symmetry") or {}
    for key, message, scale, digits in (("contact_time_s", "finding.symmetry_contact", 1000.0, 0),
                                        ("peak_force_bw", "finding.symmetry_force", 1.0, 2)):
        s = sym.get(key)
        if not s or s.get("symmetry_angle_pct") is None or not math.isfinite(s["symmetry_angle_pct"]):
            continue
        sa = float(s["symmetry_angle_pct"])
        beyond = exceeds_variability(s["left_mean"], s["left_sd"], _n(summaries.get("left", {})),
                                     s["right_mean"], s["right_sd"], _n(summaries.get("right", {})))
        notable, marked = beyond and abs(sa) > SA_NOTABLE, beyond and abs(sa) > SA_MARKED
        params = {"sa": Num(abs(sa), 1), "left": Num(scale * s["left_mean"], digits), "right": Num(scale * s["right_mean"], digits),
                  "variability": Term("symmetry.beyond" if beyond else "symmetry.within"),
                  "flag": Term("symmetry.marked" if marked else ("symmetry.notable" if notable else "symmetry.none"))}
        caveats = (Msg("caveat.symmetry"), Msg("caveat.clinician_marked")) if marked else (Msg("caveat.symmetry"),)
        out.append(Finding("symmetry", Msg(message, params), Msg("comparison.symmetry_flags", {"notable": Num(SA_NOTABLE, 0), "marked": Num(SA_MARKED, 0)}),
                           "H", caveats, ("zifchock2008", "sadeghi2000", "riskowski2012"),
                           rule="asymmetry" if notable else None, clinician_first=marked))
    return out


def _medial_share(lmfi: float | None) -> float | None:
    """Share of the load medial of the foot axis, %, from the LMFI ``(lat - med) / (lat + med)``."""
    return None if lmfi is None else 50.0 * (1.0 - lmfi)


def _ml(summaries: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    lmfi = {f: _stat(s, "lmfi_mean") for f, s in summaries.items()}
    if not any(m is not None for m, _ in lmfi.values()):
        return []
    shares = {f: _medial_share(lmfi[f][0]) if f in lmfi else None for f in FEET}
    pronation = (Msg("caveat.pronation"),)
    refs = ("buldt2018", "buldt2013", "nielsen2014")
    out = [Finding("ml", Msg("finding.ml_share", _both(shares, 0)), Msg("comparison.ml_share"), "E2", pronation, refs)]
    if all(f in lmfi and lmfi[f][0] is not None for f in FEET):
        (ml_, sl), (mr, sr) = lmfi["left"], lmfi["right"]
        diff = mr - ml_  # + : the left foot is more medial (lower LMFI)
        if abs(diff) >= LMFI_SHIFT and exceeds_variability(ml_, sl, _n(summaries["left"]), mr, sr, _n(summaries["right"])):
            foot = "left" if diff > 0 else "right"
            params = {"foot": Term(f"foot_adj.{foot}"), "other": Term(f"foot_adj.{_other(foot)}"),
                      "share": Num(shares[foot], 0), "share_other": Num(shares[_other(foot)], 0), "diff": Num(abs(diff), 2)}
            out.append(Finding("ml", Msg("finding.ml_other_foot", params),
                               Msg("comparison.ml_rule_other_foot", {"shift": Num(LMFI_SHIFT, 2), "k": Num(CHANGE_SE, 0)}),
                               "H", (*pronation, Msg("caveat.medial_common")), refs, rule="medial_loading", foot=foot))
    return out


def _cpei(summaries: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    cpei = {f: _stat(s, "cpei_pct")[0] for f, s in summaries.items()}
    if not any(v is not None for v in cpei.values()):
        return []
    return [Finding("cpei", Msg("finding.cpei", _both(cpei, 1)), Msg("comparison.cpei"), "H", (Msg("caveat.cpei"),),
                    ("song1996", "buldt2018"))]


def _hallux(data: Mapping[str, Any], summaries: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    out: list[Finding] = []
    insufficient = {f for f, s in summaries.items() if s.get("insufficient_toe_data")}
    toe_caveat = Msg("caveat.toe_route")
    route_refs = ("bojsenmoller1979", "zammit2008", "galica2013")
    for foot in sorted(insufficient):
        out.append(Finding("hallux", Msg("finding.toe_insufficient", {"foot": Term(f"foot_name.{foot}")}), Msg("comparison.toe_data_rule"),
                           "H", (Msg("caveat.toe_data"),), foot=foot))
    routes = {f: step_counts(s, "toe_off_route") for f, s in summaries.items() if f not in insufficient}
    if any(routes.values()):
        dists = {f: _shares(routes.get(f, {}), ("first-ray", "central", "lateral"), "route") for f in FEET}
        out.append(Finding("hallux", Msg("finding.toe_off", dists), Msg("comparison.route_rule"), "H", (toe_caveat,), route_refs))
        for foot, counts in routes.items():
            n = sum(counts.values())
            share = counts.get("lateral", 0) / n if n else 0.0
            if n and share >= ROUTE_SHARE:
                out.append(Finding("hallux", Msg("finding.toe_off_lateral", {"foot": Term(f"foot_name.{foot}"), "share": Num(100 * share, 0), "n": n}),
                                   Msg("comparison.route_half", {"share": Num(100 * ROUTE_SHARE, 0)}), "H", (toe_caveat,), route_refs,
                                   rule="toe_off", foot=foot))
    elif not insufficient and summaries and all(s.get("toe_off_route_counts", {}).get("not measured") for s in summaries.values()):
        out.append(Finding("hallux", Msg("finding.toe_not_measured"), Msg("comparison.toe_data_rule"), "H", (Msg("caveat.toe_data"),)))
    share = {f: _stat(s, "hallux_fti_share") for f, s in summaries.items() if f not in insufficient}
    contact = {f: _stat(s, "hallux_contact_pct")[0] for f, s in summaries.items() if f not in insufficient}
    if any(m is not None for m, _ in share.values()):
        params = {**{f: Num(None if share.get(f, (None,))[0] is None else 100 * share[f][0], 1) for f in FEET},
                  **{f"contact_{f}": Num(contact.get(f), 0) for f in FEET}}
        out.append(Finding("hallux", Msg("finding.hallux", params), Msg("comparison.other_foot"), "E3", (toe_caveat,), route_refs))
    if all(f in share and share[f][0] is not None for f in FEET):
        (ml_, sl), (mr, sr) = share["left"], share["right"]
        sa = symmetry_angle(ml_, mr)
        if math.isfinite(sa) and abs(sa) > SA_NOTABLE and exceeds_variability(ml_, sl, _n(summaries["left"]), mr, sr, _n(summaries["right"])):
            foot = "left" if ml_ < mr else "right"
            params = {"foot": Term(f"foot_adj.{foot}"), "other": Term(f"foot_adj.{_other(foot)}"), "value": Num(100 * min(ml_, mr), 1),
                      "value_other": Num(100 * max(ml_, mr), 1), "sa": Num(abs(sa), 1)}
            out.append(Finding("hallux", Msg("finding.hallux_low", params),
                               Msg("comparison.other_foot_sa", {"notable": Num(SA_NOTABLE, 0), "k": Num(CHANGE_SE, 0)}), "H",
                               (toe_caveat,), route_refs, rule="toe_off", foot=foot))
    return out


def _loading_rate(data: Mapping[str, Any], summaries: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    fs = float(data.get("sampling_rate_hz") or float("nan"))
    valr = {f: _stat(s, "valr_bw_s")[0] for f, s in summaries.items()}
    caveats = [Msg("caveat.loading_rate")]
    if not any(v is not None for v in valr.values()):
        if not is_run(data):
            return []
        return [Finding("loading_rate", Msg("finding.loading_rate_unavailable", {"fs": Num(fs, 0)}), Msg("comparison.loading_rate_rate"),
                        "E3", tuple(caveats), ("blackmore2016",))]
    if fs < 500.0:
        caveats.append(Msg("caveat.loading_rate_low_res", {"fs": Num(fs, 0)}))
    methods: dict[str, int] = {}
    for s in summaries.values():
        for k, v in step_counts(s, "loading_rate_method").items():
            methods[k] = methods.get(k, 0) + v
    if any("surrogate" in k for k in methods):
        caveats.append(Msg("caveat.loading_rate_surrogate"))
    return [Finding("loading_rate", Msg("finding.loading_rate", _both(valr, 0)), Msg("comparison.loading_rate_relative"), "E3",
                    tuple(caveats), ("blackmore2016", "davis2016"))]


def _static(data: Mapping[str, Any]) -> list[Finding]:
    st = data.get("static")
    if not st:
        return []
    left = st.get("left_share_pct")
    params = {"left": Num(left, 0), "right": Num(None if left is None else 100.0 - left, 0),
              **{f"fore_{f}": Num((st.get(f) or {}).get("forefoot_share_pct"), 0) for f in FEET}}
    return [Finding("static", Msg("finding.static", params), Msg("comparison.static"), "H", (Msg("caveat.static"),))]


# ----------------------------------------------------------------------------- heel raise and balance
def _per_foot(tree: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """A ``/derived`` result as ``{foot: results}``, whether stored per foot or for one named foot."""
    if not tree:
        return {}
    per = {f: tree[f] for f in FEET if isinstance(tree.get(f), Mapping)}
    if per:
        return per
    foot = tree.get("foot")
    return {str(foot) if foot in FEET else "left": tree}


def _first(d: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def _as_count(v: Any) -> int | None:
    if v is None:
        return None
    arr = np.asarray(v)
    if arr.dtype == bool:
        return int(arr.sum())
    if arr.ndim == 0 and np.issubdtype(arr.dtype, np.number) and np.isfinite(arr):
        return int(arr)
    if arr.ndim == 1:
        return int(arr.size)
    return None


@dataclass(frozen=True)
class HeelRaise:
    """What the reports read from one foot's heel-raise result (any missing field is None).

    Parameters
    ----------
    valid_reps, assists : int or None
        Valid repetitions; repetitions with the other foot touching down.
    end_counts : dict
        End-position class -> repetitions (valid repetitions only).
    fatigue_drift : bool or None
        The end position drifted laterally over the repetitions.
    """

    valid_reps: int | None
    assists: int | None
    end_counts: dict[str, int]
    fatigue_drift: bool | None


#: End-position classes of the heel-raise test (insole.foot_tests) -> catalogue terms.
END_CLASS_TERMS: Final = {"hallux / first ray": "end_class.first_ray", "hallux/first ray": "end_class.first_ray",
                          "central": "end_class.central", "lateral drift": "end_class.lateral",
                          "not measured": "end_class.not_measured"}
#: Why a repetition was rejected (start of ``reject_reason``) -> catalogue terms.
REJECT_REASON_TERMS: Final = (("partial", "hr.reason.partial"), ("incomplete", "hr.reason.incomplete"),
                              ("top too short", "hr.reason.short"), ("unloaded", "hr.reason.unloaded"))
#: Values of ``fatigue_drift_status``.
DRIFT_STATUSES: Final = ("yes", "no", "too few repetitions", "not measured")


def read_heel_raise(tree: Mapping[str, Any] | None) -> dict[str, HeelRaise]:
    """Defensively read a ``/derived/heel_raise`` tree (per foot, or one foot named by ``foot``).

    Understood keys: ``n_valid_reps`` / ``valid_reps`` / ``valid`` (a boolean per repetition),
    ``assists`` / ``n_assists`` / ``assist_s``, ``end_class`` (a class per repetition) or
    ``end_class_counts`` / ``end_position_counts``, ``fatigue_drift``.
    """
    out = {}
    for foot, d in _per_foot(tree).items():
        valid_mask = d.get("valid")
        valid = _as_count(_first(d, "n_valid_reps", "valid_reps"))
        if valid is None:
            valid = _as_count(valid_mask)
        counts_tree = _first(d, "end_class_counts", "end_position_counts")
        if isinstance(counts_tree, Mapping):
            end_counts = {str(k): int(v) for k, v in counts_tree.items()}
        else:
            classes = np.asarray(d.get("end_class", []), dtype=str).ravel()
            mask = np.asarray(valid_mask, bool).ravel() if valid_mask is not None and np.size(valid_mask) == classes.size else np.ones(classes.size, bool)
            end_counts = {}
            for c in classes[mask]:
                end_counts[str(c)] = end_counts.get(str(c), 0) + 1
        drift = d.get("fatigue_drift")
        out[foot] = HeelRaise(valid, _as_count(_first(d, "n_assists", "assists", "assist_s")), end_counts,
                              None if drift is None else bool(np.asarray(drift).any()))
    return out


def _heel_raise(tree: Mapping[str, Any] | None) -> list[Finding]:
    results = read_heel_raise(tree)
    if not results:
        return []
    out = []
    norm = Msg("comparison.heel_raise_norm", {"reps": HEEL_RAISE_REPS})
    refs = ("hebertlosier2017", "lunsford1995")
    for foot, hr in results.items():
        ft = Term(f"foot_name.{foot}")
        if hr.valid_reps is not None:
            low = hr.valid_reps < HEEL_RAISE_REPS
            out.append(Finding("heel_raise", Msg("finding.heel_raise_reps", {"foot": ft, "valid": hr.valid_reps, "assists": hr.assists if hr.assists is not None else "–"}),
                               norm, "E1", (Msg("caveat.heel_raise_low" if low else "caveat.heel_raise_ten"),), refs,
                               rule="heel_raise_count" if low else None, foot=foot))
        n = sum(hr.end_counts.values())
        if n:
            lateral = sum(v for k, v in hr.end_counts.items() if "lateral" in k) / n
            items = tuple((Term(END_CLASS_TERMS[k]) if k in END_CLASS_TERMS else k, 100.0 * v / n)
                          for k, v in sorted(hr.end_counts.items(), key=lambda kv: -kv[1]))
            out.append(Finding("heel_raise", Msg("finding.heel_raise_end", {"foot": ft, "dist": Shares(items), "n": n}),
                               Msg("comparison.heel_raise_end_rule", {"share": Num(100 * LATERAL_DRIFT_SHARE, 0)}), "H",
                               (Msg("caveat.heel_raise_classes"),), ("houck2009",),
                               rule="heel_raise_end" if lateral >= LATERAL_DRIFT_SHARE else None, foot=foot))
        if hr.fatigue_drift:
            out.append(Finding("heel_raise", Msg("finding.heel_raise_fatigue", {"foot": ft}), Msg("comparison.heel_raise_fatigue_rule"), "H",
                               (Msg("caveat.heel_raise_classes"),), ("houck2009",), rule="heel_raise_end", foot=foot))
    if all(f in results and results[f].valid_reps is not None for f in FEET):
        from insole.analysis import (
            count_symmetry_angle_pct,  # 0 valid reps on one side is the most marked case
        )

        sa = count_symmetry_angle_pct(float(results["left"].valid_reps), float(results["right"].valid_reps))  # type: ignore[arg-type]
        if math.isfinite(sa) and abs(sa) > SA_NOTABLE:
            marked = abs(sa) > SA_MARKED
            out.append(Finding("heel_raise", Msg("finding.heel_raise_symmetry", {"sa": Num(abs(sa), 1)}),
                               Msg("comparison.symmetry_flags", {"notable": Num(SA_NOTABLE, 0), "marked": Num(SA_MARKED, 0)}), "H",
                               (Msg("caveat.clinician_marked"),) if marked else (), ("zifchock2008",), rule="heel_raise_count",
                               clinician_first=marked))
    return out


def _balance(tree: Mapping[str, Any] | None) -> list[Finding]:
    results = _per_foot(tree)
    if not results:
        return []
    out = []
    refs = ("mckeon2008", "hertel2002")
    caveat = (Msg("caveat.balance"),)
    for foot, d in results.items():
        touch = _as_count(_first(d, "n_touchdowns", "touchdowns", "touchdown_s"))
        if touch:
            out.append(Finding("balance", Msg("finding.balance_touchdowns", {"foot": Term(f"foot_name.{foot}"), "n": touch}),
                               Msg("comparison.balance_touchdown_rule"), "H", caveat, refs, rule="balance", foot=foot))
    for key, message in (("cop_ml_range_mm", "finding.balance_ml_range"), ("cop_ml_velocity_mm_s", "finding.balance_ml_velocity")):
        vals = {f: results[f].get(key) for f in FEET if f in results}
        if len(vals) == 2 and all(isinstance(v, (int, float, np.floating)) and v > 0 for v in vals.values()):
            sa = symmetry_angle(float(vals["left"]), float(vals["right"]))
            worse = "left" if vals["left"] > vals["right"] else "right"
            params = {"left": Num(float(vals["left"]), 1), "right": Num(float(vals["right"]), 1), "sa": Num(abs(sa), 1)}
            out.append(Finding("balance", Msg(message, params),
                               Msg("comparison.other_foot_sa_only", {"notable": Num(SA_NOTABLE, 0)}), "H", caveat, refs,
                               rule="balance" if abs(sa) > SA_NOTABLE else None, foot=worse))
    return out


# ----------------------------------------------------------------------------- baseline
def _against_baseline(summaries: Mapping[str, Mapping[str, Any]], baseline: Mapping[str, Any]) -> list[Finding]:
    """Medially directed shifts against the same person's earlier session (science.md 9.2, row 4)."""
    out = []
    before = _feet_summaries(baseline)
    pronation = (Msg("caveat.pronation"), Msg("caveat.medial_common"))
    refs = ("buldt2018", "nielsen2014")
    for foot in FEET:
        if foot not in summaries or foot not in before:
            continue
        n1, n2 = _n(before[foot]), _n(summaries[foot])
        if n1 < MIN_STEPS or n2 < MIN_STEPS:
            continue
        (m1, s1), (m2, s2) = _stat(before[foot], "lmfi_mean"), _stat(summaries[foot], "lmfi_mean")
        if m1 is not None and m2 is not None and m1 - m2 >= LMFI_SHIFT and exceeds_variability(m1, s1, n1, m2, s2, n2):
            params = {"foot": Term(f"foot_adj.{foot}"), "before": Num(_medial_share(m1), 0), "after": Num(_medial_share(m2), 0)}
            out.append(Finding("ml", Msg("finding.ml_baseline", params),
                               Msg("comparison.ml_rule_baseline", {"shift": Num(LMFI_SHIFT, 2), "k": Num(CHANGE_SE, 0)}), "H",
                               pronation, refs, rule="medial_loading", foot=foot))
        (c1, cs1), (c2, cs2) = _stat(before[foot], "cpei_pct"), _stat(summaries[foot], "cpei_pct")
        if c1 is not None and c2 is not None and c1 - c2 >= CPEI_SHIFT and exceeds_variability(c1, cs1, n1, c2, cs2, n2):
            params = {"foot": Term(f"foot_adj.{foot}"), "before": Num(c1, 1), "after": Num(c2, 1)}
            out.append(Finding("cpei", Msg("finding.cpei_baseline", params),
                               Msg("comparison.cpei_rule_baseline", {"shift": Num(CPEI_SHIFT, 0), "k": Num(CHANGE_SE, 0)}), "H",
                               (Msg("caveat.cpei"), *pronation), ("song1996", "buldt2018", "nielsen2014"), rule="medial_loading", foot=foot))
    return out


# ----------------------------------------------------------------------------- entry point
def assess(data: Mapping[str, Any], *, metadata: Any = None, heel_raise: Mapping[str, Any] | None = None,
           balance: Mapping[str, Any] | None = None, baseline: Mapping[str, Any] | None = None) -> Assessment:
    """Findings and suggestions for one recording.

    Parameters
    ----------
    data : dict
        ``AnalysisResult.data`` of the recording.
    metadata : Metadata, optional
        Its metadata (red flags, speed).
    heel_raise, balance : dict, optional
        The ``/derived/heel_raise`` and ``/derived/balance`` trees when the file has them.
    baseline : dict, optional
        ``AnalysisResult.data`` of an earlier session of the same person, for
        within-person changes (``insole compare``, ``insole history``).

    Returns
    -------
    Assessment

    Examples
    --------
    >>> a = assess({"task": "walk", "feet": {"left": {"summary": {"n_steps": 4}}}})
    >>> [f.text.key for f in a.too_short], a.suggestions
    (['finding.too_short'], [])
    """
    out = Assessment()
    out.findings.extend(_red_flags(metadata))
    if is_gait(data):
        short = too_short(data)
        if short is not None:
            out.too_short.append(short)
        else:
            summaries = _feet_summaries(data)
            out.findings.extend(_strike(data, summaries))
            out.findings.extend(_temporal(data, summaries, metadata))
            out.findings.extend(_symmetry(data, summaries))
            out.findings.extend(_ml(summaries))
            out.findings.extend(_cpei(summaries))
            out.findings.extend(_hallux(data, summaries))
            out.findings.extend(_loading_rate(data, summaries))
            if baseline is not None and is_gait(baseline):
                out.findings.extend(_against_baseline(summaries, baseline))
    out.findings.extend(_static(data))
    out.findings.extend(_heel_raise(heel_raise))
    out.findings.extend(_balance(balance))
    return out


__all__ = [
    "EXERCISES",
    "MIN_STEPS",
    "RULES",
    "Assessment",
    "Finding",
    "HeelRaise",
    "Rule",
    "Suggestion",
    "assess",
    "exceeds_variability",
    "is_gait",
    "is_run",
    "proportion_exceeds",
    "read_heel_raise",
    "step_counts",
    "step_shares",
    "symmetry_angle",
    "too_short",
]
