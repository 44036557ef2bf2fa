"""A cart-abandonment discount: who should get it, and what it earns once its cost is paid.

The simulated truth (``DiscountResponse``): a carted session that would have been abandoned is rescued by a
discount ``d`` with probability ``1 - exp(-strength x d x price_sensitivity ** exponent)``, the user's hidden
price sensitivity from the shop's truth; a session that would have bought anyway buys anyway, at the
discounted price. Without the discount every session does what the log says it did, so the log is the
control arm. Revenue of a session is its basket (everything carted) if it buys, times ``1 - d`` if it got the
discount. The incremental revenue of giving the discount to a session is therefore
``(1 - bought) x rescue x basket x (1 - d) - bought x d x basket``: it pays on likely abandoners who are
price sensitive, and loses money on sessions that would have bought anyway.

Three ways to choose the sessions: **at random**, **by propensity** (the lowest predicted chance to buy,
``ConversionModel``: likely abandoners) and **by estimated uplift** (``TwoModelUplift``: a model of revenue
with and without the discount, fitted on a randomised pilot; or ``TransformedOutcomeUplift``). Each rule is an
arm of a simulated A/B test against no discount (``compare_targeting``), with the true incremental revenue of
each rule beside the estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted

from shopcase.data.generate import Shop
from shopcase.experiments.analysis import ratio_metric_test
from shopcase.experiments.assignment import assign_arms
from shopcase.experiments.conversion import FEATURES, ConversionData
from shopcase.schema import SEED, USER_ID
from shopcase.validate import (
    check_array,
    check_int,
    check_number,
    check_probability,
    check_same_length,
    require_columns,
)


@dataclass(frozen=True)
class DiscountResponse:
    """The simulator's hidden truth of how a cart-abandonment discount works (see the module docstring)."""

    discount: float = 0.1
    strength: float = 3.0
    exponent: float = 2.0

    def __post_init__(self) -> None:
        check_number(self.discount, "discount", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_number(self.strength, "strength", low=0.0)
        check_number(self.exponent, "exponent", low=0.0)

    def rescue_probability(self, price_sensitivity: np.ndarray) -> np.ndarray:
        return -np.expm1(-self.strength * self.discount * np.asarray(price_sensitivity) ** self.exponent)


def _sensitivity(shop: Shop, data: ConversionData) -> np.ndarray:
    return shop.truth.price_sensitivity[data.features[USER_ID].to_numpy() - 1]


def _treatment(treat: object, data: ConversionData) -> np.ndarray:
    array = np.asarray(treat)
    if array.dtype != bool:
        raise ValueError(f"treat must be a boolean array (one flag per session), got dtype {array.dtype}")
    check_same_length(treat=array, sessions=data.labels)
    return array


def intervention_outcomes(
    shop: Shop, data: ConversionData, treat: object, response: DiscountResponse, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated purchase flags and revenue (net of the discount) of each session, given who got the discount."""
    treat = _treatment(treat, data)
    rng = np.random.default_rng(check_int(seed, "seed", low=0))
    rescued = treat & ~data.labels & (rng.random(len(treat)) < response.rescue_probability(_sensitivity(shop, data)))
    bought = data.labels | rescued
    return bought, data.basket * bought * (1.0 - response.discount * treat)


def true_incremental_revenue(shop: Shop, data: ConversionData, treat: object, response: DiscountResponse) -> np.ndarray:
    """Expected revenue gained (lost if negative) per session by the discount, given the log's outcomes."""
    treat = _treatment(treat, data)
    rescue = response.rescue_probability(_sensitivity(shop, data))
    d, bought = response.discount, data.labels
    gain = (~bought) * rescue * data.basket * (1.0 - d) - bought * d * data.basket
    return treat * gain


def _features(data_or_frame: ConversionData | pd.DataFrame) -> np.ndarray:
    frame = data_or_frame.features if isinstance(data_or_frame, ConversionData) else data_or_frame
    require_columns(frame, FEATURES, "features")
    return frame[list(FEATURES)].to_numpy(dtype=np.float64)


def _check_fit_input(features, treatment, bought) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _features(features)
    t, y = np.asarray(treatment), np.asarray(bought)
    check_same_length(features=x, treatment=t, bought=y)
    if t.dtype != bool or t.all() or not t.any():
        raise ValueError("treatment must be a boolean array with treated and control rows")
    if y.dtype != bool or y.all() or not y.any():
        raise ValueError("bought must be a boolean array with buyers and non-buyers")
    return x, t, y


class _BoostedUplift(BaseEstimator):
    """Shared parameters of the uplift learners (scikit-learn's gradient-boosted trees underneath)."""

    def __init__(self, max_iter: int = 100, learning_rate: float = 0.05, min_samples_leaf: int = 50,
                 random_state: int = SEED) -> None:  # fmt: skip
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    def _boosting(self) -> dict[str, object]:
        return {
            "max_iter": check_int(self.max_iter, "max_iter"),
            "learning_rate": check_number(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False),
            "min_samples_leaf": check_int(self.min_samples_leaf, "min_samples_leaf"),
            "early_stopping": False,
            "random_state": self.random_state,
        }


class TwoModelUplift(_BoostedUplift):
    """Uplift in the chance to buy as the difference of two classifiers (a "T-learner").

    ``fit(features, treatment, bought)`` fits one HistGradientBoostingClassifier on treated sessions and one
    on control sessions of a randomised pilot; ``predict_outcomes`` gives both probabilities and ``predict``
    their difference. ``net_revenue_uplift`` turns them into money: value x ((1 - d) P(buy | discount) -
    P(buy | none)).
    """

    def _model(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(**self._boosting())

    def fit(self, features: pd.DataFrame, treatment: object, bought: object) -> Self:
        x, t, y = _check_fit_input(features, treatment, bought)
        self.treated_ = self._model().fit(x[t], y[t])
        self.control_ = self._model().fit(x[~t], y[~t])
        return self

    def predict_outcomes(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """P(buy | discount) and P(buy | no discount) per session."""
        check_is_fitted(self, "treated_")
        x = _features(features)
        return self.treated_.predict_proba(x)[:, 1], self.control_.predict_proba(x)[:, 1]

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Estimated uplift in the chance to buy, per session."""
        treated, control = self.predict_outcomes(features)
        return treated - control

    def net_revenue_uplift(self, features: pd.DataFrame, value: object, discount: float) -> np.ndarray:
        """Expected revenue gained by the discount: ``value x ((1 - discount) p_treated - p_control)``."""
        discount = check_number(discount, "discount", low=0.0, high=1.0, high_inclusive=False)
        treated, control = self.predict_outcomes(features)
        value = check_array(value, "value", low=0.0)
        check_same_length(value=value, features=treated)
        return value * ((1.0 - discount) * treated - control)


class TransformedOutcomeUplift(_BoostedUplift):
    """Uplift by regressing the transformed outcome ``y (t - p) / (p (1 - p))`` (p the treated share).

    Its expectation given the features is the uplift in the chance to buy, so one regression estimates it
    directly (Athey & Imbens 2015); it is noisier than two models.
    """

    def fit(self, features: pd.DataFrame, treatment: object, bought: object) -> Self:
        x, t, y = _check_fit_input(features, treatment, bought)
        p = t.mean()
        self.model_ = HistGradientBoostingRegressor(**self._boosting()).fit(x, y * (t - p) / (p * (1 - p)))
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Estimated uplift in the chance to buy, per session."""
        check_is_fitted(self, "model_")
        return self.model_.predict(_features(features))


def top_share(scores: np.ndarray, share: float) -> np.ndarray:
    """Flags for the ``share`` of rows with the highest scores (ties broken by row order)."""
    k = int(round(share * len(scores)))
    flags = np.zeros(len(scores), dtype=bool)
    flags[np.argsort(-scores, kind="stable")[:k]] = True
    return flags


def compare_targeting(
    shop: Shop,
    test: ConversionData,
    scores: Mapping[str, object],
    response: DiscountResponse,
    *,
    share: float = 0.3,
    alpha: float = 0.05,
    seed: int = SEED,
    salt: str = "cart-discount",
) -> pd.DataFrame:
    """A simulated A/B/n test of targeting rules for the discount against no discount.

    Users are split by a salted hash into ``control`` (no discount) and one arm per rule; in a rule's arm the
    discount goes to the sessions in the top ``share`` of its score (higher = more deserving). The metric is
    revenue per carted session net of the discount (delta method over users). Returns one row per rule:
    ``rule, sessions, treated, estimate, ci_low, ci_high, p_value, true_effect`` (the rule's expected
    incremental revenue per session over all test sessions, from the simulator's truth) and ``covers``.
    """
    share = check_probability(share, "share")
    if not scores:
        raise ValueError("scores is empty: give at least one targeting rule")
    names = ["control", *scores]
    if len(set(names)) != len(names):
        raise ValueError("scores must not name a rule 'control'")
    flags = {}
    for name, score in scores.items():
        values = check_array(score, f"scores[{name!r}]")
        check_same_length(**{f"scores[{name!r}]": values, "test sessions": test.labels})
        flags[name] = top_share(values, share)
    users = test.features[USER_ID].to_numpy()
    unique_users, user_index = np.unique(users, return_inverse=True)
    arm_of_user = assign_arms(unique_users, names, salt)
    arm = arm_of_user[user_index]
    treat = np.zeros(len(users), dtype=bool)
    for name in scores:
        treat |= (arm == name) & flags[name]
    _, revenue = intervention_outcomes(shop, test, treat, response, seed)
    per_user = pd.DataFrame({"user": user_index, "revenue": revenue, "sessions": 1.0}).groupby("user").sum()
    user_arm = pd.Series(arm_of_user)
    control = per_user[(user_arm == "control").to_numpy()]
    rows = []
    for name in scores:
        mine = per_user[(user_arm == name).to_numpy()]
        r = ratio_metric_test(control["revenue"], control["sessions"], mine["revenue"], mine["sessions"], alpha=alpha,
                              metric=f"net revenue per carted session, {name}")  # fmt: skip
        truth = float(true_incremental_revenue(shop, test, flags[name], response).mean())
        rows.append(
            {
                "rule": name,
                "sessions": int(mine["sessions"].sum()),
                "treated": float(flags[name].mean()),
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "p_value": r.p_value,
                "true_effect": truth,
                "covers": r.ci_low <= truth <= r.ci_high,
            }
        )
    return pd.DataFrame(rows)
