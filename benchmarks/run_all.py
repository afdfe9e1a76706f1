"""Run the whole benchmark suite and write one results table (markdown and JSON).

Run: ``python benchmarks/run_all.py [--quick] [--out benchmarks/results] [--only NAME ...]``

Every benchmark runs as a subprocess with its own interpreter (so memory figures stay
honest), with ``--json OUT/suite_<name>.json``, at sizes chosen so that the whole suite
takes under 10 minutes on a 2-core machine (``--quick``: tiny sizes, a smoke run of
well under a minute).  Recorded for every step: the command line, the elapsed time, the
load average before and after, and the benchmark's own table; for the suite: the machine
(CPU, cores, memory, Python, NumPy, SciPy, h5py, compiler), the kernel backend and thread
count (``insole.kernels.default_num_threads()``, with ``INSOLE_NUM_THREADS`` and
``OMP_NUM_THREADS`` as set), the git commit and the total time.  Written:
``OUT/SUITE.md`` (one table per benchmark with its command line) and ``OUT/suite.json``.

A benchmark that fails (or runs past ``--timeout``) is recorded as failed with the tail
of its stderr and the suite goes on; the exit code is then 1.  A benchmark script that
does not exist (yet) is recorded as "not available", with the reason, and does not fail
the suite.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _harness import _fmt, machine  # noqa: E402

#: The issue's budget for the full suite on the reference machine (2 cores), seconds.
FULL_BUDGET_S = 600.0


@dataclass(frozen=True)
class Bench:
    """One benchmark of the suite.

    ``full`` / ``quick`` are the script's arguments for the two modes; each entry of
    ``if_supported`` is an argument group passed only when the script's ``--help`` lists
    its first element (scripts change; the suite should not break on it).
    """

    name: str
    title: str
    script: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ()
    full_if_supported: tuple[tuple[str, ...], ...] = ()
    quick_if_supported: tuple[tuple[str, ...], ...] = ()
    why_missing: str = ""
    check: str = ""  # name of a result check in CHECKS


BENCHES: tuple[Bench, ...] = (
    Bench("protocol", "protocol v1 decoder throughput", "bench_protocol.py",
          full=("--mb", "8"), quick=("--mb", "0.1")),
    Bench("frame_features", "frame-features and region-pressure kernels (Cython vs twin vs best NumPy vs one read)",
          "bench_frame_features.py",
          full=("--frames", "60000"), quick=("--frames", "2000"),
          quick_if_supported=(("--rounds", "1"), ("--layouts", "pedar-99"))),
    Bench("step_kernels", "per-step kernels (Cython vs twin vs best NumPy vs one read)", "bench_step_kernels.py",
          full=("--minutes", "10"), quick=("--quick",)),
    Bench("analysis", "whole-file analysis: multiples of real time and peak memory", "bench_analysis.py",
          full=("--minutes", "10", "--repeat", "2", "--cases", "pedar-walk", "fscan-walk-gzip"),
          quick=("--minutes", "0.2", "--repeat", "1", "--cases", "pedar-walk")),
    Bench("simulate", "simulator rate", "bench_simulate.py",
          full=("--minutes", "5"), quick=("--minutes", "0.05")),
    Bench("recorder", "recorder end to end (emulator -> pseudo-terminals -> recorder)", "bench_recorder.py",
          full=("--seconds", "60"), quick=("--seconds", "4"), check="recorder"),
    Bench("batch", "batch throughput against the number of workers", "bench_batch.py",
          quick=("--quick",),
          why_missing="benchmarks/bench_batch.py is missing from this checkout"),
)


def _check_recorder(result: dict) -> str:
    rows = result.get("rows") or []
    bad = [r for r in rows if r.get("recorder_rc", 0) != 0]
    if bad:
        return f"recorder exit code {bad[0]['recorder_rc']}: {bad[0].get('recorder_stderr', '')}"
    return ""


CHECKS = {"recorder": _check_recorder}


# ---------------------------------------------------------------------------- facts


def _load() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except Exception:  # a missing optional module is a fact, not an error
        return "not installed"


def _mem_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _compiler() -> str:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.splitlines()[0].strip() if out.returncode == 0 and out.stdout else cc
    except (OSError, subprocess.TimeoutExpired):
        return cc


def suite_facts() -> dict:
    """Machine, software, threads and commit: what makes the figures reproducible."""
    from insole import kernels

    info = machine()
    del info["command"]  # each step has its own
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        **info,
        "memory_gib": _mem_gib(),
        "os": platform.platform(),
        "scipy": _version("scipy"),
        "h5py": _version("h5py"),
        "compiler": _compiler(),
        "backend_reason": kernels.BACKEND_REASON,
        "threads": {
            "kernel_threads": kernels.default_num_threads(),
            "INSOLE_NUM_THREADS": os.environ.get("INSOLE_NUM_THREADS", "unset"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "unset"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
            "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS", "unset"),
        },
        "git_commit": _git("rev-parse", "HEAD") or "unknown",
        "git_modified_files": len(status.splitlines()) if status else 0,
    }


# ---------------------------------------------------------------------------- running


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _supports(script: Path, flag: str, cache: dict) -> bool:
    if script not in cache:
        try:
            out = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True,
                                 timeout=60, cwd=REPO)
            cache[script] = out.stdout
        except (OSError, subprocess.TimeoutExpired):
            cache[script] = ""
    return flag in cache[script]


def _argv(bench: Bench, quick: bool, json_path: Path, help_cache: dict) -> list[str]:
    script = HERE / bench.script
    args = list(bench.quick if quick else bench.full)
    for group in bench.quick_if_supported if quick else bench.full_if_supported:
        if _supports(script, group[0], help_cache):
            args += group
    return [sys.executable, str(script), *args, "--json", str(json_path)]


def _display(argv: list[str]) -> str:
    """The command as a user types it from the repository root."""
    shown = ["python"]
    for a in argv[1:]:
        shown.append(_rel(Path(a)) if a.startswith("/") else a)
    return " ".join(shown)


def _notes(stdout: str) -> str:
    """The notes paragraph of a benchmark's printed table (between its machine line and its table)."""
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("machine:"):
            notes = []
            for rest in lines[i + 1:]:
                if rest.startswith("|"):
                    break
                if rest.strip():
                    notes.append(rest.strip())
            return " ".join(notes)
    return ""


