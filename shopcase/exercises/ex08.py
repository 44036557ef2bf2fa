"""Checkers for the exercises of ``08_demand_inventory_pricing.ipynb``.

Each checker recomputes the expected answer from the data the notebook passes in, so the exercises work on
any shop size and seed, and names the likely mistake when the answer is off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet, number_answer
from shopcase.schema import DATE, DEMAND, IN_STOCK, SERIES_ID


def check_stockout_share(answer: object, series: pd.DataFrame) -> Feedback:
    """08.1: the share of item-days in ``series`` on which the item was out of stock."""
    value, fb = number_answer(answer, "08.1", "set answer to a share between 0 and 1 (a float)")
    if fb is not None:
        return fb
    expected = float((series[IN_STOCK] == 0).mean())
    zero_days = float((series[DEMAND] == 0).mean())
    if abs(value - expected) < 1e-6:
        return correct(
            "08.1",
            f"{expected:.1%} of item-days were out of stock; their zeros are censored, so the backtest does not "
            f"score them and the global model does not learn from them ({zero_days:.0%} of all item-days sold "
            "nothing, mostly for want of a buyer).",
        )
    if 1 < value <= 100 and abs(value / 100 - expected) < 1e-4:
        return not_yet("08.1", f"{value:g} looks like a percentage; give the share ({expected:.4f})")
    if abs(value - zero_days) < 1e-6:
        return not_yet("08.1", "that is the share of days with no sale; out of stock is in_stock == 0")
    return not_yet("08.1", f"{value:.4f} is not the share of rows with in_stock == 0")


def check_mase(answer: object, history: pd.DataFrame, actual: pd.DataFrame, forecast: pd.DataFrame) -> Feedback:
    """08.2: MASE of ``forecast`` for one series: mean |error| / mean |y_t - y_{t-7}| over its history."""
    value, fb = number_answer(answer, "08.2", "set answer to the MASE (a float)")
    if fb is not None:
        return fb
    y = history.sort_values(DATE)[DEMAND].to_numpy(dtype=float)
    y = y[np.argmax(y > 0) :]  # from the first sale, as the scales of forecast_metrics
    joined = actual.merge(forecast, on=[SERIES_ID, DATE])
    mae = float(np.mean(np.abs(joined[DEMAND] - joined["forecast"])))
    scale = float(np.mean(np.abs(y[7:] - y[:-7])))
    lag1 = float(np.mean(np.abs(y[1:] - y[:-1])))
    expected = mae / scale
    if abs(value - expected) < 1e-6:
        return correct(
            "08.2",
            f"MASE {expected:.3f}: the forecast's mean absolute error is {expected:.2f} times what last week's "
            f"same day achieved in the history ({'better' if expected < 1 else 'worse'} than that rule in sample).",
        )
    if abs(value - mae) < 1e-6:
        return not_yet("08.2", "that is the mean absolute error; divide it by the seasonal naive's in-sample MAE")
    if abs(value - mae / lag1) < 1e-6:
        return not_yet("08.2", "the scale uses a 7-day lag (last week's same day), not yesterday")
    return not_yet("08.2", f"{value:.4f} is not mean|y - forecast| / mean|y_t - y_(t-7)| (history from the first sale)")


def check_reorder_point(answer: object, mean_per_day: float, lead_time: int, service_level: float) -> Feedback:
    """08.3: the cycle-service reorder point of Poisson demand over lead time + 1 review day."""
    value, fb = number_answer(answer, "08.3", "set answer to a whole number of units")
    if fb is not None:
        return fb
    mean = mean_per_day * (lead_time + 1)
    expected = float(stats.poisson.ppf(service_level, mean))
    if value == expected:
        return correct(
            "08.3",
            f"{expected:.0f} units: the {service_level:.0%} quantile of Poisson demand with mean {mean:.2f} over "
            f"the {lead_time + 1}-day protection interval ({expected - mean:.1f} units of safety stock).",
        )
    if value == float(stats.poisson.ppf(service_level, mean_per_day * lead_time)):
        return not_yet("08.3", "an order must also cover the review day: protect lead_time + 1 days")
    if abs(value - mean) < 0.5:
        return not_yet("08.3", "that is the mean demand; the reorder point adds safety stock up to the quantile")
    return not_yet("08.3", f"{value:g} is not the {service_level:.0%} quantile of Poisson({mean:.2f})")


def check_slowest_group(answer: object, result: object) -> Feedback:
    """08.4 (open): the group whose Thompson sampling lost most profit against its oracle price."""
    if (fb := attempted(answer, "08.4", "set answer to a group name (a string)")) is not None:
        return fb
    regret = result.daily.groupby("group")["regret"].sum().sort_values(ascending=False)
    if not isinstance(answer, str) or answer not in regret.index:
        return not_yet("08.4", f"answer with one of the groups: {sorted(regret.index)}")
    if answer == regret.index[0]:
        arms = result.arms[result.arms["group"] == answer].set_index("multiplier")["expected_profit"]
        spread = float(arms.max() / arms.min() - 1)
        return correct(
            "08.4",
            f"{answer} lost {regret.iloc[0]:,.0f} against its oracle. Its price points differ by up to "
            f"{spread:.0%} in expected profit: a large group loses much per day while it learns, and near-equal "
            "neighbours take long to tell apart. Where would a sharper prior (from past promotions) help most?",
        )
    return not_yet(
        "08.4", f"{answer} lost {regret[answer]:,.0f}; another group lost more (sum result.daily's regret by group)"
    )
