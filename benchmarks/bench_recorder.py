"""End to end through the recorder: ``insole emulate`` -> pseudo-terminals -> ``insole record``.

Run: ``python benchmarks/bench_recorder.py [--seconds 60] [--rate 1000] [--layout grid-32x32-5.08] [--json OUT.json]``

Two insoles (``--foot split``: one pseudo-terminal and one clock per foot) of
``--layout`` sensels stream protocol v1 (u12) at ``--rate`` Hz for
``--seconds`` from an emulator process into a recorder process (both are the
real commands, run as separate processes).  Measured in that one run:

- frames sent (emulator report) vs recorded (file) vs lost (gaps);
- recorder CPU: user+sys of the recorder process over the streaming window
  (from 2 s after the stream starts to 1 s before it ends, from
  ``/proc/<pid>/stat``), in cores; and over its whole life (start-up, waiting
  for the emulator and closing included, from its rusage);
- recorder resident memory at the start, the middle and the end of that
  window (flat memory means they agree), and its peak;
- the throughput (MB/s of protocol-v1 bytes) and how far the emulator fell
  behind its schedule (a slow reader makes a pseudo-terminal writer wait);
- the stored left/right sync error.

Targets (issue 6): zero frames lost, recorder CPU under half a core, flat
memory.  Nothing is asserted here; the figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import emit

REPO = Path(__file__).resolve().parents[1]
CLI = REPO / "tests" / "acquisition" / "insole_cli.py"  # `insole` with record/emulate registered
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(seconds: float, rate_hz: float, layout: str, workdir: Path) -> dict:
    report_path = workdir / "sent.json"
    out = workdir / "bench.h5"
    emu = subprocess.Popen(
        [sys.executable, str(CLI), "emulate", "--pty", "--foot", "split", "--layout", layout, "--rate", str(rate_hz),
         "--duration", str(seconds), "--loop", "2", "--report-json", str(report_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    urls = {}
    while "right" not in urls or "left" not in urls:
        line = emu.stdout.readline()
        if not line:
            raise SystemExit(f"emulator failed: {emu.stderr.read()}")
        label, _, url = line.strip().partition(": ")
        if label in ("left", "right"):
            urls[label] = url
    t_launch = time.monotonic()
    rec_log = open(workdir / "rec.log", "w+")
    rec = subprocess.Popen([sys.executable, str(CLI), "record", "--left", urls["left"], "--right", urls["right"],
                            "-o", str(out), "--layout", layout, "--json", str(workdir / "rec.json")],
                           stdout=rec_log, stderr=subprocess.STDOUT)
    while True:  # the emulator says "streaming" once both readers are there
        line = emu.stdout.readline()
        if not line or line.startswith("streaming"):
            break
    t_stream = time.monotonic()
    samples = []  # (t since stream start, cpu s, rss MB)
    while True:
        done, status, usage = os.wait4(rec.pid, os.WNOHANG)  # the recorder's own rusage once it ends
        if done:
            break
        try:
            samples.append((time.monotonic() - t_stream, _cpu_s(rec.pid), _rss_mb(rec.pid)))
        except (OSError, IndexError):
            pass
        time.sleep(0.5)
    t_end = time.monotonic()
    rec.returncode = os.waitstatus_to_exitcode(status)
    rec_log.seek(0)
    rec_err = rec_log.read()
    rec_log.close()
    emu.wait(timeout=60)
    report = json.loads(report_path.read_text())
    outcome = json.loads((workdir / "rec.json").read_text())
    window = [s for s in samples if 2.0 <= s[0] <= seconds - 1.0]
    if len(window) < 2:
        window = samples
    (t0, c0, r0), (t1, c1, r1) = window[0], window[-1]
    sent = sum(s["frames_generated"] for s in report["streams"])
    recorded = sum(outcome["frames"].values())
    lost = sum(outcome["frames_lost"].values())
    n_bytes = sum(s["bytes_sent"] for s in report["streams"])
    sync = outcome.get("sync") or {}
    life_cpu = usage.ru_utime + usage.ru_stime
    return {
        "layout": layout, "rate_hz": rate_hz, "seconds": seconds,
        "frames_sent": sent, "frames_recorded": recorded, "frames_lost": lost,
        "recorder_cpu_cores": (c1 - c0) / (t1 - t0),
        "recorder_cpu_cores_life": life_cpu / (t_end - t_launch),
        "rss_start_mb": r0, "rss_mid_mb": window[len(window) // 2][2], "rss_end_mb": r1,
        "rss_peak_mb": max(s[2] for s in samples),
        "mb_per_s": n_bytes / 1e6 / report["elapsed_s"],
        "stream_s": report["elapsed_s"],
        "emulator_max_lag_ms": report["max_lag_ms"],
        "sync_error_ms": sync.get("error_ms", float("nan")),
        "ended_by": outcome["ended_by"],
        "file_mb": out.stat().st_size / 1e6,
        "recorder_rc": rec.returncode,
        "recorder_stderr": rec_err.strip()[-300:],
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the emulator and the recorder, print the table (and optionally save JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="streaming time (default 60)")
    ap.add_argument("--rate", type=float, default=1000.0, help="frames per second per foot (default 1000)")
    ap.add_argument("--layout", default="grid-32x32-5.08", help="sensor layout (default grid-32x32-5.08: 1024 sensels)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        row = run(args.seconds, args.rate, args.layout, Path(tmp))
    columns = ["layout", "rate_hz", "seconds", "frames_sent", "frames_recorded", "frames_lost", "recorder_cpu_cores",
               "recorder_cpu_cores_life", "rss_start_mb", "rss_mid_mb", "rss_end_mb", "rss_peak_mb", "mb_per_s",
               "emulator_max_lag_ms", "sync_error_ms", "ended_by"]
    emit("Recorder end to end: two insoles over pseudo-terminals (emulator and recorder in separate processes)",
         [row], columns, args.json,
         notes=f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (a shared machine)")
    if row["recorder_rc"] != 0:
        print(f"recorder exit code {row['recorder_rc']}: {row['recorder_stderr']}", file=sys.stderr)
    return row


if __name__ == "__main__":
    main()
