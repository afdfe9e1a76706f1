"""Channel-to-sensor mapping of a DIY insole: press each sensor in turn, see which channel answers.

A DIY builder wires force-sensitive resistors to multiplexer channels, and a
swapped pair of wires is the commonest mistake.  :class:`ChannelCheck` walks
through the layout's sensors: it learns the unloaded baseline (and its noise)
of every channel, then for each sensor waits for a clear press (some channel
moves well beyond its noise for a while), notes the channel that moved most,
and waits for the release.  The result confirms the wiring or gives the
:class:`ChannelMap` (a permutation) that ``insole record --channel-map`` applies.

Loads are recognised by the size of the change, whichever its sign: many DIY
insoles read 4095 unloaded and less under load.

The emulator's ``press-tour`` task (:func:`press_tour_values`) presses the
sensors in order, optionally through swapped wires, so the whole check runs
without hardware.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from insole.exceptions import InsoleError

#: Value of the ``schema`` key of a channel-map file.
CHANNEL_MAP_SCHEMA: Final = "insole-channel-map"
ANY_FOOT: Final = "*"


# =============================================================================== the map
@dataclass
class ChannelMap:
    """Which device channel carries which sensor, per foot.

    ``feet[foot][i]`` is the channel that carries sensor ``i`` of the layout
    (``"*"`` for every foot), so ``values[:, feet[foot]]`` puts the device's
    channels in layout order.

    Examples
    --------
    >>> m = ChannelMap("diy-fsr-8", {"*": np.array([0, 1, 5, 3, 4, 2, 6, 7])})
    >>> m.apply("left", np.arange(8)[None, :] * 10).tolist()
    [[0, 10, 50, 30, 40, 20, 60, 70]]
    """

    layout: str
    feet: dict[str, np.ndarray] = field(default_factory=dict)

    def for_foot(self, foot: str) -> np.ndarray | None:
        """The permutation of ``foot`` (or the one for every foot), or None."""
        perm = self.feet.get(foot, self.feet.get(ANY_FOOT))
        return None if perm is None else np.asarray(perm, np.intp)

    def apply(self, foot: str, values: np.ndarray) -> np.ndarray:
        """Device channels -> layout order (unchanged without a permutation for ``foot``)."""
        perm = self.for_foot(foot)
        return values if perm is None else values[:, perm]

    def validate(self, n_sensors: int) -> None:
        """Raise :class:`InsoleError` unless every permutation reorders ``n_sensors`` channels."""
        for foot, perm in self.feet.items():
            p = np.asarray(perm)
            if p.shape != (n_sensors,) or not np.array_equal(np.sort(p), np.arange(n_sensors)):
                raise InsoleError(f"the channel map for {foot} is not a permutation of {n_sensors} channels; "
                                  "make a new one with 'insole check'")

    def is_identity(self) -> bool:
        """True when every channel already carries the sensor of its number."""
        return all(np.array_equal(np.asarray(p), np.arange(len(p))) for p in self.feet.values())

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"schema": CHANNEL_MAP_SCHEMA, "version": 1, "layout": self.layout,
                "feet": {f: [int(c) for c in p] for f, p in self.feet.items()}}

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the map as JSON."""
        p = Path(path)
        if p.exists() and not overwrite:
            raise InsoleError(f"{p} exists; choose another name or pass --overwrite")
        try:
            p.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InsoleError(f"cannot write {p}: {exc.strerror or exc}") from None
        return p

    @classmethod
    def load(cls, path: str | os.PathLike) -> ChannelMap:
        """Read a map written by :meth:`save` (``insole check --map-out``)."""
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InsoleError(f"channel map {p} does not exist; make one with 'insole check'") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InsoleError(f"cannot read channel map {p} ({exc}); make a new one with 'insole check'") from None
        if not isinstance(data, dict) or data.get("schema") != CHANNEL_MAP_SCHEMA or not isinstance(data.get("feet"), dict):
            raise InsoleError(f"{p} is not a channel map; make one with 'insole check'")
        feet = data["feet"]
        if not set(feet) <= {"left", "right", ANY_FOOT}:
            raise InsoleError(f"{p}: feet must be left, right or '*'")
        return cls(str(data.get("layout", "")), {f: np.asarray(v, np.intp) for f, v in feet.items()})


