"""The conversion model sees only the past, beats chance out of time, and the discount's truth is what it says."""

import numpy as np
import pandas as pd
import pytest

from shopcase.experiments.conversion import FEATURES, ConversionModel, conversion_dataset, evaluate_conversion
from shopcase.experiments.uplift import (
    DiscountResponse,
    TwoModelUplift,
    compare_targeting,
    intervention_outcomes,
    top_share,
    true_incremental_revenue,
)


@pytest.fixture(scope="module")
def data(shop):
    return conversion_dataset(shop.events, shop.catalogue)


def test_features_do_not_move_when_later_events_are_appended(shop, data):
    events = shop.events
    cut = pd.Timestamp("2023-09-01")
    early = events[events["timestamp"] < cut]
    before = conversion_dataset(early, shop.catalogue)
    full = data.features.set_index("session_id")
    # sessions whose first cart is well before the cut: appending everything after the cut (the rest of their
    # sessions, every later session) must not change one feature
    settled = before.features[before.features["timestamp"] < cut - pd.Timedelta(days=1)].set_index("session_id")
    pd.testing.assert_frame_equal(settled[list(FEATURES)], full.loc[settled.index, list(FEATURES)])
    # and a purchase appended inside a session after its first cart changes its label only
    one = settled.index[0]
    extra = (
        events[events["session_id"] == one]
        .iloc[[-1]]
        .assign(
            event_type=pd.Categorical(["purchase"], categories=events["event_type"].cat.categories),
            timestamp=settled.loc[one, "timestamp"] + pd.Timedelta(minutes=5),
        )
    )
    again = conversion_dataset(pd.concat([early, extra], ignore_index=True), shop.catalogue)
    row = again.features.set_index("session_id").loc[one, list(FEATURES)]
    pd.testing.assert_series_equal(row, settled.loc[one, list(FEATURES)])
    assert again.labels[again.features["session_id"].to_numpy() == one][0]


def test_history_counts_only_sessions_that_ended_before(data, shop):
    f = data.features.set_index("session_id")
    sessions = shop.events.groupby("session_id").agg(user=("user_id", "first"), start=("timestamp", "min"),
                                                     end=("timestamp", "max"))  # fmt: skip
    some = f.sample(40, random_state=1)
    for session_id, row in some.iterrows():
        own = sessions.loc[session_id]
        past = sessions[(sessions["user"] == own["user"]) & (sessions["end"] < own["start"])]
        assert row["past_sessions"] == len(past)


def test_model_beats_chance_out_of_time_and_is_roughly_calibrated(data):
    train, test = data.between(None, "2023-09-01"), data.between("2023-10-01")
    model = ConversionModel(max_iter=100).fit(train.features, train.labels)
    result = evaluate_conversion(model, test)
    assert result.roc_auc > 0.55 and result.pr_auc > result.base_rate
    assert abs(result.calibration["mean_predicted"].mean() - result.base_rate) < 0.1
    assert "ROC-AUC" in str(result)


def test_bad_input(data, shop):
    with pytest.raises(ValueError, match="single class"):
        ConversionModel().fit(data.features.head(50), np.ones(50, dtype=bool))
    with pytest.raises(ValueError, match="same length"):
        ConversionModel().fit(data.features, data.labels[:-1])
    with pytest.raises(ValueError, match="missing column"):
        conversion_dataset(shop.events.drop(columns="unit_price"), shop.catalogue)
    with pytest.raises(ValueError, match="no carted session"):
        data.between("2030-01-01")
    with pytest.raises(ValueError, match="treat must be a boolean"):
        intervention_outcomes(shop, data, np.ones(len(data)), DiscountResponse())
    with pytest.raises(ValueError, match="discount"):
        DiscountResponse(discount=1.5)


def test_true_incremental_revenue_is_the_mean_of_simulated_outcomes(shop, data):
    response = DiscountResponse()
    treat = np.ones(len(data), dtype=bool)
    truth = true_incremental_revenue(shop, data, treat, response).sum()
    baseline = (data.basket * data.labels).sum()
    draws = [intervention_outcomes(shop, data, treat, response, seed=s)[1].sum() - baseline for s in range(200)]
    assert np.mean(draws) == pytest.approx(truth, rel=0.02)


def test_targeting_rules_and_the_ab_test(shop, data):
    response = DiscountResponse()
    pilot, test = data.between(None, "2023-09-01"), data.between("2023-09-01")
    rng = np.random.default_rng(3)
    treated = rng.random(len(pilot)) < 0.5
    bought, _ = intervention_outcomes(shop, pilot, treated, response, seed=4)
    uplift = TwoModelUplift(max_iter=60).fit(pilot.features, treated, bought)
    gain = true_incremental_revenue(shop, test, np.ones(len(test), dtype=bool), response)
    scores = {
        "random": rng.random(len(test)),
        "uplift": uplift.net_revenue_uplift(test.features, test.features["cart_price"], response.discount),
        "oracle": gain,
    }
    table = compare_targeting(shop, test, scores, response, share=0.3, seed=5).set_index("rule")
    assert table.loc["oracle", "true_effect"] == pytest.approx(gain[top_share(gain, 0.3)].sum() / len(test))
    assert table.loc["oracle", "true_effect"] > table.loc["uplift", "true_effect"] > table.loc["random", "true_effect"]
    assert table["treated"].to_numpy() == pytest.approx(0.3, abs=0.01)
    assert set(table.columns) >= {"estimate", "ci_low", "ci_high", "p_value", "covers"}
