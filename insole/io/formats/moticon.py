"""Moticon OpenGo: the text export (``.txt``) and the gait report (``.xlsx``).

The text export holds, per foot, 16 pressures in N/cm^2, a 6-axis IMU, and
the vendor's total force, centre of pressure and (after a gait report) step
events.  Pressures are stored verbatim (unit ``N/cm2``, converted to kPa on
read); the vendor's values go to ``reference["moticon"]``: per foot
``total_force_n``, ``cop_ap``, ``cop_ml`` (our insole frame: ``ap = X + 0.5``,
``ml = Y``; NaN where the vendor wrote (0, 0) below about 50 N) and, when
exported, ``cop_velocity``; events under ``events/<foot>``.  The gait report
(an xlsx, read with :mod:`zipfile` and :mod:`xml.etree`) attaches to its
recording under ``reference["moticon"]["gait_report"]``.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import numpy as np

from insole.exceptions import FormatError, InsoleError
from insole.io import FormatSpec
from insole.io._common import (
    check_paths,
    check_times,
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

LAYOUT = "moticon-16"
#: Step-event codes of the text export: code -> (foot, event).
STEP_CODES = {11: ("left", "heel_strike_s"), 15: ("left", "toe_off_s"), 21: ("right", "heel_strike_s"), 25: ("right", "toe_off_s")}
IMU_COLUMNS = ("acc_x_g", "acc_y_g", "acc_z_g", "gyro_x_dps", "gyro_y_dps", "gyro_z_dps")
_IMU_SOURCES = ("acceleration X", "acceleration Y", "acceleration Z", "angular X", "angular Y", "angular Z")
_COLUMN = re.compile(r"^(?P<name>.*?)\s*\[(?P<unit>[^\]]*)\]\s*$")
_PRESSURE = re.compile(r"^(left|right) pressure (\d+)$")


def identify(path: Path, head: bytes) -> bool:
    """A Moticon text export: ``#`` header lines and ``left/right pressure N[N/cm²]`` columns."""
    text = head_text(head)
    if not text.startswith("#"):
        return False
    return "# Sensor insoles:" in text or bool(re.search(r"^# time\t.*(left|right) pressure 1\[", text, re.MULTILINE))


def _columns(line: str, path: Path) -> list[tuple[str, str]]:
    names = line[1:].strip("\r\n").lstrip(" ").split("\t")
    out = []
    for raw in names:
        m = _COLUMN.match(raw.strip())
        out.append((m["name"], m["unit"]) if m else (raw.strip(), ""))
    if not out or out[0][0] != "time":
        raise FormatError(f"{path}: the column line does not start with 'time'; is this a Moticon text export?")
    return out


def _header(lines: list[str]) -> dict[str, str]:
    head: dict[str, str] = {}
    for line in lines:
        body = line[1:].strip()
        if ":" in body and not body.startswith("time\t"):
            key, _, value = body.partition(":")
            head[key.strip().lower()] = value.strip()
    return head


def _recorded_at(text: str | None) -> str | None:
    if not text:
        return None
    for fmt in ("%d.%m.%Y %H:%M:%S.%f", "%d.%m.%Y %H:%M:%S"):
        try:
            return _dt.datetime.strptime(text, fmt).isoformat(timespec="milliseconds")
        except ValueError:
            continue
    return None


def _parse_table(data_lines: list[str], n_cols: int, numeric: list[int], path: Path, first_line: int) -> np.ndarray:
    rows = []
    for i, line in enumerate(data_lines):
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) < n_cols or any(f.strip() for f in fields[n_cols:]):
            raise FormatError(
                f"{path}: line {first_line + i} has {len(fields)} fields, expected {n_cols}; "
                "the file is truncated or not a Moticon text export"
            )
        rows.append(fields[:n_cols])
    table = np.array(rows, dtype=str).reshape(len(rows), n_cols)
    block = table[:, numeric]
    block = np.where(np.char.strip(block) == "", "nan", block)
    try:
        return block.astype(np.float64)
    except ValueError as exc:
        raise FormatError(f"{path}: a value is not a number ({one_line(exc)}); the file is damaged") from None


