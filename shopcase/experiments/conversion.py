"""Will this cart become an order? A session purchase-propensity model that cannot see the future.

The moment that matters is the session's **first cart**: the shop could still act (a reminder, a discount)
before the visitor leaves. A row is a session with a cart, observed at that moment:

- the **session so far**: its events up to and including the first cart (views before it, seconds to it,
  the carted item's price, its discount against the list price, its price against its category);
- the **user's history before the session started**: only sessions that had *ended* before this one began
  (visits, carts, orders, the share of carts that became orders, revenue, days since the last visit and
  order, the price level of what they carted).

The label is whether the session ended with a purchase. Nothing after the cut enters a feature: a test
appends later events (the rest of the session, later sessions) and checks that no feature moves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.utils.validation import check_is_fitted

from shopcase.churn.evaluation import calibration_table
from shopcase.schema import (
    CART,
    CATEGORY,
    EVENT_TYPE,
    ITEM_ID,
    PRICE,
    PURCHASE,
    QUANTITY,
    SEED,
    SESSION_ID,
    TIMESTAMP,
    UNIT_PRICE,
    USER_ID,
    VIEW,
)
from shopcase.validate import (
    as_timestamp,
    check_int,
    check_no_missing,
    check_number,
    check_numeric_columns,
    datetime_column,
    require_columns,
)

SESSION_FEATURES: tuple[str, ...] = (
    "views_before_cart",
    "seconds_to_cart",
    "cart_price",
    "cart_discount",
    "cart_price_vs_category",
    "hour",
    "weekday",
)
HISTORY_FEATURES: tuple[str, ...] = (
    "past_sessions",
    "past_carts",
    "past_orders",
    "past_checkout_rate",
    "past_revenue",
    "days_since_last_session",
    "days_since_last_order",
    "past_price_level",
)
FEATURES: tuple[str, ...] = SESSION_FEATURES + HISTORY_FEATURES
"""The model's inputs, in order. Missing values (no history) are left missing: the model handles them."""

_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ConversionData:
    """Carted sessions observed at their first cart.

    ``features`` has ``session_id, user_id, timestamp`` (the moment of the first cart) and ``FEATURES``;
    ``labels`` whether the session ended in a purchase; ``basket`` the value of everything carted in the
    session (currency units; an outcome, never a feature).
    """

    features: pd.DataFrame
    labels: np.ndarray
    basket: np.ndarray

    def between(self, start: object = None, end: object = None) -> ConversionData:
        """The sessions whose first cart falls in ``[start, end)`` (either bound optional)."""
        keep = np.ones(len(self.features), dtype=bool)
        if start is not None:
            keep &= (self.features[TIMESTAMP] >= as_timestamp(start, "start")).to_numpy()
        if end is not None:
            keep &= (self.features[TIMESTAMP] < as_timestamp(end, "end")).to_numpy()
        if not keep.any():
            raise ValueError(f"no carted session has its first cart in [{start}, {end})")
        return replace(
            self,
            features=self.features[keep].reset_index(drop=True),
            labels=self.labels[keep],
            basket=self.basket[keep],
        )

    def __len__(self) -> int:
        return len(self.labels)


def _sessions(events: pd.DataFrame, relative_price: pd.Series) -> pd.DataFrame:
    kind = events[EVENT_TYPE].astype(str)
    value = events[UNIT_PRICE] * events[QUANTITY]
    frame = pd.DataFrame(
        {
            SESSION_ID: events[SESSION_ID],
            USER_ID: events[USER_ID],
            TIMESTAMP: events[TIMESTAMP],
            "cart": kind == CART,
            "purchase": kind == PURCHASE,
            "revenue": value.where(kind == PURCHASE, 0.0),
            "level": events[ITEM_ID].map(relative_price).where(kind == CART, 0.0),
        }
    )
    return frame.groupby(SESSION_ID, sort=False).agg(
        **{USER_ID: (USER_ID, "first")},
        start=(TIMESTAMP, "min"),
        end=(TIMESTAMP, "max"),
        carts=("cart", "sum"),
        purchased=("purchase", "any"),
        revenue=("revenue", "sum"),
        level_sum=("level", "sum"),
    )


