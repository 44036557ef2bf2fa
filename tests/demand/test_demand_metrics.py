"""forecast_metrics against a plain per-series oracle written here and against utilsforecast's losses."""

import numpy as np
import pandas as pd
import pytest
import utilsforecast.losses as uf

from shopcase.demand import forecast_metrics, series_metrics
from tests.demand.demand_data import synthetic_series

QUANTILES = (0.5, 0.9)


def _case(seed=0, leading_zeros=True, n_series=12, n_history=60, horizon=14):
    rng = np.random.default_rng(seed)
    full = synthetic_series(n_series=n_series, n_days=n_history + horizon, seed=seed, level=(0.3, 6))
    full["price"] = np.repeat(rng.uniform(1, 20, n_series), n_history + horizon)
    if leading_zeros:  # items that start selling late: their scale starts at the first sale (M5)
        first = pd.Timestamp("2023-01-01") + pd.Timedelta(days=10)
        late = full["series_id"].isin([1, 2, 3]) & (full["date"] < first)
        full.loc[late, "demand"] = 0.0
    else:
        full.loc[full["date"] == full["date"].min(), "demand"] += 1.0
    cut = full["date"].min() + pd.Timedelta(days=n_history)
    history, actuals = full[full["date"] < cut], full[full["date"] >= cut].copy()
    actuals["in_stock"] = (rng.random(len(actuals)) > 0.1).astype(float)
    forecasts = actuals[["series_id", "date"]].copy()
    forecasts["forecast"] = rng.gamma(2.0, 1.0, len(forecasts))
    for q in QUANTILES:
        forecasts[f"q{q:g}"] = np.round(forecasts["forecast"] * (0.5 + q))
    return history, actuals, forecasts


def _oracle(history, actuals, forecasts, season=7):
    """Every metric by its definition, one series at a time, in plain Python."""
    rows = {}
    weights = {}
    last = history["date"].max()
    for sid, h in history.groupby("series_id"):
        recent = h[h["date"] > last - pd.Timedelta(days=28)]
        weights[sid] = float((recent["demand"] * recent["price"]).sum())
    total = sum(weights.values())
    for sid, h in history.groupby("series_id"):
        y = h.sort_values("date")["demand"].tolist()
        first = next(i for i, v in enumerate(y) if v > 0)
        y = y[first:]
        mase_scale = np.mean([abs(y[t] - y[t - season]) for t in range(season, len(y))])
        rmsse_scale = np.mean([(y[t] - y[t - 1]) ** 2 for t in range(1, len(y))])
        abs_scale = np.mean([abs(y[t] - y[t - 1]) for t in range(1, len(y))])
        a = actuals[(actuals["series_id"] == sid) & (actuals["in_stock"] > 0)].merge(
            forecasts, on=["series_id", "date"]
        )
        e = (a["demand"] - a["forecast"]).to_numpy()
        losses = []
        for q in QUANTILES:
            eq = (a["demand"] - a[f"q{q:g}"]).to_numpy()
            losses.append(np.mean([max(q * v, (q - 1) * v) for v in eq]))
        pinball = np.mean(losses)
        rows[sid] = {
            "mase": np.mean(np.abs(e)) / mase_scale,
            "rmsse": np.sqrt(np.mean(e**2) / rmsse_scale),
            "pinball": pinball,
            "spl": pinball / abs_scale,
            "weight": weights[sid] / total,
        }
    table = pd.DataFrame(rows).T
    wrmsse = (table["weight"] * table["rmsse"]).sum() / table["weight"].sum()
    return table, wrmsse


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_a_plain_oracle(seed):
    history, actuals, forecasts = _case(seed)
    expected, wrmsse = _oracle(history, actuals, forecasts)
    got = series_metrics(actuals, forecasts, history).set_index("series_id")
    for column in ("mase", "rmsse", "pinball", "spl", "weight"):
        np.testing.assert_allclose(got[column], expected.loc[got.index, column], rtol=1e-10, err_msg=column)
    summary = forecast_metrics(actuals, forecasts, history).iloc[0]
    assert summary["wrmsse"] == pytest.approx(wrmsse, rel=1e-10)
    assert summary["mase"] == pytest.approx(expected["mase"].mean(), rel=1e-10)
    assert summary["n_series"] == len(expected)


