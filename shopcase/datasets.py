"""Deprecated: the real-data loaders moved to ``shopcase.data.real`` (this path works for one release)."""

import warnings

from shopcase.data.real import (  # noqa: F401
    OnlineRetail,
    cdnow_events,
    load_cdnow,
    load_movielens_100k,
    load_online_retail,
    movielens_100k_dir,
)

warnings.warn(
    "shopcase.datasets is deprecated; import from shopcase.data.real (or shopcase.data) instead",
    DeprecationWarning,
    stacklevel=2,
)
