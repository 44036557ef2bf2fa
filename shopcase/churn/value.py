"""What a customer is worth over a horizon: BG/NBD's expected purchases times Gamma-Gamma's expected spend.

``customer_value`` fits both models on the purchases before ``as_of`` (no label is used) and returns,
per customer, over ``[as_of, as_of + horizon_days)``:

* ``expected_value`` = ``E[purchases]`` (BG/NBD eq. 10, drop-out included) x ``E[spend per purchase]``
  (Gamma-Gamma): what the shop expects from the customer as things stand;
* ``value_if_active`` = ``E[purchases | still active]`` x ``E[spend per purchase]``: what the customer
  is worth if they have not left, i.e. what a retention offer that keeps them can save. It is the
  ``customer_value`` to put beside P(churn) in ``retention_targets``: multiplying P(churn) by
  ``expected_value`` would count the risk of leaving twice.

Both come from models of the whole customer base, so a customer seen for a week with one large order
is not extrapolated to a year of such weeks: their purchase rate shrinks towards the population's
(BG/NBD's gamma prior) and their spend towards the population's mean (Gamma-Gamma's).
"""

from __future__ import annotations

import pandas as pd
from sklearn.base import clone

from shopcase.churn.bgnbd import BGNBD, PERIOD_DAYS, summary_from_transactions
from shopcase.churn.spend import GammaGamma
from shopcase.schema import CUSTOMER_ID, EVENT_TYPE, EVENTS_COLUMNS, PURCHASE, QUANTITY, TIMESTAMP, UNIT_PRICE, USER_ID
from shopcase.validate import as_timestamp, check_choice, check_int, validate_frame

VALUE_COLUMNS: tuple[str, ...] = (
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "expected_value",
    "value_if_active",
)
"""Columns of ``customer_value`` (money in the events' currency, purchases counted as purchase days)."""


def customer_value(
    events: pd.DataFrame,
    as_of: object,
    horizon_days: int = 365,
    bgnbd: BGNBD | None = None,
    spend: GammaGamma | None = None,
    period: str = "W",
) -> pd.DataFrame:
    """Expected purchases, spend and value of every buyer over ``[as_of, as_of + horizon_days)``.

    Parameters
    ----------
    events : DataFrame
        The event log (``schema.EVENTS_COLUMNS``); only purchases before ``as_of`` are used. A purchase
        is a purchase day (a day's lines collapse), worth the sum of ``quantity x unit_price`` that day.
    as_of : date
        Features and fits see the purchases strictly before it.
    horizon_days : int, default 365
        The value's horizon (undiscounted).
    bgnbd, spend : BGNBD, GammaGamma or None
        The models to fit (clones are fitted), e.g. with a ``penalizer``; None fits the defaults.
    period : {'W', 'D'}, default 'W'
        Time unit BG/NBD is fitted in.

    Returns
    -------
    DataFrame indexed by ``customer_id`` (every customer with a purchase before ``as_of``, sorted),
    columns ``VALUE_COLUMNS``. ``frame.attrs`` holds the fitted ``bgnbd`` and ``spend`` models.
    Gamma-Gamma is fitted on the customers with a repeat purchase; a one-time buyer's expected spend is
    the population mean.
    """
    as_of = as_timestamp(as_of)
    horizon_days = check_int(horizon_days, "horizon_days")
    check_choice(period, "period", tuple(PERIOD_DAYS))
    for name, model, kind in (("bgnbd", bgnbd, BGNBD), ("spend", spend, GammaGamma)):
        if model is not None and not isinstance(model, kind):
            raise ValueError(f"{name} must be a {kind.__name__} model or None, got {model!r}")
    events = validate_frame(events, EVENTS_COLUMNS, "events")
    purchases = events[events[EVENT_TYPE] == PURCHASE]
    purchases = purchases.assign(value=purchases[QUANTITY] * purchases[UNIT_PRICE])
    summary = summary_from_transactions(purchases, USER_ID, TIMESTAMP, as_of, period=period, value_col="value")
    x, t_x, big_t, m = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary_value"))
    counts = clone(bgnbd if bgnbd is not None else BGNBD()).fit(x, t_x, big_t)
    repeat = x > 0
    money = clone(spend if spend is not None else GammaGamma()).fit(x[repeat], m[repeat])
    t = horizon_days / PERIOD_DAYS[period]
    p_alive = counts.p_alive(x, t_x, big_t)
    if_active = counts.expected_purchases_if_alive(t, x, t_x, big_t)
    per_purchase = money.expected_spend(x, m)
    frame = pd.DataFrame(
        {
            "p_alive": p_alive,
            "expected_purchases": p_alive * if_active,
            "expected_spend": per_purchase,
            "expected_value": p_alive * if_active * per_purchase,
            "value_if_active": if_active * per_purchase,
        },
        index=pd.Index(summary[USER_ID].to_numpy(), name=CUSTOMER_ID),
    )
    frame.attrs.update(as_of=as_of, horizon_days=horizon_days, bgnbd=counts, spend=money)
    return frame
