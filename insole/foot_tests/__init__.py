"""Guided foot tests (``insole test``): single-leg heel raises and single-leg balance (science.md 8).

Both read a recording (or live frames), measure the standing foot with the
frame-features kernels, log touch-downs of the other foot, and store their
results under ``/derived/heel_raise/<foot>`` and ``/derived/balance/<foot>``
(docs/foot_tests.md), where the reports find them.
"""

from __future__ import annotations

from insole.foot_tests._common import FootTestError, read_derived, write_derived
from insole.foot_tests.balance import (
    BalanceParams,
    BalanceResult,
    analyze_balance,
    balance_symmetry,
    format_balance,
)
from insole.foot_tests.heel_raise import (
    END_CLASSES,
    NOT_MEASURED,
    HeelRaiseParams,
    HeelRaiseResult,
    analyze_heel_raise,
    format_heel_raise,
    heel_raise_symmetry,
)

__all__ = ["END_CLASSES", "NOT_MEASURED", "BalanceParams", "BalanceResult", "FootTestError", "HeelRaiseParams",
           "HeelRaiseResult", "analyze_balance", "analyze_heel_raise", "balance_symmetry", "format_balance",
           "format_heel_raise", "heel_raise_symmetry", "read_derived", "write_derived"]
