"""Checkers for the exercises of ``03_content_and_hybrid.ipynb``.

Each checker recomputes the expected answer from the data the notebook passes in, so the exercises work on any
shop size and seed, and names the likely mistake when the answer is off.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from shopcase.evaluate import paired_difference, per_user_metrics
from shopcase.exercises.feedback import Feedback, attempted, correct, not_yet, number_answer
from shopcase.recommend import Hybrid
from shopcase.schema import BRAND, ITEM_ID, RANK, USER_ID, K


def check_new_item_share(answer: object, test_truth: pd.DataFrame, train: pd.DataFrame) -> Feedback:
    """03.1: share of the test period's purchase pairs whose item had no interaction in ``train``."""
    value, fb = number_answer(answer, "03.1", "set answer to a share between 0 and 1 (a float)")
    if fb:
        return fb
    new = ~test_truth[ITEM_ID].isin(train[ITEM_ID])
    expected = float(new.mean())
    if abs(value - expected) < 1e-9:
        return correct(
            "03.1",
            f"{expected:.2%} of the test purchases ({int(new.sum()):,} of {len(new):,}) are of items nobody had "
            "touched before: the most a model that never shows a new item can lose, and what a reserved slot "
            "could win back.",
        )
    if value == int(new.sum()):
        return not_yet("03.1", f"{int(new.sum()):,} is the count; divide by the {len(new):,} test purchase pairs")
    if 1 < value <= 100 and abs(value / 100 - expected) < 1e-9:
        return not_yet("03.1", f"{value:g} looks like a percentage; give the share ({expected:.4f})")
    return not_yet(
        "03.1", f"{value:.4f} is off: the share of test_truth rows whose item_id does not appear in train['item_id']"
    )


def _check_lists(recs: pd.DataFrame, users: pd.Index, train: pd.DataFrame, new_items: pd.Index, n: int) -> str | None:
    """What is wrong with a list with one reserved slot, or None."""
    missing = [c for c in (USER_ID, ITEM_ID, RANK) if c not in recs.columns]
    if missing:
        return f"the frame needs the columns user_id, item_id and rank; it lacks {missing}"
    absent = users.difference(pd.Index(recs[USER_ID].unique()))
    if len(absent):
        return f"{len(absent):,} test buyers have no list, e.g. {absent[:3].tolist()}; every buyer gets one"
    lengths = recs.groupby(USER_ID).size()
    wrong = lengths[lengths != n]
    if len(wrong):
        return (
            f"each list must hold {n} items; {len(wrong):,} do not (e.g. user {wrong.index[0]!r} has {wrong.iloc[0]})"
        )
    ranks = recs.groupby(USER_ID)[RANK].apply(lambda r: sorted(r.tolist()))
    if any(r != list(range(1, n + 1)) for r in ranks):
        return f"ranks must run 1 to {n} in each list"
    if recs.duplicated([USER_ID, ITEM_ID]).any():
        return "a list shows the same item twice"
    seen = recs.merge(train[[USER_ID, ITEM_ID]].drop_duplicates(), on=[USER_ID, ITEM_ID], how="inner")
    if len(seen):
        return (
            f"the lists still contain {len(seen):,} items the users interacted with before; the task is discovery: "
            "keep them out (exclude_seen=True)"
        )
    per_user_new = recs[ITEM_ID].isin(new_items).groupby(recs[USER_ID]).sum()
    if (per_user_new < 1).any():
        return f"{int((per_user_new < 1).sum()):,} lists have no new item; reserve one slot for an item unseen in train"
    return None


