"""Reading recordings from files: the format registry, identification and :func:`read`.

Every supported file format is one :class:`FormatSpec` in :data:`FORMATS`
(built-ins are listed in :func:`_builtin_formats`, one module each in
:mod:`insole.io.formats`).  :func:`identify` looks at the content of a file
(its first few KB), using the suffix only to break ties; :func:`read` turns
one file, or the files of one trial (e.g. the left and right F-Scan files, or
a Moticon export with its gait report), into a :class:`~insole.recording.Recording`.

Adding a format takes three steps: a module in ``insole/io/formats/`` with an
``identify`` and a ``read`` function, one entry in :func:`_builtin_formats`,
and the format in ``tests/io`` (its real files and the conformance tests).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Union

from insole.exceptions import InsoleError, UnknownFormatError

if TYPE_CHECKING:
    from insole.calibration import Calibration
    from insole.layout import SensorLayout
    from insole.recording import Recording

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class FormatSpec:
    """One file format the importer knows.

    Parameters
    ----------
    name : str
        Registry key, used by ``--format``.
    description : str
        One line for ``insole formats``.
    suffixes : tuple of str
        Usual suffixes (lower case, with the dot); only a tie-breaker.
    identify : callable
        ``identify(path, head_bytes) -> bool``: does this file look like the
        format?  Looks at the content; must not raise.
    read : callable
        ``read(paths, *, layout=None, **options) -> Recording``.
    multi_file : bool
        True when several files make one recording (one file per foot).
    options : tuple of str
        Format-specific reader options (e.g. ``columns`` for ``csv-generic``).
    attach : callable, optional
        For companion files that are not recordings (a vendor report):
        ``attach(recording, paths, primary_paths)`` adds them to a recording
        of a format named in ``attaches_to``.
    attaches_to : tuple of str
        Formats whose recordings ``attach`` accepts.
    auto : bool
        False for formats that are only used when named (``csv-generic``).
    """

    name: str
    description: str
    suffixes: tuple[str, ...]
    identify: Callable[[Path, bytes], bool]
    read: Callable[..., Recording]
    multi_file: bool = False
    options: tuple[str, ...] = ()
    attach: Callable[..., None] | None = None
    attaches_to: tuple[str, ...] = ()
    auto: bool = True


def _builtin_formats() -> dict[str, FormatSpec]:
    """The built-in formats, in identification order (most specific first)."""
    from insole.io.formats import csv_dialects, fscan, gaitpdb, loadsol, moticon, native, v1_capture

    specs = [
        native.FORMAT,
        v1_capture.FORMAT,
        moticon.FORMAT,
        moticon.REPORT_FORMAT,
        fscan.FORMAT,
        loadsol.FORMAT,
        *csv_dialects.FORMATS,
        gaitpdb.FORMAT,
    ]
    return {spec.name: spec for spec in specs}


#: The format registry: name -> :class:`FormatSpec`, in identification order.
FORMATS: Final[dict[str, FormatSpec]] = _builtin_formats()


def register_format(spec: FormatSpec, *, overwrite: bool = False) -> None:
    """Add a format to :data:`FORMATS` (identified after the built-ins)."""
    if spec.name in FORMATS and not overwrite:
        raise ValueError(f"format {spec.name!r} is already registered")
    FORMATS[spec.name] = spec


def list_formats() -> list[FormatSpec]:
    """The registered formats, in identification order."""
    return list(FORMATS.values())


def _supported() -> str:
    return ", ".join(f"{s.name} ({'/'.join(s.suffixes) or 'any'})" for s in FORMATS.values())


def get_format(name: str) -> FormatSpec:
    """The :class:`FormatSpec` called ``name``; a one-line error lists the names otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormatError(
            f"unknown format {name!r}; use one of: {', '.join(FORMATS)} (or auto)"
        ) from None


def identify(path: PathLike) -> str:
    """The name of the format of the file at ``path``.

    The content decides (the first few KB); when several formats accept it,
    the one whose suffixes include the file's suffix wins, then the more
    specific one (registry order).

    Raises
    ------
    UnknownFormatError
        No format recognises the file; the message lists the supported ones.
    InsoleError
        The file is missing, a folder, or empty.
    """
    from insole.io._common import read_head

    p = _existing(path)
    head = read_head(p)
    if not head.strip():
        raise UnknownFormatError(f"{p} is empty; nothing to import")
    hits = []
    for spec in FORMATS.values():
        if not spec.auto:
            continue
        try:
            ok = spec.identify(p, head)
        except Exception:  # an identifier must never break identification
            ok = False
        if ok:
            hits.append(spec)
    if not hits:
        raise UnknownFormatError(
            f"{p}: unknown file format; supported: {_supported()}; or name it with --format"
        )
    by_suffix = [s for s in hits if p.suffix.lower() in s.suffixes]
    return (by_suffix or hits)[0].name