def conversion_dataset(events: pd.DataFrame, catalogue: pd.DataFrame) -> ConversionData:
    """Every carted session of ``events`` as a row observed at its first cart (see the module docstring).

    ``events`` in shopcase's schema; ``catalogue`` gives list prices and categories (``item_id, category,
    price``).
    """
    require_columns(events, [USER_ID, SESSION_ID, TIMESTAMP, EVENT_TYPE, ITEM_ID, UNIT_PRICE, QUANTITY], "events")
    check_no_missing(events, [USER_ID, SESSION_ID, ITEM_ID, EVENT_TYPE], "events")
    check_numeric_columns(events, [UNIT_PRICE, QUANTITY], "events")
    events = events.assign(**{TIMESTAMP: datetime_column(events, TIMESTAMP, "events")})
    require_columns(catalogue, [ITEM_ID, CATEGORY, PRICE], "catalogue")
    list_price = catalogue.set_index(ITEM_ID)[PRICE].astype(np.float64)
    median = catalogue.groupby(CATEGORY, observed=True)[PRICE].transform("median").to_numpy()
    relative_price = pd.Series(np.log(catalogue[PRICE].to_numpy() / median), index=catalogue[ITEM_ID].to_numpy())
    unknown = ~events[ITEM_ID].isin(list_price.index)
    if unknown.any():
        raise ValueError(f"events: {int(unknown.sum()):,} rows have an item_id that is not in the catalogue")

    sessions = _sessions(events, relative_price)
    kind = events[EVENT_TYPE].astype(str)
    carts = events[kind == CART].sort_values([TIMESTAMP], kind="stable")
    first = carts.drop_duplicates(SESSION_ID, keep="first").set_index(SESSION_ID)
    basket = (carts[UNIT_PRICE] * carts[QUANTITY]).groupby(carts[SESSION_ID]).sum()
    rows = sessions.loc[first.index]
    cut = first[TIMESTAMP]
    views = events[kind == VIEW]
    before = views[TIMESTAMP].to_numpy() <= views[SESSION_ID].map(cut).to_numpy()
    n_views = views[before].groupby(SESSION_ID).size().reindex(first.index, fill_value=0)
    item = first[ITEM_ID]
    table = pd.DataFrame(
        {
            SESSION_ID: first.index.to_numpy(),
            USER_ID: rows[USER_ID].to_numpy(),
            TIMESTAMP: cut.to_numpy(),
            "start": rows["start"].to_numpy(),
            "views_before_cart": n_views.to_numpy(dtype=np.float64),
            "seconds_to_cart": ((cut - rows["start"]) / pd.Timedelta(seconds=1)).to_numpy(),
            "cart_price": first[UNIT_PRICE].to_numpy(dtype=np.float64),
            "cart_discount": 1.0 - first[UNIT_PRICE].to_numpy() / item.map(list_price).to_numpy(),
            "cart_price_vs_category": item.map(relative_price).to_numpy(),
            "hour": cut.dt.hour.to_numpy(dtype=np.float64),
            "weekday": cut.dt.day_of_week.to_numpy(dtype=np.float64),
        }
    )
    table = _with_history(table, sessions)
    table = table.sort_values([TIMESTAMP, SESSION_ID], kind="stable").reset_index(drop=True)
    labels = sessions.loc[table[SESSION_ID], "purchased"].to_numpy(dtype=bool)
    values = basket.reindex(table[SESSION_ID]).to_numpy(dtype=np.float64)
    return ConversionData(table[[SESSION_ID, USER_ID, TIMESTAMP, *FEATURES]], labels, values)


