"""Brute-force dense versions of the recommenders, written plainly and independently of the library.

Everything here is dense numpy and Python loops: easy to check by eye, far too
slow for real data. Tests compare the sparse, chunked library against these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_interactions(n_users: int, n_items: int, density: float, seed: int, integer: bool = False) -> pd.DataFrame:
    """``user_id, item_id, rating`` with about ``density`` of the pairs present, ids as given ints.

    Ratings are uniform in [0.5, 5] (no exact score ties) or integers 1..5.
    """
    rng = np.random.default_rng(seed)
    present = rng.random((n_users, n_items)) < density
    users, items = np.nonzero(present)
    ratings = rng.integers(1, 6, len(users)).astype(float) if integer else rng.uniform(0.5, 5.0, len(users))
    return pd.DataFrame({"user_id": users, "item_id": items, "rating": ratings})


def dense_matrix(frame: pd.DataFrame) -> tuple[np.ndarray, list, list]:
    """users x items array of ratings (0 = no interaction) plus the sorted user and item ids."""
    users = sorted(frame["user_id"].unique())
    items = sorted(frame["item_id"].unique())
    x = np.zeros((len(users), len(items)))
    u_pos = {u: i for i, u in enumerate(users)}
    i_pos = {it: j for j, it in enumerate(items)}
    for u, it, r in frame[["user_id", "item_id", "rating"]].itertuples(index=False):
        x[u_pos[u], i_pos[it]] = r
    return x, users, items


def cosine(vectors: np.ndarray, shrinkage: float = 0.0) -> np.ndarray:
    """Shrunk cosine between all rows: dot / (|a| |b| + shrinkage); 0 where a norm is 0."""
    norms = np.sqrt((vectors**2).sum(axis=1))
    out = np.zeros((len(vectors), len(vectors)))
    for a in range(len(vectors)):
        for b in range(len(vectors)):
            denominator = norms[a] * norms[b] + shrinkage
            if denominator > 0:
                out[a, b] = vectors[a] @ vectors[b] / denominator
    return out


def keep_top_k(similarity: np.ndarray, k: int) -> np.ndarray:
    """Row i keeps its k largest positive entries other than i itself (ties: lower column first)."""
    kept = np.zeros_like(similarity)
    for i in range(len(similarity)):
        others = [j for j in range(similarity.shape[1]) if j != i and similarity[i, j] > 0]
        for j in sorted(others, key=lambda j: (-similarity[i, j], j))[:k]:
            kept[i, j] = similarity[i, j]
    return kept


def weighted_items(x: np.ndarray, weighting: str | None, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """items x users vectors: raw, or implicit's TF-IDF / BM25 (items = documents, users = terms)."""
    items = x.T.copy()
    if weighting is None:
        return items
    n_items = items.shape[0]
    idf = [np.log(n_items) - np.log1p(np.count_nonzero(items[:, u])) for u in range(items.shape[1])]
    lengths = items.sum(axis=1)
    for i in range(n_items):
        for u in range(items.shape[1]):
            r = items[i, u]
            if r == 0:
                continue
            if weighting == "tfidf":
                items[i, u] = np.sqrt(r) * idf[u]
            else:
                norm = (1 - b) + b * lengths[i] / lengths.mean()
                items[i, u] = r * (k1 + 1) / (k1 * norm + r) * idf[u]
    return items


def item_knn_scores(x: np.ndarray, k: int, shrinkage: float = 0.0, weighting: str | None = None) -> np.ndarray:
    """score(u, j) = sum_i x[u, i] * S[i, j], S = top-k other items by cosine of (weighted) item vectors."""
    return x @ keep_top_k(cosine(weighted_items(x, weighting), shrinkage), k)


def user_knn_scores(x: np.ndarray, k: int, shrinkage: float = 0.0) -> np.ndarray:
    """score(u, i) = sum over the k most similar other users v of sim(u, v) * x[v, i]."""
    return keep_top_k(cosine(x, shrinkage), k) @ x


def ease_scores(x: np.ndarray, l2: float) -> np.ndarray:
    """Steck (2019): B = I - P diagMat(1 / diag(P)), P = inv(X^T X + l2 I); scores X B."""
    p = np.linalg.inv(x.T @ x + l2 * np.eye(x.shape[1]))
    b = np.eye(x.shape[1]) - p / np.diag(p)
    np.fill_diagonal(b, 0.0)  # exactly 0 (I - P/diag(P) leaves rounding noise on the diagonal)
    return x @ b


def top_lists(
    scores: np.ndarray, seen: np.ndarray | None, n: int, positive_only: bool
) -> list[list[tuple[int, float]]]:
    """Per row: up to n (column, score), best first, ties by column.

    Skips seen items, non-finite scores, and scores <= 0 if ``positive_only``.
    """
    lists = []
    for u in range(len(scores)):
        candidates = [
            j
            for j in range(scores.shape[1])
            if np.isfinite(scores[u, j])
            and (seen is None or seen[u, j] == 0)
            and (scores[u, j] > 0 or not positive_only)
        ]
        ranked = sorted(candidates, key=lambda j: (-scores[u, j], j))[:n]
        lists.append([(j, float(scores[u, j])) for j in ranked])
    return lists


def assert_same_lists(
    result: pd.DataFrame,
    expected: list[list[tuple[int, float]]],
    row_ids: list,
    col_ids: list,
    key: str = "user_id",
    other: str = "item_id",
) -> None:
    """The library's frame holds exactly the oracle's lists: same items in the same order, scores to 1e-9."""
    for row, wanted in enumerate(expected):
        got = result[result[key] == row_ids[row]].sort_values("rank")
        assert got[other].tolist() == [col_ids[j] for j, _ in wanted], f"{key}={row_ids[row]}"
        np.testing.assert_allclose(got["score"].to_numpy(), [s for _, s in wanted], rtol=0, atol=1e-9)
        assert got["rank"].tolist() == list(range(1, len(wanted) + 1))


def dated_interactions(n_users: int, n_items: int, density: float, seed: int) -> pd.DataFrame:
    """``random_interactions`` with string ids and each pair's last interaction on a random day of 2011."""
    frame = random_interactions(n_users, n_items, density, seed=seed)
    days = np.random.default_rng(seed + 1).uniform(0, 365, len(frame))
    return frame.assign(
        user_id="u" + frame["user_id"].astype(str).str.zfill(2),
        item_id="i" + frame["item_id"].astype(str).str.zfill(2),
        timestamp=pd.Timestamp("2011-01-01") + pd.to_timedelta(days, unit="D"),
    )
