"""Block reads inflating gzip chunks on a thread pool give exactly what h5py's own read gives."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from insole.store.reader import _DeflateRows


@pytest.fixture()
def files(tmp_path):
    rng = np.random.default_rng(3)
    data = {"f32": rng.gamma(0.7, 60.0, (1000, 37)).astype(np.float32),
            "u16": rng.integers(0, 4096, (1000, 37)).astype(np.uint16),
            "u8": rng.integers(0, 255, (1000, 37)).astype(np.uint8)}
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as h5:
        for name, arr in data.items():
            h5.create_dataset(name, data=arr, chunks=(64, 37), compression="gzip", compression_opts=1, shuffle=True)
            h5.create_dataset(name + "_noshuffle", data=arr, chunks=(64, 37), compression="gzip")
            h5.create_dataset(name + "_lzf", data=arr, chunks=(64, 37), compression="lzf", shuffle=True)
        grow = h5.create_dataset("grow", shape=(0, 37), maxshape=(None, 37), dtype=np.float32, chunks=(64, 37),
                                 compression="gzip", shuffle=True)
        grow.resize((100, 37))  # rows 0-99 allocated only where written
        grow[:50] = data["f32"][:50]
    return path, data


@pytest.mark.parametrize("name", ["f32", "u16", "u8", "f32_noshuffle", "u16_noshuffle"])
def test_rows_equal_the_plain_read(files, name, monkeypatch):
    monkeypatch.setattr("insole.kernels.default_num_threads", lambda: 2)
    path, _ = files
    with h5py.File(path) as h5:
        ds = h5[name]
        reader = _DeflateRows.for_dataset(ds)
        assert reader is not None
        inflated = []
        inflate = reader._inflate
        reader._inflate = lambda raw: inflated.append(1) or inflate(raw)  # count the chunks it inflates itself
        for a, b in [(0, 1000), (0, 1), (63, 65), (5, 700), (999, 1000), (128, 192), (10, 10)]:
            np.testing.assert_array_equal(reader.read(a, b), ds[a:b])
        assert len(inflated) >= 16  # the fast path ran (not the plain read for every chunk)
        reader.pool.shutdown()


def test_unallocated_chunks_fall_back_to_the_plain_read(files, monkeypatch):
    monkeypatch.setattr("insole.kernels.default_num_threads", lambda: 2)
    path, _ = files
    with h5py.File(path) as h5:
        reader = _DeflateRows.for_dataset(h5["grow"])
        np.testing.assert_array_equal(reader.read(0, 100), h5["grow"][0:100])
        reader.pool.shutdown()


def test_other_filters_and_one_thread_use_the_plain_read(files, monkeypatch):
    path, _ = files
    with h5py.File(path) as h5:
        monkeypatch.setattr("insole.kernels.default_num_threads", lambda: 2)
        assert _DeflateRows.for_dataset(h5["f32_lzf"]) is None
        monkeypatch.setattr("insole.kernels.default_num_threads", lambda: 1)
        assert _DeflateRows.for_dataset(h5["f32"]) is None


def test_a_damaged_chunk_is_left_to_the_plain_read(files, monkeypatch):
    monkeypatch.setattr("insole.kernels.default_num_threads", lambda: 2)
    path, _ = files
    with h5py.File(path) as h5:
        reader = _DeflateRows.for_dataset(h5["f32"])
        assert reader._inflate(b"not deflate data") is None
        reader.pool.shutdown()