def read(paths: Sequence[Path], *, layout: str | SensorLayout | None = None) -> Recording:
    """Read a Moticon OpenGo text export (both feet, IMU, vendor values)."""
    (path,) = check_paths(paths, "moticon", n=1)
    text = read_text(path, "Moticon text export")
    lines = text.splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    col_lines = [ln for ln in header if ln[1:].lstrip(" ").startswith("time\t")]
    if not col_lines:
        raise FormatError(f"{path}: no '# time' column line; is this a Moticon text export?")
    cols = _columns(col_lines[-1], path)
    names = [c[0] for c in cols]
    first_data = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")), None)
    if first_data is None:
        raise FormatError(f"{path} has a header but no data lines; the export is empty or truncated")
    data_lines = [ln for ln in lines[first_data:] if ln.strip()]
    label_cols = {i for i, n in enumerate(names) if n.lower().endswith("label")}
    numeric = [i for i in range(len(names)) if i not in label_cols]
    num = _parse_table(data_lines, len(names), numeric, path, first_data + 1)
    col = {names[j]: num[:, k] for k, j in enumerate(numeric)}
    t = check_times(col["time"], path)
    if np.any(np.diff(t) <= 0):
        raise FormatError(f"{path}: the time column is not increasing; the file is damaged")
    rate = nominal_rate_hz(t) or 100.0
    seq_all = seq_from_time(t)
    head = _header(header)
    size = head.get("size") or None

    feet: dict[str, FootData] = {}
    ref: dict[str, Any] = {
        "source": "Moticon OpenGo text export",
        "cop_frame": "ap = X + 0.5, ml = Y (+medial); NaN where the export wrote (0, 0)",
    }
    for foot in ("left", "right"):
        sensor_cols = sorted(
            ((int(m[2]), n) for n in names if (m := _PRESSURE.match(n)) and m[1] == foot), key=lambda x: x[0]
        )
        if not sensor_cols:
            continue
        values = np.column_stack([col[n] for _, n in sensor_cols])
        present = np.all(np.isfinite(values), axis=1)
        if not present.any():
            continue
        lay = resolve_layout(layout, default=LAYOUT, side=foot, n_sensors=values.shape[1], size=size)
        t_f, seq_f = t[present], seq_all[present]
        imu = None
        if all(f"{foot} {s}" in col for s in _IMU_SOURCES):
            imu = np.column_stack([col[f"{foot} {s}"][present] for s in _IMU_SOURCES]).astype(np.float32)
        gaps = gaps_from_seq(seq_f, t_f, first_expected=int(seq_all[0]), last_expected=int(seq_all[-1]), rate_hz=rate)
        feet[foot] = FootData(
            values=values[present].astype(np.float32),
            unit="N/cm2",
            t_device_us=np.rint(t_f * 1e6).astype(np.int64),
            t_host_s=t_f,
            seq=seq_f.astype(np.uint32),
            layout=lay,
            imu=imu,
            imu_columns=IMU_COLUMNS if imu is not None else (),
            gaps=gaps,
            link=link_stats(int(present.sum()), gaps),
        )
        fref: dict[str, Any] = {}
        if f"{foot} total force" in col:
            fref["total_force_n"] = col[f"{foot} total force"][present]
        x, y = col.get(f"{foot} center of pressure X"), col.get(f"{foot} center of pressure Y")
        if x is not None and y is not None:
            x, y = x[present], y[present]
            zero = (x == 0) & (y == 0)
            fref["cop_ap"] = np.where(zero, np.nan, x + 0.5)
            fref["cop_ml"] = np.where(zero, np.nan, y)
        if f"{foot} COP velocity" in col:
            fref["cop_velocity"] = col[f"{foot} COP velocity"][present]
        if fref:
            ref[foot] = fref
    if not feet:
        raise FormatError(f"{path}: no pressure columns with data; is this a Moticon text export of insole data?")
    events = _events(names, col, t, data_lines, label_cols)
    if events:
        ref["events"] = events
    notes = "; ".join(f"{k}: {head[k]}" for k in ("name", "recording type", "tag", "notes") if head.get(k))
    meta = Metadata(
        device=f"Moticon OpenGo ({head['sensor insoles']})" if head.get("sensor insoles") else "Moticon OpenGo",
        sampling_rate_hz=rate,
        insole_size=size,
        recorded_at=_recorded_at(head.get("start time")),
        source="moticon",
        notes=notes or None,
    )
    return Recording(feet=feet, metadata=meta, reference={"moticon": ref})


