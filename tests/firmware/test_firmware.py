"""The reference firmware: its C encoder speaks docs/protocol.md, its mux scan and sketch run on fakes.

Built with the host's gcc/g++ (the ESP32 toolchain cannot be downloaded in CI):
``firmware/test/fw_test.c`` drives the portable C code through a fake HAL, and
the sketch is compiled against stub Arduino headers and run on a fake clock and
ADC.  The bytes they write are decoded with the Python decoder.  Without gcc
these tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from insole.protocol import Foot, SampleFormat, TimestampUnwrapper, V1Decoder, encode_v1

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware"
SRC = FIRMWARE / "src"
SKETCH = FIRMWARE / "insole_esp32" / "insole_esp32.ino"
STUBS = FIRMWARE / "test" / "stubs"
C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1"]
CXX_FLAGS = ["-std=gnu++17", "-Wall", "-Wextra", "-Werror"]


def _load_doc_vectors():
    """The test vectors of docs/protocol.md, parsed by tests/protocol/doc_vectors.py."""
    name = "insole_tests_doc_vectors"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "protocol" / "doc_vectors.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file runs
        spec.loader.exec_module(module)
    return sys.modules[name].load_vectors()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI to test the firmware (.ci/run installs it)")
        pytest.skip(f"{name} is not installed")
    return path


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, timeout=60, **kw)
    assert res.returncode == 0, f"{' '.join(map(str, cmd))}\n{res.stderr.decode(errors='replace')}"
    return res


@pytest.fixture(scope="module")
def fw_test(tmp_path_factory) -> Path:
    """The C test program, built with -std=c99 -Wall -Wextra -Werror -pedantic."""
    gcc = _tool("gcc")
    exe = tmp_path_factory.mktemp("fw") / "fw_test"
    _run([gcc, *C_FLAGS, f"-I{SRC}", str(SRC / "insole_v1.c"), str(SRC / "mux_scan.c"),
          str(FIRMWARE / "test" / "fw_test.c"), "-o", str(exe)])
    return exe


def _c_encode(fw_test: Path, lines: list[str]) -> list[str]:
    out = _run([str(fw_test), "encode"], input="\n".join(lines).encode()).stdout.decode()
    return out.splitlines()


def _line(foot, fmt, seq, t_us, values) -> str:
    flat = np.asarray(values).ravel().tolist()
    n = np.asarray(values).shape[-1]
    return " ".join(map(str, [int(Foot.parse(foot)), int(SampleFormat.parse(fmt)), n, seq, t_us, *flat]))


def _decode(data: bytes):
    dec = V1Decoder()
    batch = dec.feed(data)
    tail = dec.flush()
    assert len(tail) == 0 and tail.counters == dict.fromkeys(tail.counters, 0)
    return batch


def test_selftest(fw_test):
    assert _run([str(fw_test), "selftest"]).stdout.decode().strip() == "ok"


def test_c_encoder_reproduces_the_doc_vectors(fw_test):
    vectors = [v for v in _load_doc_vectors() if v.encodable]
    assert len(vectors) >= 4
    lines = [_line(v.foot, v.fmt, v.seq, v.t_device_us,
                   v.block_values if v.foot == "both" else v.block_values[0]) for v in vectors]
    got = _c_encode(fw_test, lines)
    for vec, hex_frame in zip(vectors, got):
        assert bytes.fromhex(hex_frame) == vec.data, vec.name
        batch = _decode(bytes.fromhex(hex_frame))
        assert batch.frames_ok == 1 and batch.values.tolist() == vec.block_values, vec.name


def test_c_encoder_equals_the_python_encoder_on_random_frames(fw_test):
    rng = np.random.default_rng(11)
    cases = []
    for fmt in ("u8", "u12", "u16"):
        for foot in ("left", "right", "both"):
            for n in (1, 2, 3, 16, 99, int(rng.integers(4, 1024)), 1024):
                top = SampleFormat.parse(fmt).max_value
                values = rng.integers(0, top + 1, (2, n) if foot == "both" else (n,))
                values.flat[0] = top
                seq, t_us = (int(x) for x in rng.integers(0, 2**32, 2, dtype=np.uint64))
                cases.append((foot, fmt, seq, t_us, values))
    got = _c_encode(fw_test, [_line(*case) for case in cases])
    assert len(got) == len(cases)
    for (foot, fmt, seq, t_us, values), hex_frame in zip(cases, got):
        assert bytes.fromhex(hex_frame) == encode_v1(foot, seq, t_us, values, fmt), (foot, fmt, values.shape)


def test_c_encoder_refuses_invalid_frames(fw_test):
    lines = [
        "0 12 2 0 0 4095 4096",  # u12 sample out of range
        "0 8 1 0 0 256",  # u8 sample out of range
        "3 16 1 0 0 1",  # foot 3
        "0 10 1 0 0 1",  # 10-bit format
        "0 16 0 0 0",  # no sensors
        "0 16 1025 0 0 " + " ".join(["1"] * 1025),  # too many sensors
        "0 16 1 0 0 65535",  # fine
    ]
    got = _c_encode(fw_test, lines)
    assert got[:-1] == ["ERROR"] * (len(lines) - 1)
    assert bytes.fromhex(got[-1]) == encode_v1("left", 0, 0, [65535], "u16")


def test_c_crc_equals_the_definition(fw_test):
    rng = np.random.default_rng(5)
    blobs = [b"123456789", *(rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (1, 2, 17, 300, 4111))]
    out = _run([str(fw_test), "crc"], input="\n".join(b.hex(" ") for b in blobs).encode()).stdout.decode()
    from insole.protocol import crc16_ccitt_false

    assert [int(x, 16) for x in out.split()] == [crc16_ccitt_false(b) for b in blobs]
    assert int(out.split()[0], 16) == 0x29B1


@pytest.mark.parametrize(("config", "foot", "n_sig", "n_channels"), [("one", "left", 1, 16), ("two", "both", 2, 8)])
def test_mux_scan_through_the_fake_hal_decodes(fw_test, config, foot, n_sig, n_channels):
    n_frames = 50
    wire = _run([str(fw_test), "scan", config, str(n_frames)]).stdout
    batch = _decode(wire)
    assert batch.frames_ok == n_frames and batch.fmt is SampleFormat.U12 and batch.n_sensors == n_channels
    channel = np.arange(n_channels)
    for m, foot_name in enumerate(["left", "right"][:n_sig] if foot == "both" else [foot]):
        rows = batch.select(foot_name)
        # the select pins chose each channel; stale conversions were discarded and noise averaged out
        np.testing.assert_array_equal(rows.values, np.tile(100 * channel + 37 + 2000 * m, (n_frames, 1)))
        assert rows.seq.tolist() == list(range(n_frames))
        t_us = TimestampUnwrapper().unwrap(rows.t_device_us)
        assert (np.diff(t_us) == 10_000).all()
        assert (np.diff(rows.t_device_us.astype(np.int64)) < 0).any(), "the fake clock wraps during the test"


def test_sketch_compiles_against_the_arduino_stubs():
    gxx = _tool("g++")
    _run([gxx, "-fsyntax-only", "-x", "c++", *CXX_FLAGS, f"-I{STUBS}", f"-I{SRC}", str(SKETCH)])


def test_sketch_runs_on_a_fake_board_and_streams_decodable_frames(tmp_path):
    gcc, gxx = _tool("gcc"), _tool("g++")
    objs = []
    for c_file in ("insole_v1.c", "mux_scan.c"):
        objs.append(tmp_path / f"{c_file}.o")
        _run([gcc, *C_FLAGS, f"-I{SRC}", "-c", str(SRC / c_file), "-o", str(objs[-1])])
    objs.append(tmp_path / "sketch.o")
    _run([gxx, "-x", "c++", *CXX_FLAGS, f"-I{STUBS}", f"-I{SRC}", "-c", str(SKETCH), "-o", str(objs[-1])])
    objs.append(tmp_path / "stub.o")
    _run([gxx, *CXX_FLAGS, f"-I{STUBS}", "-c", str(STUBS / "arduino_stub.cpp"), "-o", str(objs[-1])])
    exe = tmp_path / "sketch"
    _run([gxx, *map(str, objs), "-o", str(exe)])
    res = _run([str(exe), "30"])
    batch = _decode(res.stdout)
    defines = dict(re.findall(r"^#define (\w+) (\S+)", SKETCH.read_text(), re.MULTILINE))
    assert f"baud {int(defines['SERIAL_BAUD'].rstrip('ul'))}" in res.stderr.decode()
    assert batch.frames_ok == 30 and (batch.foot == 0).all() and batch.fmt is SampleFormat.U12
    np.testing.assert_array_equal(batch.values, np.tile(100 * np.arange(16) + 37, (30, 1)))
    assert batch.seq.tolist() == list(range(30))
    period_us = 1_000_000 // int(defines["SAMPLE_RATE_HZ"].rstrip("u"))
    # scans start on a fixed schedule (the first one up to 1 us late on the fake clock)
    assert (np.abs(np.diff(TimestampUnwrapper().unwrap(batch.t_device_us)) - period_us) <= 1).all()
    assert (np.diff(batch.t_device_us.astype(np.int64)) < 0).any(), "the fake clock wraps during the test"


def test_readme_wiring_matches_the_sketch_and_states_the_hardware_status():
    readme = (FIRMWARE / "README.md").read_text()
    defines = dict(re.findall(r"^#define (\w+) (\d+)u?l?\b", SKETCH.read_text(), re.MULTILINE))
    for name in ("S0_PIN", "S1_PIN", "S2_PIN", "S3_PIN", "SIG_LEFT_PIN", "SIG_RIGHT_PIN"):
        assert f"GPIO{defines[name]}" in readme, name
    assert defines["SERIAL_BAUD"] in readme
    assert "not been tested on hardware" in readme
    props = (FIRMWARE / "library.properties").read_text()
    assert "includes=insole_v1.h,mux_scan.h" in props
