"""``insole test``: guided foot tests (single-leg heel raises, single-leg balance) from a file or live."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import click

from insole.cli._base import CONTEXT_SETTINGS, InsoleGroup, overwrite_option


@click.group(cls=InsoleGroup, context_settings=CONTEXT_SETTINGS)
def cli() -> None:
    """Guided foot tests: single-leg heel raises and single-leg balance.

    Each test reads a recording (or records one live from the insoles),
    measures the standing foot, logs touch-downs of the other foot and
    stores its result in the recording under /derived/heel_raise/<foot> or
    /derived/balance/<foot>, where 'insole report' finds it.

    \b
    Examples:
      insole test heel-raise hr_left.h5 --foot left
      insole test heel-raise --live /dev/ttyUSB0 --foot right --layout diy-fsr-16 --calibration cal.json -o hr.h5
      insole test balance stand.h5 --foot left --duration 30
    """


def _common_file_options(f):
    for opt in reversed([
        click.option("--foot", type=click.Choice(["left", "right"]), required=True, help="The standing (tested) foot."),
        click.option("--body-mass", "body_mass_kg", type=click.FloatRange(1, 500), help="Body mass in kg (overrides the recording's)."),
        click.option("--start", "start_s", type=float, help="Analyse from this many seconds after the first frame."),
        click.option("--end", "end_s", type=float, help="Analyse up to this many seconds after the first frame."),
        click.option("--other", "other_path", type=click.Path(dir_okay=False, exists=True),
                     help="A recording of the other foot's test (already analysed) to compare with."),
        click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the result as JSON."),
        click.option("--no-write", is_flag=True, help="Do not store the result in the recording (/derived)."),
        click.option("--live", is_flag=True, help="Record from the insoles: SOURCES are one port URL (both feet) or two (left, right)."),
        click.option("--layout", help="Live: sensor layout of the insoles (see 'insole layouts')."),
        click.option("-o", "--output", type=click.Path(dir_okay=False), help="Live: the recording file to write (.h5)."),
        click.option("--calibration", type=click.Path(dir_okay=False, exists=True), help="Live: calibration file ('insole calibrate')."),
        click.option("--channel-map", type=click.Path(dir_okay=False, exists=True), help="Live: channel map ('insole check --map-out')."),
        click.option("--format", "fmt", type=click.Choice(["auto", "v1", "csv-time", "csv-frame", "csv-lr"]), default="auto",
                     show_default=True, help="Live: stream format."),
        click.option("--subject", "subject_id", help="Live: pseudonymous subject id."),
        overwrite_option,
    ]):
        f = opt(f)
    return f


def _source(sources: tuple[str, ...], live: bool) -> str | None:
    if live:
        if not 1 <= len(sources) <= 2:
            raise click.UsageError("--live needs one port URL (both feet) or two (left, right)")
        return None
    if len(sources) != 1:
        raise click.UsageError("give one recording FILE.h5 (or --live URL [URL])")
    return sources[0]


def _record_live(sources, *, layout, output, calibration, channel_map, fmt, subject_id, body_mass_kg, task,
                 duration_s, overwrite, on_frames_factory, extra=None) -> Path:
    """Run the recorder with the tracker's tap; return the written file."""
    from insole.acquisition.recorder import PortSpec, Recorder
    from insole.exceptions import InsoleError
    from insole.recording import Metadata

    if not output or not layout:
        raise click.UsageError("--live needs -o OUT.h5 and --layout NAME")
    if not calibration:
        raise InsoleError("--live needs --calibration FILE: the insoles send raw counts, and the test needs forces "
                          "(build one with 'insole calibrate')")
    specs = [PortSpec(sources[0])] if len(sources) == 1 else [PortSpec(sources[0], "left"), PortSpec(sources[1], "right")]
    recorder = Recorder(output, specs, layout, fmt=fmt, duration_s=duration_s, calibration=calibration, channel_map=channel_map,
                        metadata=Metadata(subject_id=subject_id, body_mass_kg=body_mass_kg, task=task), overwrite=overwrite)
    recorder.on_frames = on_frames_factory(recorder)
    if extra is not None:
        extra.start()
    try:
        result = recorder.run()
    finally:
        if extra is not None:
            extra.stop()
    click.echo(result.summary())
    if result.path is None:
        raise InsoleError(result.message or "nothing was recorded")
    return Path(result.path)


