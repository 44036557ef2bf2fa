"""Shared test set-up: one BLAS thread (implicit asks for it; results stay reproducible).

MPLBACKEND is deliberately left alone: notebook kernels inherit the environment, and a forced
Agg backend would stop them from storing their figures.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