# =============================================================================== the walk-through
@dataclass
class PressResult:
    """What one press showed.

    Attributes
    ----------
    sensor : int
        Layout sensor that was asked for.
    channel : int or None
        Channel that moved most (None: no press was seen in time).
    confidence : float
        How much more it moved than the runner-up (ratio; >= 2 is clear).
    delta : float
        Its median change from the baseline, in counts.
    """

    sensor: int
    channel: int | None
    confidence: float = 0.0
    delta: float = 0.0

    @property
    def ok(self) -> bool:
        """The sensor is on the channel of its own number."""
        return self.channel == self.sensor


class ChannelCheck:
    """State machine of the walk-through; feed it frames, read its events.

    Parameters
    ----------
    n_channels : int
        Channels per foot.
    sensors : sequence of int, optional
        Sensors to check, in order (default all).
    rate_hz : float
        Frame rate (for durations counted in frames).
    baseline_s : float
        Unloaded time to learn the baseline.
    hold_s : float
        A press must last this long.
    release_s : float
        A release must last this long before the next sensor.
    timeout_s : float
        Give up on a sensor after this long without a press.
    threshold : float
        A channel is pressed when it moves this many noise units away from
        its baseline (and by ``min_delta`` counts).
    min_delta : float
        Smallest change in counts that counts as a press.

    Attributes
    ----------
    state : str
        ``"baseline"``, ``"wait-press"``, ``"pressing"``, ``"wait-release"`` or ``"done"``.
    current : int or None
        Index (into ``sensors``) of the sensor being checked.
    results : list of PressResult
    """

    def __init__(self, n_channels: int, sensors: list[int] | None = None, *, rate_hz: float = 100.0,
                 baseline_s: float = 1.0, hold_s: float = 0.25, release_s: float = 0.2, timeout_s: float = 20.0,
                 threshold: float = 8.0, min_delta: float = 40.0) -> None:
        self.n = int(n_channels)
        self.sensors = list(range(self.n)) if sensors is None else [int(s) for s in sensors]
        if any(not 0 <= s < self.n for s in self.sensors):
            raise InsoleError(f"sensors to check must be in 0..{self.n - 1}")
        self.rate_hz = float(rate_hz)
        self.baseline_s, self.hold_s, self.release_s, self.timeout_s = baseline_s, hold_s, release_s, timeout_s
        self.threshold, self.min_delta = float(threshold), float(min_delta)
        self.state = "baseline"
        self.current: int | None = None
        self.results: list[PressResult] = []
        self._rows: list[np.ndarray] = []
        self._t_state = None
        self.base = np.zeros(self.n)
        self.noise = np.ones(self.n)

    def _enter(self, state: str, t: float) -> None:
        self.state = state
        self._t_state = t
        self._rows = []

    def feed(self, t_s: np.ndarray, values: np.ndarray) -> list[str]:
        """Take frames (host times in s, ``(n, n_channels)`` values); return the events they caused.

        Events: ``"baseline"`` (learnt), ``"press <sensor>"`` (now asking for
        that sensor), ``"pressed <sensor> <channel>"``, ``"timeout <sensor>"``,
        ``"done"``.
        """
        events: list[str] = []
        values = np.asarray(values, np.float64)
        t_s = np.asarray(t_s, np.float64)
        for t, row in zip(t_s.tolist(), values):  # a person pressing: tens of frames per second matter
            if self._t_state is None:
                self._t_state = t
            self._step(t, row, events)
            if self.state == "done":
                break
        return events

    def _z(self, row: np.ndarray) -> np.ndarray:
        return np.abs(row - self.base) / self.noise

    def _moved(self, row: np.ndarray) -> bool:
        d = np.abs(row - self.base)
        return bool(np.any((d / self.noise > self.threshold) & (d >= self.min_delta)))

    def _step(self, t: float, row: np.ndarray, events: list[str]) -> None:
        assert self._t_state is not None
        since = t - self._t_state
        if self.state == "baseline":
            self._rows.append(row)
            if since >= self.baseline_s and len(self._rows) >= 5:
                block = np.array(self._rows)
                self.base = np.median(block, axis=0)
                mad = 1.4826 * np.median(np.abs(block - self.base), axis=0)
                self.noise = np.maximum(mad, 1.0)
                events.append("baseline")
                self._next(t, events)
            return
        if self.state == "wait-press":
            if self._moved(row):
                self._enter("pressing", t)
                self._rows.append(row)
            elif since >= self.timeout_s:
                sensor = self.sensors[self.current]  # type: ignore[index]
                self.results.append(PressResult(sensor, None))
                events.append(f"timeout {sensor}")
                self._next(t, events)
            return
        if self.state == "pressing":
            if not self._moved(row):
                self._enter("wait-press", t)  # too short: a bump, not a press
                return
            self._rows.append(row)
            if since >= self.hold_s:
                delta = np.median(np.abs(np.array(self._rows) - self.base), axis=0)
                order = np.argsort(delta)[::-1]
                top, second = float(delta[order[0]]), float(delta[order[1]]) if self.n > 1 else 0.0
                sensor = self.sensors[self.current]  # type: ignore[index]
                self.results.append(PressResult(sensor, int(order[0]), top / max(second, 1.0), top))
                events.append(f"pressed {sensor} {int(order[0])}")
                self._enter("wait-release", t)
            return
        if self.state == "wait-release":
            if self._moved(row):
                self._t_state = t
            elif since >= self.release_s:
                self._next(t, events)

    def _next(self, t: float, events: list[str]) -> None:
        self.current = 0 if self.current is None else self.current + 1
        if self.current >= len(self.sensors):
            self._enter("done", t)
            events.append("done")
            return
        self._enter("wait-press", t)
        events.append(f"press {self.sensors[self.current]}")

    def channel_map(self, layout: str, foot: str = ANY_FOOT) -> tuple[ChannelMap | None, list[str]]:
        """The permutation the presses imply, and the problems that prevent one.

        Sensors not checked keep their channel unless another sensor took it.
        Returns ``(None, problems)`` when two sensors landed on one channel or
        a press was missed.
        """
        problems: list[str] = []
        perm = np.arange(self.n)
        seen: dict[int, int] = {}
        for r in self.results:
            if r.channel is None:
                problems.append(f"sensor {r.sensor}: no press seen")
                continue
            if r.channel in seen:
                problems.append(f"sensors {seen[r.channel]} and {r.sensor} both answered on channel {r.channel}")
                continue
            seen[r.channel] = r.sensor
            perm[r.sensor] = r.channel
        if problems:
            return None, problems
        checked = {r.sensor for r in self.results}
        taken = set(seen)
        free = [c for c in range(self.n) if c not in taken]
        rest = [s for s in range(self.n) if s not in checked]
        keep = [s for s in rest if s in free]
        for s in keep:
            perm[s] = s
        left_over = [c for c in free if c not in keep]
        for s, c in zip([s for s in rest if s not in keep], left_over):
            perm[s] = c
        return ChannelMap(layout, {foot: perm}), problems


