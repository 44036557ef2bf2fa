"""Checkers for the exercises of ``01_shop_data.ipynb``.

Each checker recomputes the expected answer from the data the notebook passes in, so the exercises work on any
shop size and seed, and names the likely mistake when the answer is off.
"""

from __future__ import annotations

import pandas as pd

from shopcase.data import customers_as_of, interactions_from_events, load_or_generate, purchases_in_top_categories
from shopcase.exercises.feedback import Feedback, correct, not_yet, number_answer
from shopcase.schema import EVENT_TYPE, ITEM_ID, PURCHASE, USER_ID
from shopcase.validate import as_timestamp

PURCHASES_ONLY = {"view": 0.0, "cart": 0.0, "purchase": 1.0}
"""Interaction weights that keep purchases only (exercise 01.2)."""


def _close(value: float, expected: float, tolerance: float = 1e-6) -> bool:
    return abs(value - expected) <= tolerance * max(1.0, abs(expected))


def check_buyers_as_of(answer: object, events: pd.DataFrame, as_of: object) -> Feedback:
    """01.1: how many customers had placed at least one order before ``as_of``."""
    value, fb = number_answer(answer, "01.1", "set answer to a number of customers (an int)")
    if fb:
        return fb
    customers = customers_as_of(events, as_of=as_of)
    expected = int((customers["total_orders"] > 0).sum())
    buyers_ever = events.loc[events[EVENT_TYPE].astype(str) == PURCHASE, USER_ID].nunique()
    if value == expected:
        return correct(
            "01.1",
            f"{expected:,} of the {len(customers):,} customers seen before {as_of} had bought; "
            f"{buyers_ever - expected:,} more first buy later. A table 'as of' a date sees only its past.",
        )
    if value == len(customers):
        return not_yet(
            "01.1",
            f"{len(customers):,} is every customer seen before {as_of}, including those who only browsed: "
            "keep the rows with total_orders > 0",
        )
    if value == buyers_ever:
        return not_yet(
            "01.1",
            "that counts buyers in the whole log, after as_of too; the customer table as of the date "
            "only sees what happened before it",
        )
    return not_yet("01.1", f"{value:g} is off: count the customers whose total_orders is above 0")


def _density(interactions: pd.DataFrame) -> float:
    return len(interactions) / (interactions[USER_ID].nunique() * interactions[ITEM_ID].nunique())


def check_purchase_density(answer: object, events: pd.DataFrame, n_users: int, n_items: int) -> Feedback:
    """01.2: density of purchases-only interactions (pairs / (users x items in the matrix))."""
    value, fb = number_answer(answer, "01.2", "set answer to a share between 0 and 1 (a float)")
    if fb:
        return fb
    purchases = interactions_from_events(events, weights=PURCHASES_ONLY)
    expected = _density(purchases)
    everything = interactions_from_events(events)
    if _close(value, expected):
        return correct(
            "01.2",
            f"{expected:.3%} of the purchase matrix is filled, against {_density(everything):.3%} with views and "
            f"carts: purchases alone leave a recommender {len(purchases):,} pairs to learn from instead of "
            f"{len(everything):,}.",
        )
    if _close(value / 100, expected):
        return not_yet("01.2", f"{value:g} looks like a percentage; give the share ({expected:.5f})")
    if _close(value, _density(everything)):
        return not_yet("01.2", "that is the density with views and carts; keep purchases only (weights view 0, cart 0)")
    if _close(value, len(purchases) / (n_users * n_items)):
        return not_yet(
            "01.2",
            "you divided by every user and item of the shop; divide by the users and items that appear in the "
            "purchase matrix (those a recommender would build rows and columns for), as section 3 does",
        )
    return not_yet("01.2", f"{value:.5f} is off: distinct (user, item) purchase pairs / (their users x their items)")


def _lift(n_users: int, n_items: int, seed: int, taste_concentration: float | None = None) -> float:
    options = {} if taste_concentration is None else {"taste_concentration": taste_concentration}
    shop = load_or_generate(n_users=n_users, n_items=n_items, seed=seed, **options)
    return float(purchases_in_top_categories(shop.events, shop.truth.taste, shop.truth.item_category)["lift"])


def check_taste_lift(
    answer: object, n_users: int = 1000, n_items: int = 600, seed: int = 7, taste_concentration: float = 3.0
) -> Feedback:
    """01.3: the taste lift (top-2 categories) of a shop whose customers spread their tastes wider."""
    what = f"set answer to the lift of the shop with taste_concentration={taste_concentration:g} (a float)"
    value, fb = number_answer(answer, "01.3", what)
    if fb:
        return fb
    expected = _lift(n_users, n_items, seed, taste_concentration)
    default = _lift(n_users, n_items, seed)
    if _close(value, expected, 1e-4):
        return correct(
            "01.3",
            f"the lift falls from {default:.2f}x (default tastes) to {expected:.2f}x: customers who like many "
            "categories leave less to learn, so every recommender of 02-04 would find less signal.",
        )
    if _close(value, default, 1e-4):
        return not_yet("01.3", f"{default:.2f} is the lift of the default tastes; pass taste_concentration=3.0")
    shop = load_or_generate(n_users=n_users, n_items=n_items, seed=seed, taste_concentration=taste_concentration)
    signal = purchases_in_top_categories(shop.events, shop.truth.taste, shop.truth.item_category)
    if _close(value, signal["observed"], 1e-4):
        return not_yet("01.3", "that is the observed share in the top-2 categories; the lift divides it by chance")
    return not_yet(
        "01.3",
        f"{value:.3f} is off: generate the shop with n_users={n_users}, n_items={n_items}, seed={seed}, "
        f"taste_concentration={taste_concentration:g} and take purchases_in_top_categories(...)['lift']",
    )


def check_already_gone(answer: object, events: pd.DataFrame, users: pd.DataFrame, as_of: object) -> Feedback:
    """01.4: share of customers who had bought before ``as_of`` and had truly churned by then."""
    value, fb = number_answer(answer, "01.4", "set answer to a share between 0 and 1 (a float)")
    if fb:
        return fb
    cut = as_timestamp(as_of, "as_of")
    customers = customers_as_of(events, as_of=cut)
    buyers = customers[customers["total_orders"] > 0].set_index("customer_id")
    churn = users.set_index(USER_ID)["true_churn_date"]
    gone = churn.reindex(buyers.index) < cut
    expected = float(gone.mean())
    if _close(value, expected):
        quiet = float((churn.reindex(buyers.index)[gone] - buyers.loc[gone, "last_purchase_date"]).dt.days.median())
        return correct(
            "01.4",
            f"{expected:.1%} of the buyers had already left by {cut.date()}, their last order a median of "
            f"{quiet:.0f} days before they left. Nothing in the log marks the day: a rule that waits for 90 quiet "
            + (
                f"days flags a typical one {90 - quiet:.0f} days after they had gone, too late for an offer. "
                if quiet < 90
                else "days cannot flag anyone before those 90 days are over. "
            )
            + "Notebook 05 predicts churn from the fading activity before it instead.",
        )
    if _close(value, float((churn < cut).mean())):
        return not_yet("01.4", "that counts every user, also those who never bought before as_of; keep the buyers")
    if _close(value, 1 - expected):
        return not_yet("01.4", "that is the share still active; the question asks for those already gone")
    return not_yet(
        "01.4", f"{value:.4f} is off: among customers with total_orders > 0, the share with true_churn_date < as_of"
    )
