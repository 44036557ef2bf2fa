"""One gradient-boosting model for every series: lags, calendar and prices in, demand on a day out (LightGBM).

A per-series model learns from one series' few hundred days; a global model learns how demand moves from
all of them at once (the M5 competition's lesson): how a promotion lifts sales, how the weeks before
Christmas rise, how a slow mover's next sale relates to its last. It forecasts directly: each training row
is (series, origin, horizon h) with features known at the origin (rolling means per in-stock day, the
same weekday's recent mean, last year's same fortnight, days since the last sale) and about the target day
(its weekday, day of year, planned price against the recent price, promotion, how far ahead). No forecast
feeds another, so errors do not compound over the 28 days.

The predictive distribution is a negative binomial around LightGBM's mean, with its dispersion fitted by
maximum likelihood on a **validation** window: the model is first trained without the last ``horizon`` days
of history and scored on them (per quartile of the predicted mean), then refitted on everything. Quantiles
of that distribution are the quantile forecasts (and feed the inventory policy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

from shopcase.demand.base import Forecaster
from shopcase.demand.features import SeriesArrays
from shopcase.schema import CATEGORY, DATE, DEMAND, IN_STOCK, PRICE, PROMOTION, SEED, SERIES_ID
from shopcase.validate import check_choice, check_int, check_number

POINTS: tuple[str, ...] = ("mean", "median")


def _dense(frame: pd.DataFrame, column: str, ids: pd.Index, days: pd.DatetimeIndex, fill: float) -> np.ndarray:
    out = np.full((len(ids), len(days)), fill)
    if column in frame.columns:
        rows = ids.get_indexer(frame[SERIES_ID])
        cols = days.get_indexer(frame[DATE])
        ok = (rows >= 0) & (cols >= 0)
        out[rows[ok], cols[ok]] = frame[column].to_numpy(dtype=float)[ok]
    return out


def _nb_dispersion(y: np.ndarray, mu: np.ndarray) -> float:
    """Maximum-likelihood size ``k`` of a negative binomial with means ``mu`` (variance mu + mu^2 / k)."""
    mu = np.maximum(mu, 1e-6)

    def negative_log_likelihood(log_k: float) -> float:
        k = np.exp(log_k)
        ll = special.gammaln(y + k) - special.gammaln(k) + k * np.log(k / (k + mu)) + y * np.log(mu / (k + mu))
        return -float(ll.sum())

    result = optimize.minimize_scalar(negative_log_likelihood, bounds=(np.log(1e-3), np.log(1e4)), method="bounded")
    return float(np.exp(result.x))


class GlobalForecaster(Forecaster):
    """A global LightGBM model over every series (see the module docstring).

    Parameters
    ----------
    horizon : int, default 28
        The longest horizon trained for (forecasts may ask for fewer days).
    train_days : int, default 364
        How far back training origins go (days before the last one).
    origin_step : int, default 7
        Days between training origins.
    horizons_per_origin : int, default 7
        Horizons sampled per (series, training origin): a random subset of 1..horizon keeps the training set
        small without losing any horizon overall.
    max_rows : int, default 500_000
        Upper bound on training rows (a random subset of series x origins beyond it).
    objective : {"tweedie", "poisson", "regression"}, default "tweedie"
        LightGBM's loss for the mean (tweedie: counts with many zeros and a long tail).
    point : {"mean", "median"}, default "mean"
        Which the ``forecast`` column holds: the predictive mean (squared-error metrics) or median (absolute).
    n_estimators, learning_rate, num_leaves, min_child_samples : LightGBM's parameters.
    n_jobs : int, default 1
        LightGBM threads.
    random_state : int
        Seed of the sampling and of LightGBM.
    """

    def __init__(
        self,
        horizon: int = 28,
        train_days: int = 364,
        origin_step: int = 7,
        horizons_per_origin: int = 7,
        max_rows: int = 500_000,
        objective: str = "tweedie",
        point: str = "mean",
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 63,
        min_child_samples: int = 100,
        n_jobs: int = 1,
        random_state: int = SEED,
    ):
        self.horizon = horizon
        self.train_days = train_days
        self.origin_step = origin_step
        self.horizons_per_origin = horizons_per_origin
        self.max_rows = max_rows
        self.objective = objective
        self.point = point
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _validate_params(self) -> None:
        for name in ("horizon", "train_days", "origin_step", "horizons_per_origin", "max_rows", "n_estimators"):
            check_int(getattr(self, name), name)
        for name in ("num_leaves", "min_child_samples", "n_jobs"):
            check_int(getattr(self, name), name)
        check_int(self.random_state, "random_state", low=0)
        check_choice(self.objective, "objective", ("tweedie", "poisson", "regression"))
        check_choice(self.point, "point", POINTS)
        check_number(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)

    # --- training -----------------------------------------------------------------------------------------
    def _arrays(self, history: pd.DataFrame, future: pd.DataFrame | None, n_ahead: int) -> SeriesArrays:
        days = self.days_.append(pd.date_range(self.days_[-1] + pd.Timedelta(days=1), periods=n_ahead, freq="D"))
        frame = history if future is None else pd.concat([history, future], ignore_index=True)
        ids = self.series_ids_
        demand = _dense(history, DEMAND, ids, days, np.nan)
        in_stock = _dense(frame, IN_STOCK, ids, days, 1.0)
        price = _dense(frame, PRICE, ids, days, np.nan)
        promotion = _dense(frame, PROMOTION, ids, days, 0.0)
        if CATEGORY in history.columns:
            first = history.drop_duplicates(SERIES_ID).set_index(SERIES_ID)[CATEGORY].reindex(ids)
            codes = pd.Categorical(first.astype(str), categories=self.categories_).codes
        else:
            codes = np.zeros(len(ids), dtype=int)
        return SeriesArrays(demand, in_stock, price, promotion, days, np.asarray(codes))

    def _training_rows(self, arrays: SeriesArrays, last_target: int, rng: np.random.Generator):
        """(rows, origins, targets) of training examples whose target day is before ``last_target``."""
        newest = last_target - self.horizon
        origins = np.arange(newest, max(newest - self.train_days, 28) - 1, -self.origin_step)
        origins = origins[origins >= 28]
        if len(origins) == 0:
            raise ValueError("history is too short for the global model: it needs at least 28 days + horizon")
        n = len(arrays.category_codes)
        pairs_row = np.repeat(np.arange(n), len(origins))
        pairs_origin = np.tile(origins, n)
        started = ~np.isnan(arrays.demand[pairs_row, pairs_origin - 28])  # 28 days seen before the origin
        pairs_row, pairs_origin = pairs_row[started], pairs_origin[started]
        k = min(self.horizons_per_origin, self.horizon)
        budget = max(self.max_rows // k, 1)
        if len(pairs_row) > budget:
            keep = np.sort(rng.choice(len(pairs_row), budget, replace=False))
            pairs_row, pairs_origin = pairs_row[keep], pairs_origin[keep]
        ahead = np.argsort(rng.random((len(pairs_row), self.horizon)), axis=1)[:, :k]
        rows = np.repeat(pairs_row, k)
        origin = np.repeat(pairs_origin, k)
        target = origin + ahead.ravel()
        y = arrays.demand[rows, target]
        usable = ~np.isnan(y) & (arrays.in_stock[rows, target] > 0)  # a stock-out's zero is not demand
        return rows[usable], origin[usable], target[usable], y[usable]

    def _model(self):
        import lightgbm

        return lightgbm.LGBMRegressor(
            objective=self.objective,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
            verbose=-1,
        )

    def _fit_on(self, arrays: SeriesArrays, last_target: int, rng: np.random.Generator):
        rows, origin, target, y = self._training_rows(arrays, last_target, rng)
        X = pd.DataFrame(arrays.features(rows, origin, target))
        model = self._model().fit(X, y, categorical_feature=["category"])
        return model, list(X.columns)

    def _fit_matrix(self, values: np.ndarray, history: pd.DataFrame) -> None:
        rng = np.random.default_rng(self.random_state)
        self.categories_ = sorted(history[CATEGORY].astype(str).unique()) if CATEGORY in history.columns else ["all"]
        n_days = len(self.days_)
        if n_days < 2 * self.horizon + 28:
            raise ValueError(
                f"history: the global model needs at least 2 x horizon + 28 = {2 * self.horizon + 28} days "
                f"(a validation window, a training window and 28 days of lags), got {n_days}"
            )
        arrays = self._arrays(history, None, 0)
        # Validation: train without the last `horizon` days, forecast them from their origin, fit the dispersion.
        val_origin = n_days - self.horizon
        model, _ = self._fit_on(arrays, val_origin, rng)
        rows = np.repeat(np.arange(len(values)), self.horizon)
        target = np.tile(np.arange(val_origin, n_days), len(values))
        origin = np.full(len(rows), val_origin)
        y = arrays.demand[rows, target]
        usable = ~np.isnan(y) & (arrays.in_stock[rows, target] > 0)
        mu = model.predict(pd.DataFrame(arrays.features(rows[usable], origin[usable], target[usable])))
        self.mean_bins_, self.dispersion_ = self._dispersion(y[usable], np.maximum(mu, 0.0))
        self.model_, self.feature_names_ = self._fit_on(arrays, n_days, rng)
        self.history_ = history

    @staticmethod
    def _dispersion(y: np.ndarray, mu: np.ndarray, n_bins: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """NB size per quartile of the predicted mean (bin edges and sizes), by maximum likelihood."""
        edges = np.unique(np.quantile(mu, np.linspace(0, 1, n_bins + 1)[1:-1]))
        bins = np.searchsorted(edges, mu, side="right")
        sizes = np.array([_nb_dispersion(y[bins == b], mu[bins == b]) for b in range(len(edges) + 1)])
        return edges, sizes

    # --- forecasting --------------------------------------------------------------------------------------
    def _predict_matrix(self, horizon, dates, future):
        if horizon > self.horizon:
            raise ValueError(
                f"horizon ({horizon}) must not exceed the horizon the model was trained for ({self.horizon})"
            )
        if future is not None:
            future = future[future[SERIES_ID].isin(self.series_ids_) & future[DATE].isin(dates)]
        arrays = self._arrays(self.history_, future, horizon)
        n = len(self.series_ids_)
        n_days = len(self.days_)
        rows = np.repeat(np.arange(n), horizon)
        target = np.tile(np.arange(n_days, n_days + horizon), n)
        X = pd.DataFrame(arrays.features(rows, np.full(len(rows), n_days), target))[self.feature_names_]
        mean = np.maximum(self.model_.predict(X), 0.0)
        size = self.dispersion_[np.searchsorted(self.mean_bins_, mean, side="right")]
        variance = mean + mean**2 / size
        if self.point == "median":
            from shopcase.demand.distribution import count_quantiles

            mean = count_quantiles(mean, variance, (0.5,))[..., 0]
        return mean.reshape(n, horizon), variance.reshape(n, horizon)

    @property
    def feature_importances_(self) -> pd.Series:
        """Split gain per feature, as shares summing to 1."""
        gain = self.model_.booster_.feature_importance(importance_type="gain")
        return pd.Series(gain / gain.sum(), index=self.feature_names_).sort_values(ascending=False)
