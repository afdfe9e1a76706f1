"""Defaults of the analysis, each from science.md (section in the comment) or marked [H]."""

from __future__ import annotations

from dataclasses import dataclass

GRAVITY = 9.80665


@dataclass(frozen=True)
class AnalysisParams:
    """Analysis settings; the defaults are science.md section 13.

    Parameters
    ----------
    on_fraction, off_fraction, event_fraction : float
        Stance hysteresis and event-timing thresholds above the baseline, as
        fractions of the reference force R (2.2: 5 %, 3 %, 2 %).
    baseline_percentile : float
        Baseline = this percentile of the force (2.2: 5th).
    baseline_window_s : float
        Re-estimate the baseline over windows of this length (2.2: 30 s).
    min_stance_s, max_stance_s, min_swing_s : float
        Stance acceptance (2.2: 80 ms, 2.0 s, 100 ms).
    min_peak_walk, min_peak_run : float
        Reject stances whose peak is below this fraction of R (2.2: 0.3 / 0.8).
    lowpass_walk_hz, lowpass_run_hz : float
        Force low-pass when fs >= 200 Hz (2.2: 20 / 50 Hz).
    cop_lowpass_walk_hz, cop_lowpass_run_hz : float
        COP low-pass before velocity (1.4: 15 / 25 Hz).
    velocity_trim : float
        Fraction of stance excluded at each end from velocity statistics (1.4: 5 %).
    strike_window_s : float
        Strike index cross-check window after IC* (3.1: 10 ms).
    strike_flag_pct : float
        Flag when the two strike indices differ by more (3.1: 10 % of length).
    onset_min_n, onset_fraction, onset_delta_s : float
        Region-onset strike rule (3.2: max(10 N, 5 %), 15 ms).
    hallux_contact_min_n, hallux_contact_fraction : float
        Hallux contact threshold (5.1: max(5 N, 5 % of its peak)).
    route_window, route_final_window : float
        Toe-off route windows (5.1: last 10 % / final 5 % of stance).
    route_lateral_d : float
        "lateral" when mean d <= -this (5.1: 0.10).
    toe_insufficient_bw, toe_insufficient_share : float
        Insufficient toe data when toe peak < 2 % BW in > 50 % of steps (5.2).
    min_steps : int
        Warn below this many steps per foot (1.5: 10).
    outlier_mads : float
        Stride-time outliers (turns) beyond this many scaled MADs (our rule [H]).
    loading_rate_min_hz, loading_rate_full_hz : float
        Loading rate disabled below / flagged low-resolution below (7.1: 200 / 500 Hz).
    """

    on_fraction: float = 0.05
    off_fraction: float = 0.03
    event_fraction: float = 0.02
    baseline_percentile: float = 5.0
    baseline_window_s: float = 30.0
    min_stance_s: float = 0.080
    max_stance_s: float = 2.0
    min_swing_s: float = 0.100
    min_peak_walk: float = 0.3
    min_peak_run: float = 0.8
    lowpass_walk_hz: float = 20.0
    lowpass_run_hz: float = 50.0
    cop_lowpass_walk_hz: float = 15.0
    cop_lowpass_run_hz: float = 25.0
    velocity_trim: float = 0.05
    strike_window_s: float = 0.010
    strike_flag_pct: float = 10.0
    onset_min_n: float = 10.0
    onset_fraction: float = 0.05
    onset_delta_s: float = 0.015
    hallux_contact_min_n: float = 5.0
    hallux_contact_fraction: float = 0.05
    route_window: float = 0.10
    route_final_window: float = 0.05
    route_lateral_d: float = 0.10
    toe_insufficient_bw: float = 0.02
    toe_insufficient_share: float = 0.5
    min_steps: int = 10
    outlier_mads: float = 3.0
    loading_rate_min_hz: float = 200.0
    loading_rate_full_hz: float = 500.0


#: Stance sub-phases in % of stance (0.3): walking (Perry) and running [H].
WALK_PHASES = (("loading_response", 0, 17), ("midstance", 17, 50), ("terminal_stance", 50, 83), ("pre_swing", 83, 100))
RUN_PHASES = (("impact", 0, 20), ("midstance", 20, 60), ("propulsion", 60, 100))
