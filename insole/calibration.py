"""Calibration: how raw device values (ADC counts, N/cm^2, ...) become kPa or N.

A :class:`Calibration` maps each sensor's raw value to the physical unit of its
layout (``kPa`` for pressure sensors, ``N`` for force sensors)::

    physical = curve_i((raw - offset_i) * gain_i)

where ``curve_i`` is the identity for a linear calibration, or a monotone
piecewise-linear curve per sensor (FSRs are non-linear).  Inverted ADCs
(more load = fewer counts) have a negative gain.  The recording keeps the raw
values and the calibration side by side, so a file can be re-calibrated later.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from insole.exceptions import CalibrationError

#: Raw units that convert to a physical unit by a fixed factor.
UNIT_FACTORS = {
    ("kPa", "kPa"): 1.0,
    ("N/cm2", "kPa"): 10.0,
    ("N/cm^2", "kPa"): 10.0,
    ("MPa", "kPa"): 1000.0,
    ("psi", "kPa"): 6.894757,
    ("N", "N"): 1.0,
    ("kgf", "N"): 9.80665,
}


@dataclass(frozen=True)
class Calibration:
    """Per-sensor calibration from raw values to ``unit``.

    Parameters
    ----------
    unit : str
        Physical output unit, ``"kPa"`` or ``"N"``.
    offset, gain : (n_sensors,) ndarray
        Linear part: ``(raw - offset) * gain``.
    curve_x, curve_y : (n_sensors, n_points) ndarray, optional
        Optional monotone piecewise-linear curve applied after the linear
        part (``curve_x`` increasing per sensor); values beyond the last point
        are extrapolated linearly, values below the first point clip to
        ``curve_y[:, 0]``.
    source : str
        Free text: how the calibration was made.
    extra : dict
        Provenance kept with the file (e.g. tare means, body mass used).
    """

    unit: str
    offset: np.ndarray
    gain: np.ndarray
    curve_x: np.ndarray | None = None
    curve_y: np.ndarray | None = None
    source: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.unit not in ("kPa", "N"):
            raise CalibrationError(f"calibration unit must be 'kPa' or 'N', not {self.unit!r}")
        off = np.asarray(self.offset, dtype=np.float64).reshape(-1)
        gain = np.asarray(self.gain, dtype=np.float64).reshape(-1)
        if off.shape != gain.shape:
            raise CalibrationError("calibration offset and gain must have one value per sensor")
        if not (np.all(np.isfinite(off)) and np.all(np.isfinite(gain))):
            raise CalibrationError("calibration offset and gain must be finite numbers")
        object.__setattr__(self, "offset", off)
        object.__setattr__(self, "gain", gain)
        if (self.curve_x is None) != (self.curve_y is None):
            raise CalibrationError("give both curve_x and curve_y, or neither")
        if self.curve_x is not None:
            cx = np.asarray(self.curve_x, dtype=np.float64)
            cy = np.asarray(self.curve_y, dtype=np.float64)
            if cx.shape != cy.shape or cx.ndim != 2 or cx.shape[0] != off.size or cx.shape[1] < 2:
                raise CalibrationError(
                    "calibration curves must be (n_sensors, n_points>=2) arrays of equal shape"
                )
            if np.any(np.diff(cx, axis=1) <= 0):
                raise CalibrationError("calibration curve x values must increase for every sensor")
            object.__setattr__(self, "curve_x", cx)
            object.__setattr__(self, "curve_y", cy)

    @property
    def n_sensors(self) -> int:
        """Number of sensors calibrated."""
        return int(self.offset.size)

    @property
    def is_linear(self) -> bool:
        """True when no per-sensor curve is applied (the kernels can fuse it)."""
        return self.curve_x is None

    @classmethod
    def identity(cls, n_sensors: int, unit: str, factor: float = 1.0, source: str = "") -> Calibration:
        """A calibration that only multiplies by ``factor`` (unit conversion)."""
        return cls(unit, np.zeros(n_sensors), np.full(n_sensors, float(factor)), source=source)

    @classmethod
    def for_raw_unit(cls, n_sensors: int, raw_unit: str, unit: str) -> Calibration:
        """The fixed conversion from a physical raw unit (e.g. N/cm2) to ``unit``."""
        try:
            factor = UNIT_FACTORS[(raw_unit, unit)]
        except KeyError:
            raise CalibrationError(
                f"raw values in {raw_unit!r} need a calibration to {unit}; "
                "build one with 'insole calibrate'"
            ) from None
        return cls.identity(n_sensors, unit, factor, source=f"unit conversion {raw_unit} -> {unit}")

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Physical values (float64) of a (n_frames, n_sensors) raw block."""
        raw = np.asarray(raw)
        if raw.ndim != 2 or raw.shape[1] != self.n_sensors:
            raise CalibrationError(
                f"calibration is for {self.n_sensors} sensors, data has shape {raw.shape}"
            )
        lin = (raw.astype(np.float64) - self.offset) * self.gain
        if self.curve_x is None:
            return lin
        out = np.empty_like(lin)
        for j in range(self.n_sensors):  # loop over sensors, vectorised over frames
            cx, cy = self.curve_x[j], self.curve_y[j]
            col = np.interp(lin[:, j], cx, cy)
            beyond = lin[:, j] > cx[-1]
            if np.any(beyond):
                slope = (cy[-1] - cy[-2]) / (cx[-1] - cx[-2])
                col[beyond] = cy[-1] + slope * (lin[beyond, j] - cx[-1])
            out[:, j] = col
        return out

    def to_dict(self) -> dict:
        """JSON-serialisable form (the schema of docs/calibration.md)."""
        d = {
            "schema": "insole-calibration",
            "version": 1,
            "unit": self.unit,
            "offset": self.offset.tolist(),
            "gain": self.gain.tolist(),
            "source": self.source,
            "extra": self.extra,
        }
        if self.curve_x is not None:
            d["curve_x"] = self.curve_x.tolist()
            d["curve_y"] = self.curve_y.tolist()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        """Inverse of :meth:`to_dict`; raises :class:`CalibrationError` on bad input."""
        if not isinstance(d, dict) or d.get("schema") != "insole-calibration":
            raise CalibrationError(
                "not an insole calibration (missing \"schema\": \"insole-calibration\"); "
                "make one with 'insole calibrate'"
            )
        try:
            return cls(
                unit=d["unit"],
                offset=np.asarray(d["offset"], dtype=np.float64),
                gain=np.asarray(d["gain"], dtype=np.float64),
                curve_x=None if d.get("curve_x") is None else np.asarray(d["curve_x"], float),
                curve_y=None if d.get("curve_y") is None else np.asarray(d["curve_y"], float),
                source=str(d.get("source", "")),
                extra=dict(d.get("extra", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(f"calibration is malformed ({exc}); rebuild it with 'insole calibrate'") from None

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """Inverse of :meth:`to_json`."""
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"calibration file is not valid JSON ({exc.msg} at line {exc.lineno})") from None


# ---------------------------------------------------------------------------- files and builders
#: ``schema`` value of a file holding one calibration per foot.
CALIBRATION_SET_SCHEMA = "insole-calibration-set"
#: Standard gravity, m/s^2 (body mass -> body weight).
GRAVITY_M_S2 = 9.80665
#: Key of a calibration that applies to every foot.
ANY_FOOT = "*"


def calibration_for_foot(cals: Mapping[str, Calibration], foot: str) -> Calibration | None:
    """The calibration of ``foot`` in a set (or the one for every foot), or None."""
    return cals.get(foot, cals.get(ANY_FOOT))


def calibration_set_to_dict(cals: Mapping[str, Calibration]) -> dict:
    """JSON-serialisable form of ``{foot: Calibration}`` (docs/calibration.md)."""
    return {"schema": CALIBRATION_SET_SCHEMA, "version": 1, "feet": {foot: cal.to_dict() for foot, cal in cals.items()}}


def load_calibration(path: str | os.PathLike) -> dict[str, Calibration]:
    """Read a calibration file: one calibration per foot, or one for every foot (key ``"*"``).

    Raises
    ------
    CalibrationError
        Missing, not JSON, or not a calibration; the message is one line.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(f"calibration file {p} does not exist; build one with 'insole calibrate'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"cannot read calibration file {p} ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"{p} is not valid JSON ({exc.msg} at line {exc.lineno}); rebuild it with 'insole calibrate'") from None
    if isinstance(data, dict) and data.get("schema") == CALIBRATION_SET_SCHEMA:
        feet = data.get("feet")
        if not isinstance(feet, dict) or not feet or not set(feet) <= {"left", "right", ANY_FOOT}:
            raise CalibrationError(f"{p}: \"feet\" must map left/right to calibrations; rebuild it with 'insole calibrate'")
        return {foot: Calibration.from_dict(d) for foot, d in feet.items()}
    return {ANY_FOOT: Calibration.from_dict(data)}


def save_calibration(cals: Mapping[str, Calibration] | Calibration, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a calibration file atomically (a set per foot, or a single calibration)."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise CalibrationError(f"{p} exists; choose another name or pass --overwrite")
    data = cals.to_dict() if isinstance(cals, Calibration) else calibration_set_to_dict(cals)
    tmp = p.with_name(p.name + ".partial")
    try:
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CalibrationError(f"cannot write {p} ({exc.strerror or exc})") from None
    return p


def tare_offsets(raw: np.ndarray) -> np.ndarray:
    """Zero-load level of every sensor: the per-sensor median of an unloaded (tare) recording.

    Parameters
    ----------
    raw : (n_frames, n_sensors) array
        Raw values with nothing on the insole.

    Returns
    -------
    (n_sensors,) float64
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[0] == 0:
        raise CalibrationError("the tare recording has no frames; record a few seconds with the insole unloaded")
    return np.median(raw, axis=0)


def load_curves(curves: str | os.PathLike | Mapping) -> dict:
    """Per-sensor load curves from a JSON file or mapping (schema in docs/calibration.md)."""
    if isinstance(curves, Mapping):
        data = dict(curves)
    else:
        p = Path(curves)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CalibrationError(f"curves file {p} does not exist") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CalibrationError(f"cannot read curves file {p} ({one_line_error(exc)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sensors"), dict) or data.get("unit") not in ("N", "kPa"):
        raise CalibrationError('a curves file needs "unit" ("N" or "kPa") and "sensors": {id: {"counts": [...], "load": [...]}}')
    return data


def one_line_error(exc: BaseException) -> str:
    """First line of an exception message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _curve_arrays(curves: Mapping, layout, offset: np.ndarray, sign: float, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """``curve_x``/``curve_y`` of every sensor: (raw - offset) * sign -> load in ``unit``."""
    ids = [str(s) for s in layout.sensor_ids]
    sensors = {str(k): v for k, v in curves["sensors"].items()}
    unknown = sorted(set(sensors) - set(ids) - {str(i) for i in range(len(ids))} - {ANY_FOOT})
    if unknown:
        raise CalibrationError(f"curve for unknown sensor {unknown[0]!r}; use the sensor ids of layout {layout.name!r}")
    area = np.asarray(layout.area_mm2, dtype=np.float64)
    xs, ys = [], []
    for j, sid in enumerate(ids):
        entry = sensors.get(sid, sensors.get(str(j), sensors.get(ANY_FOOT)))
        if entry is None:
            raise CalibrationError(f"no curve for sensor {sid!r}; give every sensor a curve or a \"*\" curve for all")
        try:
            counts = np.asarray(entry["counts"], dtype=np.float64)
            load = np.asarray(entry["load"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            raise CalibrationError(f"the curve of sensor {sid!r} needs \"counts\" and \"load\" lists of numbers") from None
        if counts.shape != load.shape or counts.ndim != 1 or counts.size < 2:
            raise CalibrationError(f"the curve of sensor {sid!r} needs at least 2 (counts, load) pairs of equal length")
        if curves["unit"] != unit:  # N <-> kPa through the sensor area (1 kPa on 1 mm^2 = 1e-3 N)
            if area[j] <= 0:
                raise CalibrationError(f"sensor {sid!r} has no area, so a curve in {curves['unit']} cannot give {unit}")
            load = load / (area[j] * 1e-3) if unit == "kPa" else load * area[j] * 1e-3
        x = (counts - offset[j]) * sign
        order = np.argsort(x)
        x, y = x[order], load[order]
        if np.any(np.diff(x) <= 0) or np.any(np.diff(y) < 0):
            raise CalibrationError(f"the curve of sensor {sid!r} is not monotone (more load must mean more signal)")
        if x[0] > 0 and y[0] > 0:
            x, y = np.r_[0.0, x], np.r_[0.0, y]
        xs.append(x)
        ys.append(y)
    width = max(len(x) for x in xs)
    for j in range(len(xs)):  # pad with collinear points: the same piecewise-linear function
        x, y = xs[j], ys[j]
        slope = (y[-1] - y[-2]) / (x[-1] - x[-2])
        extra = x[-1] + np.arange(1, width - len(x) + 1) * max(1.0, x[-1] - x[0])
        xs[j], ys[j] = np.r_[x, extra], np.r_[y, y[-1] + slope * (extra - x[-1])]
    return np.vstack(xs), np.vstack(ys)


def build_calibration(
    layouts: Mapping[str, Any],
    *,
    tare: Mapping[str, np.ndarray] | None = None,
    standing: Mapping[str, np.ndarray] | None = None,
    body_mass_kg: float | None = None,
    curves: Mapping | None = None,
    inverted: bool = False,
    adc_max: float | None = None,
) -> dict[str, Calibration]:
    """Build one calibration per foot from a tare, a quiet standing trial and/or load curves.

    ``physical = curve((raw - offset) * gain)``, where

    - ``offset`` is the tare median per sensor (without a tare: ``adc_max``
      for an inverted ADC, else 0);
    - the sign of ``gain`` is negative for an inverted ADC (more load, fewer
      counts);
    - without curves the calibration is linear and one scale factor, shared
      by all sensors of both feet, makes the force of the standing trial
      equal the body weight on average (``sum_i area_i * p_i`` for pressure
      layouts, ``sum_i F_i`` for force layouts);
    - with curves (counts -> load from known weights, non-linear for FSRs)
      the curves give the shape, and a standing trial, when given, rescales
      their loads so the standing force equals the body weight.

    Parameters
    ----------
    layouts : dict
        ``{foot: SensorLayout}`` of the feet to calibrate.
    tare : dict, optional
        ``{foot: (n, n_sensors) raw}`` with the insoles unloaded.
    standing : dict, optional
        ``{foot: (n, n_sensors) raw}`` of quiet standing on these insoles
        (on both feet, or on one leg when one insole is calibrated).
    body_mass_kg : float, optional
        Needed with ``standing``.
    curves : mapping, optional
        Load curves (:func:`load_curves`).
    inverted : bool
        The ADC reads fewer counts under more load.
    adc_max : float, optional
        Full-scale count (e.g. 4095), the zero-load level of an inverted ADC
        when there is no tare.

    Returns
    -------
    dict
        ``{foot: Calibration}``; each keeps its provenance in ``extra``.

    Raises
    ------
    CalibrationError
        Missing inputs, inconsistent sensor counts, or a standing trial that
        reads no load (the message suggests ``--inverted`` when that is why).
    """
    if standing is None and curves is None:
        raise CalibrationError(
            "a tare alone gives no scale; add a standing trial with --standing and --body-mass, or --curves"
        )
    if standing is not None and (body_mass_kg is None or not body_mass_kg > 0):
        raise CalibrationError("a standing trial needs the body mass: add --body-mass KG")
    if inverted and tare is None and adc_max is None:
        raise CalibrationError("an inverted ADC needs a tare or its full scale: add --tare or --adc-max 4095")
    sign = -1.0 if inverted else 1.0
    offsets: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    scales: dict[str, np.ndarray] = {}
    for foot, lay in layouts.items():
        n = lay.n_sensors
        if tare is not None:
            if foot not in tare:
                raise CalibrationError(f"the tare recording has no {foot} foot")
            off = tare_offsets(tare[foot])
        else:
            off = np.full(n, float(adc_max) if inverted else 0.0)
        if off.size != n:
            raise CalibrationError(f"the tare has {off.size} sensors for the {foot} foot but layout {lay.name!r} has {n}")
        offsets[foot] = off
        units[foot] = "kPa" if lay.kind == "pressure_kpa" else "N"
        area_n = np.asarray(lay.area_mm2, dtype=np.float64) * 1e-3 if units[foot] == "kPa" else np.ones(n)
        scales[foot] = np.where(np.asarray(lay.active, dtype=bool), area_n, 0.0)
    shapes = {foot: _curve_arrays(curves, layouts[foot], offsets[foot], sign, units[foot]) for foot in layouts} if curves else {}

    def unscaled(foot: str, raw: np.ndarray) -> np.ndarray:
        cal = Calibration(units[foot], offsets[foot], np.full(offsets[foot].size, sign),
                          *(shapes[foot] if curves else (None, None)))
        return cal.apply(np.asarray(raw, dtype=np.float64))

    k = 1.0
    extra: dict[str, Any] = {"inverted": bool(inverted), "tare": tare is not None, "curves": curves is not None}
    if adc_max is not None:
        extra["adc_max"] = float(adc_max)
    if standing is not None:
        missing = sorted(set(layouts) - set(standing))
        if missing:
            raise CalibrationError(f"the standing trial has no {missing[0]} foot; stand on every insole you calibrate")
        force = 0.0
        for foot in layouts:
            raw = np.asarray(standing[foot], dtype=np.float64)
            if raw.ndim != 2 or raw.shape[0] == 0 or raw.shape[1] != offsets[foot].size:
                raise CalibrationError(f"the standing trial's {foot} foot does not match the layout's {offsets[foot].size} sensors")
            force += float(np.mean(unscaled(foot, raw) @ scales[foot]))
        if not force > 0:
            hint = "; the ADC looks inverted: add --inverted" if force < 0 and not inverted else "; check the files"
            raise CalibrationError(f"the standing trial reads no load above the tare{hint}")
        weight_n = float(body_mass_kg) * GRAVITY_M_S2
        k = weight_n / force
        extra.update(body_mass_kg=float(body_mass_kg), standing_weight_n=weight_n, standing_scale=k)
    out = {}
    for foot, lay in layouts.items():
        n = lay.n_sensors
        info = dict(extra, layout=lay.name)
        if curves:
            cx, cy = shapes[foot]
            out[foot] = Calibration(units[foot], offsets[foot], np.full(n, sign), cx, cy * k,
                                    source=_source(tare, standing, curves), extra=info)
        else:
            out[foot] = Calibration(units[foot], offsets[foot], np.full(n, sign * k),
                                    source=_source(tare, standing, curves), extra=info)
    return out


def _source(tare, standing, curves) -> str:
    parts = [name for name, v in (("tare", tare), ("standing", standing), ("curves", curves)) if v is not None]
    return "insole calibrate: " + " + ".join(parts)


def recalibrate(path: str | os.PathLike, calibration: Mapping[str, Calibration], out: str | os.PathLike | None = None, *, overwrite: bool = False) -> Path:
    """Replace the calibration of a recording file; raw values stay as they are.

    Writes ``out`` (or ``path`` itself, atomically) and returns its path.
    """
    from insole.store import read_recording, write_recording

    src = Path(path)
    dst = Path(out) if out is not None else src
    rec = read_recording(src)
    for foot, fd in rec.feet.items():
        cal = calibration_for_foot(calibration, foot)
        if cal is None:
            continue
        expected = "kPa" if fd.layout.kind == "pressure_kpa" else "N"
        if cal.n_sensors != fd.layout.n_sensors or cal.unit != expected:
            raise CalibrationError(
                f"the calibration ({cal.n_sensors} sensors, {cal.unit}) does not fit the {foot} foot "
                f"({fd.layout.n_sensors} sensors, {expected}); build one for layout {fd.layout.name!r}"
            )
        fd.calibration = cal
    same = dst.resolve() == src.resolve()
    write_recording(rec, dst, overwrite=overwrite or same)
    return dst
