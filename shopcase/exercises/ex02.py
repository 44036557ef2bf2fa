"""Checkers for the exercises of ``02_collaborative_filtering.ipynb``.

Each checker recomputes the expected answer from the data the notebook passes in, so the exercises work on any
shop size and seed, and names the likely mistake when the answer is off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from shopcase.evaluate import grid_search, paired_difference
from shopcase.evaluate.intervals import Difference
from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet, number_answer
from shopcase.recommend import UserKNN
from shopcase.schema import ITEM_ID, RATING, USER_ID, K


def _shrunk_cosine(interactions: pd.DataFrame, a: object, b: object, shrinkage: float, binary: bool = False) -> float:
    wide = interactions[interactions[ITEM_ID].isin([a, b])].pivot_table(
        index=USER_ID, columns=ITEM_ID, values=RATING, aggfunc="sum", fill_value=0.0
    )
    x, y = (wide.get(item, pd.Series(0.0, index=wide.index)).to_numpy(dtype=float) for item in (a, b))
    if binary:
        x, y = (x > 0).astype(float), (y > 0).astype(float)
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y) + shrinkage))


def check_shrunk_cosine(
    answer: object, interactions: pd.DataFrame, item_a: object, item_b: object, shrinkage: float = 50.0
) -> Feedback:
    """02.1: the cosine with shrinkage between two items' columns of the interaction matrix."""
    what = f"set answer to the shrunk cosine of items {item_a} and {item_b} (a float)"
    value, fb = number_answer(answer, "02.1", what)
    if fb:
        return fb
    expected = _shrunk_cosine(interactions, item_a, item_b, shrinkage)
    plain = _shrunk_cosine(interactions, item_a, item_b, 0.0)
    if abs(value - expected) < 1e-9:
        return correct(
            "02.1",
            f"{expected:.4f}, against {plain:.4f} without shrinkage: {shrinkage:g} in the denominator pulls down "
            "pairs whose norms are small (few or weak interactions), and barely moves well-supported pairs.",
        )
    if abs(value - plain) < 1e-9:
        return not_yet("02.1", f"that is the plain cosine; add shrinkage = {shrinkage:g} to the product of the norms")
    if abs(value - _shrunk_cosine(interactions, item_a, item_b, shrinkage, binary=True)) < 1e-9:
        return not_yet("02.1", "you used 0/1 (interacted or not); use the strengths in the rating column")
    return not_yet(
        "02.1",
        f"{value:.4f} is off: sum over users of r(u, a) r(u, b), divided by |a| |b| + {shrinkage:g}, where |a| is the "
        "square root of the sum of a's squared strengths",
    )


def check_userknn_tuning(
    answer: object,
    train: pd.DataFrame,
    validation_truth: pd.DataFrame,
    k_grid: Sequence[int],
    shrink_grid: Sequence[float],
    k: int = K,
    item_grid: pd.DataFrame | None = None,
) -> Feedback:
    """02.2: UserKNN's best ``k_neighbors`` and ``shrinkage`` by validation NDCG on the notebook's grid."""
    if (fb := attempted(answer, "02.2", 'set answer to a dict {"k_neighbors": ..., "shrinkage": ...}')) is not None:
        return fb
    if not isinstance(answer, Mapping) or set(answer) != {"k_neighbors", "shrinkage"}:
        return not_yet("02.2", 'answer with a dict with exactly the keys "k_neighbors" and "shrinkage"')
    grid = grid_search(
        UserKNN, {"k_neighbors": list(k_grid), "shrinkage": list(shrink_grid)}, train, validation_truth, k=k
    )
    best = grid.loc[grid["ndcg_at_k"].idxmax()]
    chosen = {"k_neighbors": int(best["k_neighbors"]), "shrinkage": float(best["shrinkage"])}
    given = {name: float(value) for name, value in answer.items()}
    if given == {name: float(value) for name, value in chosen.items()}:
        near = int(grid["within_noise_of_best"].sum())
        versus = ""
        if item_grid is not None:
            versus = f" ItemKNN's best on the same grid scores {item_grid['ndcg_at_k'].max():.4f}."
        return correct(
            "02.2",
            f"K={chosen['k_neighbors']}, shrinkage={chosen['shrinkage']:g}: validation NDCG@{k} "
            f"{best['ndcg_at_k']:.4f}, and {near} of the {len(grid)} settings are within noise of it.{versus} "
            "Now compare the two tuned models on the test period, with an interval.",
        )
    row = grid[(grid["k_neighbors"] == given["k_neighbors"]) & (grid["shrinkage"] == given["shrinkage"])]
    if row.empty:
        return not_yet("02.2", f"{dict(answer)} is not on the grid k_grid x shrink_grid")
    for metric in ("hit_rate_at_k", "precision_at_k", "recall_at_k"):
        other = grid.loc[grid[metric].idxmax()]
        if (other["k_neighbors"], other["shrinkage"]) == (given["k_neighbors"], given["shrinkage"]):
            return not_yet("02.2", f"that setting is the best by {metric}; choose by NDCG (ndcg_at_k), as for ItemKNN")
    return not_yet(
        "02.2",
        f"that setting scores {float(row['ndcg_at_k'].iloc[0]):.4f} on validation, not the best; run grid_search with "
        "UserKNN on fit_part and validation_truth and take best_params",
    )


