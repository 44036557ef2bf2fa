"""Content-based recommendations from the catalogue: title words, category, brand, price band."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, normalize

from shopcase.recommend.base import BaseRecommender
from shopcase.schema import BRAND, CATEGORY, ITEM_ID, PRICE, TITLE
from shopcase.validate import InstanceOf, Integer, SequenceOf, validate_frame


class ContentBased(BaseRecommender):
    """Cosine between a user's profile and item profiles built from ``item_features``.

    Item profile: TF-IDF of ``text_column``, one-hot of each of
    ``categorical_columns``, one-hot of ``n_price_bands`` quantile bands of
    ``numeric_column``, stacked (sparse) and L2-normalised per item. Set a
    parameter to ``None`` (or ``()``) to skip that block; a configured column
    missing from the catalogue is a ``ValueError``. A price with one distinct
    value carries no information and its block is skipped; skewed prices with
    repeated quantile edges get fewer bands.

    User profile: strength-weighted mean of the profiles of the
    items the user interacted with. Score: cosine(user profile, item profile);
    only positive scores are returned.

    The model knows every catalogue item, including items nobody interacted with
    yet: they can be recommended and have ``similar_items``. Items in the
    interactions but not in the catalogue get an all-zero profile: never
    recommended, and they add nothing to a user's profile.

    Learned: ``item_profiles_`` (CSR ``n_items x n_features``, unit rows), ``feature_names_``.
    """

    _kind = "content"
    _sparse_scores = True
    _parameter_constraints = {
        "text_column": InstanceOf(str, "a column name", optional=True),
        "categorical_columns": SequenceOf(InstanceOf(str, "a column name"), optional=True, single=True),
        "numeric_column": InstanceOf(str, "a column name", optional=True),
        "n_price_bands": Integer(low=2),
    }

    def __init__(
        self,
        text_column: str | None = TITLE,
        categorical_columns: Sequence[str] | None = (CATEGORY, BRAND),
        numeric_column: str | None = PRICE,
        n_price_bands: int = 5,
        chunk_rows: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.text_column = text_column
        self.categorical_columns = categorical_columns
        self.numeric_column = numeric_column
        self.n_price_bands = n_price_bands
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs

    def _check_param_combinations(self, params: dict[str, object]) -> None:
        if params["text_column"] is None and not params["categorical_columns"] and params["numeric_column"] is None:
            raise ValueError("ContentBased: configure at least one of text, categorical or numeric columns")

    def _catalogue(self, item_features: pd.DataFrame | None) -> pd.DataFrame:
        if item_features is None:
            raise ValueError("ContentBased needs item_features (the catalogue with item_id and feature columns)")
        schema = {ITEM_ID: "id"}
        if self.text_column is not None:
            schema[self.text_column] = "text"
        for column in self._categorical():
            schema[column] = CATEGORY
        if self.numeric_column is not None:
            schema[self.numeric_column] = "number"
        return validate_frame(item_features, schema, "item_features", key=[ITEM_ID])

    def _categorical(self) -> list[str]:
        columns = self.categorical_columns
        return [] if not columns else [columns] if isinstance(columns, str) else list(columns)

    def _catalogue_item_ids(self, item_features: pd.DataFrame | None) -> pd.Series:
        return self._catalogue(item_features)[ITEM_ID]

    def _fit(self, interactions: pd.DataFrame, item_features: pd.DataFrame | None) -> None:
        catalogue = self._catalogue(item_features)
        blocks, names = [], []
        if self.text_column is not None:
            tfidf = TfidfVectorizer()
            blocks.append(tfidf.fit_transform(catalogue[self.text_column].astype(str)))
            names += [f"{self.text_column}={w}" for w in tfidf.get_feature_names_out()]
        if self._categorical():
            columns = self._categorical()
            onehot = OneHotEncoder(handle_unknown="ignore")
            blocks.append(onehot.fit_transform(catalogue[columns].astype(str)))
            names += list(onehot.get_feature_names_out(columns))
        if self.numeric_column is not None:
            bands = int(self.n_price_bands)
            price = catalogue[[self.numeric_column]].to_numpy(dtype=np.float64)
            n_distinct = len(np.unique(price))
            if n_distinct >= 2:
                binner = KBinsDiscretizer(
                    n_bins=min(bands, n_distinct), encode="onehot", strategy="quantile", subsample=None
                )  # subsample=None: quantiles of every price, no random subsample on big catalogues
                with warnings.catch_warnings():
                    # Skewed prices give duplicate quantile edges; merging those bands is what we want.
                    warnings.filterwarnings("ignore", message="Bins whose width are too small")
                    blocks.append(binner.fit_transform(price))
                names += [f"{self.numeric_column}_band={b}" for b in range(blocks[-1].shape[1])]
        if not blocks:
            raise ValueError("ContentBased: no usable item features (the only configured column is constant)")
        features = normalize(sp.hstack(blocks, format="csr").astype(np.float64))
        # Place catalogue rows at the model's item indices; items missing from the catalogue stay zero.
        rows = self.item_index_.get_indexer(catalogue[ITEM_ID])
        placement = sp.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(self.n_items_, len(rows)))
        self.item_profiles_ = (placement @ features).tocsr()
        self.feature_names_ = np.asarray(names, dtype=object)

    def _user_profiles(self, user_rows: np.ndarray) -> sp.csr_matrix:
        """Unit-length strength-weighted mean profiles, shape ``len(user_rows) x n_features``."""
        x = self.user_items_[user_rows]
        totals = np.asarray(x.sum(axis=1), dtype=np.float64).ravel()
        mean = sp.diags(1.0 / totals) @ x @ self.item_profiles_
        return normalize(mean)

    def _score(self, user_rows: np.ndarray) -> sp.csr_matrix:
        return self._user_profiles(user_rows) @ self.item_profiles_.T

    def _similar(self, item_rows: np.ndarray) -> sp.csr_matrix:
        return self.item_profiles_[item_rows] @ self.item_profiles_.T
