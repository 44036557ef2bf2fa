"""Every metric on small cases computed by hand, the "never skip" convention, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shopcase.evaluate.metrics import (
    RANKING_METRICS,
    average_popularity,
    beyond_accuracy_metrics,
    catalogue_coverage,
    hit_rate_at_k,
    intra_list_diversity,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    novelty,
    per_user_metrics,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
)


def frame(rows: list[tuple], columns: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


# k = 3.  A: list a b c d (d is rank 4 > k), truth b d x y (R = 4)  -> one hit, b at rank 2
#         B: list a e (shorter than k),      truth a (R = 1)       -> one hit, a at rank 1
#         C: list f, no truth                                      -> ignored, counted
#         D: no list,  truth a b (R = 2)                           -> scores 0, counted
RECS = frame(
    [("A", "a", 0.9, 1), ("A", "b", 0.8, 2), ("A", "c", 0.7, 3), ("A", "d", 0.6, 4),
     ("B", "a", 0.5, 1), ("B", "e", 0.4, 2), ("C", "f", 0.3, 1)],
    "user_id item_id score rank",
)  # fmt: skip
TRUTH = frame(
    [("A", "b", 5), ("A", "d", 1), ("A", "x", 3), ("A", "y", 2), ("B", "a", 4), ("D", "a", 1), ("D", "b", 1)],
    "user_id item_id rating",
)
L3 = math.log2(3)  # discount of rank 2 is 1 / log2(3)


def test_ranking_metrics_by_hand():
    result = ranking_metrics(RECS, TRUTH, 3)
    assert result["k"] == 3
    assert result["n_users"] == 3  # A, B, D: the truth users
    assert result["n_users_without_recs"] == 1  # D
    assert result["n_rec_users_without_truth"] == 1  # C
    # precision: A 1/3, B 1/3 (short list still divides by k), D 0 -> (1/3 + 1/3 + 0) / 3 = 2/9
    assert result["precision_at_k"] == pytest.approx(2 / 9)
    # recall: A 1/4, B 1/1, D 0 -> (1/4 + 1) / 3 = 5/12
    assert result["recall_at_k"] == pytest.approx(5 / 12)
    # ndcg: A = (1/log2 3) / (1 + 1/log2 3 + 1/log2 4) (ideal over min(4, 3) = 3 hits), B = 1/1, D = 0
    ndcg_a = (1 / L3) / (1 + 1 / L3 + 1 / 2)
    assert result["ndcg_at_k"] == pytest.approx((ndcg_a + 1 + 0) / 3)
    # AP sum: A = 1/2 (first hit at rank 2), B = 1/1.
    # map_at_k divides by min(R, k): A (1/2)/3 = 1/6, B 1/1 -> (1/6 + 1) / 3 = 7/18
    assert result["map_at_k"] == pytest.approx(7 / 18)
    # map_all_relevant_at_k divides by R: A (1/2)/4 = 1/8, B 1 -> (1/8 + 1) / 3 = 3/8
    assert result["map_all_relevant_at_k"] == pytest.approx(3 / 8)
    # hit rate: A and B hit, D not -> 2/3 ; mrr: A 1/2, B 1, D 0 -> 1/2
    assert result["hit_rate_at_k"] == pytest.approx(2 / 3)
    assert result["mrr_at_k"] == pytest.approx(1 / 2)
    assert set(RANKING_METRICS) <= set(result)


def test_single_functions_agree_with_ranking_metrics():
    result = ranking_metrics(RECS, TRUTH, 3)
    assert precision_at_k(RECS, TRUTH, 3) == pytest.approx(2 / 9)
    assert recall_at_k(RECS, TRUTH, 3) == pytest.approx(5 / 12)
    assert ndcg_at_k(RECS, TRUTH, 3) == result["ndcg_at_k"]
    assert map_at_k(RECS, TRUTH, 3) == pytest.approx(7 / 18)
    assert map_at_k(RECS, TRUTH, 3, denominator="min_relevant_k") == pytest.approx(7 / 18)
    assert map_at_k(RECS, TRUTH, 3, denominator="relevant") == pytest.approx(3 / 8)
    assert hit_rate_at_k(RECS, TRUTH, 3) == pytest.approx(2 / 3)
    assert mrr_at_k(RECS, TRUTH, 3) == pytest.approx(1 / 2)


def test_per_user_rows_cover_every_truth_user_and_average_to_the_metrics():
    table = per_user_metrics(RECS, TRUTH, 3)
    assert list(table.index) == ["A", "B", "D"] and table.index.name == "user_id"
    assert table.loc["D"].drop(["n_relevant"]).eq(0).all()  # listed nowhere: zero everywhere
    assert table.loc["A", "n_recommended"] == 3 and table.loc["A", "hits"] == 1
    assert table["n_relevant"].tolist() == [4, 1, 2]
    result = ranking_metrics(RECS, TRUTH, 3)
    pairs = {
        "ap_at_k": "map_at_k",
        "ap_all_relevant_at_k": "map_all_relevant_at_k",
        "hit_at_k": "hit_rate_at_k",
        "rr_at_k": "mrr_at_k",
        "precision_at_k": "precision_at_k",
        "recall_at_k": "recall_at_k",
        "ndcg_at_k": "ndcg_at_k",
    }
    for column, key in pairs.items():
        assert table[column].mean() == pytest.approx(result[key])


def test_several_hits_average_precision_and_ndcg_by_hand():
    # list h1 m1 h2 h3 m2 (hits at ranks 1, 3, 4), k = 5, R = 6 (h1..h3 and three never listed)
    recs = frame([(1, "h1", 1), (1, "m1", 2), (1, "h2", 3), (1, "h3", 4), (1, "m2", 5)], "user_id item_id rank")
    truth = frame([(1, i) for i in ["h1", "h2", "h3", "z1", "z2", "z3"]], "user_id item_id")
    result = ranking_metrics(recs, truth, 5)
    ap_sum = 1 / 1 + 2 / 3 + 3 / 4  # precision at each hit: 1 of 1, 2 of 3, 3 of 4
    assert result["map_at_k"] == pytest.approx(ap_sum / 5)  # min(R=6, k=5) = 5
    assert result["map_all_relevant_at_k"] == pytest.approx(ap_sum / 6)
    dcg = 1 / math.log2(2) + 1 / math.log2(4) + 1 / math.log2(5)
    idcg = sum(1 / math.log2(r + 1) for r in range(1, 6))  # 5 ideal hits at ranks 1..5
    assert result["ndcg_at_k"] == pytest.approx(dcg / idcg)
    assert result["precision_at_k"] == pytest.approx(3 / 5)
    assert result["recall_at_k"] == pytest.approx(3 / 6)
    assert result["mrr_at_k"] == 1.0
    # k = 2: only h1 m1 count -> AP 1/1 / min(6, 2) = 1/2; precision 1/2; recall 1/6
    small = ranking_metrics(recs, truth, 2)
    assert small["map_at_k"] == pytest.approx(1 / 2)
    assert small["precision_at_k"] == pytest.approx(1 / 2) and small["recall_at_k"] == pytest.approx(1 / 6)


def test_rank_is_the_position_score_is_ignored_and_gaps_are_empty_slots():
    # ranks 1 and 3 (no rank 2); the score says the opposite order and must not matter
    recs = frame([("u", "miss", 0.1, 1), ("u", "hit", 0.9, 3)], "user_id item_id score rank")
    truth = frame([("u", "hit")], "user_id item_id")
    result = ranking_metrics(recs, truth, 3)
    assert result["ndcg_at_k"] == pytest.approx(1 / math.log2(4))  # hit at rank 3, ideal 1 hit at rank 1
    assert result["mrr_at_k"] == pytest.approx(1 / 3)
    assert result["map_at_k"] == pytest.approx(1 / 3)  # (1 hit / rank 3) / min(1, 3)
    assert ranking_metrics(recs.drop(columns="score"), truth, 3) == result
    assert ranking_metrics(recs, truth, 2)["hit_rate_at_k"] == 0.0  # rank 3 > k = 2


def test_truth_rating_is_ignored_every_truth_row_is_relevant():
    assert ranking_metrics(RECS, TRUTH.drop(columns="rating"), 3) == ranking_metrics(RECS, TRUTH, 3)
    assert ranking_metrics(RECS, TRUTH.assign(rating=0.0), 3) == ranking_metrics(RECS, TRUTH, 3)


def test_empty_recs_score_zero_for_every_truth_user():
    empty = RECS.iloc[:0]
    result = ranking_metrics(empty, TRUTH, 3)
    assert result["n_users"] == 3 and result["n_users_without_recs"] == 3
    assert all(result[name] == 0.0 for name in RANKING_METRICS)


def test_integer_float_and_string_ids_give_the_same_numbers():
    codes = {"A": 1, "B": 2, "C": 3, "D": 4, "a": 10, "b": 11, "c": 12, "d": 13, "e": 14, "f": 15, "x": 16, "y": 17}
    as_int = {c: RECS[c].map(codes) if c in ("user_id", "item_id") else RECS[c] for c in RECS}
    recs_int = pd.DataFrame(as_int)
    truth_int = TRUTH.assign(user_id=TRUTH["user_id"].map(codes), item_id=TRUTH["item_id"].map(codes))
    expected = ranking_metrics(RECS, TRUTH, 3)
    assert ranking_metrics(recs_int, truth_int, 3) == pytest.approx(expected)
    assert ranking_metrics(recs_int.astype({"user_id": float}), truth_int, 3) == pytest.approx(expected)


def test_inputs_are_not_modified():
    recs, truth = RECS.copy(), TRUTH.copy()
    ranking_metrics(recs, truth, 3)
    beyond_accuracy_metrics(
        recs, 3, train=truth, catalogue=list("abcdefxy"), item_categories=dict.fromkeys("abcdef", 1)
    )
    pd.testing.assert_frame_equal(recs, RECS)
    pd.testing.assert_frame_equal(truth, TRUTH)


# --- bad input -------------------------------------------------------------------


def _with(df: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    out = df.copy()
    out[column] = out[column].astype(object)
    out.loc[row, column] = value
    return out


@pytest.mark.parametrize(
    ("recs", "truth", "k", "match"),
    [
        (RECS.drop(columns="rank"), TRUTH, 3, "rank"),
        (RECS.drop(columns="item_id"), TRUTH, 3, "item_id"),
        (RECS, TRUTH.drop(columns="item_id"), 3, "item_id"),
        (RECS, TRUTH.drop(columns="user_id"), 3, "user_id"),
        (_with(RECS, "user_id", 0, None), TRUTH, 3, "user_id.*missing"),
        (RECS, _with(TRUTH, "item_id", 2, np.nan), 3, "item_id.*missing"),
        (RECS, TRUTH, 0, "k must be a positive integer"),
        (RECS, TRUTH, -2, "k must be a positive integer"),
        (RECS, TRUTH, 2.0, "k must be a positive integer"),
        (RECS, TRUTH, "3", "k must be a positive integer"),
        (RECS, TRUTH, True, "k must be a positive integer"),
        (pd.concat([RECS, RECS.iloc[[0]].assign(rank=9)]), TRUTH, 3, r"recs has repeated \(user_id, item_id\)"),
        (RECS, pd.concat([TRUTH, TRUTH.iloc[[1]]]), 3, r"truth has repeated \(user_id, item_id\)"),
        (RECS.assign(rank=[1, 2, 2, 4, 1, 2, 1]), TRUTH, 3, "repeated ranks"),
        (RECS.assign(rank=[1, 2, 3, 0, 1, 2, 1]), TRUTH, 3, "integers >= 1"),
        (RECS.assign(rank=[1, 2, 3, 4.5, 1, 2, 1]), TRUTH, 3, "integers >= 1"),
        (RECS.assign(rank=[1, 2, 3, np.nan, 1, 2, 1]), TRUTH, 3, "integers >= 1"),
        (RECS.assign(rank=list("1234121")), TRUTH, 3, "rank.*numeric"),
        (RECS, TRUTH.iloc[:0], 3, "truth is empty"),
        (RECS.assign(user_id=range(7)), TRUTH, 3, "user_id.*never match"),
        (RECS, TRUTH.assign(item_id=range(7)), 3, "item_id.*never match"),
        ("not a frame", TRUTH, 3, "recs must be a pandas DataFrame"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(recs, truth, k, match):
    with pytest.raises(ValueError, match=match):
        ranking_metrics(recs, truth, k)


def test_map_denominator_must_be_one_of_the_two_conventions():
    with pytest.raises(ValueError, match="denominator"):
        map_at_k(RECS, TRUTH, 3, denominator="k")


# --- beyond accuracy ---------------------------------------------------------------

# top-2: U1 a b (c at rank 3), U2 a d, U3 e
BA_RECS = frame(
    [("U1", "a", 1), ("U1", "b", 2), ("U1", "c", 3), ("U2", "a", 1), ("U2", "d", 2), ("U3", "e", 1)],
    "user_id item_id rank",
)
# 4 training users: a seen by t1 t2 t3 (3), b by t1 t4 (2), d by t3 (1), c and e by nobody.
# (t1, a) appears twice: still one user.
TRAIN = frame(
    [("t1", "a"), ("t1", "a"), ("t1", "b"), ("t2", "a"), ("t3", "a"), ("t3", "d"), ("t4", "b")], "user_id item_id"
)
CATALOGUE = pd.DataFrame({"item_id": list("abcdefgh"), "category": list("xxyyzzzz")})


def test_catalogue_coverage_by_hand():
    assert catalogue_coverage(BA_RECS, CATALOGUE, 2) == pytest.approx(4 / 8)  # {a, b, d, e} of 8
    assert catalogue_coverage(BA_RECS, CATALOGUE, 3) == pytest.approx(5 / 8)  # c joins at rank 3
    assert catalogue_coverage(BA_RECS, set("abcdefgh"), 2) == pytest.approx(4 / 8)  # any collection of ids
    assert catalogue_coverage(BA_RECS, list("abcdefgha"), 2) == pytest.approx(4 / 8)  # a set: repeats once
    with pytest.raises(ValueError, match="not in the catalogue"):
        catalogue_coverage(BA_RECS, list("abcd"), 2)  # e is recommended and not in it
    with pytest.raises(ValueError, match="never match"):
        catalogue_coverage(BA_RECS, [1, 2, 3], 2)


def test_novelty_by_hand():
    # -log2 p: a = -log2(3/4) = 0.415, b = -log2(2/4) = 1, d = -log2(1/4) = 2, e unseen = log2(4 + 1)
    a, b, d, e = -math.log2(3 / 4), 1.0, 2.0, math.log2(5)
    # per user: U1 (a + b) / 2, U2 (a + d) / 2, U3 e ; then the mean over the 3 users
    expected = ((a + b) / 2 + (a + d) / 2 + e) / 3
    assert novelty(BA_RECS, TRAIN, 2) == pytest.approx(expected)
    assert expected == pytest.approx(1.412322, abs=1e-6)


def test_average_popularity_by_hand():
    # users per item: a 3, b 2, d 1, e 0 -> U1 (3 + 2) / 2 = 2.5, U2 (3 + 1) / 2 = 2, U3 0 -> 4.5 / 3 = 1.5
    assert average_popularity(BA_RECS, TRAIN, 2) == pytest.approx(1.5)
    # k = 3 adds c (0 users) to U1: (3 + 2 + 0) / 3 = 5/3 -> (5/3 + 2 + 0) / 3
    assert average_popularity(BA_RECS, TRAIN, 3) == pytest.approx((5 / 3 + 2) / 3)


def test_intra_list_diversity_by_hand():
    # categories a x, b x, c y, d y, e z
    # k = 3: U1 a b c -> pairs ab same, ac diff, bc diff = 2/3 ; U2 a d -> 1/1 ; U3 one item: no pair, left out
    assert intra_list_diversity(BA_RECS, CATALOGUE, 3) == pytest.approx((2 / 3 + 1) / 2)
    # k = 2: U1 a b -> 0 ; U2 a d -> 1 -> 1/2 ; a Series or a dict works the same
    mapping = CATALOGUE.set_index("item_id")["category"]
    assert intra_list_diversity(BA_RECS, mapping, 2) == pytest.approx(0.5)
    assert intra_list_diversity(BA_RECS, mapping.to_dict(), 2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="undefined"):
        intra_list_diversity(BA_RECS, mapping, 1)  # one item per list: no pairs anywhere
    with pytest.raises(ValueError, match="no category"):
        intra_list_diversity(BA_RECS, mapping.drop("d"), 2)
    with pytest.raises(ValueError, match="no category"):
        intra_list_diversity(BA_RECS, mapping.astype(object).where(mapping.index != "a"), 2)
    with pytest.raises(ValueError, match="more than once"):
        intra_list_diversity(BA_RECS, pd.concat([CATALOGUE, CATALOGUE.iloc[[0]]]), 2)


def test_beyond_accuracy_metrics_collects_everything_with_counts():
    result = beyond_accuracy_metrics(BA_RECS, 2, train=TRAIN, catalogue=CATALOGUE, item_categories=CATALOGUE)
    assert result["k"] == 2 and result["n_rec_users"] == 3
    assert result["catalogue_coverage"] == pytest.approx(0.5)
    assert result["novelty"] == pytest.approx(novelty(BA_RECS, TRAIN, 2))
    assert result["average_popularity"] == pytest.approx(1.5)
    assert result["n_recs_unseen_in_train"] == 1  # U3's e
    assert result["n_items_unseen_in_train"] == 1
    # slots vs items: c and e, unseen in train, fill three slots between them
    both = pd.concat([BA_RECS, frame([("U4", "e", 1), ("U4", "c", 2)], "user_id item_id rank")], ignore_index=True)
    counted = beyond_accuracy_metrics(both, 3, train=TRAIN)
    assert (counted["n_recs_unseen_in_train"], counted["n_items_unseen_in_train"]) == (4, 2)
    assert result["intra_list_diversity"] == pytest.approx(0.5)
    assert result["n_users_short_lists"] == 1  # U3
    assert set(beyond_accuracy_metrics(BA_RECS, 2)) == {"k", "n_rec_users"}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: novelty(BA_RECS, TRAIN.iloc[:0], 2), "train is empty"),
        (lambda: novelty(BA_RECS, TRAIN.drop(columns="item_id"), 2), "item_id"),
        (lambda: novelty(BA_RECS, TRAIN.assign(item_id=range(7)), 2), "never match"),
        (lambda: average_popularity(BA_RECS, _with(TRAIN, "user_id", 0, None), 2), "user_id.*missing"),
        (lambda: novelty(BA_RECS.iloc[:0], TRAIN, 2), "recs is empty"),
        (lambda: novelty(BA_RECS.assign(rank=5), TRAIN, 2), "repeated ranks"),
        (lambda: novelty(BA_RECS.assign(rank=[3, 4, 5, 3, 4, 3]), TRAIN, 2), "no row with rank <= k"),
        (lambda: catalogue_coverage(BA_RECS, CATALOGUE, 0), "k must be a positive integer"),
        (lambda: catalogue_coverage(BA_RECS, [], 2), "catalogue is empty"),
        (lambda: catalogue_coverage(BA_RECS, ["a", None], 2), "missing"),
        (lambda: intra_list_diversity(BA_RECS, ["a", "b"], 2), "item_categories must be"),
    ],
)
def test_beyond_accuracy_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_object_and_categorical_id_columns_are_judged_by_their_values():
    recs = frame([(1, 10, 1), (2, 11, 1)], "user_id item_id rank")
    truth = frame([(1, 10), (2, 12)], "user_id item_id")
    # the same numbers stored as object or category still match: precision (1 + 0) / 2
    assert precision_at_k(recs.astype({"user_id": object}), truth, 1) == pytest.approx(0.5)
    assert precision_at_k(recs.astype({"user_id": "category"}), truth, 1) == pytest.approx(0.5)
    assert precision_at_k(recs, truth.astype({"item_id": object}), 1) == pytest.approx(0.5)
    # strings that look like the numbers never match them: refused instead of scoring 0
    text = recs["item_id"].astype(str)
    for as_text in (recs.assign(item_id=text.astype(object)), recs.assign(item_id=text.astype("category"))):
        with pytest.raises(ValueError, match="never match"):
            precision_at_k(as_text, truth, 1)
