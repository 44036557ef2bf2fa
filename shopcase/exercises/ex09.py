"""Checkers for the exercises of ``09_deployment.ipynb``.

Each checker recomputes the expected answer from what the notebook passes in, so the exercises work on any
shop size and seed, and names the likely mistake when an answer is off.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet
from shopcase.schema import CHURN_PROBABILITY, ITEM_ID, RISK_SEGMENT, USER_ID
from shopcase.serve.artifacts import Manifest, data_fingerprint
from shopcase.serve.campaign import EXPECTED_VALUE, Campaign
from shopcase.serve.rules import BusinessRules, recommend_with_rules


def _integer(answer: object) -> int | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Integral):
        if isinstance(answer, numbers.Real) and float(answer).is_integer():
            return int(answer)
        return None
    return int(answer)


def _number(answer: object) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return value if np.isfinite(value) else None


def check_short_homepages(answer: object, homepages: pd.DataFrame, n: int) -> Feedback:
    """09.1: customers whose homepage (``read_batch`` output) has fewer than ``n`` items."""
    if (fb := attempted(answer, "09.1", "set answer to a number of customers (an int)")) is not None:
        return fb
    value = _integer(answer)
    if value is None:
        return not_yet("09.1", f"the answer should be a whole number of customers, got {answer!r}")
    sizes = homepages.groupby(USER_ID).size()
    expected = int((sizes < n).sum())
    if value == expected:
        return correct(
            "09.1",
            f"{expected:,} of {len(sizes):,} homepages are short: those users' rankings run out of items that "
            "pass the rules (ItemKNN only scores neighbours of what they bought); the batch never pads a list.",
        )
    if value == int((sizes == n).sum()):
        return not_yet("09.1", "that counts the full homepages; count those with fewer than n items")
    if value == int((homepages.groupby(USER_ID).size() <= n).sum()):
        return not_yet("09.1", "every list has at most n items; count those with strictly fewer than n")
    return not_yet("09.1", "group the rows by user_id, count the rows per user, and count users below n")


def check_training_data(answer: object, manifest: Manifest, *frames: pd.DataFrame) -> Feedback:
    """09.2: the frame whose ``data_fingerprint`` is the manifest's training-data fingerprint."""
    if (fb := attempted(answer, "09.2", "set answer to the DataFrame the served model learned from")) is not None:
        return fb
    if not isinstance(answer, pd.DataFrame):
        return not_yet("09.2", f"answer with the DataFrame itself (train or retrain), got {type(answer).__name__}")
    if data_fingerprint(answer) == manifest.training_data:
        return correct(
            "09.2",
            f"its fingerprint {manifest.training_data[:12]} is the manifest's: after the reload the service "
            f"answers from the model retrained on {len(answer):,} purchase pairs.",
        )
    if any(data_fingerprint(frame) == data_fingerprint(answer) for frame in frames):
        return not_yet(
            "09.2",
            "that frame's fingerprint differs from the manifest's: it is the data of the model served before "
            "the retrained one was saved over it",
        )
    return not_yet("09.2", "compare data_fingerprint(frame) with read_manifest(...).training_data for each frame")


def _distinct_categories(lists: pd.DataFrame, item_category: pd.Series) -> float:
    category = item_category.reindex(lists[ITEM_ID].to_numpy()).to_numpy()
    return float(pd.DataFrame({"u": lists[USER_ID].to_numpy(), "c": category}).groupby("u")["c"].nunique().mean())


def check_categories_per_list(
    answer: object, model: object, user_ids: object, n: int, item_category: pd.Series
) -> Feedback:
    """09.3: mean distinct categories per list with at most 2 items per category."""
    if (fb := attempted(answer, "09.3", "set answer to the mean number of distinct categories (a float)")) is not None:
        return fb
    value = _number(answer)
    if value is None:
        return not_yet("09.3", f"the answer should be one number, got {answer!r}")
    capped = recommend_with_rules(model, user_ids, n, BusinessRules(max_per_category=2, item_category=item_category))
    expected = _distinct_categories(capped, item_category)
    plain = _distinct_categories(model.recommend(user_ids, n=n), item_category)
    if abs(value - expected) < 1e-6:
        return correct(
            "09.3",
            f"{expected:.2f} categories per homepage with the cap, against {plain:.2f} from the model alone: "
            "the cap trades a little predicted relevance for variety.",
        )
    if abs(value - plain) < 1e-6:
        return not_yet("09.3", "that is the model's own lists; apply BusinessRules(max_per_category=2, ...)")
    return not_yet(
        "09.3",
        "count distinct categories per user (map item_id to its category, then nunique per user_id) and average",
    )


def check_campaign_cost(
    answer: object, campaign: Campaign, contact_cost: float, uplift: float, original_cost: float
) -> Feedback:
    """09.4: customers still worth an email at ``contact_cost`` (the others of ``campaign`` unchanged)."""
    if (fb := attempted(answer, "09.4", "set answer to a number of customers (an int)")) is not None:
        return fb
    value = _integer(answer)
    if value is None:
        return not_yet("09.4", f"the answer should be a whole number of customers, got {answer!r}")
    customers = campaign.customers
    gain = customers[EXPECTED_VALUE] + original_cost  # uplift x P(churn) x value
    keep = gain - contact_cost > 0
    expected = int(keep.sum())
    lost = customers.loc[~keep, RISK_SEGMENT].value_counts()
    if value == expected:
        worst = lost.idxmax() if len(lost) else "neither"
        return correct(
            "09.4",
            f"{expected:,} of {len(customers):,} stay worth an email; {worst} loses most "
            f"({', '.join(f'{s} {int(c)}' for s, c in lost.items()) or 'none'}): a lower P(churn) needs a larger "
            "yearly value to pay for the same email.",
        )
    if value == len(customers) - expected:
        return not_yet("09.4", "that is how many drop out; the question asks how many are still emailed")
    if value == int((uplift * customers[CHURN_PROBABILITY] - contact_cost > 0).sum()):
        return not_yet("09.4", "the expected value multiplies by the customer's value too: uplift x P(churn) x value")
    return not_yet(
        "09.4", "re-run campaign_lists with contact_cost=2.0 (everything else the same) and count its customers"
    )