def press_tour_values(n_channels: int, rate_hz: float, *, wiring: np.ndarray | None = None, bits: int = 12,
                      lead_s: float = 1.5, hold_s: float = 0.5, gap_s: float = 0.4, inverted: bool = True,
                      seed: int = 0) -> np.ndarray:
    """Frames of somebody pressing each sensor in turn (for the emulator's ``press-tour`` task).

    Parameters
    ----------
    n_channels : int
        Channels (sensors) per foot.
    rate_hz : float
        Frame rate.
    wiring : (n_channels,) array of int, optional
        ``wiring[i]`` is the channel sensor ``i`` is wired to (default straight).
    bits : int
        ADC bits (full scale ``2**bits - 1``).
    lead_s, hold_s, gap_s : float
        Unloaded lead-in, press length and pause between presses.
    inverted : bool
        Unloaded reads full scale and a press lowers it (common FSR divider wiring).
    seed : int
        Noise seed.

    Returns
    -------
    (n, n_channels) uint16
        One tour: lead-in, then every sensor pressed once, then a pause.
    """
    full = 2**bits - 1
    wiring = np.arange(n_channels) if wiring is None else np.asarray(wiring, np.intp)
    per = round((hold_s + gap_s) * rate_hz)
    lead = round(lead_s * rate_hz)
    n = lead + per * n_channels + round(gap_s * rate_hz)
    rng = np.random.default_rng(seed)
    load = np.zeros((n, n_channels))
    hold = round(hold_s * rate_hz)
    ramp = np.sin(np.linspace(0, np.pi, hold)) ** 0.3
    for i in range(n_channels):  # one press per sensor
        start = lead + i * per
        load[start:start + hold, wiring[i]] = 0.6 * full * ramp
    noise = rng.normal(0.0, 2.0, load.shape)
    values = (full - load + noise) if inverted else (load + noise)
    return np.clip(np.rint(values), 0, full).astype(np.uint16)


