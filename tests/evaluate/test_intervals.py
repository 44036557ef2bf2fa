"""Paired bootstrap over users: equal to scipy and to a plain numpy resampling where the method is the same,
coverage of a known difference by simulation, and every bad input refused."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shopcase.data import generate_shop, interactions_from_events
from shopcase.evaluate import (
    bootstrap_mean,
    compare_models,
    metrics_at_ks,
    paired_difference,
    per_user_scores,
    purchase_truth,
    ranking_metrics,
    temporal_split,
)
from shopcase.evaluate.intervals import BATCH_CELLS, Difference, Interval, bootstrap_columns
from shopcase.recommend import ItemKNN, Popularity


@pytest.fixture(scope="module")
def shop_split():
    shop = generate_shop(n_users=500, n_items=200, seed=5)
    train_events, test_events, _ = temporal_split(shop.events, "2023-10-01")
    return interactions_from_events(train_events), test_events


def _zero_inflated(rng, n, p_found=0.15, p_extra=0.05):
    """Per-user scores shaped like NDCG: mostly 0, a skewed value for the users a model finds.

    ``b`` finds a user with probability ``p_found``; ``a`` finds the same users plus ``p_extra`` more, so the
    true mean difference is ``p_extra * 2/7`` (Beta(2, 5) has mean 2/7) and the two are strongly paired.
    """
    found = rng.random(n) < p_found
    b = found * rng.beta(2, 5, n)
    a = b + (rng.random(n) < p_extra) * rng.beta(2, 5, n)
    return a, b


def test_mean_interval_equals_scipy_and_a_plain_numpy_resampling():
    x = np.random.default_rng(1).gamma(0.5, 0.1, 300)
    mine = bootstrap_mean(x, n_resamples=1_000, seed=7)
    batch = BATCH_CELLS // len(x)
    ref = stats.bootstrap((x,), np.mean, n_resamples=1_000, batch=batch, method="percentile", rng=7)
    assert (mine.low, mine.high) == (ref.confidence_interval.low, ref.confidence_interval.high)
    # the method in plain numpy: resample users with replacement, take the middle 95% of the means
    draws = np.random.default_rng(7).integers(0, len(x), (1_000, len(x)))
    low, high = np.quantile(x[draws].mean(axis=1), [0.025, 0.975])
    assert mine.low == pytest.approx(low, abs=1e-15) and mine.high == pytest.approx(high, abs=1e-15)
    assert mine.value == pytest.approx(x.mean())
    bca = bootstrap_mean(x, n_resamples=1_000, seed=7, method="BCa")
    ref = stats.bootstrap((x,), np.mean, n_resamples=1_000, batch=batch, method="BCa", rng=7)
    assert bca.low == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert bca.high == pytest.approx(ref.confidence_interval.high, rel=1e-12)


@pytest.mark.parametrize("method", ["percentile", "BCa", "basic"])
def test_difference_equals_scipys_paired_bootstrap(method):
    a, b = _zero_inflated(np.random.default_rng(2), 400)
    mine = paired_difference(a, b, n_resamples=1_000, seed=3, method=method)

    def gap(x, y, axis=-1):
        return x.mean(axis=axis) - y.mean(axis=axis)

    batch = BATCH_CELLS // (4 * len(a))  # the same batches: two series, each with its mean and its difference
    ref = stats.bootstrap((a, b), gap, paired=True, n_resamples=1_000, batch=batch, method=method, rng=3)
    assert mine.low == pytest.approx(ref.confidence_interval.low, rel=1e-12, abs=1e-15)
    assert mine.high == pytest.approx(ref.confidence_interval.high, rel=1e-12, abs=1e-15)
    assert mine.difference == pytest.approx(a.mean() - b.mean())


def test_pairing_narrows_the_interval_of_a_difference():
    """The same users drive both models' scores: resampling them together removes their shared variation."""
    a, b = _zero_inflated(np.random.default_rng(4), 500)
    paired = paired_difference(a, b, seed=1)
    one, other = bootstrap_mean(a, seed=1), bootstrap_mean(b, seed=2)
    unpaired_half_width = np.hypot(one.high - one.low, other.high - other.low) / 2
    assert (paired.high - paired.low) / 2 < 0.5 * unpaired_half_width