def _per_user(scores: pd.DataFrame, model: str, metric: str) -> pd.Series:
    rows = scores[scores["model"] == model]
    if rows.empty:
        raise ValueError(f"scores has no model {model!r}; it has {list(pd.unique(scores['model']))}")
    if "k" in rows.columns and rows["k"].nunique() > 1:
        raise ValueError("scores holds several K; pass the rows of one K")
    return rows.set_index(USER_ID)[metric]


def check_tuned_gain(answer: object, scores: pd.DataFrame, tuned: str, untuned: str) -> Feedback:
    """02.3: the paired difference in test NDCG@K of the tuned ItemKNN minus the untuned one."""
    if (fb := attempted(answer, "02.3", "set answer to the result of paired_difference(...)")) is not None:
        return fb
    if not isinstance(answer, Difference):
        return not_yet(
            "02.3", f"answer with what paired_difference returns (a Difference), got {type(answer).__name__}"
        )
    if answer.metric != "ndcg_at_k":
        return not_yet("02.3", f"the question is about NDCG: pass metric='ndcg_at_k', not {answer.metric!r}")
    a, b = _per_user(scores, tuned, "ndcg_at_k"), _per_user(scores, untuned, "ndcg_at_k")
    expected = paired_difference(a, b, names=(tuned, untuned), metric="ndcg_at_k")
    if abs(answer.difference + expected.difference) < 1e-12 and expected.difference != 0:
        return not_yet("02.3", "you subtracted the other way round: the tuned model goes first, the untuned second")
    if abs(answer.difference - expected.difference) > 1e-12 or answer.n_users != expected.n_users:
        return not_yet(
            "02.3",
            f"the difference should be {expected.difference:+.4f} over {expected.n_users:,} users: pass the two "
            "models' per-user ndcg_at_k, as Series indexed by user_id, from the same scores table",
        )
    width, expected_width = answer.high - answer.low, expected.high - expected.low
    if not (answer.low <= answer.difference <= answer.high) or abs(width - expected_width) > 0.3 * expected_width:
        return not_yet(
            "02.3",
            "the interval looks unlike a paired bootstrap over these users; use paired_difference with its defaults",
        )
    if answer.significant:
        reading = "the interval excludes 0: tuning bought a real gain on the test period."
    else:
        reading = (
            "the interval includes 0: on this many buyers the test period cannot tell the tuned and untuned "
            "models apart, however different their validation scores looked."
        )
    return correct("02.3", f"{expected.difference:+.4f} ({answer.low:+.4f} to {answer.high:+.4f}): {reading}")


def check_new_customer_ndcg(answer: object, scores: pd.DataFrame, train: pd.DataFrame, model: str) -> Feedback:
    """02.4: ``model``'s mean NDCG@K over test buyers absent from ``train`` (the new customers)."""
    value, fb = number_answer(answer, "02.4", f"set answer to {model}'s NDCG on new customers (a float)")
    if fb:
        return fb
    per_user = _per_user(scores, model, "ndcg_at_k")
    new = ~per_user.index.isin(train[USER_ID])
    expected, known = float(per_user[new].mean()), float(per_user[~new].mean())
    if abs(value - expected) < 1e-9:
        by_model = scores[~scores[USER_ID].isin(train[USER_ID])].groupby("model")["ndcg_at_k"].mean()
        same = "every model scores the same on them" if by_model.nunique() == 1 else "the models barely differ"
        return correct(
            "02.4",
            f"{expected:.4f} on {int(new.sum()):,} new customers against {known:.4f} on known ones, and {same}: "
            "each gives a newcomer the popularity list, so the gaps between models come from known customers "
            "only. A better first list needs what a newcomer does show (the item they look at, notebook 03).",
        )
    if abs(value - known) < 1e-9:
        return not_yet("02.4", "that is the known customers' NDCG; keep the users absent from train")
    if abs(value - float(per_user.mean())) < 1e-9:
        return not_yet("02.4", "that is every buyer's NDCG; keep only users whose id is not in train")
    return not_yet("02.4", f"{value:.4f} is off: mean ndcg_at_k of {model} over users not in train['user_id']")