def _with_history(table: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """Add ``HISTORY_FEATURES``: cumulative figures of the user's sessions that ended strictly before ``start``."""
    done = sessions.reset_index().sort_values(["end", SESSION_ID], kind="stable")
    by_user = done.groupby(USER_ID, sort=False)
    carted = done["carts"] > 0
    history = pd.DataFrame(
        {
            USER_ID: done[USER_ID].to_numpy(),
            "end": done["end"].to_numpy(),
            "past_sessions": by_user.cumcount().to_numpy() + 1.0,
            "past_carts": carted.groupby(done[USER_ID]).cumsum().to_numpy(dtype=np.float64),
            "past_orders": done["purchased"].groupby(done[USER_ID]).cumsum().to_numpy(dtype=np.float64),
            "past_revenue": by_user["revenue"].cumsum().to_numpy(),
            "level_sum": by_user["level_sum"].cumsum().to_numpy(),
            "carted_items": by_user["carts"].cumsum().to_numpy(dtype=np.float64),
            "last_order": done["end"].where(done["purchased"]).groupby(done[USER_ID]).ffill().to_numpy(),
        }
    )
    left = table.sort_values("start", kind="stable")
    merged = pd.merge_asof(
        left, history, left_on="start", right_on="end", by=USER_ID, allow_exact_matches=False, direction="backward"
    )
    merged = merged.set_index(left.index).reindex(table.index)
    for column in ("past_sessions", "past_carts", "past_orders", "past_revenue"):
        merged[column] = merged[column].fillna(0.0)
    merged["past_checkout_rate"] = (merged["past_orders"] + 1.0) / (merged["past_carts"] + 2.0)  # smoothed
    merged["days_since_last_session"] = (merged["start"] - merged["end"]) / _DAY
    merged["days_since_last_order"] = (merged["start"] - merged["last_order"]) / _DAY
    merged["past_price_level"] = merged["level_sum"] / merged["carted_items"].where(merged["carted_items"] > 0)
    return merged


class ConversionModel(ClassifierMixin, BaseEstimator):
    """P(the carted session ends in a purchase), gradient-boosted trees (scikit-learn's HistGradientBoosting).

    Takes a ``ConversionData.features`` frame; only ``FEATURES`` reach the trees (ids and times never do).
    Missing history is handled natively by the trees.
    """

    def __init__(
        self, max_iter: int = 200, learning_rate: float = 0.05, max_leaf_nodes: int = 15, random_state: int = SEED
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.random_state = random_state

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        require_columns(features, FEATURES, "features")
        return features[list(FEATURES)].to_numpy(dtype=np.float64)

    def fit(self, features: pd.DataFrame, labels: object) -> Self:
        check_int(self.max_iter, "max_iter")
        check_number(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_int(self.max_leaf_nodes, "max_leaf_nodes", low=2)
        y = np.asarray(labels, dtype=bool)
        x = self._matrix(features)
        if len(y) != len(x):
            raise ValueError(f"features and labels must have the same length, got {len(x)} and {len(y)}")
        if y.all() or not y.any():
            raise ValueError("labels has a single class: the model needs sessions that bought and that did not")
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            early_stopping=False,
            random_state=self.random_state,
        ).fit(x, y)
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Shape (n, 2): P(no purchase), P(purchase)."""
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(self._matrix(features))

    def predict_purchase(self, features: pd.DataFrame) -> np.ndarray:
        """P(purchase) per session, shape (n,)."""
        return self.predict_proba(features)[:, 1]


@dataclass(frozen=True)
class ConversionEvaluation:
    """Out-of-time quality of a purchase-propensity model on one test period."""

    roc_auc: float
    pr_auc: float
    brier: float
    base_rate: float
    n_sessions: int
    calibration: pd.DataFrame

    def __str__(self) -> str:
        return (
            f"conversion model on {self.n_sessions:,} carted sessions (purchase rate {self.base_rate:.1%}): "
            f"ROC-AUC {self.roc_auc:.3f}, PR-AUC {self.pr_auc:.3f} (chance {self.base_rate:.3f}), "
            f"Brier {self.brier:.4f}"
        )

    __repr__ = __str__


def evaluate_conversion(model: ConversionModel, test: ConversionData, n_bins: int = 10) -> ConversionEvaluation:
    """ROC-AUC, PR-AUC, Brier score and a calibration table of ``model`` on ``test`` (a later period)."""
    p = model.predict_purchase(test.features)
    y = test.labels
    if y.all() or not y.any():
        raise ValueError("test has a single class: ROC-AUC needs sessions that bought and that did not")
    table = calibration_table(y, p, n_bins=n_bins)
    return ConversionEvaluation(
        roc_auc=float(roc_auc_score(y, p)),
        pr_auc=float(average_precision_score(y, p)),
        brier=float(brier_score_loss(y, p)),
        base_rate=float(y.mean()),
        n_sessions=int(y.size),
        calibration=table,
    )
