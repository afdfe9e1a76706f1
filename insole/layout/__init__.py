"""Sensor layouts: where each sensor of an insole sits, and the registry of named layouts.

Built-in layouts are JSON files in ``insole/layout/data/`` (one per preset, loaded on first use);
parametric grids ``grid-<rows>x<cols>-<pitch_mm>`` (e.g. ``grid-32x32-5.08``) are generated on
demand; :func:`register_layout` adds user layouts, usually read with :func:`load_layout_file`.
The frame, presets and file schema are documented in ``docs/layouts.md``.

Examples
--------
>>> from insole.layout import get_layout
>>> layout = get_layout("moticon-16", side="right", size=3)
>>> layout.n_sensors, layout.kind
(16, 'pressure_kpa')
>>> layout.region_names[layout.region_weights[13].argmax()]
'hallux'
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache, lru_cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Final

from insole.exceptions import LayoutError, UnknownLayoutError
from insole.layout._layout import KINDS, SIDES, SensorLayout
from insole.layout._outline import standard_outline
from insole.layout._regions import REGIONS, SUBREGIONS
from insole.layout._schema import layout_from_dict

__all__ = [
    "GRID_NAME_PATTERN",
    "KINDS",
    "REGIONS",
    "SIDES",
    "SUBREGIONS",
    "SensorLayout",
    "get_layout",
    "list_layouts",
    "load_layout_file",
    "register_layout",
    "standard_outline",
]

#: Built-in layouts; each has the data file ``insole/layout/data/<name>.json``.
_BUILTIN_LAYOUTS: Final[tuple[str, ...]] = (
    "diy-fsr-16",
    "diy-fsr-8",
    "fscan-60x21",
    "gaitpdb-8",
    "loadsol-3",
    "moticon-16",
    "pedar-99",
)

#: Name pattern of the parametric grids generated on demand.
GRID_NAME_PATTERN: Final[str] = "grid-<rows>x<cols>-<pitch_mm>"

_GRID_NAME = re.compile(r"grid-(\d+)x(\d+)-(\d+(?:\.\d+)?)")
_GRID_EXAMPLE = "grid-32x32-5.08"
_MAX_GRID_CELLS = 100_000

_user_layouts: dict[str, SensorLayout] = {}


def get_layout(name: str, *, side: str = "left", size: int | str | None = None) -> SensorLayout:
    """Return a registered layout by name.

    Parameters
    ----------
    name : str
        A name from :func:`list_layouts` or a parametric grid
        ``grid-<rows>x<cols>-<pitch_mm>``, e.g. ``"grid-32x32-5.08"`` (rows run heel to toe).
    side : {"left", "right"}, optional
        Foot side.
    size : int or str, optional
        Insole size for layouts that come in sizes (``moticon-16``: 1..8, default 7).

    Returns
    -------
    SensorLayout
        Shared and immutable; do not rely on identity.

    Raises
    ------
    UnknownLayoutError
        If ``name`` is not registered; the message lists the available names.
    LayoutError
        If ``side`` or ``size`` is not valid for the layout.
    """
    if side not in SIDES:
        raise LayoutError(f"side must be one of {list(SIDES)}, got {side!r}")
    if name in _user_layouts:
        if size is not None:
            raise LayoutError(
                f"layout {name!r} comes in one size only; drop the size and scale it with "
                "SensorLayout.with_length()"
            )
        layout = _user_layouts[name]
        return layout if layout.side == side else layout.mirrored()
    return _cached_layout(name, side, None if size is None else str(size))


def list_layouts(descriptions: bool = False) -> list[str] | list[tuple[str, str]]:
    """List the registered layout names.

    Parametric grids (:data:`GRID_NAME_PATTERN`, e.g. ``grid-32x32-5.08``) are not listed
    because any size can be generated.

    Parameters
    ----------
    descriptions : bool, optional
        Return ``(name, description)`` pairs instead of names.

    Returns
    -------
    list of str or list of (str, str)
        Sorted by name.
    """
    names = sorted({*_BUILTIN_LAYOUTS, *_user_layouts})
    if not descriptions:
        return names
    return [(name, _description(name)) for name in names]


def register_layout(layout: SensorLayout, *, overwrite: bool = False) -> None:
    """Make a user layout available to :func:`get_layout` under ``layout.name``.

    Parameters
    ----------
    layout : SensorLayout
        The layout, for either side (the other side is derived by mirroring).
    overwrite : bool, optional
        Replace a user layout already registered under that name.

    Raises
    ------
    LayoutError
        If the name belongs to a built-in layout or a parametric grid, or is taken and
        ``overwrite`` is False.
    """
    if not isinstance(layout, SensorLayout):
        raise TypeError(f"register_layout() takes a SensorLayout, not {type(layout).__name__}")
    name = layout.name
    if name in _BUILTIN_LAYOUTS or _GRID_NAME.fullmatch(name):
        raise LayoutError(f"layout name {name!r} is reserved for a built-in layout; rename yours")
    if name in _user_layouts and not overwrite:
        raise LayoutError(
            f"a layout named {name!r} is already registered; rename it or pass overwrite=True"
        )
    _user_layouts[name] = layout


def load_layout_file(path: str | PathLike[str], *, size: int | str | None = None) -> SensorLayout:
    """Read a layout from a JSON file in the schema of ``docs/layouts.md``.

    The layout is not registered; pass it to :func:`register_layout` to use it by name.

    Parameters
    ----------
    path : str or path-like
        The ``.json`` file.
    size : int or str, optional
        Size to build when the file has a ``sizes`` block.

    Returns
    -------
    SensorLayout

    Raises
    ------
    LayoutError
        If the file cannot be read or is not a valid layout (one line naming the problem).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LayoutError(
            f"cannot read layout file {str(path)!r} ({exc.strerror}); check the path"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayoutError(
            f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "fix the syntax"
        ) from None
    return layout_from_dict(data, size=size, source=path.name)


@lru_cache(maxsize=64)
def _cached_layout(name: str, side: str, size: str | None) -> SensorLayout:
    if side != "left":
        return _cached_layout(name, "left", size).mirrored()
    if name in _BUILTIN_LAYOUTS:
        return layout_from_dict(_definition(name), size=size, source=f"{name}.json")
    match = _GRID_NAME.fullmatch(name)
    if match is None:
        raise UnknownLayoutError(_unknown_message(name))
    rows, cols, pitch_mm = int(match[1]), int(match[2]), float(match[3])
    if size is not None:
        raise LayoutError(f"grid layouts have no sizes; drop size={size!r}")
    if not (2 <= rows and 2 <= cols and rows * cols <= _MAX_GRID_CELLS and pitch_mm > 0.0):
        raise LayoutError(
            f"grid {name!r} is out of range; use at least 2 rows and 2 columns, at most "
            f"{_MAX_GRID_CELLS} cells and a positive pitch in mm"
        )
    definition = {
        "name": name,
        "description": f"Rectangular grid, {rows} rows x {cols} columns at {pitch_mm:g} mm pitch "
        "(parametric; cells whose centre lies inside the insole outline are active)",
        "grid": {"rows": rows, "cols": cols, "pitch_mm": pitch_mm},
    }
    return layout_from_dict(definition)


@cache
def _definition(name: str) -> dict[str, Any]:
    text = (resources.files(__name__) / "data" / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def _description(name: str) -> str:
    if name in _user_layouts:
        return _user_layouts[name].description
    return str(_definition(name).get("description", ""))


def _unknown_message(name: str) -> str:
    names = list_layouts()
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"unknown layout {name!r}{hint}; use one of {', '.join(names)}, "
        f"or a grid {GRID_NAME_PATTERN} such as {_GRID_EXAMPLE}"
    )
