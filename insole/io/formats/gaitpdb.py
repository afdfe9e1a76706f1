"""PhysioNet gaitpdb (Gait in Parkinson's Disease): 8 force sensors per foot, 100 Hz.

Tab-separated, no header, 19 columns: time (s), left sensors L1..L8 and
right sensors R1..R8 in newtons, then the left and right totals (kept in
``reference["gaitpdb"][foot]["total_force_n"]``).  Subject, group and task
come from the file name (``JuPt03_01``: study Ju, PD patient 3, walk 1);
age, sex, mass and walking speed from ``demographics.txt`` when it sits
beside the file (or in ``../docs/``, as PhysioNet lays the database out).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from insole.exceptions import FormatError
from insole.io import FormatSpec
from insole.io._common import (
    HEAD_BYTES,
    check_paths,
    check_times,
    float_or_none,
    gaps_from_seq,
    head_text,
    link_stats,
    nominal_rate_hz,
    one_line,
    read_text,
    resolve_layout,
    seq_from_time,
)
from insole.recording import FootData, Metadata, Recording

if TYPE_CHECKING:
    from insole.layout import SensorLayout

LAYOUT = "gaitpdb-8"
N_COLUMNS = 19
RATE_HZ = 100.0
_NAME = re.compile(r"^(?P<study>Ga|Ju|Si)(?P<group>Co|Pt)(?P<subject>\d+)_(?P<walk>\d+)$")
STUDIES = {
    "Ga": "Yogev et al. 2005 (dual tasking)",
    "Ju": "Hausdorff et al. 2007 (rhythmic auditory stimulation)",
    "Si": "Frenkel-Toledo et al. 2005 (treadmill walking)",
}


def identify(path: Path, head: bytes) -> bool:
    """Whitespace-separated lines of 19 numbers, the first a time in 0.01 s steps."""
    text = head_text(head)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(head) >= HEAD_BYTES:
        lines = lines[:-1]  # the last line of the head may be cut
    lines = lines[:6]
    if len(lines) < 2:
        return False
    try:
        rows = [[float(x) for x in ln.split()] for ln in lines]
    except ValueError:
        return False
    if any(len(r) != N_COLUMNS for r in rows):
        return False
    return abs(rows[1][0] - rows[0][0] - 1.0 / RATE_HZ) < 1e-6


def _demographics(path: Path, subject: str) -> dict[str, str] | None:
    for cand in (path.parent / "demographics.txt", path.parent.parent / "docs" / "demographics.txt"):
        if not cand.is_file():
            continue
        lines = cand.read_text(encoding="latin-1").splitlines()
        if not lines:
            continue
        head = [h.strip() for h in lines[0].split("\t")]
        for line in lines[1:]:
            fields = [f.strip() for f in line.split("\t")]
            if fields and fields[0] == subject:
                return dict(zip(head, fields))
    return None


def read(paths: Sequence[Path], *, layout: str | SensorLayout | None = None) -> Recording:
    """Read one gaitpdb walk (both feet)."""
    (path,) = check_paths(paths, "gaitpdb", n=1)
    text = read_text(path, "gaitpdb walk")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    widths = np.fromiter((len(ln.split()) for ln in lines), dtype=np.int64, count=len(lines))
    if np.any(widths != N_COLUMNS):
        i = int(np.flatnonzero(widths != N_COLUMNS)[0])
        raise FormatError(
            f"{path}: line {i + 1} has {widths[i]} columns, expected {N_COLUMNS}; the file is truncated or not a gaitpdb walk"
        )
    try:
        data = np.array(" ".join(lines).split(), dtype=np.float64).reshape(len(lines), N_COLUMNS)
    except ValueError as exc:
        raise FormatError(f"{path}: a value is not a number ({one_line(exc)}); the file is damaged") from None
    t = check_times(data[:, 0], path)
    if not np.all(np.isfinite(data)) or np.any(np.diff(t) <= 0):
        raise FormatError(f"{path}: the time column is not increasing or a value is not finite; the file is damaged")
    rate = nominal_rate_hz(t) or RATE_HZ
    seq = seq_from_time(t)
    gaps = gaps_from_seq(seq, t)
    feet: dict[str, FootData] = {}
    ref: dict[str, Any] = {"source": "PhysioNet gaitpdb 1.0.0 (ODC-By 1.0)"}
    for foot, cols, total_col in (("left", slice(1, 9), 17), ("right", slice(9, 17), 18)):
        lay = resolve_layout(layout, default=LAYOUT, side=foot, n_sensors=8)
        feet[foot] = FootData(
            values=data[:, cols].copy(),
            unit="N",
            t_device_us=np.rint(t * 1e6).astype(np.int64),
            t_host_s=t.copy(),
            seq=seq.astype(np.uint32),
            layout=lay,
            gaps=gaps.copy(),
            link=link_stats(len(t), gaps),
        )
        ref[foot] = {"total_force_n": data[:, total_col].copy()}

    m = _NAME.match(path.stem)
    kwargs: dict[str, Any] = {}
    notes = []
    if m:
        kwargs["subject_id"] = f"{m['study']}{m['group']}{m['subject']}"
        kwargs["group"] = "PD" if m["group"] == "Pt" else "control"
        kwargs["task"] = "walk"
        notes.append(f"study {m['study']}: {STUDIES[m['study']]}; walk {m['walk']}")
        if m["walk"] == "10":
            notes.append("dual task (serial 7 subtractions while walking)")
        demo = _demographics(path, kwargs["subject_id"])
        if demo is not None:
            ref["demographics"] = {k: v for k, v in demo.items() if k}
            kwargs["age_years"] = float_or_none(demo.get("Age"))
            kwargs["body_mass_kg"] = float_or_none(demo.get("Weight"))
            kwargs["sex"] = {"1": "m", "2": "f"}.get(demo.get("Gender", ""), None)
            kwargs["speed_m_s"] = float_or_none(demo.get(f"Speed_{m['walk']}"))
    meta = Metadata(
        device="Infotronic Ultraflex Computer Dyno Graphy (8 force sensors per foot)",
        sampling_rate_hz=rate,
        source="gaitpdb",
        notes="; ".join(notes) or None,
        **kwargs,
    )
    return Recording(feet=feet, metadata=meta, reference={"gaitpdb": ref})


FORMAT = FormatSpec(
    name="gaitpdb",
    description="PhysioNet gaitpdb walk: 8 force sensors per foot (N), 100 Hz, both feet",
    suffixes=(".txt",),
    identify=identify,
    read=read,
)
