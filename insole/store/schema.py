"""Names, versions and rules of the recording file (specified in docs/format.md).

Every group, dataset and attribute name the store uses lives here, so that the
writer, the reader and the docs cannot drift apart.
"""

from __future__ import annotations

from typing import Final

#: Value of the root attribute ``insole_format`` that marks our files.
FORMAT_NAME: Final = "insole recording"
#: Schema version written by this release, as (major, minor).  Additive changes
#: raise the minor version and stay readable by older readers; a reader refuses
#: only a newer *major* version.
SCHEMA_VERSION: Final = (1, 0)

FEET: Final = ("left", "right")

# Root attributes
ATTR_FORMAT: Final = "insole_format"
ATTR_SCHEMA: Final = "schema_version"
ATTR_WRITER: Final = "insole_version"
ATTR_CREATED: Final = "created_utc"

# Groups
RAW: Final = "raw"  #: /raw/<foot>/ values exactly as the device sent them
CALIBRATED: Final = "calibrated"  #: /calibrated/<foot>/ optional materialised physical values
CALIBRATION: Final = "calibration"  #: /calibration/<foot> how to turn raw into physical
LAYOUT: Final = "layout"  #: /layout/<foot> the full layout as JSON
GAPS: Final = "gaps"  #: /gaps/<foot> lost frames; /gaps/<foot>_link link counters
SYNC: Final = "sync"  #: /sync/<foot> device-to-host clock fit
METADATA: Final = "metadata"  #: /metadata attributes (subject, task, device, ...)
MARKERS: Final = "markers"  #: /markers (time_s, label) table
TRUTH: Final = "truth"  #: /truth simulated ground truth
REFERENCE: Final = "reference"  #: /reference/<vendor> vendor-computed values
DERIVED: Final = "derived"  #: /derived/<command> our results

# Datasets inside /raw/<foot>
VALUES: Final = "values"
T_DEVICE_US: Final = "t_device_us"
T_HOST_S: Final = "t_host_s"
SEQ: Final = "seq"
IMU: Final = "imu"

#: Link statistics kept per foot in /gaps/<foot>_link (a float64 vector, in this order).
LINK_COUNTERS: Final = (
    "frames_received",
    "frames_lost",
    "crc_errors",
    "garbage_bytes",
    "truncated_frames",
    "backwards_timestamps",
    "duplicate_frames",
)

#: Fields of the clock fit vector in /sync/<foot> (device clock -> host time).
SYNC_FIELDS: Final = ("slope", "intercept_s", "residual_ms", "n_points", "t0_device_s")

#: Gap record dtype: the frame index after which frames are missing, how many, when.
GAP_DTYPE: Final = [
    ("index", "<i8"),
    ("n_missing", "<i8"),
    ("t_host_s", "<f8"),
    ("first_seq", "<i8"),
]
MARKER_DTYPE: Final = [("time_s", "<f8"), ("label", "S64")]

#: Metadata attributes (name -> python type); all optional.
METADATA_FIELDS: Final = {
    "subject_id": str,
    "age_years": float,
    "sex": str,
    "body_mass_kg": float,
    "foot_length_mm": float,
    "insole_size": str,
    "footwear": str,
    "task": str,
    "speed_m_s": float,
    "device": str,
    "firmware": str,
    "sampling_rate_hz": float,
    "notes": str,
    "recorded_at": str,
    "source": str,
    "group": str,
}
#: Red-flag questions asked before a report (True / False / unknown).
RED_FLAGS: Final = ("pain", "diabetes_or_neuropathy", "recent_injury")
TASKS: Final = ("walk", "run", "heel-raise", "balance", "static")


def format_version(version: tuple[int, int]) -> str:
    """``(1, 0)`` -> ``"1.0"``."""
    return f"{version[0]}.{version[1]}"


def parse_version(text: str) -> tuple[int, int]:
    """``"1.0"`` -> ``(1, 0)``; raises ``ValueError`` on anything else."""
    major, minor = str(text).split(".")
    return int(major), int(minor)
