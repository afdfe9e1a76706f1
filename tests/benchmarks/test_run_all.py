"""benchmarks/run_all.py: the whole suite writes SUITE.md and suite.json; failures are recorded, not fatal.

No timing is asserted anywhere: the figures are for people to read.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN_ALL = REPO / "benchmarks" / "run_all.py"
#: What issue 9 asks the suite to cover, one section each.
EXPECTED = ("protocol", "frame_features", "step_kernels", "analysis", "simulate", "recorder", "batch")
STATUSES = {"ok", "failed", "not available"}


def _strict_json(text: str) -> dict:
    def reject(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=reject)


def _load_run_all(monkeypatch):
    spec = importlib.util.spec_from_file_location("run_all_under_test", RUN_ALL)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    monkeypatch.syspath_prepend(str(RUN_ALL.parent))  # for its `from _harness import ...`
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quick_suite_writes_every_section(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, str(RUN_ALL), "--quick", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    md_path, json_path = out / "SUITE.md", out / "suite.json"
    assert md_path.is_file(), proc.stdout + proc.stderr
    assert json_path.is_file(), proc.stdout + proc.stderr
    md = md_path.read_text()
    suite = _strict_json(json_path.read_text())

    assert [s["name"] for s in suite["steps"]] == list(EXPECTED)
    for name in EXPECTED:
        assert f"\n## {name}: " in md, name
    assert "## Summary" in md
    facts = suite["facts"]
    for key in ("cpu", "cores", "python", "numpy", "backend", "git_commit"):
        assert facts[key] not in (None, ""), key
    assert facts["threads"]["kernel_threads"] >= 1
    assert "OMP_NUM_THREADS" in facts["threads"]
    assert f"{facts['threads']['kernel_threads']} kernel threads" in md
    assert suite["mode"] == "quick"

    for step in suite["steps"]:
        assert step["status"] in STATUSES, step
        if step["status"] == "not available":
            assert step["reason"]
            continue
        assert step["command"].startswith(f"python benchmarks/bench_{step['name']}.py"), step["command"]
        assert f"Command: `{step['command']}`" in md
        assert step["elapsed_s"] is not None and step["load_after"] is not None
        if step["status"] == "ok":
            assert step["result"]["rows"], step["name"]
            # the benchmark's own JSON is beside the suite's, and is the table's source
            assert (out / f"suite_{step['name']}.json").is_file()
        else:
            assert step["reason"]
    # the exit code says whether something failed
    assert (proc.returncode != 0) == bool(suite["failed"]), proc.stdout + proc.stderr


def test_a_failing_or_missing_benchmark_is_recorded_and_the_suite_goes_on(tmp_path, monkeypatch):
    run_all = _load_run_all(monkeypatch)
    good = tmp_path / "bench_good.py"
    good.write_text(textwrap.dedent("""
        import json, sys
        path = sys.argv[sys.argv.index("--json") + 1]
        rows = [{"case": "a", "x real time": 12.5, "peak MB": float("nan")}]
        print("### good\\n\\nmachine: test; command: `x`\\n\\nnotes about the good one\\n\\n| case |\\n|---|\\n| a |")
        json.dump({"title": "good", "machine": {"cpu": "test", "kernel_threads": 1}, "rows": rows}, open(path, "w"))
    """))
    bad = tmp_path / "bench_bad.py"
    bad.write_text("import sys\nprint('line one', file=sys.stderr)\nsys.exit('it broke: out of cheese')\n")
    monkeypatch.setattr(run_all, "BENCHES", (
        run_all.Bench("bad", "a failing one", str(bad)),
        run_all.Bench("gone", "a missing one", str(tmp_path / "bench_gone.py"), why_missing="not written yet"),
        run_all.Bench("good", "a working one", str(good), full=("--flag",)),
    ))
    out = tmp_path / "out"
    assert run_all.main(["--out", str(out)]) == 1

    suite = _strict_json((out / "suite.json").read_text())
    bad_s, gone_s, good_s = suite["steps"]
    assert bad_s["status"] == "failed" and bad_s["returncode"] == 1
    assert "out of cheese" in bad_s["stderr_tail"]
    assert gone_s["status"] == "not available" and gone_s["reason"] == "not written yet"
    assert good_s["status"] == "ok"
    assert good_s["result"]["rows"][0]["peak MB"] is None  # NaN -> null: strict JSON
    assert good_s["command"].endswith(f"--flag --json {out / 'suite_good.json'}")
    assert suite["failed"] == ["bad"] and suite["not_available"] == ["gone"]

    md = (out / "SUITE.md").read_text()
    assert "out of cheese" in md
    assert "notes about the good one" in md
    assert "| a | 12.5 | nan |" in md
    assert "not written yet" in md
