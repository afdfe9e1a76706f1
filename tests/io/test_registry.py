"""The format registry: listing, identification by content, errors, native files, 'insole formats'."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from iodata import needs_shared

import insole.io as io
from insole.exceptions import InsoleError, RecordingFileError, UnknownFormatError
from insole.io import FORMATS, FormatSpec, get_format, identify, list_formats, read

SAMPLES = {
    "moticon": "moticon/230927_102114.txt",
    "moticon-report": "moticon/gait_report_230927_10_21_14.xlsx",
    "fscan": "fscan/FrasP01L.asf",
    "gaitpdb": "gaitpdb/JuPt03_01.txt",
}


def test_registry_lists_the_builtins_in_one_place():
    names = [s.name for s in list_formats()]
    assert names[0] == "native"
    assert set(names) >= {"native", "moticon", "moticon-report", "fscan", "loadsol", "gaitpdb", "csv-time", "csv-frame",
                          "csv-lr", "csv-generic", "csv-insole"}
    for spec in list_formats():
        assert isinstance(spec, FormatSpec) and spec.description and spec.suffixes
        assert all(sfx.startswith(".") and sfx == sfx.lower() for sfx in spec.suffixes)
        assert spec.identify(__import__("pathlib").Path("x"), b"") is False


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_identify_by_content_not_suffix(name, recordings, tmp_path):
    src = recordings / SAMPLES[name]
    assert identify(src) == name
    odd = tmp_path / "renamed.bin"
    shutil.copy(src, odd)
    assert identify(odd) == name


def test_unknown_file_lists_the_formats(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(UnknownFormatError) as exc:
        read(path)
    msg = str(exc.value)
    assert "\n" not in msg and "unknown file format" in msg
    assert all(name in msg for name in FORMATS)


def test_unknown_format_name():
    with pytest.raises(UnknownFormatError, match="use one of: native") as exc:
        get_format("pedar-xls")
    assert "\n" not in str(exc.value)


def test_empty_missing_and_duplicate(tmp_path, recordings):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(UnknownFormatError, match="empty"):
        read(tmp_path / "empty.csv")
    with pytest.raises(InsoleError, match="does not exist"):
        read(tmp_path / "nope.txt")
    with pytest.raises(InsoleError, match="folder"):
        read(tmp_path)
    p = recordings / SAMPLES["gaitpdb"]
    with pytest.raises(InsoleError, match="twice"):
        read([p, p])
    with pytest.raises(InsoleError, match="no file"):
        read([])


def test_mixed_formats_and_single_file_formats(recordings):
    with pytest.raises(InsoleError, match="different formats"):
        read([recordings / SAMPLES["gaitpdb"], recordings / SAMPLES["fscan"]])
    with pytest.raises(InsoleError, match="separately"):
        read([recordings / "gaitpdb" / "JuPt03_01.txt", recordings / "gaitpdb" / "GaCo01_01.txt"])


def test_native_recordings_and_overrides(recordings, tmp_path):
    rec = read(recordings / SAMPLES["gaitpdb"], subject_id="S7", task="walk", body_mass_kg=60.5)
    assert (rec.metadata.subject_id, rec.metadata.body_mass_kg) == ("S7", 60.5)
    rec.save(tmp_path / "r.h5")
    assert identify(tmp_path / "r.h5") == "native"
    back = read(tmp_path / "r.h5")
    np.testing.assert_array_equal(back.feet["left"].values, rec.feet["left"].values)
    with pytest.raises(InsoleError, match="own layout"):
        read(tmp_path / "r.h5", layout="gaitpdb-8")
    with pytest.raises(InsoleError, match="task must be"):
        read(recordings / SAMPLES["gaitpdb"], task="dance")
    with pytest.raises(InsoleError, match="unknown metadata field"):
        read(recordings / SAMPLES["gaitpdb"], colour="red")
    import h5py

    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(RecordingFileError, match="not an insole recording"):
        read(tmp_path / "foreign.h5")


def test_forced_format_and_layout_mismatch(recordings):
    with pytest.raises(InsoleError, match="8 per foot"):
        read(recordings / SAMPLES["gaitpdb"], layout="moticon-16")
    rec = read(recordings / SAMPLES["gaitpdb"], format="gaitpdb")
    assert rec.metadata.source == "gaitpdb"


def test_register_format(tmp_path):
    spec = FormatSpec("test-fmt", "a test format", (".tst",), lambda p, h: h.startswith(b"TST"), lambda paths, layout=None: None)
    io.register_format(spec)
    try:
        (tmp_path / "a.tst").write_bytes(b"TST 1\n")
        assert identify(tmp_path / "a.tst") == "test-fmt"
        with pytest.raises(ValueError, match="already registered"):
            io.register_format(spec)
    finally:
        del FORMATS["test-fmt"]


def test_insole_formats_command(cli, runner):
    res = runner.invoke(cli, ["formats"])
    assert res.exit_code == 0
    for name in FORMATS:
        assert name in res.output
    assert "only with --format" in res.output and "attaches to moticon" in res.output


@pytest.mark.parametrize("command", ["import", "formats", "calibrate", "export"])
def test_help(cli, runner, command):
    res = runner.invoke(cli, [command, "--help"])
    assert res.exit_code == 0 and "Examples:" in res.output


@needs_shared
def test_every_shared_file_imports_and_info_shows_it(shared, tmp_path, cli, runner):
    """Done-when: every file in ../shared/data imports (the xlsx with its recording) and 'insole info' shows it."""
    trials = [
        [shared / "moticon" / "230927_102114.txt", shared / "moticon" / "gait_report_230927_10_21_14.xlsx"],
        [shared / "moticon" / "walk_data_with_events" / "text_export.txt"],
        [shared / "fscan" / "data" / "FrasP01L.asf", shared / "fscan" / "data" / "FrasP01R.asf"],
    ]
    trials += [[p] for p in sorted((shared / "loadsol" / "data").glob("*.txt"))]
    trials += [[p] for p in sorted((shared / "diy-esp32" / "data").glob("*.CSV"))]
    trials += [[p] for p in sorted((shared / "gaitpdb" / "data").glob("*.txt"))[:3]]  # all 30: test_gaitpdb (slow)
    for i, files in enumerate(trials):
        out = tmp_path / f"{i}.h5"
        res = runner.invoke(cli, ["import", *map(str, files), "-o", str(out)])
        assert res.exit_code == 0, (files, res.output)
        res = runner.invoke(cli, ["info", str(out)])
        assert res.exit_code == 0 and "valid: yes" in res.output, res.output
