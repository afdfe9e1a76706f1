"""``insole simulate``: synthetic recordings with known truth."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output recording (.h5).")
@click.option("--layout", default="pedar-99", show_default=True, help="Sensor layout preset (see 'insole layouts').")
@click.option("--task", type=click.Choice(["walk", "run", "heel-raise", "balance", "static"]), default="walk", show_default=True)
@click.option("--duration", "duration_s", type=float, help="Seconds (default: 40 walk, 20 run, 30 balance, 10 static; heel-raise: as the reps need).")
@click.option("--rate", "rate_hz", type=float, default=100.0, show_default=True, help="Sampling rate in Hz.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same file).")
@click.option("--cadence", "cadence_spm", type=float, help="Steps per minute (default 110 walk, 170 run).")
@click.option("--contact-time", "contact_time_s", type=float, help="Contact time in s (default 62%% of the stride walking, 0.25 s running).")
@click.option("--strike-index", "strike_index_pct", type=float, help="Strike index in %% of insole length (RFS <= 33.3 < MFS <= 66.7 < FFS).")
@click.option("--strike-pattern", type=click.Choice(["RFS", "MFS", "FFS", "random"]), default="RFS", show_default=True, help="Used when --strike-index is not given.")
@click.option("--ml-bias", type=float, default=0.0, show_default=True, help="-1..1: laterally (-) or medially (+) directed loading pattern.")
@click.option("--toe-off-route", type=click.Choice(["first-ray", "central", "lateral"]), default="first-ray", show_default=True)
@click.option("--hallux-share", type=float, help="Hallux share of the toe load at push-off (0-1; default per route).")
@click.option("--asymmetry", type=float, default=0.0, show_default=True, help="Right foot contact time x (1+a), force x (1-a/2).")
@click.option("--body-mass", "body_mass_kg", type=float, default=70.0, show_default=True, help="Body mass in kg.")
@click.option("--subject", default="sim-001", show_default=True, help="Pseudonymous subject id.")
@click.option("--foot", type=click.Choice(["left", "right"]), default="left", show_default=True, help="Foot of single-leg tasks.")
@click.option("--reps", type=int, default=10, show_default=True, help="Heel raises.")
@click.option("--fatigue-drift", type=float, default=0.0, show_default=True, help="0-1: heel-raise end position drifts toward the small toes.")
@click.option("--partial-reps", type=int, default=0, show_default=True, help="Extra heel raises that do not reach full height.")
@click.option("--assists", type=int, default=0, show_default=True, help="Heel raise: touch-downs of the other foot.")
@click.option("--touchdowns", type=int, default=0, show_default=True, help="Balance: touch-downs of the other foot.")
@click.option("--noise", type=float, default=1.0, show_default=True, help="Sensor noise SD in kPa (or N).")
@click.option("--drift", type=float, default=0.0, show_default=True, help="Baseline drift at the end, kPa (or N).")
@click.option("--nonlinearity", type=float, default=0.0, show_default=True, help="FSR-like compression 0-1.")
@click.option("--hysteresis", type=float, default=0.0, show_default=True, help="0-1: unloading reads high.")
@click.option("--crosstalk", type=float, default=0.0, show_default=True, help="Matrix insoles: fraction of neighbours picked up.")
@click.option("--saturation", type=float, help="Clip values here (kPa or N).")
@click.option("--drop-rate", type=float, default=0.0, show_default=True, help="Probability of losing a frame on the link.")
@click.option("--adc-bits", type=int, help="Store raw ADC counts of this many bits with a calibration (like DIY insoles).")
@click.option("--compression", type=click.Choice(["gzip", "lzf", "none"]), default="gzip", show_default=True)
@overwrite_option
def cli(output: str, compression: str, overwrite: bool, **params) -> None:
    """Simulate a recording with its ground truth stored in /truth.

    The generative model spreads a plausible force curve over the layout's
    sensors along a centre-of-pressure path shaped by the strike pattern,
    the medial/lateral bias and the toe-off route; event times, strike index,
    route, hallux share and heel-raise repetitions are stored as truth.

    \b
    Examples:
      insole simulate -o walk.h5 --layout pedar-99 --task walk --duration 60
      insole simulate -o run.h5 --layout fscan-60x21 --task run --rate 500 --strike-pattern FFS
      insole simulate -o hr.h5 --layout moticon-16 --task heel-raise --reps 10 --fatigue-drift 1
      insole simulate -o lat.h5 --layout diy-fsr-16 --toe-off-route lateral --noise 0
    """
    from insole.simulate import simulate

    path = simulate(output, overwrite=overwrite, compression=None if compression == "none" else compression, **params)
    click.echo(f"wrote {path}")