def test_metrics_match_utilsforecast():
    history, actuals, forecasts = _case(5, leading_zeros=False)
    actuals = actuals.assign(in_stock=1.0)
    got = series_metrics(actuals, forecasts, history).set_index("series_id")
    train = history.rename(columns={"series_id": "unique_id", "date": "ds", "demand": "y"})
    df = actuals.merge(forecasts, on=["series_id", "date"]).rename(
        columns={"series_id": "unique_id", "date": "ds", "demand": "y"}
    )
    mase = uf.mase(df, ["forecast"], seasonality=7, train_df=train).set_index("unique_id")["forecast"]
    rmsse = uf.rmsse(df, ["forecast"], seasonality=1, train_df=train).set_index("unique_id")["forecast"]
    np.testing.assert_allclose(got["mase"], mase.loc[got.index], rtol=1e-10)
    np.testing.assert_allclose(got["rmsse"], rmsse.loc[got.index], rtol=1e-10)
    pinball = np.mean(
        [uf.quantile_loss(df, {"m": f"q{q:g}"}, q=q).set_index("unique_id")["m"].loc[got.index] for q in QUANTILES],
        axis=0,
    )
    np.testing.assert_allclose(got["pinball"], pinball, rtol=1e-10)


def test_properties_perfect_forecast_scale_free_and_bands():
    history, actuals, forecasts = _case(3)
    actuals = actuals.assign(in_stock=1.0)
    perfect = forecasts.drop(columns=["forecast"]).merge(actuals[["series_id", "date", "demand"]])
    perfect = perfect.rename(columns={"demand": "forecast"})
    assert forecast_metrics(actuals, perfect, history)[["mase", "rmsse"]].to_numpy().max() == 0
    base = series_metrics(actuals, forecasts, history)
    scaled = series_metrics(
        actuals.assign(demand=actuals["demand"] * 10),
        forecasts.assign(
            forecast=forecasts["forecast"] * 10, **{f"q{q:g}": forecasts[f"q{q:g}"] * 10 for q in QUANTILES}
        ),
        history.assign(demand=history["demand"] * 10),
    )
    np.testing.assert_allclose(base[["mase", "rmsse", "spl"]], scaled[["mase", "rmsse", "spl"]], rtol=1e-10)
    bands = pd.Series(
        np.where(history.groupby("series_id")["demand"].sum() > 100, "fast", "slow"),
        index=sorted(history["series_id"].unique()),
    )
    by_band = forecast_metrics(actuals, forecasts, history, bands=bands)
    assert set(by_band["band"]) == {"fast", "slow"} and by_band["n_series"].sum() == 12


def test_a_constant_history_has_no_scale_and_is_counted_apart():
    history, actuals, forecasts = _case(4, leading_zeros=False)
    history.loc[history["series_id"] == 7, "demand"] = 2.0
    table = forecast_metrics(actuals, forecasts, history).iloc[0]
    assert table["n_unscaled"] == 1 and table["n_series"] == 11


def test_bad_forecasts_are_refused():
    history, actuals, forecasts = _case(6)
    with pytest.raises(ValueError, match="have no forecast"):
        series_metrics(actuals, forecasts.iloc[5:], history)
    with pytest.raises(ValueError, match="NaN"):
        series_metrics(actuals, forecasts.assign(forecast=np.nan), history)
    with pytest.raises(ValueError, match="season must be a positive integer"):
        series_metrics(actuals, forecasts, history, season=0)
    with pytest.raises(ValueError, match="demand.*negative"):
        series_metrics(actuals.assign(demand=-1.0), forecasts, history)
