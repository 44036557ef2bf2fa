"""estimate_propensities recovers the stated examination curve from randomised pages."""

import numpy as np
import pandas as pd
import pytest

from shopcase.schema import CLICKED, ITEM_ID, POSITION, QUERY_ID, RELEVANCE
from shopcase.search import ClickModel, estimate_propensities, simulate_clicks
from shopcase.search.simulate import AFFINITY, RANDOMISED


def _randomised_log(eta, n_queries=40_000, size=10, seed=0):
    rng = np.random.default_rng(seed)
    pages = pd.DataFrame(
        {
            QUERY_ID: np.repeat(np.arange(1, n_queries + 1), size),
            POSITION: np.tile(np.arange(1, size + 1), n_queries),
            ITEM_ID: np.tile(np.arange(1, size + 1), n_queries),
        }
    )
    relevance = rng.integers(0, 4, len(pages))  # shuffled pages: relevance independent of position
    truth = pages.assign(**{RELEVANCE: relevance, AFFINITY: 0.0})[relevance > 0].drop(columns=POSITION)
    served = simulate_clicks(pages, truth, ClickModel(eta=eta), seed=seed)
    queries = pd.DataFrame({QUERY_ID: np.arange(1, n_queries + 1), RANDOMISED: True})
    return queries, served


@pytest.mark.parametrize("eta", [0.5, 1.0, 1.5])
def test_propensities_match_the_click_model(eta):
    queries, pages = _randomised_log(eta)
    table = estimate_propensities(queries, pages)
    truth = np.arange(1, 11, dtype=float) ** -eta
    # 40,000 pages: the ratio's standard error is below 0.02 at every position; allow 4 of them
    np.testing.assert_allclose(table["propensity"], truth, atol=0.08)
    assert table["propensity"].is_monotonic_decreasing and table["propensity"].iloc[0] == 1.0
    assert list(table.columns) == [POSITION, "impressions", "clicks", "ctr", "raw", "propensity"]


def test_only_randomised_pages_count():
    queries, pages = _randomised_log(1.0, n_queries=2_000)
    queries.loc[queries[QUERY_ID] > 1_000, RANDOMISED] = False
    table = estimate_propensities(queries, pages)
    assert table["impressions"].eq(1_000).all()


def test_no_randomised_page_raises():
    queries, pages = _randomised_log(1.0, n_queries=100)
    with pytest.raises(ValueError, match="no randomised page"):
        estimate_propensities(queries.assign(**{RANDOMISED: False}), pages)
    with pytest.raises(ValueError, match="no click at position 1"):
        estimate_propensities(queries, pages.assign(**{CLICKED: False}))
    with pytest.raises(ValueError, match="randomised"):
        estimate_propensities(queries.drop(columns=RANDOMISED), pages)
