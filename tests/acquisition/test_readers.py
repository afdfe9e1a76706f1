"""Stream decoders (v1, the DIY CSV dialects, auto) and the reader thread, without subprocesses."""

from __future__ import annotations

import queue
import time

import numpy as np
import pytest

from insole.acquisition.ports import open_port, read_available
from insole.acquisition.readers import (
    AutoStream,
    Chunk,
    CsvStream,
    PortEnd,
    PortReader,
    V1Stream,
    make_decoder,
)
from insole.exceptions import AcquisitionError, InsoleError
from insole.io.formats.csv_dialects import DIALECTS, CsvLine
from insole.protocol import FrameBatch, encode_v1_batch


def _feed_split(dec, data: bytes, seed: int = 0) -> FrameBatch:
    rng = np.random.default_rng(seed)
    out, i = [], 0
    while i < len(data):
        n = int(rng.integers(1, 200))
        out.append(dec.feed(data[i:i + n]))
        i += n
    out.append(dec.flush())
    return FrameBatch.concatenate(out)


def _csv_lines(dialect: str, n: int, n_ch: int = 4, ids=None, t_ms=None) -> list[str]:
    d = DIALECTS[dialect](n_ch)
    rng = np.random.default_rng(5)
    vals = rng.integers(0, 4096, (n, 2, n_ch))
    ids = np.arange(n) if ids is None else np.asarray(ids)
    t_ms = 1000 + 10 * ids if t_ms is None else np.asarray(t_ms)
    lines = ["# fw=test side=right", d.header_line()]
    for i in range(n):
        per = {"left": vals[i, 0], "right": vals[i, 1]} if dialect == "csv-lr" else {"left": vals[i, 0]}
        lines.append(d.format_line(CsvLine(float(t_ms[i]), int(ids[i]), per)))
    return lines


class TestV1Stream:
    def test_frames_and_newest_device_time_per_foot(self):
        vals = np.arange(3 * 2 * 5).reshape(3, 2, 5) % 4096
        wire = encode_v1_batch("both", [7, 8, 9], [100, 200, 300], vals, "u12")
        dec = V1Stream()
        batch = dec.feed(wire)
        assert len(batch) == 6 and batch.frames_ok == 3
        assert dec.last_device_us == {0: 300, 1: 300}
        assert np.array_equal(batch.select("right").values, vals[:, 1])


