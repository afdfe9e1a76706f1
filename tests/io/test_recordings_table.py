"""recordings/README.md lists every shipped file with its sha256, and nothing unlisted ships."""

from __future__ import annotations

import hashlib
import re

import pytest
from iodata import RECORDINGS

#: Files that describe the folder rather than being recordings.
DOC_FILE = re.compile(r"^(README|LICENSE|NOTICE)([-._].*)?$", re.IGNORECASE)


def _table() -> dict[str, str]:
    rows = {}
    for line in (RECORDINGS / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not re.fullmatch(r"[0-9a-f]{64}", cells[-1]):
            continue
        rows[cells[0].strip("`")] = cells[-1]
    return rows


def test_table_has_rows():
    assert len(_table()) >= 7


@pytest.mark.parametrize("name", sorted(_table()))
def test_listed_file_exists_with_its_sha256(name):
    path = RECORDINGS / name
    assert path.is_file(), f"{name} is listed in recordings/README.md but missing"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == _table()[name], f"{name} differs from its listed sha256"


def test_every_file_is_listed():
    listed = set(_table())
    files = {p.relative_to(RECORDINGS).as_posix() for p in RECORDINGS.rglob("*") if p.is_file()}
    unlisted = sorted(f for f in files - listed if not DOC_FILE.match(f.rsplit("/", 1)[-1]))
    assert not unlisted, f"add these to recordings/README.md: {unlisted}"


def test_no_non_commercial_data_ships():
    """The DIY ESP32 logs are CC BY-NC: tests may read them from ../shared, never copy them."""
    assert not [p for p in RECORDINGS.rglob("*") if "COMBO_LOG" in p.name.upper()]
