"""One simulated experiment: what the shop would log, the truth beside it, and the arms it refuses."""

import numpy as np
import pytest

from shopcase.experiments import funnel, simulate_experiment
from shopcase.experiments.simulate import ExperimentSimulator, Slate, expected_metrics
from shopcase.recommend import Popularity

START = "2023-10-01"


@pytest.fixture(scope="module")
def experiment(simulator):
    return simulator.run(n_users=None, seed=3, salt="homepage")


def test_the_log_and_the_truth(experiment, simulator):
    users = experiment.users
    assert set(users["arm"]) == {"popularity", "item_knn"}
    assert (users["sessions"] >= 1).all()  # only exposed users are in the experiment
    assert (users["orders"] <= users["sessions"]).all() and (users["revenue"] >= 0).all()
    assert users["converted"].equals(users["orders"] > 0)
    per_user = experiment.sessions.groupby("user_id")["revenue"].sum()
    assert per_user.reindex(users["user_id"]).to_numpy() == pytest.approx(users["revenue"].to_numpy())
    assert list(experiment.truth.columns) == ["conversion", "revenue_per_user", "orders_per_user",
                                              "revenue_per_session", "aov"]  # fmt: skip
    table = experiment.analyse("item_knn")
    assert {"true_lift", "covers_truth", "p_adjusted"} <= set(table.columns)
    assert not experiment.srm().mismatch
    by_arm = funnel(experiment.events(), by="arm")
    assert by_arm.groupby("arm", observed=True)["sessions"].first().sum() == len(experiment.sessions)


def test_assignment_is_stable_across_seeds(simulator):
    one = simulator.run(n_users=None, seed=1, salt="same").users.set_index("user_id")["arm"]
    two = simulator.run(n_users=None, seed=2, salt="same").users.set_index("user_id")["arm"]
    common = one.index.intersection(two.index)
    assert len(common) > 100 and (one[common] == two[common]).all()


def test_expected_metrics_by_hand():
    rate, q, r = np.array([0.1, 0.5]), np.array([0.2, 0.1]), np.array([4.0, 3.0])
    m = expected_metrics(rate, q, r, days=10)
    exposed = 1 - np.exp(-rate * 10)
    assert m["conversion"] == pytest.approx((1 - np.exp(-rate * 10 * q)).sum() / exposed.sum())
    assert m["aov"] == pytest.approx((rate * r).sum() / (rate * q).sum())


def test_more_visitors_than_users_are_new_ids(simulator):
    big = simulator.run(n_users=5_000, seed=4)
    assert "profile_id" in big.users and big.users["user_id"].is_unique


def test_bad_arms(shop, before_start):
    pop = Popularity().fit(before_start)

    class Outside:
        def recommend(self, user_ids, n):
            frame = pop.recommend(user_ids, n=n)
            return frame.assign(item_id=frame["item_id"] + 100_000)

    with pytest.raises(ValueError, match=r"arms\['broken'\]: the policy returned .* outside the catalogue"):
        ExperimentSimulator(shop, {"ok": Slate(pop), "broken": Slate(Outside())}, start=START)
    with pytest.raises(ValueError, match="at least two arm"):
        simulate_experiment(shop, {"only": Slate(pop)}, start=START)
    with pytest.raises(ValueError, match="discount"):
        Slate(pop, discount=1.0)
    with pytest.raises(ValueError, match="recommend"):
        Slate(object())
    with pytest.raises(ValueError, match="days"):
        ExperimentSimulator(shop, {"a": Slate(pop), "b": Slate(pop)}, start=START, days=0)