def _events(names: list[str], col: dict[str, np.ndarray], t: np.ndarray, data_lines: list[str], label_cols: set[int]) -> dict[str, Any]:
    """Vendor step events (codes 11/15/21/25) and manually set events of the export."""
    events: dict[str, Any] = {}
    for name in names:
        if name.lower().endswith(" steps"):
            codes = col[name]
            for code, (foot, kind) in STEP_CODES.items():
                hit = t[np.isclose(codes, code)]
                if hit.size:
                    events.setdefault(foot, {})[kind] = hit
    for j, name in enumerate(names):  # "Left Events" with its "Left Events label"
        low = name.lower()
        if not low.endswith(" events") or j in label_cols:
            continue
        foot = low.split()[0]
        if foot not in ("left", "right"):
            continue
        values = col[name]
        hit = np.isfinite(values)
        if not hit.any():
            continue
        entry = events.setdefault(foot, {})
        entry["manual_time_s"] = t[hit]
        entry["manual_value"] = values[hit]
        label_j = names.index(f"{name} label") if f"{name} label" in names else None
        if label_j is not None:
            labels = [data_lines[i].split("\t")[label_j].strip() for i in np.flatnonzero(hit)]
            entry["manual_label"] = np.array(labels, dtype=str)
    return events


# ---------------------------------------------------------------------------- gait report (.xlsx)
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STEP_SHEETS = {"left": "Left Steps", "right": "Right Steps"}
_SUMMARY_SHEET = "Report Data"


def _xlsx_sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> member path inside the xlsx."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in wb.iter(f"{{{_NS['m']}}}sheet"):
        rid = sheet.get(f"{{{_REL_NS}}}id")
        tgt = target.get(rid, "")
        out[sheet.get("name", "")] = tgt.lstrip("/") if tgt.startswith("/") else f"xl/{tgt}"
    return out


def report_identify(path: Path, head: bytes) -> bool:
    """An xlsx whose workbook has the gait report's ``Left Steps``/``Right Steps`` sheets."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            sheets = _xlsx_sheet_names(zf)
    except Exception:
        return False
    return any(s in sheets for s in _STEP_SHEETS.values())


def _col_index(ref: str) -> int:
    letters = "".join(ch for ch in ref if ch.isalpha())
    idx = 0
    for ch in letters.upper():
        idx = idx * 26 + (ord(ch) - 64)
    return idx - 1


def _sheet_rows(zf: zipfile.ZipFile, member: str, strings: list[str]) -> list[list[str | None]]:
    root = ElementTree.fromstring(zf.read(member))
    rows: list[list[str | None]] = []
    for row in root.iter(f"{{{_NS['m']}}}row"):
        cells: dict[int, str | None] = {}
        for pos, c in enumerate(row.findall("m:c", _NS)):
            j = _col_index(c.get("r", "")) if c.get("r") else pos
            kind = c.get("t")
            v = c.find("m:v", _NS)
            if kind == "inlineStr":
                val = "".join(x.text or "" for x in c.iter(f"{{{_NS['m']}}}t"))
            elif v is None:
                val = None
            elif kind == "s":
                val = strings[int(v.text or 0)]
            else:
                val = v.text
            cells[j] = val
        width = max(cells) + 1 if cells else 0
        rows.append([cells.get(j) for j in range(width)])
    return rows


def _key(label: str) -> str:
    text = label.replace("²", "2").replace("%", "pct")
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower() or "value"


def _number(text: str | None) -> float:
    try:
        return float(text) if text is not None else float("nan")
    except ValueError:
        return float("nan")


def read_gait_report(path: str | Path) -> dict[str, Any]:
    """The per-step tables and the summary of a Moticon gait report (.xlsx).

    Returns
    -------
    dict
        ``{"left": {column_key: (n_steps,) array, "columns": [original names]},
        "right": {...}, "summary": {section_key: {row_key: array}}}``; keys
        are the sheet's labels in snake case with units (``initial_contact_s``).

    Raises
    ------
    FormatError
        Not an xlsx, or no ``Left Steps``/``Right Steps`` sheet.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            sheets = _xlsx_sheet_names(zf)
            strings: list[str] = []
            if "xl/sharedStrings.xml" in zf.namelist():
                sst = ElementTree.fromstring(zf.read("xl/sharedStrings.xml"))
                strings = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")) for si in sst.findall("m:si", _NS)]
            out: dict[str, Any] = {"source_file": path.name}
            for foot, sheet in _STEP_SHEETS.items():
                if sheet not in sheets:
                    continue
                rows = _sheet_rows(zf, sheets[sheet], strings)
                if not rows:
                    continue
                labels = [c or "" for c in rows[0]]
                body = [r for r in rows[1:] if any(c not in (None, "") for c in r)]
                table: dict[str, Any] = {"columns": labels}
                for j, label in enumerate(labels):
                    if not label:
                        continue
                    table[_key(label)] = np.array([_number(r[j] if j < len(r) else None) for r in body])
                out[foot] = table
            if _SUMMARY_SHEET in sheets:
                out["summary"] = _summary(_sheet_rows(zf, sheets[_SUMMARY_SHEET], strings))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, IndexError, OSError, EOFError,
            zlib.error, NotImplementedError, RuntimeError) as exc:
        raise FormatError(f"{path} is not a readable Moticon gait report ({one_line(exc)}); export it again") from None
    if "left" not in out and "right" not in out:
        raise FormatError(f"{path} has no 'Left Steps' or 'Right Steps' sheet; is it a Moticon gait report?")
    return out