def _tail(text: str, n_lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-n_lines:])


def run_bench(bench: Bench, quick: bool, out_dir: Path, timeout_s: float, help_cache: dict) -> dict:
    """Run one benchmark in its own interpreter; a record of what happened and its table."""
    script = HERE / bench.script
    json_path = out_dir / f"suite_{bench.name}.json"
    rec: dict = {"name": bench.name, "title": bench.title, "script": f"benchmarks/{bench.script}",
                 "json": _rel(json_path), "status": "", "reason": "", "command": "", "elapsed_s": None,
                 "load_before": _load(), "load_after": None, "returncode": None, "stderr_tail": "",
                 "notes": "", "result": None}
    if not script.exists():
        rec.update(status="not available", reason=bench.why_missing or f"{rec['script']} does not exist")
        rec["load_after"] = rec["load_before"]
        return rec
    json_path.unlink(missing_ok=True)  # never report a stale table
    argv = _argv(bench, quick, json_path, help_cache)
    rec["command"] = _display(argv)
    print(f"[{bench.name}] {rec['command']}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group: a timeout ends its children too
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        timed_out = True
    except BaseException:  # Ctrl-C reaches this process only (the benchmark has its own session)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    rec["elapsed_s"] = round(time.perf_counter() - t0, 2)
    rec["load_after"] = _load()
    rec["returncode"] = proc.returncode
    rec["notes"] = _notes(stdout)
    if json_path.exists():
        try:
            rec["result"] = json.loads(json_path.read_text())
        except ValueError as exc:
            rec["reason"] = f"its JSON does not parse: {exc}"
    if timed_out:
        rec.update(status="failed", reason=f"timed out after {timeout_s:g} s")
    elif proc.returncode != 0:
        rec.update(status="failed", reason=f"exit code {proc.returncode}")
    elif rec["result"] is None:
        rec.update(status="failed", reason=rec["reason"] or f"it wrote no {rec['json']}")
    elif bench.check and (problem := CHECKS[bench.check](rec["result"])):
        rec.update(status="failed", reason=problem)
    else:
        rec["status"] = "ok"
    if rec["status"] == "failed":
        rec["stderr_tail"] = _tail(stderr)
    print(f"[{bench.name}] {rec['status']}{': ' + rec['reason'] if rec['reason'] else ''} "
          f"in {rec['elapsed_s']:.1f} s (load {_fmt_load(rec['load_before'])} -> {_fmt_load(rec['load_after'])})",
          flush=True)
    return rec


# ---------------------------------------------------------------------------- writing


def _fmt_load(load) -> str:
    return " ".join(f"{v:.2f}" for v in load) if load else "n/a"


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return _fmt(v).replace("|", "\\|").replace("\n", " ")


def table_md(rows: list[dict]) -> list[str]:
    """A markdown table of ``rows`` (columns in first-seen order; columns empty in every row, and
    captured stderr, dropped)."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    columns = [c for c in columns if any(row.get(c) not in (None, "") for row in rows)
               and not c.endswith("stderr")]  # a process's log: in the JSON, too long for a table
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return lines


def suite_md(suite: dict) -> str:
    f = suite["facts"]
    th = f["threads"]
    lines = [
        "# Benchmark suite results",
        "",
        f"Written by `{suite['command']}` ({suite['mode']} sizes) on {suite['started_utc']} UTC; "
        f"git commit {f['git_commit'][:12]}"
        + (f" with {f['git_modified_files']} modified tracked files" if f["git_modified_files"] else "")
        + f"; whole suite {suite['elapsed_s']:.0f} s"
        + (f" (budget {FULL_BUDGET_S:.0f} s)" if suite["mode"] == "full" else "") + ".",
        "",
        f"- **Machine**: {f['cpu']}, {f['cores']} cores, {f['memory_gib']} GiB; {f['os']}",
        f"- **Software**: Python {f['python']}, NumPy {f['numpy']}, SciPy {f['scipy']}, h5py {f['h5py']}; "
        f"compiler {f['compiler']}",
        f"- **Kernels**: backend {f['backend']} ({f['backend_reason']}); {th['kernel_threads']} kernel threads "
        f"(`insole.kernels.default_num_threads()`; INSOLE_NUM_THREADS={th['INSOLE_NUM_THREADS']}, "
        f"OMP_NUM_THREADS={th['OMP_NUM_THREADS']}); NumPy's BLAS threads as it configures them "
        f"(OPENBLAS_NUM_THREADS={th['OPENBLAS_NUM_THREADS']}, MKL_NUM_THREADS={th['MKL_NUM_THREADS']})",
        f"- **Load average** (1, 5, 15 min) before {_fmt_load(suite['load_before'])}, after "
        f"{_fmt_load(suite['load_after'])}: the machine may be shared; compare ratios within a table, "
        "not absolute times across runs.",
        "",
        "Each benchmark ran in its own interpreter; its command (from the repository root) is given with "
        "its table, and its own JSON (rows and machine facts) is beside this file. How to read the figures: "
        "`benchmarks/README.md`.",
        "",
        "## Summary",
        "",
        "| benchmark | status | seconds | load before -> after | command |",
        "|---|---|---|---|---|",
    ]
    for s in suite["steps"]:
        status = s["status"] + (f" ({s['reason']})" if s["reason"] else "")
        secs = f"{s['elapsed_s']:.1f}" if s["elapsed_s"] is not None else ""
        cmd = f"`{s['command']}`" if s["command"] else ""
        lines.append(f"| {s['name']} | {_cell(status)} | {secs} | {_fmt_load(s['load_before'])} -> "
                     f"{_fmt_load(s['load_after'])} | {cmd} |")
    for s in suite["steps"]:
        lines += ["", f"## {s['name']}: {s['title']}", ""]
        if s["command"]:
            lines += [f"Command: `{s['command']}`", ""]
        result = s["result"] or {}
        m = result.get("machine") or {}
        facts = [f"status **{s['status']}**" + (f": {s['reason']}" if s["reason"] else "")]
        if s["elapsed_s"] is not None:
            facts.append(f"{s['elapsed_s']:.1f} s")
        if m:
            facts.append(f"{m.get('cpu')}, {m.get('cores')} cores, backend {m.get('backend')}, "
                         f"{m.get('kernel_threads')} kernel threads")
        facts.append(f"load average {_fmt_load(s['load_before'])} -> {_fmt_load(s['load_after'])}")
        lines += ["; ".join(facts) + ".", ""]
        if result.get("title"):
            lines += [f"*{result['title']}*", ""]
        if s["notes"]:
            lines += [s["notes"], ""]
        rows = result.get("rows")
        if isinstance(rows, dict):
            rows = [rows]
        if rows:
            lines += table_md(rows)
        elif result:
            lines += ["```json", json.dumps(_clean(result), indent=2), "```"]
        if s["stderr_tail"]:
            lines += ["", "stderr (last lines):", "", "```", s["stderr_tail"], "```"]
    return "\n".join(lines) + "\n"


def _clean(obj):
    """Strict JSON: NaN and infinities become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run (well under a minute)")
    parser.add_argument("--out", default=str(HERE / "results"), help="where to write (default benchmarks/results)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[b.name for b in BENCHES],
                        help="run only these benchmarks: " + ", ".join(b.name for b in BENCHES))
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds before a benchmark counts as failed (default 300, --quick 120)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    timeout_s = args.timeout or (120.0 if args.quick else 300.0)
    command = "python " + " ".join([_rel(Path(__file__)), *(sys.argv[1:] if argv is None else argv)])
    suite = {
        "command": command,
        "mode": "quick" if args.quick else "full",
        "started_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "facts": suite_facts(),
        "load_before": _load(),
    }
    print(f"benchmark suite ({suite['mode']}): {suite['facts']['cpu']}, {suite['facts']['cores']} cores, "
          f"{suite['facts']['threads']['kernel_threads']} kernel threads, "
          f"load {_fmt_load(suite['load_before'])}", flush=True)
    t0 = time.perf_counter()
    help_cache: dict = {}
    steps = [run_bench(b, args.quick, out_dir, timeout_s, help_cache)
             for b in BENCHES if not args.only or b.name in args.only]
    suite["elapsed_s"] = round(time.perf_counter() - t0, 2)
    suite["load_after"] = _load()
    suite["budget_s"] = FULL_BUDGET_S
    suite["within_budget"] = suite["elapsed_s"] <= FULL_BUDGET_S
    suite["steps"] = steps
    suite["failed"] = [s["name"] for s in steps if s["status"] == "failed"]
    suite["not_available"] = [s["name"] for s in steps if s["status"] == "not available"]
    (out_dir / "suite.json").write_text(json.dumps(_clean(suite), indent=2, allow_nan=False) + "\n")
    (out_dir / "SUITE.md").write_text(suite_md(suite))
    print(f"total {suite['elapsed_s']:.1f} s"
          + ("" if args.quick or suite["within_budget"] else f" (over the {FULL_BUDGET_S:.0f} s budget)")
          + f"; wrote {_rel(out_dir / 'SUITE.md')} and {_rel(out_dir / 'suite.json')}")
    for s in steps:
        if s["status"] != "ok":
            print(f"  {s['name']}: {s['status']}: {s['reason']}", file=sys.stderr)
    return 1 if suite["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
