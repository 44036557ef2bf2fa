"""Plots of demand (notebook 08): its seasons, forecasts against what sold, stock against cost, prices learned."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style

apply_style()

_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def demand_shape(series: pd.DataFrame, reference: pd.Series | None = None, label: str = "Online Retail") -> plt.Figure:
    """Units sold per day (with a 28-day mean) and each weekday's share, beside ``reference`` shares (Mon first)."""
    daily = series.groupby("date")["demand"].sum()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [2.2, 1]})
    left.plot(daily.index, daily.to_numpy(), linewidth=0.6, color="lightgrey", label="units per day")
    left.plot(daily.index, daily.rolling(28, center=True).mean(), color=sns.color_palette()[0], label="28-day mean")
    left.set(xlabel="", ylabel="units sold", title="Daily demand: a weekly rhythm and a year-end season")
    left.legend(fontsize=8)
    share = daily.groupby(daily.index.day_of_week).mean()
    share = share / share.sum()
    x = np.arange(7)
    right.bar(x - 0.2, share.reindex(range(7)).to_numpy(), width=0.4, label="generated shop")
    if reference is not None:
        right.bar(x + 0.2, reference.to_numpy(), width=0.4, label=label)
    right.set_xticks(x, _WEEKDAYS)
    right.set(ylabel="share of units", title="Weekday shares")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def forecast_examples(
    forecasts: pd.DataFrame, history: pd.DataFrame, series_ids: list, models: list[str], days: int = 56
) -> plt.Figure:
    """Actual demand (last ``days`` of history and the forecast days) and each model's forecast, per series.

    The first model's 90% quantile is shaded (when the forecasts have ``q0.9``).
    """
    fig, axes = plt.subplots(1, len(series_ids), figsize=(4.2 * len(series_ids), 3.4), sharey=False, squeeze=False)
    colours = sns.color_palette()
    for ax, sid in zip(axes[0], series_ids, strict=True):
        mine = forecasts[forecasts["series_id"] == sid]
        start = mine["date"].min() - pd.Timedelta(days=days)
        seen = history[(history["series_id"] == sid) & (history["date"] >= start)]
        ax.plot(seen["date"], seen["demand"], color="black", linewidth=0.8, label="actual")
        for colour, model in zip(colours, models, strict=False):
            rows = mine[mine["model"] == model]
            ax.plot(rows["date"], rows["forecast"], color=colour, label=model)
            if model == models[0] and "q0.9" in rows.columns:
                ax.fill_between(rows["date"], 0, rows["q0.9"], color=colour, alpha=0.15, label=f"{model} 90% quantile")
        ax.axvline(mine["date"].min(), color="grey", linestyle=":")
        ax.set(title=f"item {sid}", ylabel="units")
        ax.tick_params(axis="x", rotation=30)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def metric_by_band(table: pd.DataFrame, metric: str = "mase") -> plt.Figure:
    """One bar per model and popularity band (``Backtest.metrics(by_band=True)``): lower is better."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    sns.barplot(table, x="band", y=metric, hue="model", ax=ax)
    ax.axhline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="items by units sold before the test", ylabel=metric.upper(), title=f"{metric.upper()} by popularity")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def inventory_tradeoff(naive: pd.DataFrame, policies: pd.DataFrame) -> plt.Figure:
    """Holding cost against fill rate: the naive rule's curve (``cover`` varied) and the forecast policies.

    ``naive``: ``fill_rate, holding_cost`` rows; ``policies``: ``label, target, fill_rate, holding_cost``.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    ordered = naive.sort_values("fill_rate")
    ax.plot(
        ordered["fill_rate"] * 100,
        ordered["holding_cost"],
        marker="o",
        color="grey",
        label="naive: cover x recent mean",
    )
    for colour, (label, rows) in zip(sns.color_palette(), policies.groupby("label", sort=False), strict=False):
        ax.plot(rows["fill_rate"] * 100, rows["holding_cost"], marker="s", linestyle="", color=colour, label=label)
        for row in rows.itertuples():
            ax.axvline(row.target * 100, color=colour, linestyle=":", linewidth=0.8)
    ax.set(xlabel="fill rate (%) (dotted: targets)", ylabel="holding cost", title="Stock against service")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def regret_curves(result: object) -> plt.Figure:
    """Cumulative regret of Thompson sampling and of the fixed price (``PricingResult``), against the oracle."""
    days = np.arange(1, len(result.cumulative_regret) + 1)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot(days, result.cumulative_regret, label="Thompson sampling")
    ax.plot(days, result.cumulative_fixed_regret, label="fixed price (list price)", color="grey")
    ax.set(xlabel="day", ylabel="expected profit lost vs the oracle", title="Regret: learning pays back")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def profit_curves(arms: pd.DataFrame) -> plt.Figure:
    """Expected profit per day at each price point, per group, relative to list price; the oracle marked."""
    table = arms.pivot(index="multiplier", columns="group", values="expected_profit")
    relative = table / table.loc[1.0] if 1.0 in table.index else table / table.mean()
    fig, ax = plt.subplots(figsize=(7, 4))
    for group in relative.columns:
        ax.plot(relative.index, relative[group], marker=".", label=group)
    best = arms[arms["oracle"]]
    ax.scatter(
        best["multiplier"],
        [relative.loc[m, g] for m, g in zip(best["multiplier"], best["group"], strict=True)],
        color="black",
        zorder=5,
        label="oracle",
    )
    ax.axvline(1.0, color="grey", linestyle=":")
    ax.set(xlabel="price / list price", ylabel="expected profit / profit at list price", title="True profit curves")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