def _summary(rows: list[list[str | None]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    section = "general"
    for row in rows:
        cells = [c for c in row if c not in (None, "")]
        if not cells:
            continue
        label = row[0] if row and row[0] else None
        values = [_number(c) for c in row[1:] if c not in (None, "")]
        if label and not values:
            section = _key(label)
            continue
        if not label:
            continue
        group = summary.setdefault(section, {})
        key = _key(label)
        while key in group:
            key += "_"
        group[key] = np.array(values)
    return summary


def _stamp_digits(text: str | None) -> str | None:
    """``yymmddHHMMSS`` from a name such as ``230927_102114`` or ``gait_report_230927_10_21_14``."""
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    m = re.search(r"(\d{6})(\d{6})", digits)
    return m.group(0) if m else None


def attach_report(rec: Recording, paths: Sequence[Path], primary: Sequence[Path]) -> None:
    """Attach a gait report to its text-export recording (checked by the timestamps)."""
    (path,) = check_paths(paths, "moticon-report", n=1)
    report = read_gait_report(path)
    rec_stamp = None
    if rec.metadata.recorded_at:
        at = _dt.datetime.fromisoformat(rec.metadata.recorded_at)
        rec_stamp = at.strftime("%y%m%d%H%M%S")
    rec_stamp = rec_stamp or _stamp_digits(primary[0].stem if primary else None)
    rep_stamp = _stamp_digits(path.stem)
    if rec_stamp and rep_stamp and rec_stamp != rep_stamp:
        raise InsoleError(
            f"{path.name} is the gait report of a recording started {rep_stamp}, not of {primary[0].name} "
            f"({rec_stamp}); give the matching report"
        )
    ref = rec.reference.setdefault("moticon", {})
    ref["gait_report"] = report
    speed = report.get("summary", {}).get("spatial_parameters", {}).get("mean_walking_speed_m_s")
    if rec.metadata.speed_m_s is None and speed is not None and speed.size and np.isfinite(speed[0]):
        rec.metadata = rec.metadata.replace(speed_m_s=float(speed[0]))


def read_report_alone(paths: Sequence[Path], *, layout: str | SensorLayout | None = None) -> Recording:
    """A gait report is not a recording: explain how to import it."""
    raise InsoleError(
        f"{paths[0]} is a Moticon gait report, not a recording; import it with its text export: "
        "insole import REC.txt REPORT.xlsx -o OUT.h5"
    )


FORMAT = FormatSpec(
    name="moticon",
    description="Moticon OpenGo text export: 16 sensors + IMU per foot, vendor force, COP and events",
    suffixes=(".txt",),
    identify=identify,
    read=read,
)

REPORT_FORMAT = FormatSpec(
    name="moticon-report",
    description="Moticon OpenGo gait report (.xlsx), attached to its text export",
    suffixes=(".xlsx",),
    identify=report_identify,
    read=read_report_alone,
    attach=attach_report,
    attaches_to=("moticon",),
)