class TestCsvStream:
    @pytest.mark.parametrize("dialect", ["csv-lr", "csv-frame"])
    def test_any_split_gives_the_lines(self, dialect):
        lines = _csv_lines(dialect, 50)
        data = ("\n".join(lines) + "\n").encode()
        whole = _feed_split(CsvStream(dialect, 4), data, seed=1)
        again = _feed_split(CsvStream(dialect, 4), data, seed=2)
        n_feet = 2 if dialect == "csv-lr" else 1
        assert len(whole) == 50 * n_feet and whole.frames_ok == 50
        assert np.array_equal(whole.seq, again.seq) and np.array_equal(whole.values, again.values)
        assert np.array_equal(whole.select("left").seq, np.arange(50))
        assert whole.select("left").t_device_us[0] == 1_000_000

    def test_damaged_and_garbage_lines_are_counted_not_fatal(self):
        lines = _csv_lines("csv-lr", 20)
        lines[5] = lines[5][: len(lines[5]) // 2]  # cut short: a truncated frame
        lines[9] = lines[9].replace(",", ",x", 1)  # not a number
        lines.insert(12, "E (1234) spi: glitch abc")  # a debug print: garbage
        lines.insert(3, lines[1])  # the header again mid-stream (a device reboot): accepted
        dec = CsvStream("csv-lr", 4)
        batch = _feed_split(dec, ("\n".join(lines) + "\n").encode())
        assert batch.truncated_frames == 2
        assert batch.garbage_bytes == len("E (1234) spi: glitch abc") + 1
        assert batch.frames_ok == 18
        assert sorted(set(batch.seq.tolist())) == sorted(set(range(20)) - {3, 7})
        assert dec.comments == {"fw": "test", "side": "right"}

    def test_late_lines_are_reordered_and_backward_times_counted_in_arrival_order(self):
        ids = [0, 1, 2, 4, 3, 5, 6, 7, 8, 9, 10, 11, 12]
        t = [1000 + 50 * i for i in ids]
        dec = CsvStream("csv-lr", 4)
        batch = _feed_split(dec, ("\n".join(_csv_lines("csv-lr", len(ids), ids=ids, t_ms=t)) + "\n").encode())
        assert batch.select("left").seq.tolist() == list(range(13))
        assert dec.extra["backwards_timestamps"] == 1

    def test_a_device_reset_is_not_reordered_into_the_old_run(self):
        ids = [5000, 5001, 5002, 0, 1, 2]
        t = [100_000 + i for i in range(6)]
        batch = _feed_split(CsvStream("csv-frame", 4), ("\n".join(_csv_lines("csv-frame", 6, ids=ids, t_ms=t)) + "\n").encode())
        assert batch.seq.tolist() == ids

    def test_csv_time_counts_frames_from_the_time_column(self):
        t = [0, 10, 20, 40, 50, 60, 70, 80, 90, 100, 130]  # one frame lost after 20, two after 100
        batch = _feed_split(CsvStream("csv-time", 4), ("\n".join(_csv_lines("csv-time", len(t), t_ms=t)) + "\n").encode())
        assert batch.seq.tolist() == [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 13]

    def test_non_integer_counts_and_endless_lines(self):
        dec = CsvStream("csv-frame", 2)
        b1 = dec.feed(b"0,10,1.5,2\n1,20,3,4\n")
        b2 = dec.feed(b"9" * 70000)
        b3 = dec.flush()
        batch = FrameBatch.concatenate([b1, b2, b3])
        assert batch.truncated_frames == 1 and batch.garbage_bytes == 70000
        assert batch.values.tolist() == [[3, 4]]

    def test_unknown_dialect(self):
        with pytest.raises(AcquisitionError, match="unknown CSV dialect"):
            CsvStream("csv-nope")


class TestAuto:
    def test_detects_v1(self):
        wire = encode_v1_batch("left", np.arange(5), np.arange(5) * 1000, np.ones((5, 3), int), "u8")
        dec = AutoStream()
        batch = _feed_split(dec, b"boot\r\n" + wire)
        assert dec.name == "v1" and batch.frames_ok == 5

    def test_detects_a_csv_dialect_from_its_header(self):
        dec = AutoStream(4)
        batch = _feed_split(dec, ("\n".join(_csv_lines("csv-lr", 10)) + "\n").encode())
        assert dec.name == "csv-lr" and batch.frames_ok == 10 and dec.extra == {"backwards_timestamps": 0}

    def test_gives_up_with_a_one_line_hint(self):
        dec = AutoStream()
        with pytest.raises(AcquisitionError, match="give --format"):
            dec.feed(b"\x00" * (1 << 19))

    def test_make_decoder(self):
        assert make_decoder("v1").name == "v1"
        assert make_decoder("csv-time", 4).name == "csv-time"
        with pytest.raises(InsoleError, match="unknown stream format"):
            make_decoder("xml")


class TestPorts:
    def test_open_errors_are_one_line(self):
        with pytest.raises(AcquisitionError, match="cannot open port /dev/nonexistent-port") as exc:
            open_port("/dev/nonexistent-port")
        assert "\n" not in str(exc.value)

    def test_read_available_takes_everything_that_arrived(self):
        port = open_port("loop://")
        port.write(b"abc" * 1000)
        assert read_available(port) == b"abc" * 1000
        assert read_available(port) == b""


class TestPortReader:
    def test_reads_decodes_and_ends_with_a_port_end(self):
        port = open_port("loop://")
        q: queue.Queue = queue.Queue()
        reader = PortReader(3, "loop://", port, V1Stream(), q)
        reader.start()
        vals = np.arange(40).reshape(10, 4)
        port.write(encode_v1_batch("right", np.arange(10), np.arange(10) * 1000, vals, "u16"))
        deadline = time.monotonic() + 5
        rows = 0
        while rows < 10 and time.monotonic() < deadline:
            item = q.get(timeout=1)
            assert isinstance(item, Chunk) and item.port == 3
            rows += len(item.batch)
        reader.stop()
        reader.join(timeout=2)
        items = []
        while not q.empty():
            items.append(q.get())
        assert rows == 10
        assert isinstance(items[-1], PortEnd) and items[-1].reason == "stopped"
