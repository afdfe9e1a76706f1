"""Findings and exercise suggestions follow science.md section 9 (honest wording, triggers, safety)."""

from __future__ import annotations

import copy
import re

import pytest

from insole.recording import Metadata
from insole.report import Catalog, assess, build_report
from insole.report.findings import (
    EXERCISES,
    MIN_STEPS,
    RULES,
    exceeds_variability,
    proportion_exceeds,
    read_heel_raise,
)
from insole.report.html import render_html

EN = Catalog("en")


def _assess(session, **kw):
    return assess(session.data, metadata=session.metadata, heel_raise=session.derived.get("heel_raise"), **kw)


def _keys(assessment) -> list[str]:
    return [s.exercise for s in assessment.suggestions]


def _reasons(assessment, exercise):
    return {rule: fs for s in assessment.suggestions if s.exercise == exercise for rule, fs in s.reasons}


class TestToeOffRoutes:
    def test_lateral_route_suggests_push_off_training(self, lateral):
        a = _assess(lateral)
        assert _keys(a) == ["calf_raise", "two_toe_heel_raise", "short_foot"]  # the order of science.md 9.2, row 3
        for ex in _keys(a):
            reasons = _reasons(a, ex)
            assert set(reasons) == {"toe_off"}
            for f in reasons["toe_off"]:
                text = EN.render(f.text)
                n = lateral.data["feet"][f.foot]["summary"]["n_steps"]
                assert re.search(rf"outer \(lateral\) route in 100 % of {n} steps", text), text
                assert "at least 50 % of the steps" in EN.render(f.comparison)
                assert f.evidence == "H" and f.caveats

    def test_first_ray_route_alone_suggests_nothing(self, first_ray, html_of):
        a = _assess(first_ray)
        assert not a.too_short and a.suggestions == []
        html = html_of(first_ray)
        assert EN.text("exercise.none_triggered") in html

    def test_routes_lead_to_different_exercises_for_their_reasons(self, lateral, first_ray, asymmetric):
        lat = _assess(lateral)
        after = _assess(first_ray, baseline=lateral.data)  # the same person after moving to a first-ray push-off
        asym = _assess(asymmetric)
        assert set(_keys(after)) == {"short_foot", "single_leg_deadlift"}
        assert set(_reasons(after, "short_foot")) == {"medial_loading"}
        shift = next(f for f in after.findings if f.rule == "medial_loading" and f.text.key == "finding.ml_baseline")
        before_share = 50 * (1 - lateral.data["feet"][shift.foot]["summary"]["lmfi_mean"]["mean"])
        after_share = 50 * (1 - first_ray.data["feet"][shift.foot]["summary"]["lmfi_mean"]["mean"])
        assert f"{before_share:.0f} % on the inner side before, {after_share:.0f} % now" in EN.render(shift.text)
        assert "single_leg_deadlift" in _keys(asym) and set(_reasons(asym, "single_leg_deadlift")) == {"asymmetry"}
        sa = asymmetric.data["symmetry"]["contact_time_s"]["symmetry_angle_pct"]
        reason = _reasons(asym, "single_leg_deadlift")["asymmetry"][0]
        assert f"symmetry angle of {abs(sa):.1f} %" in EN.render(reason.text)
        assert set(_keys(lat)).isdisjoint(_keys(asym))

    def test_every_suggestion_names_value_comparison_evidence_caveat(self, lateral, first_ray):
        for a in (_assess(lateral), _assess(first_ray, baseline=lateral.data)):
            for s in a.suggestions:
                assert s.exercise in EXERCISES
                for rule, fs in s.reasons:
                    assert RULES[rule].refs and fs
                    for f in fs:
                        assert re.search(r"\d", EN.render(f.text)), "a reason must carry its measured value"
                        assert EN.render(f.comparison) and f.evidence in ("E1", "E2", "E3", "H") and f.caveats


class TestNotEnoughData:
    def test_too_short_says_so_and_suggests_nothing(self, short_walk, html_of):
        a = _assess(short_walk)
        assert a.too_short and a.suggestions == []
        assert all(f.topic == "safety" for f in a.findings)  # nothing interpreted
        html = html_of(short_walk)
        assert "too short to judge" in html and EN.text("exercise.none_too_short") in html
        assert 'class="card card-exercise"' not in html

    def test_one_foot_short_is_too_short(self, lateral):
        data = copy.deepcopy(lateral.data)
        data["feet"]["right"]["summary"]["n_steps"] = MIN_STEPS - 1
        assert assess(data).too_short and assess(data).suggestions == []


class TestSafety:
    def test_red_flag_sends_to_a_clinician_first(self, lateral):
        md = Metadata(subject_id="x", task="walk", red_flags={"pain": True, "diabetes_or_neuropathy": False})
        a = assess(lateral.data, metadata=md)
        assert [f.text.params["flag"].key for f in a.clinician_first] == ["red_flag.pain"]
        session = copy.copy(lateral)
        session.metadata = md
        html = render_html(build_report([session]))
        assert "See a clinician first." in html and EN.text("exercise.after_clinician") in html
        assert html.index("See a clinician first.") < html.index('class="card card-exercise"')

    def test_unanswered_red_flags_are_mentioned(self, lateral):
        a = assess(lateral.data, metadata=Metadata())
        assert any(f.text.key == "finding.red_flags_unknown" for f in a.findings) and not a.clinician_first

    def test_marked_one_sided_difference_sends_to_a_clinician(self, lateral):
        data = copy.deepcopy(lateral.data)
        sym = data["symmetry"]["contact_time_s"]
        sym.update(left_mean=0.60, right_mean=0.90, left_sd=0.01, right_sd=0.01, symmetry_angle_pct=-24.9)
        a = assess(data)
        assert any(f.topic == "symmetry" and f.clinician_first for f in a.findings)


