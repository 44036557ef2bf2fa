"""Checkers for the exercises of ``04_evaluation.ipynb``.

Each checker recomputes the expected answer from the data the notebook passes in, so the exercises work on any
shop size and seed, and names the likely mistake when the answer is off.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from shopcase.data import average_order_value, order_totals
from shopcase.evaluate import compare_models
from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet, number_answer
from shopcase.schema import EVENT_TYPE, ITEM_ID, PURCHASE, QUANTITY, RANK, UNIT_PRICE, USER_ID


def _dcg(hit_ranks: np.ndarray) -> float:
    return float((1.0 / np.log2(hit_ranks + 1.0)).sum())


def check_ndcg_by_hand(answer: object, recs: pd.DataFrame, truth: pd.DataFrame, k: int = 10) -> Feedback:
    """04.1: binary NDCG@k of one user's list ``recs`` (``item_id, rank``) against their ``truth`` items."""
    value, fb = number_answer(answer, "04.1", f"set answer to the list's NDCG@{k} (a float)")
    if fb:
        return fb
    top = recs[recs[RANK] <= k]
    relevant = set(truth[ITEM_ID])
    hit_ranks = top.loc[top[ITEM_ID].isin(relevant), RANK].to_numpy(dtype=float)
    ideal_capped = _dcg(np.arange(1, min(len(relevant), k) + 1, dtype=float))
    expected = _dcg(hit_ranks) / ideal_capped
    if abs(value - expected) < 1e-9:
        return correct(
            "04.1",
            f"NDCG@{k} = {expected:.4f}: {len(hit_ranks)} hit(s) at rank(s) {hit_ranks.astype(int).tolist()}, over "
            f"the DCG of min({len(relevant)}, {k}) hits at the top.",
        )
    mistakes = {
        "the DCG without dividing by the ideal DCG": _dcg(hit_ranks),
        f"an ideal of all {len(relevant)} relevant items, not capped at K": _dcg(hit_ranks)
        / _dcg(np.arange(1, len(relevant) + 1, dtype=float)),
        "a discount of log2(rank) instead of log2(rank + 1)": float((1 / np.log2(np.maximum(hit_ranks, 2))).sum())
        / float((1 / np.log2(np.maximum(np.arange(1, min(len(relevant), k) + 1), 2))).sum()),
        "the hit rate (any hit at all)": float(len(hit_ranks) > 0),
        "precision (hits / K)": len(hit_ranks) / k,
    }
    for mistake, wrong in mistakes.items():
        if abs(value - wrong) < 1e-9 and abs(wrong - expected) > 1e-9:
            return not_yet("04.1", f"it looks like you computed {mistake}")
    return not_yet(
        "04.1", f"{value:.4f} is off: sum 1/log2(rank + 1) over the hits, divided by that sum for min(R, {k}) hits"
    )


