"""Parse the test vectors out of docs/protocol.md (``v1-vector`` fenced blocks).

Shared by tests/protocol and tests/firmware (the latter loads this file by
path), so the page, the Python codec and the C encoder are held to one source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

PROTOCOL_MD = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
_BLOCK = re.compile(r"^```v1-vector\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass
class DocVector:
    """One vector: the wire bytes and what a decoder must produce from them."""

    name: str
    data: bytes
    is_stream: bool
    foot: str | None = None
    fmt: str | None = None
    n_sensors: int | None = None
    seq: int | None = None
    t_device_us: int | None = None
    left: list[int] | None = None
    right: list[int] | None = None
    rows: list[tuple[str, int]] | None = None
    values: list[list[int]] | None = None
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def encodable(self) -> bool:
        """A single valid frame whose fields are all given (an encoder must reproduce it)."""
        return not self.is_stream and self.foot is not None

    @property
    def block_values(self) -> list[list[int]]:
        """The sample blocks in wire order (left, right for both feet)."""
        if self.foot == "both":
            return [self.left, self.right]
        return [self.left if self.foot == "left" else self.right]


def _fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[:1].isspace():  # continuation of the previous value
            if key is None:
                raise ValueError(f"continuation line without a key: {line!r}")
            out[key] += " " + line.strip()
            continue
        key, _, value = line.partition(":")
        key = key.strip()
        if key in out:
            raise ValueError(f"duplicate key {key!r} in a v1-vector block")
        out[key] = value.strip()
    return out


def _ints(text: str) -> list[int]:
    return [int(tok, 0) for tok in text.split()]


def load_vectors(path: Path = PROTOCOL_MD) -> list[DocVector]:
    """All ``v1-vector`` blocks of the page, in order."""
    vectors = []
    for block in _BLOCK.findall(path.read_text(encoding="utf-8")):
        f = _fields(block)
        is_stream = "stream" in f
        vec = DocVector(
            name=f["name"],
            data=bytes.fromhex(f["stream"] if is_stream else f["frame"]),
            is_stream=is_stream,
            foot=f.get("foot"),
            fmt=f.get("format"),
            n_sensors=int(f["n_sensors"]) if "n_sensors" in f else None,
            seq=int(f["seq"], 0) if "seq" in f else None,
            t_device_us=int(f["t_device_us"], 0) if "t_device_us" in f else None,
            left=_ints(f["left"]) if "left" in f else None,
            right=_ints(f["right"]) if "right" in f else None,
            counters={k: int(v) for k, v in (kv.split("=") for kv in f.get("counters", "").split())},
        )
        if "rows" in f:
            vec.rows = [(foot, int(seq)) for foot, seq in (r.split() for r in f["rows"].split(","))]
        if "values" in f:
            vec.values = [_ints(r) for r in f["values"].split("|")]
        vectors.append(vec)
    return vectors
