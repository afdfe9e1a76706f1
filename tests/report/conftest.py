"""Simulated recordings shared by the report tests (made once per session, small and fast)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from insole.recording import Metadata
from insole.report import load_session
from insole.simulate import simulate

#: A subject id that must be shown as text, never run.
EVIL = "<script>alert(1)</script>"
#: Walk length giving 12 usable steps per foot on moticon-16 (enough to judge, quick to make).
WALK_S = 16.0


def _save(path, metadata=None, derived=None, **params):
    rec = simulate(**params)
    if metadata:
        rec.metadata = rec.metadata.replace(**metadata)
    if derived:
        rec.derived = derived
    rec.save(path, overwrite=True)
    return path


@pytest.fixture
def require_tool(request):
    """``tests/conftest.py``'s ``require_tool`` (skips without the tool, fails in CI)."""
    top = request.config.pluginmanager.get_plugin(str(Path(__file__).resolve().parents[1] / "conftest.py"))
    return top.require_tool


@pytest.fixture(scope="session")
def rec_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("report-recordings")


@pytest.fixture(scope="session")
def lateral_path(rec_dir):
    return _save(rec_dir / "lateral.h5", layout="moticon-16", task="walk", duration_s=WALK_S, toe_off_route="lateral", seed=2,
                 subject="s-01", metadata={"recorded_at": "2026-01-05T10:00:00"})


@pytest.fixture(scope="session")
def first_ray_path(rec_dir):
    return _save(rec_dir / "first_ray.h5", layout="moticon-16", task="walk", duration_s=WALK_S, toe_off_route="first-ray", seed=2,
                 subject="s-01", metadata={"recorded_at": "2026-03-02T10:00:00"})


@pytest.fixture(scope="session")
def lateral(lateral_path):
    return load_session(lateral_path)


@pytest.fixture(scope="session")
def first_ray(first_ray_path):
    return load_session(first_ray_path)


@pytest.fixture(scope="session")
def asymmetric(rec_dir):
    """First-ray walk whose right foot stays on the ground longer (contact-time symmetry angle ~11 %)."""
    return load_session(_save(rec_dir / "asym.h5", layout="moticon-16", task="walk", duration_s=WALK_S, toe_off_route="first-ray",
                              asymmetry=0.42, seed=3, subject="s-02"))


@pytest.fixture(scope="session")
def short_walk(rec_dir):
    return load_session(_save(rec_dir / "short.h5", layout="moticon-16", task="walk", duration_s=5.0, seed=4, subject="s-03"))


@pytest.fixture(scope="session")
def run_session(rec_dir):
    return load_session(_save(rec_dir / "run.h5", layout="moticon-16", task="run", duration_s=12.0, rate_hz=200.0, seed=5,
                              subject="s-04", metadata={"speed_m_s": 3.2}))


@pytest.fixture(scope="session")
def heel_raise(rec_dir):
    """A heel-raise test with a stored result: 8 valid repetitions, drifting to lateral."""
    classes = np.array(["hallux/first ray"] * 3 + ["central"] * 2 + ["lateral drift"] * 5)
    valid = np.array([True] * 8 + [False] * 2)
    derived = {"heel_raise": {"foot": "left", "n_valid_reps": 8, "valid": valid, "end_class": classes, "fatigue_drift": True,
                              "d_top": np.linspace(0.05, -0.15, 10)}}
    return load_session(_save(rec_dir / "heel_raise.h5", layout="moticon-16", task="heel-raise", reps=10, seed=6, subject="s-01",
                              derived=derived))


@pytest.fixture(scope="session")
def html_of():
    """``html_of(session, lang, audience)``: the rendered report, built once per combination."""
    from insole.report import build_report
    from insole.report.html import render_html

    cache: dict = {}

    def render(session, lang: str = "en", audience: str = "clinician") -> str:
        key = (id(session), lang, audience)
        if key not in cache:
            cache[key] = render_html(build_report([session], lang=lang, audience=audience))
        return cache[key]

    return render


@pytest.fixture(scope="session")
def evil_session(lateral_path, tmp_path_factory):
    """The lateral walk with hostile user strings in every field a report shows."""
    path = tmp_path_factory.mktemp("evil") / 'walk "<b>x&amp;.h5'
    shutil.copy(lateral_path, path)
    s = load_session(path)
    s.metadata = Metadata(subject_id=EVIL, task="walk", notes='"><img src=x onerror=alert(2)> $\\alpha$',
                          device="<iframe src=//evil.example>", footwear="<u>shoe</u>", recorded_at="<i>today</i>")
    return s


@pytest.fixture(scope="session")
def standing(rec_dir):
    """Quiet standing with 60 % of the load on the left foot."""
    return load_session(_save(rec_dir / "static.h5", layout="moticon-16", task="static", duration_s=5.0, static_left_share=0.6,
                              seed=7, subject="s-05"))
