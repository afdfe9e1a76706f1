"""insole batch: inputs, hashing, the per-recording task, the cache, and Dask runs (local and by scheduler)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from insole.batch import (
    ROW_VERSION,
    ResultCache,
    cache_dir_for,
    content_key,
    expand_inputs,
    file_sha256,
    process_recording,
    run_batch,
)
from insole.cli import main
from insole.exceptions import InsoleError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def walks(tmp_path_factory) -> Path:
    """Three short simulated walks, one damaged recording, and a file no format knows."""
    from insole.simulate import simulate

    d = tmp_path_factory.mktemp("walks")
    for seed in (1, 2, 3):
        simulate(d / f"walk{seed}.h5", layout="moticon-16", task="walk", duration_s=12, seed=seed, compression=None)
    (d / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 200)  # an HDF5 signature, nothing behind it
    (d / "notes.txt").write_text("not a recording\n")
    return d


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# ---- inputs and hashing -------------------------------------------------------------------------


def test_folders_globs_and_left_right_pairs(walks, tmp_path):
    items = expand_inputs([walks])
    assert [Path(i.name).name for i in items] == ["broken.h5", "walk1.h5", "walk2.h5", "walk3.h5"]  # notes.txt: unknown
    assert {i.format for i in items} == {"native"}
    assert [Path(i.name).name for i in expand_inputs([str(walks / "walk[12].h5")])] == ["walk1.h5", "walk2.h5"]
    named = expand_inputs([walks / "notes.txt", walks / "walk1.h5", str(walks / "*.h5")])
    assert [Path(i.name).name for i in named] == ["broken.h5", "notes.txt", "walk1.h5", "walk2.h5", "walk3.h5"]
    assert named[1].format is None  # a file given by name is kept (and reported) even when no format knows it
    fscan = tmp_path / "fscan"
    shutil.copytree(REPO / "recordings" / "fscan", fscan)
    (item,) = expand_inputs([fscan])
    assert item.format == "fscan" and [Path(p).name for p in item.paths] == ["FrasP01L.asf", "FrasP01R.asf"]
    with pytest.raises(InsoleError, match="no recordings matched"):
        expand_inputs([str(tmp_path / "*.nothing")])
    with pytest.raises(InsoleError, match="does not exist"):
        expand_inputs([tmp_path / "missing.h5"])


def test_content_hash_is_sha256_of_the_bytes(walks, tmp_path):
    path = walks / "walk1.h5"
    assert file_sha256(path, block_bytes=4096) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert content_key([path]) == file_sha256(path)
    copy = tmp_path / "renamed.h5"
    shutil.copy(path, copy)
    assert content_key([copy]) == content_key([path])  # keyed by content, not by name
    assert content_key([path, walks / "walk2.h5"]) not in (content_key([path]), content_key([walks / "walk2.h5", path]))


# ---- the task and the cache ---------------------------------------------------------------------


def test_task_rows_match_analyze_and_errors_are_rows(walks):
    from insole.analysis import analyze

    res = process_recording([str(walks / "walk1.h5")], "native", "k1")
    assert res["status"] == "ok" and res["error"] is None and res["key"] == "k1"
    summary = analyze(walks / "walk1.h5").data["feet"]
    row = res["row"]
    for foot in ("left", "right"):
        assert row[f"{foot}_stride_time_cv_pct"] == pytest.approx(summary[foot]["summary"]["stride_time_cv_pct"])
        assert row[f"{foot}_n_steps"] == summary[foot]["summary"]["n_steps"]
    assert row["task"] == "walk" and row["duration_s"] == pytest.approx(12, abs=0.1)
    assert len(res["steps"]) == sum(len(f["steps"]) for f in summary.values())
    json.dumps(res, allow_nan=False)  # plain JSON: picklable and cacheable
    bad = process_recording([str(walks / "broken.h5")], "native", "k2")
    assert bad["status"] == "error" and bad["row"] == {} and "\n" not in bad["error"]
    assert "RecordingFileError" in bad["error"]


def test_vendor_files_are_imported_on_the_fly():
    res = process_recording([str(REPO / "recordings/gaitpdb/JuPt03_01.txt")], "gaitpdb", "k")
    assert res["status"] == "ok", res["error"]
    assert res["row"]["group"] == "PD" and res["row"]["subject_id"] == "JuPt03"
    assert res["row"]["left_n_steps"] > 20


def test_cache_keeps_only_whole_successful_results_of_this_version(tmp_path):
    cache = ResultCache(cache_dir_for(tmp_path / "s.csv"))
    assert cache.folder == tmp_path / "s.csv.cache"
    ok = {"key": "abc", "status": "ok", "row_version": ROW_VERSION, "row": {"x": 1}, "steps": []}
    cache.put(ok)
    cache.put({**ok, "key": "bad", "status": "error"})
    assert cache.get("abc")["row"] == {"x": 1}
    assert cache.get("abc", need_steps=True) is None  # stored without its steps: a --steps-csv run recomputes it
    assert cache.get("bad") is None and cache.get("missing") is None
    assert sorted(p.name for p in cache.folder.iterdir()) == ["abc.json"]  # no temporary files left
    stale = json.loads(cache.path("abc").read_text())
    cache.path("abc").write_text(json.dumps({**stale, "row_version": "0"}))
    assert cache.get("abc") is None
    cache.path("abc").write_text('{"key": "abc", "sta')  # a torn file (never written by put) is ignored
    assert cache.get("abc") is None


# ---- command line errors ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_errors_are_one_line(walks, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["batch", str(tmp_path / "*.h5"), "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and "no recordings matched" in res.output and "Traceback" not in res.output
    address = f"tcp://127.0.0.1:{_free_port()}"
    res = runner.invoke(main, ["batch", str(walks), "-o", str(tmp_path / "s.csv"), "--scheduler", address])
    assert res.exit_code == 2, res.output
    assert f"cannot reach scheduler {address}" in res.output and "omit --scheduler" in res.output
    assert len(res.output.strip().splitlines()) == 1
    res = runner.invoke(main, ["batch", str(walks), "-o", str(tmp_path / "s.csv"), "--scheduler", address, "--workers", "2"])
    assert res.exit_code == 2 and "--workers applies to the local cluster" in res.output
    assert not (tmp_path / "s.csv").exists()


# ---- Dask runs ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_run(walks, tmp_path_factory):
    """One batch on a local cluster of 2 process workers, through the command line."""
    out = tmp_path_factory.mktemp("local")
    res = CliRunner().invoke(main, ["batch", str(walks), "-o", str(out / "s.csv"), "--steps-csv", str(out / "steps.csv"),
                                    "--workers", "2"])
    assert res.exit_code == 0, res.output
    assert "4 recordings (0 done before, 4 analysed, 1 failed)" in res.output
    return out


@pytest.mark.slow
def test_local_batch_reports_failures_and_resumes(walks, local_run, monkeypatch):
    rows = _csv(local_run / "s.csv")
    assert [r["recording"] for r in rows] == ["broken", "walk1", "walk2", "walk3"]
    assert [r["status"] for r in rows] == ["error", "ok", "ok", "ok"]
    assert "RecordingFileError" in rows[0]["error"]
    assert all(float(r["left_stride_time_cv_pct"]) > 0 for r in rows[1:])
    steps = _csv(local_run / "steps.csv")
    assert {s["recording"] for s in steps} == {"walk1", "walk2", "walk3"} and {s["foot"] for s in steps} == {"left", "right"}
    cache = ResultCache(cache_dir_for(local_run / "s.csv"))
    assert len(list(cache.folder.glob("*.json"))) == 3  # the failure is not kept: a re-run tries it again
    first = (local_run / "s.csv").read_text()
    # resume: walk2's result is lost (as if the batch had been interrupted before it); only it and the failure run
    cache.path(rows[2]["content_sha256"]).unlink()
    report = run_batch([walks], local_run / "s.csv", steps_csv=local_run / "steps.csv", workers=1, progress=False)
    assert (report.n_recordings, report.n_cached, report.n_computed, report.n_failed) == (4, 2, 2, 1)
    assert (local_run / "s.csv").read_text() == first
    # a file that cannot be read is a failed row too, not a failed batch (walk1 is cached: no cluster is started)
    import insole.batch._runner as runner

    def unreadable(paths):
        if any(Path(p).name == "walk3.h5" for p in paths):
            raise PermissionError(13, "Permission denied", str(paths[0]))
        return content_key(paths)

    monkeypatch.setattr(runner, "content_key", unreadable)
    shutil.copytree(cache.folder, local_run / "u.csv.cache")
    report = run_batch([walks / "walk1.h5", walks / "walk3.h5"], local_run / "u.csv", progress=False)
    assert [r["status"] for r in report.rows] == ["ok", "error"] and report.startup_s == 0
    assert report.rows[1]["error"].startswith("cannot read") and "Permission denied" in report.rows[1]["error"]


@pytest.fixture
def dask_cluster(tmp_path):
    """A dask scheduler and two one-thread workers as separate processes on the loopback interface."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "INSOLE_NUM_THREADS": "1"}
    sched_file = tmp_path / "scheduler.json"
    log = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)],
                              stdout=log, stderr=subprocess.STDOUT, env=env)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() or not sched_file.read_text().strip():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                pytest.fail("the dask scheduler did not start: " + (tmp_path / "dask.log").read_text()[-2000:])
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            procs.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--nthreads", "1",
                                           "--no-nanny", "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60"],
                                          stdout=log, stderr=subprocess.STDOUT, env=env))
        from distributed import Client

        with Client(address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for group in (procs[1:], procs[:1]):  # the workers first, then the scheduler
            for p in group:
                p.terminate()
            for p in group:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        log.close()


@pytest.mark.slow
def test_batch_through_a_running_scheduler_equals_the_local_run(walks, local_run, dask_cluster, tmp_path):
    res = CliRunner().invoke(main, ["batch", str(walks), "-o", str(tmp_path / "s.csv"),
                                    "--steps-csv", str(tmp_path / "steps.csv"), "--scheduler", dask_cluster])
    assert res.exit_code == 0, res.output
    assert "4 analysed, 1 failed" in res.output
    local_rows = _csv(local_run / "s.csv")
    assert _csv(tmp_path / "s.csv") == local_rows
    assert (tmp_path / "steps.csv").read_text() == (local_run / "steps.csv").read_text()


@pytest.mark.slow
def test_gaitpdb_pd_stride_variability_higher_than_controls(shared_data, tmp_path):
    from insole.batch import gaitpdb_study

    walks = gaitpdb_study.usual_walks(shared_data / "gaitpdb")
    assert len(walks) >= 20 and all(p.name.endswith("_01.txt") for p in walks)
    study = gaitpdb_study.main([str(shared_data / "gaitpdb"), "-o", str(tmp_path), "--workers", "2"])
    rows = _csv(tmp_path / "gaitpdb_summary.csv")
    assert len(rows) == len(walks) and all(r["status"] == "ok" for r in rows)
    assert {r["group"] for r in rows} == {"PD", "control"}  # group labels from the file names
    assert all(r["left_stride_time_cv_pct"] and r["right_stride_time_cv_pct"] for r in rows)
    assert study["PD"]["n"] >= 10 and study["control"]["n"] >= 10
    assert study["PD"]["median"] > study["control"]["median"]
    assert study["p_one_sided"] < 0.05
    assert (tmp_path / "gaitpdb_stride_cv.png").stat().st_size > 10_000
