"""Which decode kernel runs: follows :data:`insole.kernels.BACKEND`, the project's one backend switch."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from insole import kernels

#: Name of the compiled module under ``insole._ext`` (listed in ``kernels.COMPILED_MODULES``).
COMPILED_MODULE = "protocol_v1"


def decode_kernel(backend: str | None = None) -> Callable:
    """The ``decode_v1`` kernel of a backend.

    Parameters
    ----------
    backend : {"cython", "numpy"}, optional
        Default: :data:`insole.kernels.BACKEND`, read at call time.  With
        ``"cython"`` the compiled module must import (an ``ImportError`` is
        raised, never a silent fallback); ``"numpy"`` is the readable twin in
        :mod:`insole.protocol._v1_reference`.

    Returns
    -------
    callable
        ``decode_v1(data, final, n_sensors, bits)``.
    """
    backend = kernels.BACKEND if backend is None else backend
    if backend == "cython":
        return importlib.import_module(f"insole._ext.{COMPILED_MODULE}").decode_v1
    if backend == "numpy":
        from insole.protocol import _v1_reference

        return _v1_reference.decode_v1
    raise ValueError(f"backend must be 'cython' or 'numpy', got {backend!r}")