def _existing(path: PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise InsoleError(f"{p} does not exist")
    if p.is_dir():
        raise InsoleError(f"{p} is a folder; give the files to import")
    return p


def _metadata_overrides(rec: Recording, overrides: Mapping[str, Any]) -> Recording:
    from insole.recording import Metadata
    from insole.store import schema

    fields = {f.name for f in dataclasses.fields(Metadata)}
    clean: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in fields:
            raise InsoleError(f"unknown metadata field {key!r}; use one of {', '.join(sorted(fields))}")
        if key == "task" and value not in schema.TASKS:
            raise InsoleError(f"task must be one of {', '.join(schema.TASKS)}, not {value!r}")
        if key == "body_mass_kg" and not (0 < float(value) < 500):
            raise InsoleError(f"body mass must be in kg between 0 and 500, not {value!r}")
        clean[key] = value
    if clean:
        rec.metadata = rec.metadata.replace(**clean)
    return rec


def _apply_calibration(rec: Recording, calibration: Any) -> None:
    from insole.calibration import Calibration, calibration_for_foot, load_calibration
    from insole.exceptions import CalibrationError

    if calibration is None:
        return
    if isinstance(calibration, (str, os.PathLike)):
        cals = load_calibration(calibration)
    elif isinstance(calibration, Calibration):
        cals = {foot: calibration for foot in rec.feet}
    elif isinstance(calibration, Mapping):
        cals = dict(calibration)
    else:
        raise CalibrationError("calibration must be a Calibration, a {foot: Calibration} dict or a JSON file path")
    for foot, fd in rec.feet.items():
        cal = calibration_for_foot(cals, foot)
        if cal is None:
            continue
        if cal.n_sensors != fd.layout.n_sensors:
            raise CalibrationError(
                f"the calibration has {cal.n_sensors} sensors but the {foot} foot has {fd.layout.n_sensors}; "
                "use a calibration built for this layout"
            )
        expected = "kPa" if fd.layout.kind == "pressure_kpa" else "N"
        if cal.unit != expected:
            raise CalibrationError(
                f"the calibration gives {cal.unit} but layout {fd.layout.name!r} needs {expected}; "
                "rebuild it with 'insole calibrate --layout'"
            )
        fd.calibration = cal


def read(
    paths: PathLike | Sequence[PathLike],
    *,
    format: str = "auto",
    layout: str | SensorLayout | None = None,
    calibration: Calibration | Mapping[str, Calibration] | PathLike | None = None,
    options: Mapping[str, Any] | None = None,
    **metadata_overrides: Any,
) -> Recording:
    """Read one file, or the files of one trial, into a :class:`~insole.recording.Recording`.

    Parameters
    ----------
    paths : path or sequence of paths
        One file, or several files of one trial: one per foot (e.g. F-Scan
        ``...L.asf`` and ``...R.asf``, or two single-foot CSV files) plus
        companion files that attach to the recording (a Moticon gait report
        ``.xlsx``).
    format : str
        ``"auto"`` (identify by content) or a name from :data:`FORMATS`.
    layout : str or SensorLayout, optional
        Sensor layout instead of the format's default (needed for DIY CSVs
        whose sensors are not the ``diy-fsr-*`` presets).
    calibration : Calibration, dict or path, optional
        Calibration to store with the raw values (a file written by
        ``insole calibrate``, one :class:`Calibration` for every foot, or a
        ``{"left": ..., "right": ...}`` dict).
    options : mapping, optional
        Format-specific reader options (``insole formats`` lists them), e.g.
        ``{"columns": "map.json"}`` for ``csv-generic`` or ``{"side": "right"}``.
    **metadata_overrides
        :class:`~insole.recording.Metadata` fields that replace what the file
        says (``subject_id``, ``body_mass_kg``, ``task``, ...).

    Returns
    -------
    Recording
        Raw values exactly as the file holds them, with their unit, layout,
        timestamps, gaps and (under ``reference``) the vendor's own values.

    Raises
    ------
    UnknownFormatError
        A file no format recognises (the message lists the supported ones).
    FormatError
        A file of a known format that is malformed (truncated, wrong dialect).
    InsoleError
        Any other user error; every message is one line.

    Examples
    --------
    >>> import insole
    >>> rec = insole.read("recordings/moticon/230927_102114.txt")  # doctest: +SKIP
    >>> rec.feet["left"].layout.name  # doctest: +SKIP
    'moticon-16'
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = [_existing(p) for p in paths]
    if not files:
        raise InsoleError("no file to import")
    if len(set(map(os.path.realpath, files))) != len(files):
        raise InsoleError("the same file is given twice; give each file once")
    names = [identify(p) if format == "auto" else None for p in files]
    if format != "auto":
        forced = get_format(format)
        for i, p in enumerate(files):
            try:
                auto_name = identify(p)
            except InsoleError:
                auto_name = None
            attach = FORMATS[auto_name] if auto_name else None
            names[i] = auto_name if attach is not None and forced.name in attach.attaches_to else forced.name
    primary = [(p, n) for p, n in zip(files, names) if FORMATS[n].attach is None]
    companions = [(p, n) for p, n in zip(files, names) if FORMATS[n].attach is not None]
    if not primary:
        spec = FORMATS[companions[0][1]]
        raise InsoleError(
            f"{companions[0][0]} is a {spec.description.lower()}, not a recording; "
            f"import it together with its recording ({', '.join(spec.attaches_to)})"
        )
    fmts = {n for _, n in primary}
    if len(fmts) > 1:
        raise InsoleError(
            f"the files are of different formats ({', '.join(sorted(fmts))}); one import takes the files of one trial"
        )
    spec = FORMATS[fmts.pop()]
    if len(primary) > 1 and not spec.multi_file:
        raise InsoleError(
            f"format {spec.name} holds a whole trial in one file; import the {len(primary)} files separately"
        )
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(spec.options))
    if unknown:
        takes = ", ".join(spec.options) if spec.options else "none"
        raise InsoleError(f"option {unknown[0]!r} does not apply to format {spec.name} (it takes: {takes})")
    primary_paths = [p for p, _ in primary]
    rec = spec.read(primary_paths, layout=layout, **opts)
    for p, n in companions:
        comp = FORMATS[n]
        if spec.name not in comp.attaches_to:
            raise InsoleError(f"{p} ({n}) cannot be attached to a {spec.name} recording")
        comp.attach(rec, [p], primary_paths)
    _apply_calibration(rec, calibration)
    return _metadata_overrides(rec, metadata_overrides)


__all__ = ["FORMATS", "FormatSpec", "get_format", "identify", "list_formats", "read", "register_format"]