def test_coverage_of_a_known_difference_by_simulation():
    """200 shops of 400 users with a true gap of 0.05 x 2/7 in mean score: the 95% intervals must cover it
    in 90% to 99% of them (the binomial standard error at 95% is 1.5 points: about 3 either side)."""
    rng = np.random.default_rng(2024)
    true_gap, true_mean = 0.05 * 2 / 7, 0.15 * 2 / 7
    covered_gap = covered_mean = 0
    for rep in range(200):
        a, b = _zero_inflated(rng, 400)
        table = bootstrap_columns(np.vstack([a, b]), reference=1, n_resamples=500, seed=rep)
        covered_gap += table["difference_low"].iloc[0] <= true_gap <= table["difference_high"].iloc[0]
        covered_mean += table["low"].iloc[1] <= true_mean <= table["high"].iloc[1]
    assert 0.90 <= covered_gap / 200 <= 0.99
    assert 0.90 <= covered_mean / 200 <= 0.99


def test_identical_models_differ_by_exactly_nothing_even_with_bca():
    x = np.random.default_rng(5).random(50)
    for method in ("percentile", "BCa"):
        result = paired_difference(x, x, names=("a", "b"), metric="ndcg_at_k", method=method)
        assert (result.difference, result.low, result.high) == (0.0, 0.0, 0.0)
        assert not result.significant and result.verdict == "within noise"


def test_results_print_as_one_line_and_are_frozen():
    a, b = _zero_inflated(np.random.default_rng(6), 300, p_extra=0.3)
    gap = paired_difference(pd.Series(a), pd.Series(b), names=("ItemKNN", "Popularity"), metric="ndcg_at_k")
    text = str(gap)
    assert "\n" not in text and text.startswith("ItemKNN vs Popularity: ndcg_at_k ")
    assert text.endswith("300 users): a real gap") and gap.significant
    mean = bootstrap_mean(a, label="ItemKNN", metric="ndcg_at_k")
    assert str(mean).startswith("ItemKNN: ndcg_at_k ") and "95% CI" in str(mean)
    assert isinstance(gap, Difference) and isinstance(mean, Interval)
    with pytest.raises(AttributeError):
        gap.low = 0.0