def _say(lock: threading.Lock):
    def say(text: str) -> None:
        with lock:
            click.echo(text)
            sys.stdout.flush()

    return say


def _other_tree(name: str, path: str, foot: str, other_path: str | None) -> dict[str, Any] | None:
    from insole.foot_tests import read_derived

    other_foot = "right" if foot == "left" else "left"
    src = other_path or path
    tree = read_derived(src, name).get(other_foot)
    return tree or None


def _store(name: str, path: str, foot: str, tree: dict, sym: dict | None, no_write: bool) -> None:
    from insole.foot_tests import write_derived

    if not no_write:
        write_derived(path, name, foot, tree, symmetry=sym)
        click.echo(f"stored in {path} under /derived/{name}/{foot}")


def _write_json(json_path: str | None, doc: dict) -> None:
    if json_path:
        from pathlib import Path

        from insole.analysis import _atomic_text
        from insole.foot_tests._common import clean

        _atomic_text(Path(json_path), json.dumps(clean(doc), indent=1))  # whole or not at all


@cli.command("heel-raise", context_settings=CONTEXT_SETTINGS)
@click.argument("sources", nargs=-1)
@_common_file_options
@click.option("--target", type=click.IntRange(1, 500), default=10, show_default=True, help="Valid repetitions asked for (live: stop there).")
@click.option("--metronome-rpm", type=click.FloatRange(1, 120), help="Live: a terminal metronome at this many repetitions per minute.")
@click.option("--duration", "duration_s", type=float, help="Live: stop after this many seconds (default: --target or Ctrl-C).")
def heel_raise(sources, foot, body_mass_kg, start_s, end_s, other_path, json_path, no_write, live, layout, output, calibration,
               channel_map, fmt, subject_id, overwrite, target, metronome_rpm, duration_s) -> None:
    """Single-leg heel-raise test (science.md 8.2) of FILE.h5, or live.

    Counts valid repetitions (the heel off the insole for >= 100 ms with the
    force near the standing force, then back down), rejects partial ones and
    those with a too short or unloaded top, logs assists (touch-downs of the
    other foot), classifies each repetition's end position ("hallux / first
    ray", "central", "lateral drift"; "not measured" without a hallux sensor),
    detects fatigue drift and reports cadence and hold times.  When the other
    foot's result is in the file (or in --other), the symmetry angle of valid
    repetitions and of the medial share is added.

    Live (--live URL [URL]), it records to -o while showing each repetition's
    number and end position as it happens, with an optional metronome (30
    reps/min: a beat every second, up on one, down on the next), and stops at
    --target valid repetitions, --duration or Ctrl-C; the written file is then
    analysed like any other, so live and offline agree.

    \b
    Examples:
      insole test heel-raise hr.h5 --foot left
      insole test heel-raise hr.h5 --foot right --other hr_left.h5 --json hr.json
      insole test heel-raise --live /dev/ttyUSB0 --foot left --layout diy-fsr-16 --calibration cal.json -o hr.h5 --metronome-rpm 30
      insole emulate --pty --replay sim.h5   # a virtual insole to try --live with
    """
    from insole.foot_tests import analyze_heel_raise, format_heel_raise, heel_raise_symmetry
    from insole.foot_tests.live import LiveHeelRaise, Metronome

    path = _source(sources, live)
    if live:
        lock = threading.Lock()
        say = _say(lock)
        state: dict[str, Any] = {}

        def factory(recorder):
            def on_rep(row, n_valid):
                if bool(row["valid"]):
                    extra = " (assisted)" if row["assisted"] else ""
                    say(f"rep {n_valid}: {row['end_class']}{extra}")
                else:
                    say(f"rejected: {row['reject_reason']}")

            def on_target():
                say(f"target reached: {target} valid repetitions")
                timer = threading.Timer(0.7, recorder.stop, args=("stopped",))
                timer.daemon = True
                timer.start()

            tracker = LiveHeelRaise(recorder.layouts, recorder.calibrations, foot, body_mass_kg=body_mass_kg, target=target,
                                    on_rep=on_rep, on_target=on_target)
            state["tracker"] = tracker
            return tracker.feed

        metronome = Metronome(metronome_rpm, _say(lock), bell=sys.stdout.isatty()) if metronome_rpm else None
        say(f"heel-raise test, {foot} foot: stand on the {foot} foot, then rise and lower; Ctrl-C ends")
        path = str(_record_live(sources, layout=layout, output=output, calibration=calibration, channel_map=channel_map, fmt=fmt,
                                subject_id=subject_id, body_mass_kg=body_mass_kg, task="heel-raise", duration_s=duration_s,
                                overwrite=overwrite, on_frames_factory=factory, extra=metronome))
    assert path is not None
    result = analyze_heel_raise(path, foot, body_mass_kg=body_mass_kg, target=target, start_s=start_s, end_s=end_s)
    tree = result.to_tree()
    other = _other_tree("heel_raise", path, foot, other_path)
    sym = heel_raise_symmetry(*((tree, other) if foot == "left" else (other, tree))) if other else None
    click.echo(format_heel_raise(result))
    if sym:
        sa = sym.get("valid_reps_sa_pct")
        ms = sym.get("medial_share_sa_pct")
        click.echo("left/right symmetry angle: valid reps " + ("-" if sa is None or sa != sa else f"{sa:.1f} %")
                   + (f", medial share {ms:.1f} %" if ms is not None and ms == ms else ""))
    for w in result.warnings:
        click.echo(f"warning: {w}")
    _store("heel_raise", path, foot, tree, sym, no_write)
    _write_json(json_path, {**result.to_dict(), "symmetry": sym})