def check_reserved_slot(
    answer: object,
    blend_recs: pd.DataFrame,
    test_truth: pd.DataFrame,
    train: pd.DataFrame,
    new_items: Sequence[object],
    k: int = K,
) -> Feedback:
    """03.2: top-``k`` lists with one slot reserved for a new item; reports their NDCG against the blend's."""
    what = "set answer to a frame user_id, item_id, rank: the blend's top 9 plus one new item per test buyer"
    if (fb := attempted(answer, "03.2", what)) is not None:
        return fb
    if not isinstance(answer, pd.DataFrame):
        return not_yet("03.2", f"answer with a DataFrame of recommendations, got {type(answer).__name__}")
    users = pd.Index(test_truth[USER_ID].unique())
    problem = _check_lists(answer, users, train, pd.Index(new_items), k)
    if problem:
        return not_yet("03.2", problem)
    reserved = per_user_metrics(answer, test_truth, k)["ndcg_at_k"]
    blend = per_user_metrics(blend_recs, test_truth, k)["ndcg_at_k"]
    cost = paired_difference(reserved, blend, names=("reserved slot", "blend"), metric=f"NDCG@{k}")
    found = answer[answer[ITEM_ID].isin(new_items)].merge(test_truth, on=[USER_ID, ITEM_ID])
    verdict = "within noise" if not cost.significant else ("a real gain" if cost.difference > 0 else "a real cost")
    return correct(
        "03.2",
        f"NDCG@{k} {cost.value:.4f} against the blend's {cost.baseline_value:.4f}: {cost.difference:+.4f} "
        f"(95% CI {cost.low:+.4f} to {cost.high:+.4f}), {verdict}. The reserved slots found {len(found):,} "
        "purchases of new items. Offline accuracy prices the slot; whether showing new items pays (launches, "
        "suppliers, the catalogue's long tail) is a business question for an A/B test.",
    )


def check_normalisation(
    answer: object,
    models: Sequence[object],
    train: pd.DataFrame,
    validation_truth: pd.DataFrame,
    weights: Sequence[float],
    item_features: pd.DataFrame | None = None,
    k: int = K,
) -> Feedback:
    """03.3: which per-user normalisation of the blend scores better on validation NDCG@k."""
    if (fb := attempted(answer, "03.3", "set answer to 'minmax' or 'rank'")) is not None:
        return fb
    if answer not in ("minmax", "rank"):
        return not_yet("03.3", f"answer with 'minmax' or 'rank', got {answer!r}")
    users = validation_truth[USER_ID].unique()
    ndcg = {}
    for method in ("minmax", "rank"):
        hybrid = Hybrid(list(models), weights=list(weights), normalisation=method)
        recs = hybrid.fit(train, item_features=item_features).recommend(users, n=k)
        ndcg[method] = per_user_metrics(recs, validation_truth, k)["ndcg_at_k"]
    gap = paired_difference(ndcg["rank"], ndcg["minmax"], names=("rank", "minmax"), metric=f"NDCG@{k}")
    best = "rank" if gap.difference > 0 else "minmax"
    reading = f"rank minus minmax {gap.difference:+.4f} (95% CI {gap.low:+.4f} to {gap.high:+.4f}): " + (
        "a real gap." if gap.significant else "within noise, so either is defensible on this validation set."
    )
    if answer == best:
        return correct(
            "03.3",
            f"{best} scores {ndcg[best].mean():.4f} on validation; {reading} Min-max keeps how far apart a "
            "model's scores are; ranks keep only their order, so one confident item cannot dominate.",
        )
    if not gap.significant:
        return correct("03.3", f"{answer} is as good as the other here: {reading}")
    return not_yet(
        "03.3", f"{answer} scores {ndcg[answer].mean():.4f}, below {best}'s {ndcg[best].mean():.4f}; {reading}"
    )


def check_brand_share(
    answer: object, content_model: object, item: object, catalogue: pd.DataFrame, n: int = 10
) -> Feedback:
    """03.4: share of the ``n`` items most content-similar to ``item`` that share its brand."""
    value, fb = number_answer(answer, "03.4", f"set answer to the share of the {n} similar items with the same brand")
    if fb:
        return fb
    brands = catalogue.set_index(ITEM_ID)[BRAND]
    similar = content_model.similar_items([item], n=n)
    same = brands.reindex(similar["similar_item_id"]).to_numpy() == brands[item]
    expected = float(same.mean())
    if abs(value - expected) < 1e-9:
        reading = (
            "a brand comes with its own title words, so brand counts twice. For a newcomer's first list that is a "
            "narrow window; mixing in popular items of the category, or dropping the brand block, widens it."
            if expected >= 0.5
            else "here category and title words outweigh brand, so the list already spans brands; what it "
            "lacks is any sign of what sells, which mixing in the category's popular items adds."
        )
        return correct(
            "03.4",
            f"{expected:.0%} of the {n} items most similar to it are from its brand: title words, category and "
            f"brand are all the profile knows, and {reading}",
        )
    if value == int(same.sum()):
        return not_yet("03.4", f"{int(same.sum())} is the count; divide by {n}")
    return not_yet("03.4", f"{value:.2f} is off: take content.similar_items([item], n={n}) and compare brands")