def test_series_are_matched_on_user_ids_not_positions():
    a = pd.Series([0.1, 0.5, 0.9, 0.3], index=[10, 11, 12, 13])
    b = pd.Series([0.3, 0.9, 0.5, 0.1], index=[13, 12, 11, 10])
    result = paired_difference(a, b)
    assert (result.difference, result.low, result.high) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same users; 2 appear in only one"):
        paired_difference(a, b.rename({13: 99}))
    with pytest.raises(ValueError, match="more than once"):
        paired_difference(pd.Series([0.1, 0.2], index=[1, 1]), pd.Series([0.1, 0.2], index=[1, 2]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"confidence": 95}, "confidence"),
        ({"confidence": 1.0}, "confidence"),
        ({"n_resamples": 10}, "n_resamples"),
        ({"method": "bca"}, "method must be one of"),
    ],
)
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        paired_difference([0.1, 0.2, 0.3], [0.2, 0.2, 0.2], **kwargs)


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="one value per user each, got 3 and 2"):
        paired_difference([0.1, 0.2, 0.3], [0.2, 0.2])
    with pytest.raises(ValueError, match="missing or infinite"):
        bootstrap_mean([0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match="at least 2 users"):
        bootstrap_mean([0.1])
    with pytest.raises(ValueError, match="reference"):
        bootstrap_columns(np.ones((2, 5)), reference=2)


def _scores(rng, models=("Popularity", "ItemKNN", "EASE"), n=200):
    rows = []
    for shift, name in enumerate(models):
        values = np.clip(rng.normal(0.1 + 0.05 * shift, 0.1, n), 0, 1)
        rows.append(pd.DataFrame({"model": name, "user_id": np.arange(n), "ndcg_at_k": values}))
    return pd.concat(rows, ignore_index=True)


def test_compare_models_gives_each_model_and_its_gap_from_the_baseline():
    scores = _scores(np.random.default_rng(7))
    table = compare_models(scores, baseline="Popularity", seed=3)
    assert table["model"].tolist() == ["Popularity", "ItemKNN", "EASE"]
    means = scores.groupby("model", sort=False)["ndcg_at_k"].mean()
    assert np.allclose(table["value"], means.to_numpy())
    assert np.allclose(table["difference"], means.to_numpy() - means["Popularity"])
    assert (table["low"] < table["value"]).all() and (table["value"] < table["high"]).all()
    assert table["significant"].tolist() == [False, True, True]
    assert set(table["baseline"]) == {"Popularity"} and set(table["n_users"]) == {200}
    # two models: the same numbers as paired_difference (the same resamples)
    pair = scores[scores["model"].isin(["ItemKNN", "Popularity"])]
    row = compare_models(pair, baseline="Popularity", seed=3).set_index("model").loc["ItemKNN"]
    by_user = pair.pivot(index="user_id", columns="model", values="ndcg_at_k")
    single = paired_difference(by_user["ItemKNN"], by_user["Popularity"], seed=3)
    assert (row["difference_low"], row["difference_high"]) == pytest.approx((single.low, single.high), abs=1e-15)


def test_compare_models_within_groups_and_its_errors():
    scores = pd.concat([_scores(np.random.default_rng(8)).assign(k=k) for k in (5, 10)], ignore_index=True)
    table = compare_models(scores, by="k")
    assert table[["k", "model"]].values.tolist() == [[k, m] for k in (5, 10) for m in ("Popularity", "ItemKNN", "EASE")]
    assert "difference" not in table.columns
    with pytest.raises(ValueError, match="baseline 'ALS'"):
        compare_models(scores, baseline="ALS", by="k")
    with pytest.raises(ValueError, match="repeated"):
        compare_models(scores)
    short = scores.drop(index=scores.index[(scores["model"] == "EASE") & (scores["user_id"] < 3)])
    with pytest.raises(ValueError, match="'EASE' lacks 3 of 200"):
        compare_models(short, by="k")
    with pytest.raises(ValueError, match="recall_at_k"):
        compare_models(scores, "recall_at_k", by="k")


def test_per_user_scores_average_to_the_ranking_metrics(shop_split):
    train, test_events = shop_split
    truth = purchase_truth(test_events)
    models = {"Popularity": Popularity().fit(train), "ItemKNN": ItemKNN(k_neighbors=20).fit(train)}
    scores = per_user_scores(models, truth, [3, 5])
    assert len(scores) == 2 * 2 * truth["user_id"].nunique()
    means = scores.groupby(["model", "k"], sort=False).mean(numeric_only=True).drop(columns="user_id")
    expected = metrics_at_ks(models, truth, [3, 5]).set_index(["model", "k"])[means.columns]
    pd.testing.assert_frame_equal(means, expected, check_exact=False, rtol=1e-12)
    single = per_user_scores({"ItemKNN": models["ItemKNN"]}, truth, 5)
    recs = models["ItemKNN"].recommend(truth["user_id"].unique(), n=5)
    assert single["hit_rate_at_k"].mean() == pytest.approx(ranking_metrics(recs, truth, 5)["hit_rate_at_k"])
    with pytest.raises(ValueError, match="ks"):
        per_user_scores(models, truth, [])