def check_precision_intervals(answer: object, scores: pd.DataFrame, ks: Sequence[int]) -> Feedback:
    """04.2: ``compare_models(scores, "precision_at_k", by="k")`` for every model and every K."""
    what = 'set answer to compare_models(scores, "precision_at_k", by="k")'
    if (fb := attempted(answer, "04.2", what)) is not None:
        return fb
    if not isinstance(answer, pd.DataFrame) or not {"k", "model", "metric", "value", "low", "high"} <= set(answer):
        return not_yet(
            "04.2", "answer with the table compare_models returns (columns k, model, metric, value, low, high)"
        )
    if set(answer["metric"]) != {"precision_at_k"}:
        return not_yet(
            "04.2", f"the question is about precision: metric 'precision_at_k', not {sorted(set(answer['metric']))}"
        )
    missing_k = sorted(set(ks) - set(answer["k"]))
    missing_models = sorted(set(scores["model"]) - set(answer["model"]))
    if missing_k or missing_models:
        return not_yet("04.2", f"the table lacks K {missing_k} and models {missing_models}: pass by='k' on all scores")
    expected = compare_models(scores[scores["k"].isin(ks)], "precision_at_k", by="k").set_index(["k", "model"])
    given = answer.set_index(["k", "model"]).reindex(expected.index)
    if not np.allclose(given["value"], expected["value"]):
        return not_yet("04.2", "the values are not the mean precision of these scores; use the notebook's scores table")
    if not ((given["low"] <= given["value"]) & (given["value"] <= given["high"])).all():
        return not_yet("04.2", "some intervals do not contain their value; let compare_models compute them")
    first, last = min(ks), max(ks)
    change = expected["value"].xs(last, level="k") - expected["value"].xs(first, level="k")
    falls, rises = change.index[change < 0].tolist(), change.index[change >= 0].tolist()
    reading = f"from K={first} to K={last} precision falls for {falls or 'no model'}"
    reading += f" and rises for {rises}" if rises else ""
    return correct(
        "04.2",
        f"{reading}. Further slots are less likely to hold a purchase, so a model whose first items are its best "
        "loses precision as K grows; one whose first items rarely convert gains at first. Plot it with "
        "plots.metrics_by_k(answer, metrics=['precision_at_k']).",
    )


def check_average_order_value(answer: object, events: pd.DataFrame) -> Feedback:
    """04.3: the average order value of ``events`` (per order, not per line)."""
    value, fb = number_answer(answer, "04.3", "set answer to the average order value (a float)")
    if fb:
        return fb
    expected = average_order_value(events)
    lines = events[events[EVENT_TYPE].astype(str) == PURCHASE]
    line_value = lines[QUANTITY].to_numpy(dtype=float) * lines[UNIT_PRICE].to_numpy(dtype=float)
    if abs(value - expected) < 1e-6 * max(1.0, expected):
        totals = order_totals(events)
        return correct(
            "04.3",
            f"{expected:.2f} over {len(totals):,} orders (median {totals.median():.2f}: a few large orders pull the "
            "mean up). This is shopcase.data.average_order_value, which business_reading uses.",
        )
    if abs(value - float(line_value.mean())) < 1e-6 * max(1.0, expected):
        return not_yet("04.3", "that is the mean per purchase line; sum each order's lines first, then average orders")
    if abs(value - float(lines[UNIT_PRICE].mean())) < 1e-6 * max(1.0, expected):
        return not_yet("04.3", "that is the mean unit price; an order's value is the sum of quantity x unit_price")
    return not_yet("04.3", f"{value:.2f} is off: sum quantity x unit_price per order, then take the mean over orders")


def check_repeat_share(answer: object, truth: pd.DataFrame, train: pd.DataFrame) -> Feedback:
    """04.4: share of the next-purchase truth pairs that the customer had bought before (in ``train``)."""
    value, fb = number_answer(answer, "04.4", "set answer to a share between 0 and 1 (a float)")
    if fb:
        return fb
    pairs = pd.MultiIndex.from_frame(train[[USER_ID, ITEM_ID]])
    again = pd.MultiIndex.from_frame(truth[[USER_ID, ITEM_ID]]).isin(pairs)
    expected = float(again.mean())
    if abs(value - expected) < 1e-9:
        return correct(
            "04.4",
            f"{expected:.1%} of next purchases are items the customer had bought before. On that task a model that "
            "only re-recommends a customer's own history starts far ahead, and a discovery model is judged on the "
            "rest. The two tasks reward different models: say which one you evaluate.",
        )
    if abs(value - float(truth[ITEM_ID].isin(train[ITEM_ID]).mean())) < 1e-9:
        return not_yet("04.4", "that counts items anyone bought before; a repeat is the same customer and item")
    if abs(value - (1 - expected)) < 1e-9:
        return not_yet("04.4", "that is the share of *new* items; the question asks for repeats")
    return not_yet("04.4", f"{value:.4f} is off: the share of truth (user_id, item_id) pairs also present in train")
