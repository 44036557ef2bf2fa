"""Position bias estimated from the log itself, by result randomisation.

On a randomised page the items are shuffled, so every position shows items of the same expected
relevance; the click rate at position k is then examination(k) x mean attraction, and
``CTR_k / CTR_1`` estimates examination(k) / examination(1), the *propensity* of position k (Joachims
et al. 2017). The raw ratios are noisy at low positions; an isotonic (non-increasing) fit, weighted by
impressions (scikit-learn's ``IsotonicRegression``), smooths them without assuming a functional form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from shopcase.schema import CLICKED, POSITION, QUERY_ID
from shopcase.validate import require_columns

RANDOMISED = "randomised"


def estimate_propensities(queries: pd.DataFrame, pages: pd.DataFrame) -> pd.DataFrame:
    """Propensity of each position from the randomised pages of a search log.

    Parameters
    ----------
    queries : DataFrame
        ``query_id, randomised`` (bool: the page was shuffled), e.g. ``SearchLog.queries``.
    pages : DataFrame
        ``query_id, position, clicked``, e.g. ``SearchLog.pages``.

    Returns
    -------
    DataFrame
        One row per position (1..): ``impressions`` and ``clicks`` on randomised pages, ``ctr``,
        ``raw`` (= ctr / ctr at position 1) and ``propensity`` (isotonic, non-increasing, 1 at
        position 1).

    Raises
    ------
    ValueError
        No randomised page, or no click at position 1 on them.
    """
    require_columns(queries, [QUERY_ID, RANDOMISED], "queries")
    require_columns(pages, [QUERY_ID, POSITION, CLICKED], "pages")
    randomised = queries.loc[queries[RANDOMISED].astype(bool), QUERY_ID]
    shown = pages[pages[QUERY_ID].isin(randomised)]
    if shown.empty:
        raise ValueError(
            "queries: no randomised page to estimate position bias from (simulate with randomise_share > 0)"
        )
    table = shown.groupby(POSITION)[CLICKED].agg(impressions="size", clicks="sum").sort_index()
    table["clicks"] = table["clicks"].astype(np.int64)
    table["ctr"] = table["clicks"] / table["impressions"]
    if 1 not in table.index or table.loc[1, "clicks"] == 0:
        raise ValueError("no click at position 1 on the randomised pages: too few randomised searches to estimate from")
    table["raw"] = table["ctr"] / table.loc[1, "ctr"]
    positions = table.index.to_numpy(dtype=np.float64)
    smooth = IsotonicRegression(increasing=False, y_min=0.0).fit(
        positions, table["ctr"].to_numpy(), sample_weight=table["impressions"].to_numpy()
    )
    fitted = smooth.predict(positions)
    table["propensity"] = np.clip(fitted / fitted[0], 0.0, 1.0) if fitted[0] > 0 else table["raw"]
    return table.reset_index()
