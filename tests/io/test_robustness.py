"""Bad input never gives a traceback or a half-written recording: one-line InsoleError, exit 2, no file."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insole.exceptions import FormatError, InsoleError
from insole.io import read
from insole.recording import Recording

SOURCES = {
    "moticon": "moticon/230927_102114.txt",
    "fscan": "fscan/FrasP01R.asf",
    "gaitpdb": "gaitpdb/JuPt03_01.txt",
    "xlsx": "moticon/gait_report_230927_10_21_14.xlsx",
}
#: Bytes kept of each source (the head of a big file is enough to exercise every parser path).
KEEP = 200_000
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def sources(recordings, tmp_path_factory):
    """Small real inputs of every parser, the big ones cut at a line end."""
    out = {}
    for name, rel in SOURCES.items():
        data = (recordings / rel).read_bytes()
        if len(data) > KEEP and name != "xlsx":
            data = data[: data.rindex(b"\n", 0, KEEP) + 1]
        out[name] = data
    d = tmp_path_factory.mktemp("src")
    lines = ["# fw=v3.1.0", "time_ms,frame_id," + ",".join(f"R_ch{i}" for i in range(16)) + ","
             + ",".join(f"L_ch{i}" for i in range(16)) + ",flags"]
    lines += [f"{2000 + 50 * k},{k + 1}," + ",".join(str(4095 - (k * 37 + i) % 900) for i in range(32)) + f",{k % 2}" for k in range(60)]
    out["csv-lr"] = ("\n".join(lines) + "\n").encode()
    rec = read(recordings / SOURCES["gaitpdb"])
    from insole.io.formats.csv_dialects import export_csv

    exported = export_csv(Recording({"left": rec.feet["left"]}, rec.metadata), d / "g")
    data = exported[0].read_bytes()
    out["csv-insole"] = data[: data.index(b"\n", 20_000) + 1]
    return out


def check(path):
    """read() either succeeds or raises a one-line InsoleError; anything else fails the test."""
    try:
        rec = read(path)
    except InsoleError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, repr(msg)
        return None
    assert isinstance(rec, Recording)
    return rec


@pytest.mark.parametrize("name", sorted([*SOURCES, "csv-lr", "csv-insole"]))
@FUZZ
@given(frac=st.floats(0.0, 1.0))
def test_truncated(name, frac, sources, tmp_path):
    data = sources[name]
    path = tmp_path / f"cut_{name}"
    path.write_bytes(data[: int(len(data) * frac)])
    check(path)


@pytest.mark.parametrize("name", ["moticon", "fscan", "gaitpdb", "csv-lr", "csv-insole"])
def test_cut_mid_line_is_an_error(name, sources, tmp_path):
    data = sources[name]
    cut = data.index(b"\n", len(data) // 2) - 3  # three characters short of a line end
    path = tmp_path / f"mid_{name}"
    path.write_bytes(data[:cut])
    with pytest.raises(InsoleError) as exc:
        read(path)
    assert "\n" not in str(exc.value)


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes(data, tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(data)
    with pytest.raises(InsoleError):
        check_raises(path)


def check_raises(path):
    rec = check(path)
    if rec is None:
        raise InsoleError("rejected")  # check() already verified the one-line message


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(sorted(SOURCES)), at=st.floats(0, 1))
def test_garbage_spliced_into_real_files(data, name, at, sources, tmp_path):
    src = sources[name]
    i = int(len(src) * at)
    path = tmp_path / f"spliced_{name}"
    path.write_bytes(src[:i] + data + src[i + len(data):])
    check(path)


@FUZZ
@given(
    rows=st.lists(st.lists(st.one_of(st.integers(-5, 5000), st.floats(allow_nan=True, allow_infinity=True), st.just("")),
                           min_size=1, max_size=8), min_size=1, max_size=12),
    fmt=st.sampled_from(["csv-time", "csv-frame", "csv-lr", "auto"]),
)
def test_csv_of_any_shape_in_any_dialect(rows, fmt, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    try:
        read(path, format=fmt, layout="grid-2x2-10")
    except InsoleError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("kind", ["empty", "random", "truncated", "wrong-dialect"])
def test_cli_import_exits_2_and_leaves_no_file(kind, sources, tmp_path, cli, runner):
    path = tmp_path / "input.csv"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    elif kind == "truncated":
        data = sources["csv-lr"]
        path.write_bytes(data[: len(data) // 2 - 5])
    else:
        path.write_bytes(sources["csv-lr"])
    out = tmp_path / "out.h5"
    args = ["import", str(path), "-o", str(out)] + (["--format", "csv-time"] if kind == "wrong-dialect" else [])
    res = runner.invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert res.output.startswith("Error: ") and len(res.output.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


@FUZZ
@given(frac=st.floats(0.05, 0.95))
def test_cli_truncated_moticon_is_all_or_nothing(frac, sources, tmp_path, cli, runner):
    path = tmp_path / "cut.txt"
    data = sources["moticon"]
    path.write_bytes(data[: int(len(data) * frac)])
    out = tmp_path / "out.h5"
    out.unlink(missing_ok=True)
    res = runner.invoke(cli, ["import", str(path), "-o", str(out)])
    assert res.exit_code in (0, 2), res.output
    assert out.exists() == (res.exit_code == 0)
    assert not list(tmp_path.glob("*.partial"))


def test_failure_while_writing_leaves_no_file(recordings, tmp_path, cli, runner, monkeypatch):
    from insole.store import writer

    def boom(self, path, tree):
        raise FormatError("simulated failure while writing the reference tree")

    monkeypatch.setattr(writer.RecordingWriter, "write_tree", boom)
    out = tmp_path / "out.h5"
    res = runner.invoke(cli, ["import", str(recordings / SOURCES["gaitpdb"]), "-o", str(out)])
    assert res.exit_code == 2 and "simulated failure" in res.output
    assert not out.exists() and not list(tmp_path.glob("*.partial"))
