"""docs/protocol.md is the specification: its test vectors decode and encode as the page says."""

from __future__ import annotations

import binascii
from itertools import pairwise

import numpy as np
import pytest
from doc_vectors import PROTOCOL_MD, load_vectors

from insole.protocol import (
    COUNTERS,
    Foot,
    FrameBatch,
    SampleFormat,
    V1Decoder,
    crc16_ccitt_false,
    encode_v1,
    frame_len,
)

VECTORS = load_vectors()


@pytest.fixture(params=["numpy", pytest.param("cython", marks=pytest.mark.cython)])
def backend(request) -> str:
    """A decode backend name for ``V1Decoder(backend=...)``; the compiled one skips when not built."""
    if request.param == "cython":
        pytest.importorskip("insole._ext.protocol_v1", reason="compiled kernels not built")
    return request.param


def _decode_all(data: bytes, backend: str, splits: list[int] | None = None) -> FrameBatch:
    dec = V1Decoder(backend=backend)
    cuts = [0, *(splits or []), len(data)]
    batches = [dec.feed(data[a:b]) for a, b in pairwise(cuts)]
    batches.append(dec.flush())
    return FrameBatch.concatenate(batches)


def test_the_page_has_the_required_vectors():
    assert PROTOCOL_MD.is_file()
    single = [v for v in VECTORS if v.encodable]
    assert {v.fmt for v in single} == {"u8", "u12", "u16"}
    assert any(v.fmt == "u12" and v.n_sensors % 2 for v in single), "a u12 vector with an odd count"
    assert any(v.foot == "both" for v in single)
    assert any(v.counters.get("crc_errors") for v in VECTORS), "a corrupted vector"
    assert any(v.is_stream for v in VECTORS)
    assert len({v.name for v in VECTORS}) == len(VECTORS)


@pytest.mark.parametrize("vec", [v for v in VECTORS if v.encodable], ids=lambda v: v.name)
def test_single_frame_vectors_decode(vec, backend):
    assert len(vec.data) == frame_len(vec.foot, vec.n_sensors, vec.fmt)
    batch = _decode_all(vec.data, backend)
    feet = ["left", "right"] if vec.foot == "both" else [vec.foot]
    assert batch.frames_ok == 1
    assert [c for c in COUNTERS if c != "frames_ok" and getattr(batch, c)] == []
    assert batch.n_sensors == vec.n_sensors
    assert batch.fmt is SampleFormat.parse(vec.fmt)
    assert batch.foot.tolist() == [int(Foot.parse(f)) for f in feet]
    assert batch.seq.tolist() == [vec.seq] * len(feet)
    assert batch.t_device_us.tolist() == [vec.t_device_us] * len(feet)
    assert batch.values.tolist() == vec.block_values
    assert batch.values.dtype == np.uint16 and batch.seq.dtype == np.uint32


@pytest.mark.parametrize("vec", [v for v in VECTORS if v.encodable], ids=lambda v: v.name)
def test_encoder_reproduces_the_vectors(vec):
    values = vec.block_values if vec.foot == "both" else vec.block_values[0]
    assert encode_v1(vec.foot, vec.seq, vec.t_device_us, values, vec.fmt) == vec.data


@pytest.mark.parametrize("vec", [v for v in VECTORS if v.encodable], ids=lambda v: v.name)
def test_vector_crc_is_ccitt_false_over_version_to_payload(vec):
    crc = int.from_bytes(vec.data[-2:], "little")
    assert crc == crc16_ccitt_false(vec.data[2:-2]) == binascii.crc_hqx(vec.data[2:-2], 0xFFFF)


@pytest.mark.parametrize("vec", [v for v in VECTORS if v.counters], ids=lambda v: v.name)
def test_counter_vectors(vec, backend):
    batch = _decode_all(vec.data, backend)
    assert batch.counters == {c: vec.counters.get(c, 0) for c in COUNTERS}
    if vec.rows is not None:
        assert [(Foot(f).name.lower(), s) for f, s in zip(batch.foot.tolist(), batch.seq.tolist())] == vec.rows
    if vec.values is not None:
        assert batch.values.tolist() == vec.values


@pytest.mark.parametrize("vec", [v for v in VECTORS if v.is_stream], ids=lambda v: v.name)
def test_stream_vector_at_every_split_point(vec, backend):
    whole = _decode_all(vec.data, backend)
    for cut in range(1, len(vec.data)):
        split = _decode_all(vec.data, backend, [cut])
        assert split.counters == whole.counters, cut
        np.testing.assert_array_equal(split.values, whole.values)
        np.testing.assert_array_equal(split.seq, whole.seq)
    byte_by_byte = _decode_all(vec.data, backend, list(range(1, len(vec.data))))
    assert byte_by_byte.counters == whole.counters
    np.testing.assert_array_equal(byte_by_byte.values, whole.values)


def test_crc_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


@pytest.mark.cython
def test_compiled_crc_matches_the_definition():
    mod = pytest.importorskip("insole._ext.protocol_v1", reason="compiled kernels not built")
    rng = np.random.default_rng(1)
    # table path and (where the CPU has it) carry-less folding: 1- and 4-accumulator folds, tails
    for n in [*range(0, 200), 255, 256, 257, 1000, 2061, 4109, 65_537]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        want = binascii.crc_hqx(data, 0xFFFF)
        assert mod.crc16_ccitt_false(data) == mod.crc16_ccitt_false(data, use_clmul=False) == want, n
        if n < 300:
            assert crc16_ccitt_false(data) == want
