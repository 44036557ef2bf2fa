"""Small demand data for the demand tests: a handmade log and synthetic series with known structure."""

import numpy as np
import pandas as pd


def purchase(item, when, quantity=1, price=10.0, order=1, user=1):
    return {
        "user_id": user,
        "session_id": order,
        "timestamp": pd.Timestamp(when),
        "event_type": "purchase",
        "item_id": item,
        "quantity": quantity,
        "unit_price": price,
        "order_id": order,
    }


def events_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["event_type"] = pd.Categorical(frame["event_type"], categories=["view", "cart", "purchase"])
    frame["order_id"] = frame["order_id"].astype("Int64")
    return frame


def synthetic_series(n_series=30, n_days=200, seed=0, start="2023-01-01", weekly=0.5, level=(0.2, 8.0)):
    """Poisson series with a weekly shape and levels spread from slow to fast movers."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, periods=n_days, freq="D")
    weekday = 1 + weekly * np.sin(2 * np.pi * days.day_of_week.to_numpy() / 7)
    levels = np.geomspace(*level, n_series)
    y = rng.poisson(levels[:, None] * weekday[None, :])
    return pd.DataFrame(
        {
            "series_id": np.repeat(np.arange(1, n_series + 1), n_days),
            "date": np.tile(days, n_series),
            "demand": y.ravel().astype(float),
        }
    )
