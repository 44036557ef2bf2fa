"""Choose hyperparameters on a validation split carved out of training data, never on the test split."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
from tqdm import tqdm

from shopcase.evaluate.metrics import ranking_metrics
from shopcase.recommend import Hybrid
from shopcase.schema import USER_ID, K
from shopcase.validate import check_int


def grid_search(
    make_model: Callable[..., object],
    param_grid: Mapping[str, Sequence[object]],
    train: pd.DataFrame,
    validation_truth: pd.DataFrame,
    k: int = K,
    exclude_seen: bool = True,
    item_features: pd.DataFrame | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Fit ``make_model(**params)`` on ``train`` for every combination in ``param_grid`` and score
    its top-``k`` against ``validation_truth``.

    ``train`` must come from before the validation period (e.g. ``temporal_split`` of the
    *training* events); the test split is not an argument, so it cannot leak into the choice.
    Returns one row per combination: the parameters, then ``ranking_metrics`` columns.
    """
    k = check_int(k, "k")
    if not param_grid or any(len(values) == 0 for values in param_grid.values()):
        raise ValueError(f"param_grid needs at least one value per parameter, got {dict(param_grid)}")
    names = list(param_grid)
    combos = list(itertools.product(*(param_grid[n] for n in names)))
    users = validation_truth[USER_ID].unique()
    rows = []
    for values in tqdm(combos, desc="grid", disable=not progress):
        params = dict(zip(names, values, strict=True))
        model = make_model(**params).fit(train, item_features=item_features)
        recs = model.recommend(users, n=k, exclude_seen=exclude_seen)
        rows.append({**params, **ranking_metrics(recs, validation_truth, k)})
    return pd.DataFrame(rows)


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
) -> tuple[tuple[float, ...], pd.DataFrame]:
    """Choose ``Hybrid(models)`` blend weights on a validation split carved out of training data.

    Fits the hybrid once on ``train``, then for each weight vector in ``grid`` takes a re-weighted
    copy sharing the fitted models (``Hybrid.with_weights``: no refit, no parameter changed behind
    a fitted model's back), recommends ``k`` items to every ``validation_truth`` user (unknown users
    get the cold-start list, not skipped) and scores them with ``ranking_metrics``. Returns the best
    weights (first best in grid order) and a table ``weights, <metric>`` with one row per grid point.
    Bad weight vectors raise ``ValueError`` as they would in ``Hybrid``.
    """
    k = check_int(k, "k")
    grid = [tuple(float(w) for w in weights) for weights in grid]
    if not grid:
        raise ValueError("grid is empty: give at least one weight vector")
    hybrid = Hybrid(list(models), normalisation=normalisation).fit(train, item_features=item_features)
    users = validation_truth[USER_ID].unique()
    rows = []
    for weights in grid:
        recs = hybrid.with_weights(weights).recommend(users, n=k)
        scores = ranking_metrics(recs, validation_truth, k)
        if metric not in scores:
            raise ValueError(f"metric {metric!r} is not one of {sorted(scores)}")
        rows.append({"weights": weights, metric: scores[metric]})
    results = pd.DataFrame(rows)
    return results["weights"].iloc[int(results[metric].to_numpy().argmax())], results
