"""Message catalogues of the reports (``messages/<lang>.json``) and language-aware number formatting.

Every sentence a report shows comes from a catalogue, never from a string in
the code: ``Catalog("nl").text("finding.toe_off_lateral", foot=..., share=...)``.
Placeholders are ``{name}`` fields (:meth:`str.format`); every catalogue has
the same keys with the same placeholders (``tests/report/test_messages.py``).
Values passed to :meth:`Catalog.text` are :class:`Num` (formatted with the
language's decimal mark), :class:`Term` (another catalogue key, translated) or
plain strings (shown verbatim; user-supplied strings are escaped by the
renderer, not here).
"""

from __future__ import annotations

import json
import math
import string
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Final

#: Languages with a catalogue, the first one being the reference.
LANGUAGES: Final = ("en", "nl")


@dataclass(frozen=True)
class Num:
    """A number to show with a fixed number of decimals (``None``/NaN shows as a dash).

    Parameters
    ----------
    value : float or None
        The value.
    digits : int
        Decimals shown.
    signed : bool
        Always show the sign (for differences).
    """

    value: float | None
    digits: int = 1
    signed: bool = False


@dataclass(frozen=True)
class Term:
    """A catalogue key used as a value inside another message (e.g. ``foot.left``)."""

    key: str


@dataclass(frozen=True)
class Shares:
    """A distribution shown as ``label share %`` items, e.g. ``RFS 87 %, MFS 13 %``.

    Parameters
    ----------
    items : tuple of (Term or str, float)
        Labels and shares in percent, in the order shown.
    """

    items: tuple[tuple[Term | str, float], ...]


@dataclass(frozen=True)
class Msg:
    """A catalogue key with its placeholder values: a sentence not yet in any language."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def placeholders(message: str) -> set[str]:
    """The ``{name}`` fields of a message.

    Examples
    --------
    >>> sorted(placeholders("{foot}: {share} % of {n} steps"))
    ['foot', 'n', 'share']
    """
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


@cache
def _load(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"no report messages for language {lang!r}; use one of {', '.join(LANGUAGES)}")
    text = (resources.files("insole.report") / "messages" / f"{lang}.json").read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


class Catalog:
    """The messages of one language.

    Parameters
    ----------
    lang : {"en", "nl"}
        Language.
    """

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang
        self.messages = _load(lang)
        self._decimal = self.messages["format.decimal_mark"]

    def number(self, num: Num | float | int | None, digits: int = 1) -> str:
        """A number with this language's decimal mark; a dash when missing."""
        if not isinstance(num, Num):
            num = Num(num, digits)
        v = num.value
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "–"
        text = f"{v:+.{num.digits}f}" if num.signed else f"{v:.{num.digits}f}"
        if text.lstrip("+-").strip("0.") == "":  # -0.0 -> 0.0
            text = f"{0:.{num.digits}f}"
        return text.replace("-", "−").replace(".", self._decimal)

    def value(self, v: Any) -> str:
        """Format one placeholder value."""
        if isinstance(v, Term):
            return self.messages[v.key]
        if isinstance(v, Num):
            return self.number(v)
        if isinstance(v, bool):
            return self.messages["common.yes" if v else "common.no"]
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return self.number(v)
        if isinstance(v, Shares):
            sep = self.messages["format.list_separator"]
            return sep.join(f"{self.value(label)} {self.number(share, 0)} %" for label, share in v.items) or "–"
        if isinstance(v, Msg):
            return self.render(v)
        if isinstance(v, (list, tuple)):
            return self.messages["format.list_separator"].join(self.value(x) for x in v)
        return str(v)

    def text(self, key: str, **params: Any) -> str:
        """The message ``key`` with its placeholders filled.

        Raises
        ------
        KeyError
            The key is not in the catalogue (a bug: every key must exist in every language).
        """
        message = self.messages[key]
        return message.format_map({name: self.value(v) for name, v in params.items()}) if params else message

    def render(self, msg: Msg) -> str:
        """The text of a :class:`Msg`."""
        return self.text(msg.key, **msg.params)

    def __contains__(self, key: str) -> bool:
        return key in self.messages


__all__ = ["LANGUAGES", "Catalog", "Msg", "Num", "Shares", "Term", "placeholders"]
