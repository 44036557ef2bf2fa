"""Off-policy estimators against the simulator's true on-policy value, over 200 seeds, and where they break.

Bands: over 200 logs, each estimator's mean bias must be within 3 standard errors of 0 and its 95% interval
must cover the truth in 90-98.5% of logs (binomial sd 1.5 points at 200), in the well-explored setting; the
breakdowns must show (coverage below 80%, or an effective sample size below 1% of the logs).
"""

import numpy as np
import pytest

from shopcase.experiments import doubly_robust, ips, snips
from shopcase.experiments.offpolicy import BanditSimulator, summarise_replications
from shopcase.recommend import ItemKNN, Popularity


@pytest.fixture(scope="module")
def models(before_start):
    return Popularity().fit(before_start), ItemKNN().fit(before_start)


def test_estimators_equal_their_plain_formulas():
    rng = np.random.default_rng(1)
    n = 500
    logging = rng.uniform(0.05, 1.0, n)
    target = (rng.random(n) < 0.3).astype(float)
    reward = rng.binomial(1, 0.2, n).astype(float)
    q, v = rng.uniform(0, 0.4, n), rng.uniform(0, 0.4, n)
    w = target / logging
    assert ips(reward, target, logging).estimate == pytest.approx(np.mean(w * reward), abs=1e-12)
    assert snips(reward, target, logging).estimate == pytest.approx((w * reward).sum() / w.sum(), abs=1e-12)
    dr = doubly_robust(reward, target, logging, q, v)
    terms = v + w * (reward - q)
    assert dr.estimate == pytest.approx(terms.mean(), abs=1e-12)
    assert dr.ci_high - dr.estimate == pytest.approx(1.959963984540054 * terms.std(ddof=1) / np.sqrt(n), rel=1e-9)
    assert dr.effective_sample_size == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_unbiased_and_covering_when_the_logger_explores(shop, models):
    sim = BanditSimulator(shop, *models, temperature=20.0, slate_size=1)
    summary = summarise_replications(sim.replicate(200, 2_000, seed=7))
    for name, row in summary.iterrows():
        assert abs(row["bias"]) < 3 * row["bias_se"], name
        assert 0.90 <= row["coverage"] <= 0.985, (name, row["coverage"])
    assert summary.loc["DR", "rmse"] < summary.loc["IPS", "rmse"]  # the reward model removes variance


def test_small_propensities_break_ips(shop, models):
    greedy = BanditSimulator(shop, *models, temperature=2.0, slate_size=1)
    summary = summarise_replications(greedy.replicate(100, 3_000, seed=8))
    assert summary.loc["IPS", "coverage"] < 0.8
    assert summary.loc["IPS", "effective_sample_size"] < 0.05 * 3_000


def test_large_slates_break_every_estimator(shop, models):
    slates = BanditSimulator(shop, *models, temperature=20.0, slate_size=3)
    summary = summarise_replications(slates.replicate(100, 3_000, seed=9))
    assert (summary["effective_sample_size"] < 0.01 * 3_000).all()
    assert summary.loc["IPS", "coverage"] < 0.8


def test_bad_input(shop, models):
    with pytest.raises(ValueError, match="logging_propensities has 1 value"):
        ips([1.0, 0.0], [1.0, 0.0], [0.0, 0.5])
    with pytest.raises(ValueError, match="rewards has 1 negative"):
        snips([-1.0, 0.0], [1.0, 0.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="target_probabilities has 1 value"):
        ips([1.0, 0.0], [1.5, 0.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="same length"):
        doubly_robust([1.0, 0.0], [1.0, 0.0], [0.5, 0.5], [0.1], [0.1, 0.2])

    class Outside:
        def recommend(self, user_ids, n):
            frame = models[0].recommend(user_ids, n=n)
            return frame.assign(item_id=frame["item_id"] + 10_000)

    with pytest.raises(ValueError, match="target_model returned .* outside the catalogue"):
        BanditSimulator(shop, models[0], Outside())
