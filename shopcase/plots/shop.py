"""Plots of the shop itself (notebook 01): popularity, the trading calendar, category mix, order values, funnel."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from shopcase.data.describe import order_totals
from shopcase.plots._style import apply_style
from shopcase.schema import CATEGORY, EVENT_TYPE, ITEM_ID, ORDER_ID, PURCHASE, TIMESTAMP, USER_ID

apply_style()


def popularity_curves(events_by_shop: dict[str, pd.DataFrame]) -> plt.Figure:
    """Purchases per item against popularity rank, log-log, one line per shop (the long tail)."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, events in events_by_shop.items():
        lines = events[events[EVENT_TYPE].astype(str) == PURCHASE]
        counts = np.sort(lines.groupby(ITEM_ID).size().to_numpy())[::-1]
        ranks = np.arange(1, len(counts) + 1)
        ax.loglog(ranks / len(counts), counts / counts.sum(), label=f"{name} ({len(counts):,} items)")
    ax.set_xlabel("item popularity rank (share of items sold)")
    ax.set_ylabel("share of purchase lines")
    ax.set_title("Item popularity: a long tail")
    ax.legend()
    fig.tight_layout()
    return fig


def events_over_time(events: pd.DataFrame) -> plt.Figure:
    """Events per day, week by week, one line per event type (log scale: views dwarf purchases).

    Per *day* so that a week the log only partly covers (its first and last) is not drawn as a dip.
    """
    day = events[TIMESTAMP].dt.normalize()
    week = day.dt.to_period("W").dt.start_time
    counts = events.groupby([week.rename("week"), events[EVENT_TYPE].astype(str)]).size().unstack(EVENT_TYPE)
    days_logged = day.groupby(week.rename("week")).nunique()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    counts.div(days_logged, axis=0).plot(ax=ax, logy=True)
    ax.set(xlabel="week", ylabel="events per day (log scale)", title="Events over time")
    ax.legend(title="event type")
    fig.tight_layout()
    return fig


def trading_calendar(events_by_shop: dict[str, pd.DataFrame]) -> plt.Figure:
    """When orders happen, shop beside shop: orders per day by week of the year relative to each shop's
    January-August mean (left), and the share of orders on each weekday (right).

    Weeks are calendar weeks (Monday first) of each shop's own year; a week only partly in the log is averaged
    over the days it has, so it is not drawn as a dip. Order times are each order's first purchase line.
    """
    fig, (ax_year, ax_week) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    shares = {}
    for name, events in events_by_shop.items():
        lines = events[events[EVENT_TYPE].astype(str) == PURCHASE]
        placed = lines.groupby([USER_ID, ORDER_ID], sort=False)[TIMESTAMP].min().dt.normalize()
        per_day = placed.value_counts().sort_index()
        per_day = per_day.reindex(pd.date_range(per_day.index.min(), per_day.index.max()), fill_value=0)
        base = per_day[per_day.index.month <= 8].mean()
        # the last 52 weeks of the log, so that two years' Decembers are not averaged together
        recent = per_day[per_day.index > per_day.index.max() - pd.Timedelta(weeks=52)]
        weekly = recent.groupby(recent.index.to_period("W").start_time).mean() / base
        # by day of the year, so that a log starting in December (Online Retail) reads January to December
        weekly.index = weekly.index.dayofyear
        weekly = weekly.sort_index()
        ax_year.plot(weekly.index.to_numpy(), weekly.to_numpy(), marker=".", label=name)
        shares[name] = per_day.groupby(per_day.index.day_of_week).mean().reindex(range(7), fill_value=0.0)
        shares[name] /= shares[name].sum()
    months = pd.date_range("2001-01-01", periods=12, freq="MS")
    ax_year.set_xticks(months.dayofyear, months.strftime("%b"))
    ax_year.axhline(1, color="grey", linewidth=1, linestyle="--")
    ax_year.set(
        xlabel="week of the year",
        ylabel="orders per day / Jan-Aug mean",
        title="Season: orders per day, week by week",
    )
    ax_year.legend()
    mix = pd.DataFrame(shares)
    mix.index = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    mix.plot.bar(ax=ax_week, rot=0, legend=False)
    ax_week.set(xlabel="", ylabel="share of orders", title="Weekdays")
    fig.tight_layout()
    return fig


def category_mix(catalogue: pd.DataFrame, events: pd.DataFrame) -> plt.Figure:
    """Share of catalogue items and of purchase lines per category."""
    purchases = events[events[EVENT_TYPE].astype(str) == PURCHASE]
    category = catalogue.set_index(ITEM_ID)[CATEGORY]
    mix = pd.DataFrame(
        {
            "catalogue": catalogue[CATEGORY].value_counts(normalize=True),
            "purchases": category.reindex(purchases[ITEM_ID]).value_counts(normalize=True),
        }
    ).sort_values("purchases")
    fig, ax = plt.subplots(figsize=(6.5, 4))
    mix.plot.barh(ax=ax)
    ax.set_xlabel("share")
    ax.set_title("Category mix: what is on sale vs what sells")
    fig.tight_layout()
    return fig


def order_values(events_by_shop: dict[str, pd.DataFrame]) -> plt.Figure:
    """Distribution of order value (sum of quantity x unit price per order), log x axis."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, events in events_by_shop.items():
        sns.histplot(
            order_totals(events), ax=ax, bins=60, log_scale=True, stat="density", element="step", fill=False, label=name
        )
    ax.set_xlabel("order value (currency units)")
    ax.set_title("Order value")
    ax.legend()
    fig.tight_layout()
    return fig
