"""Test configuration: one BLAS thread per process (pytest-xdist already uses both cores; small dense solves get
far slower when BLAS threads compete) and a folder for artefacts such as screenshots."""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
