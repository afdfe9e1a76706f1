"""Helpers shared by the format readers: text decoding, layouts, frame grids and gaps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from insole.exceptions import FormatError, InsoleError
from insole.store import schema

if TYPE_CHECKING:
    from insole.layout import SensorLayout

#: Bytes read from the start of a file to identify its format.
HEAD_BYTES = 8192

_SIDE_TOKENS = {
    "left": re.compile(r"(?:^|[^a-z])(left|links|l)(?:[^a-z]|$)", re.IGNORECASE),
    "right": re.compile(r"(?:^|[^a-z])(right|rechts|r)(?:[^a-z]|$)", re.IGNORECASE),
}


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes of ``path`` (empty for an empty file)."""
    with open(path, "rb") as fh:
        return fh.read(n)


def head_text(head: bytes) -> str:
    """Decode identification bytes leniently (UTF-8, else latin-1); '' for binary data."""
    if b"\x00" in head:
        return ""
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a multi-byte character cut by the head limit
            return head[: exc.start].decode("utf-8", "replace")
        return head.decode("latin-1")


def read_text(path: Path, what: str, encoding: str = "utf-8") -> str:
    """The whole file as text; binary or undecodable content is a :class:`FormatError`.

    Falls back from UTF-8 to latin-1 (vendor exports on Windows use both).
    """
    data = path.read_bytes()
    if not data.strip():
        raise FormatError(f"{path} is empty; export the {what} again")
    if b"\x00" in data:
        raise FormatError(f"{path} holds binary data, not a {what} text export; check the file or --format")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return data.decode("latin-1")


def one_line(text: str, limit: int = 160) -> str:
    """First line of ``text``, shortened, for embedding in an error message."""
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return first if len(first) <= limit else first[: limit - 3] + "..."


def side_from_name(path: Path) -> str | None:
    """``"left"``/``"right"`` from a file name token (``walk_L.csv``, ``FrasP01R.asf``), else None."""
    stem = path.stem
    hits = [side for side, rx in _SIDE_TOKENS.items() if rx.search(stem)]
    if len(hits) == 1:
        return hits[0]
    last = stem[-1:]  # vendor habit: a trailing L/R after the trial name (FrasP01L)
    if last in ("L", "R") and len(stem) > 1 and not stem[-2].isupper():
        return "left" if last == "L" else "right"
    return None


def resolve_layout(
    layout: str | SensorLayout | None,
    *,
    default: str,
    side: str,
    n_sensors: int | None,
    size: str | None = None,
    what: str = "file",
) -> SensorLayout:
    """The layout of one foot: a given :class:`SensorLayout`, a preset name or ``default``.

    Raises
    ------
    FormatError
        The layout has another number of sensors than the file (``n_sensors``;
        None skips the check).
    """
    from insole.layout import SensorLayout, get_layout

    if isinstance(layout, SensorLayout):
        lay = layout if layout.side == side else layout.mirrored()
    else:
        name = layout or default
        kwargs: dict[str, Any] = {"side": side}
        if size is not None and name == default:
            kwargs["size"] = size
        lay = get_layout(name, **kwargs)
    if n_sensors is not None and lay.n_sensors != n_sensors:
        raise FormatError(
            f"layout {lay.name!r} has {lay.n_sensors} sensors but the {what} has {n_sensors} per foot; "
            f"choose a layout with {n_sensors} sensors ('insole layouts')"
        )
    return lay


#: Largest absolute time a file may hold, in seconds (about 30 years).
MAX_TIME_S = 1e9


def check_times(t_s: np.ndarray, path: Path | str, what: str = "time") -> np.ndarray:
    """``t_s`` as float64 after checking it is finite and of a sane size (FormatError otherwise)."""
    t = np.asarray(t_s, dtype=np.float64)
    if not np.all(np.isfinite(t)) or (t.size and np.abs(t).max() > MAX_TIME_S):
        raise FormatError(f"{path}: the {what} column has empty, non-finite or absurd values; the file is damaged")
    return t


