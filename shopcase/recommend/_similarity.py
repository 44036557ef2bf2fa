"""Sparse cosine similarity between the rows of two matrices, computed a chunk of rows at a time.

Shared by the neighbourhood models (items for ``ItemKNN``, users for ``UserKNN``)
and by their ``similar_items``. Never builds a dense ``all rows x all rows`` array:
at most one chunk of rows against all rows, the chunk sized by the caller.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from shopcase.recommend._topn import keep_top_k


def row_norms(matrix: sp.csr_matrix) -> np.ndarray:
    """Euclidean norm of every row of a sparse matrix (shape ``rows``, float64)."""
    return np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64).ravel())


def cosine_rows(
    query: sp.csr_matrix,
    query_norms: np.ndarray,
    base: sp.csr_matrix,
    base_norms: np.ndarray,
    shrinkage: float,
) -> sp.csr_matrix:
    """Shrunk cosine ``dot(a, b) / (|a| |b| + shrinkage)`` of each query row with each base row.

    ``query`` is ``q x d``, ``base`` is ``m x d``; returns a sparse ``q x m`` matrix
    holding only pairs that share a non-zero dimension.
    """
    dots = (query @ base.T).tocsr()
    row = np.repeat(np.arange(dots.shape[0]), np.diff(dots.indptr))
    dots.data = dots.data / (query_norms[row] * base_norms[dots.indices] + shrinkage)
    return dots


def cosine_top_k(
    query: sp.csr_matrix,
    query_norms: np.ndarray,
    base: sp.csr_matrix,
    base_norms: np.ndarray,
    shrinkage: float,
    self_index: np.ndarray,
    k: int,
) -> sp.csr_matrix:
    """``cosine_rows`` keeping the ``k`` most similar (positive) base rows per query row.

    ``self_index[i]`` (a base row) is dropped from row ``i``: nothing is its own
    neighbour. The chunk is densified (``q x m`` cells), so callers size ``q`` to the budget.
    """
    similarity = cosine_rows(query, query_norms, base, base_norms, shrinkage).toarray()
    similarity[np.arange(len(self_index)), self_index] = 0.0
    return keep_top_k(similarity, k)


def idf(matrix_docs_by_terms: sp.csr_matrix) -> np.ndarray:
    """``log(N) - log1p(df)`` per column, N = rows (implicit's formula, so results are comparable)."""
    n_docs = matrix_docs_by_terms.shape[0]
    df = np.bincount(matrix_docs_by_terms.indices, minlength=matrix_docs_by_terms.shape[1])
    return np.log(n_docs) - np.log1p(df)


def tfidf_weight(items_by_users: sp.csr_matrix) -> sp.csr_matrix:
    """TF-IDF weighting of an ``items x users`` matrix: ``sqrt(r) * idf(user)`` (as implicit does)."""
    out = items_by_users.tocsr(copy=True)
    out.data = np.sqrt(out.data) * idf(out)[out.indices]
    return out


def bm25_weight(items_by_users: sp.csr_matrix, k1: float, b: float) -> sp.csr_matrix:
    """BM25 weighting of an ``items x users`` matrix (items are documents, users are terms)."""
    out = items_by_users.tocsr(copy=True)
    lengths = np.asarray(out.sum(axis=1), dtype=np.float64).ravel()
    length_norm = (1.0 - b) + b * lengths / lengths.mean()
    row = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
    out.data = out.data * (k1 + 1.0) / (k1 * length_norm[row] + out.data) * idf(out)[out.indices]
    return out


class ItemCosineSimilarMixin:
    """``_similar`` for the neighbourhood models: the full (unpruned) shrunk item-item cosine.

    The model sets ``item_vectors_`` (``items x users`` CSR) and ``item_norms_`` at fit;
    the base class removes each item from its own list.
    """

    item_vectors_: sp.csr_matrix
    item_norms_: np.ndarray
    shrinkage: float

    def _similar(self, item_rows: np.ndarray) -> sp.csr_matrix:
        return cosine_rows(
            self.item_vectors_[item_rows],
            self.item_norms_[item_rows],
            self.item_vectors_,
            self.item_norms_,
            float(self.shrinkage),
        )
