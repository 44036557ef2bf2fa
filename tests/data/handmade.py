"""A tiny event log written by hand, so every derived number can be checked on paper."""

import pandas as pd


def event(user, session, when, kind, item, quantity=1, price=10.0, order=None):
    return {
        "user_id": user,
        "session_id": session,
        "timestamp": pd.Timestamp(when),
        "event_type": kind,
        "item_id": item,
        "quantity": quantity,
        "unit_price": price,
        "order_id": order,
    }


def handmade_events() -> pd.DataFrame:
    rows = [
        # user 1: an order, an abandoned cart, a second order with a repeat item
        event(1, 1, "2023-01-05 10:00", "view", "A"),
        event(1, 1, "2023-01-05 10:01", "cart", "A"),
        event(1, 1, "2023-01-05 10:02", "purchase", "A", quantity=2, order=101),
        event(1, 2, "2023-02-20 09:00", "view", "B"),
        event(1, 2, "2023-02-20 09:01", "cart", "B"),
        event(1, 3, "2023-03-10 12:00", "view", "A"),
        event(1, 3, "2023-03-10 12:01", "cart", "A"),
        event(1, 3, "2023-03-10 12:01", "cart", "C", price=5.0),
        event(1, 3, "2023-03-10 12:02", "purchase", "A", order=103),
        event(1, 3, "2023-03-10 12:02", "purchase", "C", price=5.0, order=103),
        # user 2: browses only
        event(2, 4, "2023-03-25 18:00", "view", "C", price=5.0),
        # user 3: first seen after 2023-04-01
        event(3, 5, "2023-04-10 08:00", "view", "B"),
        event(3, 5, "2023-04-10 08:05", "purchase", "B", order=105),
    ]
    frame = pd.DataFrame(rows)
    frame["event_type"] = pd.Categorical(frame["event_type"], categories=["view", "cart", "purchase"])
    frame["order_id"] = frame["order_id"].astype("Int64")
    return frame


def handmade_emails() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1],
            "timestamp": pd.to_datetime(["2023-01-02", "2023-02-02", "2023-03-02", "2023-04-02"]),
            "opened": [True, False, False, True],
        }
    )
