"""Build the Cython kernels; all metadata lives in pyproject.toml.

Every ``ext/<name>.pyx`` (names not starting with ``_``) compiles to
``insole._ext.<name>``.  Compiler directives and flags are set here and only
here: set ``INSOLE_CYTHON_DEBUG=1`` to turn bounds, wraparound and
initialisation checks on.  OpenMP is used when the compiler supports it
(``INSOLE_NO_OPENMP=1`` turns it off).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
DEBUG = os.environ.get("INSOLE_CYTHON_DEBUG", "0") not in ("", "0")

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "nonecheck": False,
    "cdivision": True,
    "embedsignature": True,
}


def _compiler_has_openmp() -> bool:
    """Try to compile and link a tiny OpenMP program with the C compiler."""
    if os.environ.get("INSOLE_NO_OPENMP", "0") not in ("", "0") or sys.platform == "win32":
        return False
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc.split()[0]) is None:
        return False
    src = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        c_file = Path(tmp, "t.c")
        c_file.write_text(src)
        try:
            res = subprocess.run(
                [*cc.split(), "-fopenmp", str(c_file), "-o", str(Path(tmp, "t"))],
                capture_output=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return res.returncode == 0


OPENMP = _compiler_has_openmp()
# No -fassociative-math / -ffast-math: with reassociation the vectoriser peels loops by memory
# alignment, so a frame's sums (and its COP) would depend on where the frame sits in a block,
# and chunked analysis would not equal whole-file analysis bit for bit. Kernels that want
# vector width keep explicit, fixed-order partial sums instead.
FP_ARGS = ["-fno-math-errno", "-fno-trapping-math"]
COMPILE_ARGS = ["-O3", *FP_ARGS] + (["-O0", "-g"] if DEBUG else []) + (["-fopenmp"] if OPENMP else [])
LINK_ARGS = ["-fopenmp"] if OPENMP else []

extensions = [
    Extension(
        f"insole._ext.{pyx.stem}",
        [str(pyx.relative_to(HERE))],
        include_dirs=[np.get_include(), "ext"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=COMPILE_ARGS,
        extra_link_args=LINK_ARGS,
    )
    for pyx in sorted((HERE / "ext").glob("[!_]*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["ext"],
        compiler_directives=DIRECTIVES,
        compile_time_env={"INSOLE_OPENMP": OPENMP},
    ),
)
