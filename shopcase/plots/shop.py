"""Plots of the shop itself (notebook 01): popularity, activity over time, category mix, order values, funnel."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style
from shopcase.schema import CATEGORY, EVENT_TYPE, ITEM_ID, ORDER_ID, PURCHASE, QUANTITY, TIMESTAMP, UNIT_PRICE

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


def events_over_time(events: pd.DataFrame, freq: str = "W") -> plt.Figure:
    """Events per period, one line per event type (log scale: views dwarf purchases)."""
    counts = events.groupby([pd.Grouper(key=TIMESTAMP, freq=freq), EVENT_TYPE], observed=True).size()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    counts.unstack(EVENT_TYPE).plot(ax=ax, logy=True)
    ax.set_xlabel("")
    ax.set_ylabel(f"events per {freq}")
    ax.set_title("Events over time")
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
        lines = events[events[EVENT_TYPE].astype(str) == PURCHASE]
        value = (lines[QUANTITY] * lines[UNIT_PRICE]).groupby(lines[ORDER_ID]).sum()
        sns.histplot(value, ax=ax, bins=60, log_scale=True, stat="density", element="step", fill=False, label=name)
    ax.set_xlabel("order value (currency units)")
    ax.set_title("Order value")
    ax.legend()
    fig.tight_layout()
    return fig


def funnel_chart(funnel_table: pd.DataFrame) -> plt.Figure:
    """Bars of sessions per funnel step, annotated with conversion from the previous step."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(funnel_table["step"], funnel_table["sessions"], color=sns.color_palette()[:3])
    for i, row in funnel_table.iterrows():
        label = f"{row['sessions']:,}"
        if pd.notna(row["conversion_from_previous"]):
            label += f"\n({row['conversion_from_previous']:.0%} of previous)"
        ax.annotate(label, (i, row["sessions"]), ha="center", va="bottom")
    ax.set_ylabel("sessions")
    ax.set_ylim(0, funnel_table["sessions"].max() * 1.25)
    ax.set_title("Funnel: view -> cart -> purchase")
    fig.tight_layout()
    return fig