class TestNeverTriggers:
    def test_strike_pattern_and_loading_rate_do_not_suggest(self, run_session):
        data = copy.deepcopy(run_session.data)
        for foot in ("left", "right"):
            data["feet"][foot]["summary"]["strike_pattern_counts"] = {"FFS": 20}
            data["feet"][foot]["summary"]["valr_bw_s"] = {"mean": 300.0 if foot == "left" else 60.0, "sd": 5.0, "median": 300.0}
        a = assess(data)
        topics = {f.topic: f for f in a.findings}
        assert "strike" in topics and "loading_rate" in topics
        assert topics["strike"].rule is None and topics["loading_rate"].rule is None

    def test_runner_cues_report_speed_and_low_resolution(self, run_session):
        a = _assess(run_session)
        temporal = next(f for f in a.findings if f.topic == "temporal")
        assert "At 3.2 m/s (5:12 min/km)" in EN.render(temporal.text)
        lr = next(f for f in a.findings if f.topic == "loading_rate")
        assert any("low resolution" in EN.render(c) for c in lr.caveats)

    def test_wording_describes_load_never_a_diagnosis(self, lateral, run_session, html_of):
        for s, audience in ((lateral, "clinician"), (run_session, "runner")):
            for lang in ("en", "nl"):
                html = html_of(s, lang, audience).lower()
                assert not re.search(r"you (over-?pronate|supinate)|u (over)?proneert", html)
                assert "toward the inner border" in html or "naar de binnenrand" in html


class TestHeelRaise:
    def test_stored_results_trigger_calf_and_two_toe_raises(self, heel_raise, html_of):
        results = read_heel_raise(heel_raise.derived["heel_raise"])
        assert results["left"].valid_reps == 8 and results["left"].fatigue_drift
        assert results["left"].end_counts == {"hallux/first ray": 3, "central": 2, "lateral drift": 3}
        a = _assess(heel_raise)
        assert set(_keys(a)) == {"calf_raise", "two_toe_heel_raise"}
        assert set(_reasons(a, "calf_raise")) == {"heel_raise_count", "heel_raise_end"}
        html = html_of(heel_raise)
        assert "Left foot: 8 valid heel raises" in html and "Heel-raise test, Left foot" in html
        assert "8 / 10" in html and "lateral drift 38 %" in html  # the summary table
        nl = html_of(heel_raise, "nl")
        assert "uitwijken naar buiten 38 %" in nl and "lateral drift" not in nl  # classes translated

    def test_repetitions_and_balance_get_their_own_tables(self, tmp_path):
        from insole.foot_tests import analyze_balance, analyze_heel_raise, write_derived
        from insole.report import build_report
        from insole.report.html import render_html
        from insole.report.session import load_session
        from insole.simulate import simulate

        hr = simulate(tmp_path / "hr.h5", layout="moticon-16", task="heel-raise", reps=6, partial_reps=1, rate_hz=50.0, seed=3)
        write_derived(hr, "heel_raise", "left", analyze_heel_raise(hr, "left").to_tree())
        bal = simulate(tmp_path / "bal.h5", layout="moticon-16", task="balance", duration_s=12.0, rate_hz=50.0, seed=3)
        write_derived(bal, "balance", "left", analyze_balance(bal, "left").to_tree())
        for lang, words in (("en", ("Repetitions, Left foot", "rejected (partial: the heel stayed on the ground)",
                                    "Side-to-side range of the centre of pressure")),
                            ("nl", ("Herhalingen, Linkervoet", "afgekeurd (half", "Zijwaartse uitslag van het drukpunt"))):
            html = render_html(build_report([load_session(hr), load_session(bal)], lang=lang, audience="clinician"))
            for w in words:
                assert w in html, (lang, w)

    def test_other_layouts_of_results_are_read(self):
        per_foot = {"left": {"valid_reps": 12, "end_position_counts": {"lateral drift": 2, "central": 10}},
                    "right": {"valid": [True] * 5 + [False]}}
        r = read_heel_raise(per_foot)
        assert r["left"].valid_reps == 12 and r["left"].end_counts["central"] == 10 and r["right"].valid_reps == 5
        a = assess({"task": "heel-raise"}, heel_raise=per_foot)
        assert any(f.clinician_first for f in a.findings)  # 12 vs 5 reps: symmetry angle above 20 %
        assert read_heel_raise(None) == {} and read_heel_raise({}) == {}


@pytest.mark.parametrize(("m2", "expected"), [(262.0, True), (254.0, False)])
def test_change_rule(m2, expected):
    assert exceeds_variability(250.0, 10.0, 30, m2, 10.0, 30) is expected
    assert exceeds_variability(250.0, None, 30, m2, 10.0, 30) is False


def test_proportion_rule():
    assert proportion_exceeds(1.0, 30, 0.0, 30) and not proportion_exceeds(0.5, 10, 0.6, 10)


def test_standing_split_is_described_not_judged(standing):
    a = _assess(standing)
    static = [f for f in a.findings if f.topic == "static"]
    assert len(static) == 1 and static[0].rule is None and a.suggestions == [] and not a.too_short
    left = standing.data["static"]["left_share_pct"]
    assert 55 < left < 65 and f"Standing: {left:.0f} % of the load on the left foot" in EN.render(static[0].text)


def test_zero_valid_heel_raises_on_one_foot_is_a_marked_asymmetry():
    a = assess({"task": "heel-raise"}, heel_raise={"left": {"n_valid_reps": 10}, "right": {"n_valid_reps": 0}})
    assert any(f.topic == "heel_raise" and f.clinician_first for f in a.findings)
