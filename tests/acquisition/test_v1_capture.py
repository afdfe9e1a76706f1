"""Raw protocol-v1 captures (.bin) import like any other format."""

from __future__ import annotations

import numpy as np
import pytest

import insole
from insole.exceptions import FormatError
from insole.io import FORMATS, identify, register_format
from insole.io.formats import v1_capture
from insole.protocol import encode_v1_batch


@pytest.fixture(autouse=True)
def registered():
    """The format, registered as insole/io/__init__.py's _builtin_formats lists it (or will)."""
    added = "v1-capture" not in FORMATS
    if added:
        register_format(v1_capture.FORMAT)
    yield
    if added:
        FORMATS.pop("v1-capture", None)


def _capture(tmp_path, n_sensors=16, fmt="u12"):
    rng = np.random.default_rng(0)
    vals = rng.integers(0, 4096, (40, 2, n_sensors))
    seq = np.r_[0:10, 12:40, 40:42]  # frames 10 and 11 lost
    wire = encode_v1_batch("both", seq, (seq * 10_000 + 4_294_900_000) & 0xFFFFFFFF, vals[: seq.size], fmt)
    bad = bytearray(encode_v1_batch("both", [42], [0], vals[:1], fmt))
    bad[20] ^= 0x01  # one corrupted frame
    path = tmp_path / "walk.bin"
    path.write_bytes(b"boot ok\r\n" + wire + bytes(bad))
    return path, vals[: seq.size], seq


def test_identified_and_imported_with_gaps_and_counters(tmp_path):
    path, vals, seq = _capture(tmp_path)
    assert identify(path) == "v1-capture"
    rec = insole.read(path)
    for i, foot in enumerate(("left", "right")):
        fd = rec.feet[foot]
        assert fd.layout.name == "diy-fsr-16" and fd.unit == "count"
        assert np.array_equal(fd.seq, seq) and np.array_equal(fd.values, vals[:, i])
        assert np.all(np.diff(fd.t_device_us) == np.diff(seq) * 10_000)  # unwrapped across the 2**32 wrap
        assert fd.gaps.tolist()[0][:2] == (9, 2)
        assert fd.link["crc_errors"] == 1 and fd.link["garbage_bytes"] == 9 and fd.link["frames_lost"] == 2
    assert rec.metadata.sampling_rate_hz == 100.0


def test_other_sensor_counts_need_a_layout(tmp_path):
    path, _, _ = _capture(tmp_path, n_sensors=99, fmt="u16")
    with pytest.raises(FormatError, match="--layout"):
        insole.read(path)
    assert insole.read(path, layout="pedar-99").feet["left"].layout.n_sensors == 99


def test_a_file_without_frames_is_not_a_capture(tmp_path):
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\xa5\x5a\x01" + bytes(100))
    assert not v1_capture.identify(path, path.read_bytes())
    with pytest.raises(FormatError, match="no valid protocol-v1 frame"):
        v1_capture.read([path])
