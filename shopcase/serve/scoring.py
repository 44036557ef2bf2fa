"""One user's top-n for a request, through the model's own chunk code but without building DataFrames.

``model.recommend([user], n)`` spends about two thirds of a one-user call on checking the request and
building the result frame. ``OneUser`` calls the same per-chunk method ``recommend`` calls for known users
(``_top_n_rows``: the model's scoring, seen-item exclusion and deterministic top-n) on the user's row and
maps item indices to ids; unknown users get the cold-start list, which depends only on ``n`` and is cached.
A model without that method is served through ``recommend``. Tests check that both give the same answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopcase.schema import ITEM_ID, SCORE
from shopcase.validate import check_id_kinds_match


class OneUser:
    """Top-n for one user at a time from a fitted shopcase recommender."""

    def __init__(self, model: object) -> None:
        self.model = model
        self._fast = callable(getattr(model, "_top_n_rows", None))
        self._cold: dict[int, tuple[list, list]] = {}

    def top(self, user: object, n: int, exclude_seen: bool = True) -> tuple[list, list, bool]:
        """``(item ids, scores, cold_start)`` of ``user``'s top ``n`` (``n`` already validated, >= 1)."""
        model = self.model
        try:
            row = int(model.user_index_.get_indexer([user])[0])
        except (TypeError, ValueError):  # an id the index cannot even compare: unknown
            row = -1
        if row < 0:
            # An id of another kind (letters for integer ids) is refused, as by ``recommend``, not served cold.
            check_id_kinds_match(pd.Index([user]), model.user_index_, "user_id vs the model's user ids", every=True)
            cached = self._cold.get(n)
            if cached is None:
                frame = model.recommend([user], n=n, exclude_seen=exclude_seen)
                cached = self._cold[n] = (frame[ITEM_ID].tolist(), frame[SCORE].tolist())
            return cached[0], cached[1], True
        if not self._fast:
            frame = model.recommend([user], n=n, exclude_seen=exclude_seen)
            return frame[ITEM_ID].tolist(), frame[SCORE].tolist(), False
        _, col, score, rank = model._top_n_rows(np.array([row]), n, exclude_seen)
        order = np.argsort(rank, kind="stable")  # already in rank order for every model; cheap to be sure
        return model.item_ids_[col[order]].tolist(), np.asarray(score, dtype=np.float64)[order].tolist(), False
