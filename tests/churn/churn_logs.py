"""Event logs for the churn tests: one written by hand (checkable on paper) and one simulated."""

import numpy as np
import pandas as pd

AS_OF = pd.Timestamp("2023-04-01")
CATEGORIES = {"A": "toys", "B": "toys", "C": "books"}


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


def as_log(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["event_type"] = pd.Categorical(frame["event_type"], categories=["view", "cart", "purchase"])
    frame["order_id"] = frame["order_id"].astype("Int64")
    return frame


def hand_rows():
    return [
        # user 1: first seen 2023-01-01 10:00; order 1 (A x2 at 10, B x1 at 5); an abandoned cart; order 2 (A)
        event(1, 11, "2023-01-01 10:00", "view", "A"),
        event(1, 12, "2023-01-10 12:00", "purchase", "A", quantity=2, price=10.0, order=1),
        event(1, 12, "2023-01-10 12:00", "purchase", "B", quantity=1, price=5.0, order=1),
        event(1, 13, "2023-02-15 09:00", "cart", "C"),
        event(1, 14, "2023-03-20 11:59", "cart", "A"),
        event(1, 14, "2023-03-20 12:00", "purchase", "A", order=2),
        # user 2: browses once, half a day before as_of
        event(2, 21, "2023-03-31 12:00", "view", "C"),
        # user 3: first seen one hour before as_of, buys at once
        event(3, 31, "2023-03-31 23:00", "purchase", "C", price=8.0, order=3),
    ]


def hand_emails() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1],
            "timestamp": pd.to_datetime(["2023-01-05", "2023-02-05", "2023-03-05", "2023-04-05"]),
            "opened": [True, False, True, True],
        }
    )


def hand_catalogue() -> pd.DataFrame:
    return pd.DataFrame({"item_id": list(CATEGORIES), "category": list(CATEGORIES.values())})


def hand_log() -> pd.DataFrame:
    return as_log(hand_rows())


def future_rows():
    """Events at or after AS_OF: none of them may change a feature as of AS_OF."""
    return [
        event(1, 15, AS_OF, "purchase", "C", quantity=5, price=99.0, order=4),  # exactly at as_of
        event(2, 22, "2023-04-02", "cart", "A"),
        event(2, 22, "2023-04-02", "purchase", "A", order=5),
        event(3, 32, "2023-06-01", "view", "B"),
        event(4, 41, "2023-04-10", "purchase", "B", order=6),  # a user first seen after as_of
    ]


def simulated_log(n_customers: int = 300, seed: int = 0, start: str = "2022-01-01", days: int = 365):
    """A shop where customers buy as a Poisson process and drop out after purchases (BG/NBD-like).

    Returns ``(events, emails, catalogue)``; purchases carry 1-3 items of 12 in 4 categories,
    every order session has a view and a cart event, and some sessions are abandoned carts.
    """
    rng = np.random.default_rng(seed)
    origin = pd.Timestamp(start)
    items = [f"I{i:02d}" for i in range(12)]
    catalogue = pd.DataFrame({"item_id": items, "category": [f"cat{i % 4}" for i in range(12)]})
    rows, email_rows = [], []
    session = order = 0
    for user in range(1, n_customers + 1):
        rate = rng.gamma(2.0, 1 / 40)  # purchases per day while active: mean 1 per 20 days
        p_drop = rng.beta(1.0, 3.0)
        t = rng.uniform(0, 120)
        alive = True
        while t < days and alive:
            session += 1
            order += 1
            when = origin + pd.Timedelta(days=float(t))
            basket = rng.choice(items, size=rng.integers(1, 4), replace=False)
            rows.append(event(user, session, when, "view", basket[0]))
            rows.append(event(user, session, when, "cart", basket[0]))
            for item in basket:
                rows.append(
                    event(
                        user,
                        session,
                        when,
                        "purchase",
                        item,
                        quantity=int(rng.integers(1, 3)),
                        price=float(rng.choice([5.0, 10.0, 20.0])),
                        order=order,
                    )
                )
            if rng.random() < 0.3:
                session += 1
                rows.append(event(user, session, when + pd.Timedelta(days=2), "cart", basket[-1]))
            alive = rng.random() > p_drop
            t += rng.exponential(1 / rate)
        for month in range(0, days, 30):
            email_rows.append(
                {
                    "user_id": user,
                    "timestamp": origin + pd.Timedelta(days=month),
                    "opened": bool(rng.random() < (0.5 if alive else 0.1)),
                }
            )
    events = as_log(rows)
    events = events[events["timestamp"] < origin + pd.Timedelta(days=days)].reset_index(drop=True)
    return events, pd.DataFrame(email_rows), catalogue
