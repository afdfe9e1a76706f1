"""Tiny benchmark harness: best-of-N timing, machine facts, markdown/JSON tables.

Figures are ratios measured in one run (kernel vs a yardstick on the same data),
never absolute timings asserted anywhere.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path


def interleaved_best_s(fns: dict[str, Callable[[], object]], *, repeat: int = 5, min_time_s: float = 0.2) -> dict[str, float]:
    """Best wall time of one call per candidate over ``repeat`` rounds.

    Each round times every candidate once, in turn (each looping to ``min_time_s``), so that load
    from other jobs on the machine hits them alike.
    """
    for fn in fns.values():
        fn()  # warm up (page faults, lazy imports, thread pools)
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            n = 0
            t0 = time.perf_counter()
            while True:
                fn()
                n += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= min_time_s:
                    break
            best[name] = min(best[name], elapsed / n)
    return best


def best_time_s(fn: Callable[[], object], *, repeat: int = 5, min_time_s: float = 0.2) -> float:
    """Best wall time of one call over ``repeat`` rounds (each round loops to ``min_time_s``)."""
    return interleaved_best_s({"fn": fn}, repeat=repeat, min_time_s=min_time_s)["fn"]


def machine() -> dict:
    """Facts that make a figure reproducible."""
    import numpy as np

    from insole import kernels

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "backend": kernels.BACKEND,
        "kernel_threads": kernels.default_num_threads(),
        "vector_path": kernels.simd_path(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


def emit(title: str, rows: list[dict], columns: list[str], json_path: str | None = None, notes: str = "") -> str:
    """Print a markdown table (and write JSON with the machine facts)."""
    info = machine()
    lines = [f"### {title}", "", f"machine: {info['cpu']}, {info['cores']} cores; backend {info['backend']} "
             f"({info['vector_path']}); "
             f"command: `{info['command']}`", ""]
    if notes:
        lines += [notes, ""]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "---|" * len(columns))
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c, "")) for c in columns) + " |")
    text = "\n".join(lines)
    print(text)
    if json_path:
        Path(json_path).write_text(json.dumps({"title": title, "machine": info, "rows": rows}, indent=2))
    return text


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)
