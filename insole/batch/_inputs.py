"""Which recordings a batch covers: files, folders and glob patterns -> one item per recording."""

from __future__ import annotations

import glob
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from insole.exceptions import InsoleError

#: Bytes read at a time while hashing.
HASH_BLOCK_BYTES = 1 << 20
_GLOB_CHARS = re.compile(r"[*?\[]")
_SIDE = re.compile(r"(?i)(?:(?<=[^a-z])|^)(left|right|links|rechts|l|r)(?=[^a-z]|$)")


@dataclass(frozen=True)
class BatchItem:
    """One recording of a batch.

    Attributes
    ----------
    paths : tuple of str
        Absolute paths of the files of the recording (one, or one per foot for
        formats that keep each foot in its own file).
    format : str or None
        The format identified from the content (None when no format knows it:
        the recording is then reported with the error).
    """

    paths: tuple[str, ...]
    format: str | None

    @property
    def name(self) -> str:
        """The first file's path, the recording's name in the summary."""
        return self.paths[0]


def file_sha256(path: str | os.PathLike, *, block_bytes: int = HASH_BLOCK_BYTES) -> str:
    """SHA-256 of a file's content (hex), read in blocks (bounded memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(block_bytes):
            h.update(block)
    return h.hexdigest()


def content_key(paths: Sequence[str | os.PathLike]) -> str:
    """Key of a recording's content: SHA-256 of one file, or of its files' hashes in order."""
    digests = [file_sha256(p) for p in paths]
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _identify(path: Path) -> tuple[str | None, bool]:
    """(format name or None, is it a companion file that is not a recording)."""
    from insole.io import FORMATS, identify

    try:
        name = identify(path)
    except InsoleError:
        return None, False
    return name, FORMATS[name].attach is not None


def _side_key(path: Path) -> tuple[str, str] | None:
    """(parent, name without its side token) for ``walk_L.csv`` / ``FrasP01R.asf``; None without one."""
    from insole.io._common import side_from_name

    side = side_from_name(path)
    if side is None:
        return None
    stem = path.stem
    if stem[-1:] in ("L", "R") and len(stem) > 1 and not stem[-2].isupper():
        base = stem[:-1]
    else:
        base = _SIDE.sub("", stem, count=1)
    return str(path.parent), base + path.suffix.lower()


def _matches(pattern: str) -> list[Path]:
    return [Path(p) for p in sorted(glob.glob(os.path.expanduser(pattern), recursive=True))]


def _walk(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith(".cache"))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def expand_inputs(inputs: Sequence[str | os.PathLike]) -> list[BatchItem]:
    """The recordings named by files, folders and glob patterns, in a stable order.

    A file given by name is always a recording (one no format recognises is
    kept, and reported with its error).  Folders are searched recursively and
    glob patterns (``**`` for any depth) expanded; from those, only files that
    some format recognises are kept, and companion files (a Moticon gait
    report) are left out.  The left and right files of a format that keeps
    each foot in its own file (``FrasP01L.asf`` + ``FrasP01R.asf``) make one
    recording.  A file reached twice is counted once.

    Parameters
    ----------
    inputs : sequence of str or path
        Files, folders or glob patterns.

    Returns
    -------
    list of BatchItem
        Sorted by path.

    Raises
    ------
    InsoleError
        Nothing matched, or a named file or folder does not exist.
    """
    from insole.io import FORMATS

    chosen: dict[str, tuple[Path, str | None]] = {}
    for given in inputs:
        text = os.fspath(given)
        p = Path(os.path.expanduser(text))
        if p.is_file():
            name, _companion = _identify(p)
            chosen.setdefault(os.path.realpath(p), (p.resolve(), name))
            continue
        if p.is_dir():
            candidates = list(_walk(p))
        elif _GLOB_CHARS.search(text):
            candidates = []
            for m in _matches(text):
                candidates.extend(_walk(m) if m.is_dir() else [m])
        else:
            raise InsoleError(f"{text} does not exist; give recording files, folders or glob patterns")
        for c in candidates:
            real = os.path.realpath(c)
            if real in chosen or not c.is_file():
                continue
            name, companion = _identify(c)
            if name is not None and not companion:
                chosen[real] = (c.resolve(), name)
    if not chosen:
        shown = " ".join(os.fspath(i) for i in inputs) or "(none)"
        raise InsoleError(f"no recordings matched {shown}; give recording files, folders or glob patterns")
    items: list[BatchItem] = []
    pairs: dict[tuple[str, str, str], list[Path]] = {}
    for path, name in sorted(chosen.values(), key=lambda v: str(v[0])):
        key = _side_key(path) if name is not None and FORMATS[name].multi_file else None
        if key is None:
            items.append(BatchItem((str(path),), name))
        else:
            pairs.setdefault((*key, name), []).append(path)
    for (_parent, _base, name), paths in pairs.items():
        if len(paths) == 2:
            items.append(BatchItem(tuple(str(p) for p in sorted(paths)), name))
        else:
            items.extend(BatchItem((str(p),), name) for p in paths)
    items.sort(key=lambda it: it.paths)
    return items


__all__ = ["BatchItem", "content_key", "expand_inputs", "file_sha256"]