def nominal_rate_hz(t_s: np.ndarray) -> float | None:
    """Nominal sampling rate from the median positive time step, rounded to 0.01 Hz."""
    t = np.asarray(t_s, dtype=np.float64)
    if t.size < 2:
        return None
    dt = np.diff(t)
    dt = dt[np.isfinite(dt) & (dt > 0)]
    if dt.size == 0:
        return None
    return float(np.round(1.0 / np.median(dt), 2))


def seq_from_time(t_s: np.ndarray) -> np.ndarray:
    """Frame numbers from times, for files without frame ids (int64, starting at 0).

    Each step counts ``round(dt / median_dt)`` frames (at least 1), so a step
    of about two periods is one lost frame, while jitter and a slowly
    drifting clock (time stamps rounded to 0.1 ms) lose nothing.
    """
    t = np.asarray(t_s, dtype=np.float64)
    if t.size < 2:
        return np.zeros(t.size, dtype=np.int64)
    dt = np.diff(t)
    pos = dt[dt > 0]
    period = float(np.median(pos)) if pos.size else 1.0
    steps = np.maximum(1, np.rint(dt / period)).astype(np.int64)
    return np.r_[0, np.cumsum(steps)].astype(np.int64)


def gaps_from_seq(
    seq: np.ndarray,
    t_host_s: np.ndarray,
    *,
    first_expected: int | None = None,
    last_expected: int | None = None,
    rate_hz: float | None = None,
) -> np.ndarray:
    """Lost-frame records of one foot from its (increasing) frame numbers.

    Parameters
    ----------
    seq : (n,) int array
        Frame numbers of the frames kept, increasing.
    t_host_s : (n,) float array
        Their times.
    first_expected, last_expected : int, optional
        Frame numbers the recording should span (frames missing before the
        first or after the last kept frame are gaps too; a leading gap has
        ``index = -1``).
    rate_hz : float, optional
        Used to time a leading gap (its ``t_host_s`` is that of the first
        missing frame); other gaps carry the time of the frame before them.

    Returns
    -------
    ndarray of :data:`insole.store.schema.GAP_DTYPE`
    """
    k = np.asarray(seq, dtype=np.int64)
    t = np.asarray(t_host_s, dtype=np.float64)
    rows: list[tuple[int, int, float, int]] = []
    if k.size == 0:
        if first_expected is not None and last_expected is not None and last_expected >= first_expected:
            rows.append((-1, last_expected - first_expected + 1, float("nan"), first_expected))
        return np.array(rows, dtype=schema.GAP_DTYPE)
    if first_expected is not None and k[0] > first_expected:
        n_lead = int(k[0] - first_expected)
        t_lead = float(t[0] - n_lead / rate_hz) if rate_hz else float("nan")
        rows.append((-1, n_lead, t_lead, int(first_expected)))
    jump = np.flatnonzero(np.diff(k) > 1)
    rows.extend(
        (int(j), int(k[j + 1] - k[j] - 1), float(t[j]), int(k[j] + 1)) for j in jump
    )
    if last_expected is not None and k[-1] < last_expected:
        rows.append((int(k.size - 1), int(last_expected - k[-1]), float(t[-1]), int(k[-1] + 1)))
    return np.array(rows, dtype=schema.GAP_DTYPE)


def link_stats(n_received: int, gaps: np.ndarray, **extra: float) -> dict[str, float]:
    """Link counters of an imported foot (frames received and lost, plus ``extra``)."""
    out = {"frames_received": float(n_received), "frames_lost": float(gaps["n_missing"].sum()) if gaps.size else 0.0}
    out.update({k: float(v) for k, v in extra.items() if v})
    return out


def check_paths(paths: Sequence[Path], fmt: str, *, n: int | None = None, max_n: int | None = None) -> list[Path]:
    """Validate the number of files a reader was given."""
    paths = [Path(p) for p in paths]
    if n is not None and len(paths) != n:
        raise InsoleError(f"format {fmt} reads {n} file{'s' if n != 1 else ''} at a time, got {len(paths)}; import them separately")
    if max_n is not None and len(paths) > max_n:
        raise InsoleError(f"format {fmt} reads at most {max_n} files (one per foot), got {len(paths)}")
    return paths


def float_or_none(text: str | None) -> float | None:
    """``float(text)``, or None for empty, ``-``, ``NaN`` or unparsable text."""
    if text is None:
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if np.isfinite(value) else None
