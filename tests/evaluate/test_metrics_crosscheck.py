"""shopcase's ranking metrics against Microsoft Recommenders' (``python_evaluation``) and a loop oracle.

Recommenders ranks each user's rows by the prediction column and averages precision, recall
and both MAPs over the users present in *both* frames. So the equality checks use inputs
where every truth user has a list (recs-only users are included: both sides ignore them),
and a separate test pins down how the two differ when a truth user has no list.

Run with SHOPCASE_REQUIRE_CROSSCHECKS=1 (as ``make test`` does) and a missing recommenders
fails these tests instead of skipping them.
"""

from __future__ import annotations

import os

import pytest
from evaluate_helpers import REQUIRE_ENV, import_or_require, naive_ranking_metrics, random_case

from shopcase.evaluate.metrics import map_at_k, ndcg_at_k, precision_at_k, ranking_metrics, recall_at_k

SEEDS = [0, 1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def ms():
    return import_or_require("recommenders.evaluation.python_evaluation")


def theirs(ms, recs, truth, k):
    """The five recommenders metrics on the same input (rank dropped: they rank by ``score``)."""
    pred = recs.drop(columns="rank")
    cols = {"col_user": "user_id", "col_item": "item_id", "col_prediction": "score", "k": k}
    return {
        "precision_at_k": ms.precision_at_k(truth, pred, **cols),
        "recall_at_k": ms.recall_at_k(truth, pred, **cols),
        "ndcg_at_k": ms.ndcg_at_k(truth, pred, col_rating="rating", discfun_type="log2", **cols),
        "map_all_relevant_at_k": ms.map(truth, pred, **cols),
        "map_at_k": ms.map_at_k(truth, pred, **cols),
    }


@pytest.mark.parametrize("k", [1, 3, 5, 10])
@pytest.mark.parametrize("seed", SEEDS)
def test_equal_to_recommenders_when_every_truth_user_has_a_list(ms, seed, k):
    recs, truth = random_case(seed, k=k)
    ours = ranking_metrics(recs, truth, k)
    # the inputs really contain the awkward cases the comparison is meant to cover
    per_user_len = recs.groupby("user_id").size()
    assert (per_user_len < k).any() or k == 1
    assert ours["n_rec_users_without_truth"] == 3 and ours["n_users_without_recs"] == 0
    assert 0 < ours["hit_rate_at_k"] < 1  # some users hit, some do not
    for name, value in theirs(ms, recs, truth, k).items():
        assert ours[name] == pytest.approx(value, abs=1e-9), name


def test_single_metric_functions_match_recommenders(ms):
    recs, truth = random_case(11, k=4)
    reference = theirs(ms, recs, truth, 4)
    assert precision_at_k(recs, truth, 4) == pytest.approx(reference["precision_at_k"], abs=1e-9)
    assert recall_at_k(recs, truth, 4) == pytest.approx(reference["recall_at_k"], abs=1e-9)
    assert ndcg_at_k(recs, truth, 4) == pytest.approx(reference["ndcg_at_k"], abs=1e-9)
    assert map_at_k(recs, truth, 4) == pytest.approx(reference["map_at_k"], abs=1e-9)
    assert map_at_k(recs, truth, 4, denominator="min_relevant_k") == pytest.approx(reference["map_at_k"], abs=1e-9)
    assert map_at_k(recs, truth, 4, denominator="relevant") == pytest.approx(
        reference["map_all_relevant_at_k"], abs=1e-9
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_never_skip_differs_from_recommenders_by_the_share_of_listed_users(ms, seed):
    """Truth users without a list score 0 here; recommenders leaves them out of precision, recall and MAP."""
    k = 5
    recs, truth = random_case(seed, k=k, every_truth_user_listed=False)
    ours = ranking_metrics(recs, truth, k)
    assert ours["n_users_without_recs"] > 0
    listed_share = (ours["n_users"] - ours["n_users_without_recs"]) / ours["n_users"]
    reference = theirs(ms, recs, truth, k)
    for name in ("precision_at_k", "recall_at_k", "map_at_k", "map_all_relevant_at_k"):
        assert ours[name] == pytest.approx(reference[name] * listed_share, abs=1e-9), name
        assert ours[name] < reference[name]
    # recommenders' ndcg_at_k outer-merges the truth, so it already counts unlisted users as 0
    assert ours["ndcg_at_k"] == pytest.approx(reference["ndcg_at_k"], abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("listed", [True, False])
def test_equal_to_the_loop_oracle(seed, listed):
    """All seven metrics, including hit rate and MRR that recommenders lacks, and unlisted truth users."""
    k = 4
    recs, truth = random_case(seed + 100, k=k, every_truth_user_listed=listed)
    ours = ranking_metrics(recs, truth, k)
    for name, value in naive_ranking_metrics(recs, truth, k).items():
        assert ours[name] == pytest.approx(value, abs=1e-12), name


def test_missing_oracle_skips_by_default_and_fails_when_required(monkeypatch):
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception):
        import_or_require("shopcase_no_such_module")
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="cannot be imported"):
        import_or_require("shopcase_no_such_module")


def test_oracle_is_present_under_make_test():
    """Under SHOPCASE_REQUIRE_CROSSCHECKS=1 the fixture must have the real module, not a skip."""
    if os.environ.get(REQUIRE_ENV) != "1":
        pytest.skip(f"{REQUIRE_ENV} is not set")
    module = import_or_require("recommenders.evaluation.python_evaluation")
    assert callable(module.map_at_k) and callable(module.map)