def run_check(url: str, layout: str, *, fmt: str = "auto", baud: int = 115200, foot: str | None = None,
              sensors: list[int] | None = None, timeout_s: float = 20.0, hold_s: float = 0.25,
              say: Callable[[str], None] = print) -> tuple[ChannelCheck, ChannelMap | None, list[str]]:
    """Walk a builder through pressing each sensor of ``layout`` on the insole at ``url``.

    Parameters
    ----------
    url : str
        Port of the insole (any pyserial URL).
    layout : str
        Layout preset; its sensor count must be the device's channel count.
    fmt, baud
        As for ``insole record``.
    foot : {"left", "right"}, optional
        Foot whose frames to use (default: the first foot seen).
    sensors : list of int, optional
        Sensors to check, in order (default all).
    timeout_s : float
        Seconds to wait for each press.
    hold_s : float
        How long a press must last.
    say : callable
        Where the prompts go (``print``, ``click.echo``).

    Returns
    -------
    (ChannelCheck, ChannelMap or None, list of str)
        The walk-through, the map it implies (None with problems), the problems.

    Raises
    ------
    AcquisitionError
        The port cannot be opened, closes before the end, or sends another sensor count.
    """
    import queue as _queue

    from insole.acquisition.ports import open_port
    from insole.acquisition.readers import Chunk, PortEnd, PortReader, make_decoder
    from insole.exceptions import AcquisitionError
    from insole.layout import get_layout
    from insole.protocol import TimestampUnwrapper

    lay = get_layout(layout, side=foot or "left")
    ids = list(lay.sensor_ids)
    check = ChannelCheck(lay.n_sensors, sensors, timeout_s=timeout_s, hold_s=hold_s)
    port = open_port(url, baud)
    q: _queue.Queue = _queue.Queue(maxsize=1024)
    reader = PortReader(0, url, port, make_decoder(fmt, lay.n_sensors), q)
    reader.start()
    unwrap = TimestampUnwrapper()
    code = None if foot is None else (0 if foot == "left" else 1)
    say(f"leave the insole unloaded: learning every channel's resting value ({check.baseline_s:g} s)")
    try:
        while check.state != "done":
            item = q.get(timeout=timeout_s + 5)
            if isinstance(item, PortEnd):
                raise AcquisitionError(f"{url} closed before the check ended ({item.message or item.reason}); "
                                       "plug the insole in and run 'insole check' again")
            assert isinstance(item, Chunk)
            b = item.batch
            if not len(b):
                continue
            if b.n_sensors != lay.n_sensors:
                raise AcquisitionError(f"{url} sends {b.n_sensors} channels but layout {layout!r} has "
                                       f"{lay.n_sensors} sensors; choose a layout with {b.n_sensors}")
            if code is None:
                code = int(b.foot[0])
            rows = b.foot == code
            if not rows.any():
                continue
            t_s = unwrap.unwrap(b.t_device_us[rows]) * 1e-6
            for ev in check.feed(t_s, b.values[rows]):
                kind, *arg = ev.split()
                if kind == "baseline":
                    say(f"resting values learnt (noise about {float(np.median(check.noise)):.0f} counts)")
                elif kind == "press":
                    s = int(arg[0])
                    say(f"press sensor {ids[s]} (#{s}) and hold it ...")
                elif kind == "pressed":
                    s, c = int(arg[0]), int(arg[1])
                    say(f"  channel {c} answered" + (" - ok" if s == c else f" - sensor {ids[s]} is wired to channel {c}"))
                elif kind == "timeout":
                    say(f"  no press seen in {timeout_s:g} s; sensor {ids[int(arg[0])]} skipped")
    except _queue.Empty:
        raise AcquisitionError(f"no frames from {url} for {timeout_s + 5:g} s; check the port, baud rate and --format") from None
    finally:
        reader.stop()
        reader.join(timeout=2)
        with contextlib.suppress(Exception):
            port.close()
    cmap, problems = check.channel_map(layout, foot or ANY_FOOT)
    return check, cmap, problems


__all__ = ["CHANNEL_MAP_SCHEMA", "ChannelCheck", "ChannelMap", "PressResult", "press_tour_values", "run_check"]
