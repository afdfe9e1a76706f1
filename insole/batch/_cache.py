"""Results of a batch kept on disk, one JSON file per recording content hash.

The folder sits next to the summary (``SUMMARY.csv.cache/``).  Each file is
written atomically (a temporary file, then :func:`os.replace`), so a batch
stopped at any moment leaves only whole results, and the next run of the same
command skips the recordings already done.  Failed recordings are not kept:
a re-run tries them again.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from insole._version import __version__
from insole.batch._task import ROW_VERSION
from insole.exceptions import InsoleError


def cache_dir_for(summary_csv: str | os.PathLike) -> Path:
    """The cache folder of a summary file: ``<summary>.cache`` beside it."""
    p = Path(summary_csv)
    return p.with_name(p.name + ".cache")


class ResultCache:
    """One JSON file per content key in ``folder``.

    Parameters
    ----------
    folder : path
        Created on the first :meth:`put`.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        """The file of one key."""
        return self.folder / f"{key}.json"

    def get(self, key: str, *, need_steps: bool = False) -> dict[str, Any] | None:
        """The stored result of ``key``; None when absent, unreadable, of another version, or
        (with ``need_steps``) stored without its per-step rows."""
        try:
            text = self.path(key).read_text()
            result = json.loads(text)
        except (OSError, ValueError):
            return None
        if (not isinstance(result, dict) or result.get("row_version") != ROW_VERSION
                or result.get("insole_version") != __version__ or result.get("status") != "ok"
                or (need_steps and not result.get("has_steps"))):
            return None
        return result

    def put(self, result: dict[str, Any]) -> None:
        """Store a successful result atomically (errors are not stored)."""
        if result.get("status") != "ok":
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".partial")
            try:
                with os.fdopen(fd, "w") as fh:
                    json.dump({**result, "insole_version": __version__}, fh, allow_nan=False)
                os.replace(tmp, self.path(result["key"]))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise InsoleError(f"cannot write the batch cache {self.folder}: {exc.strerror or exc}") from None


__all__ = ["ResultCache", "cache_dir_for"]
