"""Where shipped data and generated caches live.

The project is installed in editable mode (``make run`` / ``make test``), so the
repository's ``data/`` folder sits beside the package. ``SHOPCASE_DATA_DIR``
overrides it, e.g. for a non-editable install.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The folder holding shipped datasets (``$SHOPCASE_DATA_DIR`` or ``<repo>/data``)."""
    return Path(os.environ.get("SHOPCASE_DATA_DIR", PROJECT_ROOT / "data"))


def generated_dir() -> Path:
    """The git-ignored cache for generated shops (``<data dir>/generated``)."""
    return data_dir() / "generated"
