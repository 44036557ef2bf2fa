"""Choose hyperparameters on a validation split carved out of training data, never on the test split."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from shopcase.evaluate.intervals import N_RESAMPLES, bootstrap_columns
from shopcase.evaluate.metrics import PER_USER_COLUMNS, per_user_metrics, ranking_metrics
from shopcase.recommend import Hybrid
from shopcase.schema import SEED, USER_ID, K
from shopcase.validate import check_int

NOISE_COLUMNS = ("gap_to_best", "gap_low", "gap_high", "within_noise_of_best")
"""Columns ``grid_search`` and ``tune_blend_weights`` add beside ``<metric>_low`` and ``<metric>_high``."""


def _check_metric(metric: str) -> None:
    if metric not in PER_USER_COLUMNS.values():
        raise ValueError(f"metric {metric!r} is not one of {list(PER_USER_COLUMNS.values())}")


def _score(recs: pd.DataFrame, truth: pd.DataFrame, k: int, metric: str) -> tuple[dict[str, float], np.ndarray]:
    """``ranking_metrics`` of ``recs`` and the per-user values of ``metric`` (in truth-user order)."""
    per_user = per_user_metrics(recs, truth, k).rename(columns=PER_USER_COLUMNS)
    return ranking_metrics(recs, truth, k), per_user[metric].to_numpy()


def _versus_best(results: pd.DataFrame, per_user: list[np.ndarray], metric: str, seed: int) -> pd.DataFrame:
    """Add each row's interval of ``metric`` and its paired gap to the best row (the first best, as chosen)."""
    best = int(results[metric].to_numpy().argmax())
    noise = bootstrap_columns(np.vstack(per_user), reference=best, n_resamples=N_RESAMPLES, seed=seed)
    results = results.copy()
    results[f"{metric}_low"] = noise["low"].to_numpy()
    results[f"{metric}_high"] = noise["high"].to_numpy()
    results["gap_to_best"] = noise["difference"].to_numpy()
    results["gap_low"] = noise["difference_low"].to_numpy()
    results["gap_high"] = noise["difference_high"].to_numpy()
    # The best row is trivially within noise of itself; another row is when its gap's interval reaches 0.
    results["within_noise_of_best"] = results["gap_high"].to_numpy() >= 0
    return results


def grid_search(
    make_model: Callable[..., object],
    param_grid: Mapping[str, Sequence[object]],
    train: pd.DataFrame,
    validation_truth: pd.DataFrame,
    k: int = K,
    exclude_seen: bool = True,
    item_features: pd.DataFrame | None = None,
    progress: bool = False,
    metric: str = "ndcg_at_k",
    seed: int = SEED,
) -> pd.DataFrame:
    """Fit ``make_model(**params)`` on ``train`` for every combination in ``param_grid`` and score
    its top-``k`` against ``validation_truth``.

    ``train`` must come from before the validation period (e.g. ``temporal_split`` of the
    *training* events); the test split is not an argument, so it cannot leak into the choice.
    Returns one row per combination: the parameters, then ``ranking_metrics`` columns, then whether the
    choice is within noise on ``metric``: ``<metric>_low`` / ``<metric>_high`` (95% paired bootstrap over
    the validation users, seeded by ``seed``), ``gap_to_best`` (this row minus the best row), ``gap_low`` /
    ``gap_high`` (its interval) and ``within_noise_of_best`` (the gap's interval reaches 0).
    """
    k = check_int(k, "k")
    _check_metric(metric)
    if not param_grid or any(len(values) == 0 for values in param_grid.values()):
        raise ValueError(f"param_grid needs at least one value per parameter, got {dict(param_grid)}")
    names = list(param_grid)
    combos = list(itertools.product(*(param_grid[n] for n in names)))
    users = validation_truth[USER_ID].unique()
    rows, per_user = [], []
    for values in tqdm(combos, desc="grid", disable=not progress):
        params = dict(zip(names, values, strict=True))
        model = make_model(**params).fit(train, item_features=item_features)
        means, row_values = _score(model.recommend(users, n=k, exclude_seen=exclude_seen), validation_truth, k, metric)
        rows.append({**params, **means})
        per_user.append(row_values)
    return _versus_best(pd.DataFrame(rows), per_user, metric, seed)


def best_params(results: pd.DataFrame, param_names: Sequence[str], metric: str = "ndcg_at_k") -> dict[str, object]:
    """Parameters of the best row of ``grid_search`` results by ``metric`` (first row wins ties)."""
    if metric not in results.columns:
        raise ValueError(f"metric {metric!r} is not a column of the results: {list(results.columns)}")
    best = int(results[metric].to_numpy().argmax())
    # Read each column on its own: a row of mixed types would turn integers into floats.
    values = {name: results[name].iloc[best] for name in param_names}
    return {name: v.item() if hasattr(v, "item") else v for name, v in values.items()}


def tune_blend_weights(
    models: Sequence[object],
    train: pd.DataFrame,
    validation_truth: pd.DataFrame,
    grid: Sequence[Sequence[float]],
    k: int = K,
    metric: str = "ndcg_at_k",
    item_features: pd.DataFrame | None = None,
    normalisation: str = "minmax",
    seed: int = SEED,
) -> tuple[tuple[float, ...], pd.DataFrame]:
    """Choose ``Hybrid(models)`` blend weights on a validation split carved out of training data.

    Fits the hybrid once on ``train``, then for each weight vector in ``grid`` takes a re-weighted
    copy sharing the fitted models (``Hybrid.with_weights``: no refit, no parameter changed behind
    a fitted model's back), recommends ``k`` items to every ``validation_truth`` user (unknown users
    get the cold-start list, not skipped) and scores them with ``ranking_metrics``. Returns the best
    weights (first best in grid order) and a table ``weights, <metric>`` with one row per grid point,
    plus the interval columns of ``grid_search`` (``<metric>_low``, ``<metric>_high``, ``gap_to_best``,
    ``gap_low``, ``gap_high``, ``within_noise_of_best``): which weights are within noise of the chosen
    ones. Bad weight vectors raise ``ValueError`` as they would in ``Hybrid``.
    """
    k = check_int(k, "k")
    _check_metric(metric)
    grid = [tuple(float(w) for w in weights) for weights in grid]
    if not grid:
        raise ValueError("grid is empty: give at least one weight vector")
    hybrid = Hybrid(list(models), normalisation=normalisation).fit(train, item_features=item_features)
    users = validation_truth[USER_ID].unique()
    rows, per_user = [], []
    for weights in grid:
        recs = hybrid.with_weights(weights).recommend(users, n=k)
        means, row_values = _score(recs, validation_truth, k, metric)
        rows.append({"weights": weights, metric: means[metric]})
        per_user.append(row_values)
    results = _versus_best(pd.DataFrame(rows), per_user, metric, seed)
    return results["weights"].iloc[int(results[metric].to_numpy().argmax())], results