@cli.command("balance", context_settings=CONTEXT_SETTINGS)
@click.argument("sources", nargs=-1)
@_common_file_options
@click.option("--duration", "duration_s", type=click.FloatRange(1, 3600), default=30.0, show_default=True,
              help="Seconds of single-leg stance analysed (live: recorded, plus 3 s to lift the other foot).")
def balance(sources, foot, body_mass_kg, start_s, end_s, other_path, json_path, no_write, live, layout, output, calibration,
            channel_map, fmt, subject_id, overwrite, duration_s) -> None:
    """Single-leg balance test of FILE.h5, or live.

    From the moment the other foot leaves the ground, for --duration seconds:
    the range (mm) and mean speed (mm/s) of the centre of pressure,
    medio-lateral and anterior-posterior, and the touch-downs of the other
    foot.  Compare with the other foot and with earlier tests only.

    \b
    Examples:
      insole test balance stand.h5 --foot left
      insole test balance stand.h5 --foot right --duration 20 --json bal.json
      insole test balance --live /dev/ttyUSB0 --foot left --layout diy-fsr-16 --calibration cal.json -o bal.h5
    """
    from insole.foot_tests import analyze_balance, balance_symmetry, format_balance

    path = _source(sources, live)
    if live:
        click.echo(f"balance test, {foot} foot: stand on the {foot} foot for {duration_s:g} s; Ctrl-C ends")
        path = str(_record_live(sources, layout=layout, output=output, calibration=calibration, channel_map=channel_map, fmt=fmt,
                                subject_id=subject_id, body_mass_kg=body_mass_kg, task="balance", duration_s=duration_s + 3.0,
                                overwrite=overwrite, on_frames_factory=lambda recorder: None))
    assert path is not None
    result = analyze_balance(path, foot, duration_s=duration_s, body_mass_kg=body_mass_kg, start_s=start_s, end_s=end_s)
    tree = result.to_tree()
    other = _other_tree("balance", path, foot, other_path)
    sym = balance_symmetry(*((tree, other) if foot == "left" else (other, tree))) if other else None
    click.echo(format_balance(result))
    if sym:
        click.echo("left/right symmetry angle: " + ", ".join(f"{k.replace('_sa_pct', '')} {v:.1f} %" for k, v in sym.items() if v == v))
    _store("balance", path, foot, tree, sym, no_write)
    _write_json(json_path, {**result.to_dict(), "symmetry": sym})
