"""The few plots the notebooks share, in one consistent style. Each returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

sns.set_theme(style="whitegrid", context="notebook")


def popularity_curves(events_by_shop: dict[str, pd.DataFrame]) -> plt.Figure:
    """Purchases per item against popularity rank, log-log, one line per shop (the long tail)."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, events in events_by_shop.items():
        lines = events[events["event_type"].astype(str) == "purchase"]
        counts = np.sort(lines.groupby("item_id").size().to_numpy())[::-1]
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
    counts = events.groupby([pd.Grouper(key="timestamp", freq=freq), "event_type"], observed=True).size()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    counts.unstack("event_type").plot(ax=ax, logy=True)
    ax.set_xlabel("")
    ax.set_ylabel(f"events per {freq}")
    ax.set_title("Events over time")
    fig.tight_layout()
    return fig


def category_mix(catalogue: pd.DataFrame, events: pd.DataFrame) -> plt.Figure:
    """Share of catalogue items and of purchase lines per category."""
    purchases = events[events["event_type"].astype(str) == "purchase"]
    category = catalogue.set_index("item_id")["category"]
    mix = pd.DataFrame(
        {
            "catalogue": catalogue["category"].value_counts(normalize=True),
            "purchases": category.reindex(purchases["item_id"]).value_counts(normalize=True),
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
        lines = events[events["event_type"].astype(str) == "purchase"]
        value = (lines["quantity"] * lines["unit_price"]).groupby(lines["order_id"]).sum()
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


def scaling_curves(table: pd.DataFrame) -> plt.Figure:
    """Seconds and peak memory against users, one line per model (``scaling_curve`` output)."""
    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, rows in table.groupby("model", sort=False):
        ax_time.plot(rows["users"], rows["seconds"], marker="o", label=name)
        ax_mem.plot(rows["users"], rows["peak_mb"], marker="o", label=name)
    ax_time.set(xlabel="users", ylabel="seconds: fit + top-10 for every user", yscale="log", title="Time")
    ax_mem.set(xlabel="users", ylabel="peak traced memory (MiB)", title="Memory")
    ax_time.legend()
    fig.tight_layout()
    return fig


def metric_lines(
    table: pd.DataFrame, x: str, y: str, hue: str | None = None, logx: bool = False, title: str = ""
) -> plt.Figure:
    """``y`` against ``x`` from a tidy table, one line per value of ``hue``."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    sns.lineplot(data=table, x=x, y=y, hue=hue, marker="o", ax=ax, palette="viridis" if hue else None)
    if logx:
        ax.set_xscale("log")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def tradeoff(table: pd.DataFrame, x: str, y: str, label: str = "model", title: str = "") -> plt.Figure:
    """Scatter of ``y`` against ``x``, one labelled point per row (e.g. accuracy vs coverage)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.scatter(table[x], table[y], s=60, color=sns.color_palette()[0])
    for _, row in table.iterrows():
        ax.annotate(str(row[label]), (row[x], row[y]), textcoords="offset points", xytext=(6, 4), fontsize=9)
    ax.set(xlabel=x, ylabel=y, title=title)
    fig.tight_layout()
    return fig


def churn_timeline(log_start: object, as_of: object, horizon_days: int, log_end: object) -> plt.Figure:
    """The churn label's definition as a picture: features before ``as_of``, label window after it."""
    start, cut, end = pd.Timestamp(log_start), pd.Timestamp(as_of), pd.Timestamp(log_end)
    label_end = cut + pd.Timedelta(days=horizon_days)
    fig, ax = plt.subplots(figsize=(9, 1.9))
    ax.barh(0, cut - start, left=start, height=0.5, color=sns.color_palette()[0], label="features: events before as_of")
    ax.barh(
        0,
        label_end - cut,
        left=cut,
        height=0.5,
        color=sns.color_palette()[3],
        label=f"label: any purchase in the next {horizon_days} days?",
    )
    if end > label_end:
        ax.barh(0, end - label_end, left=label_end, height=0.5, color="lightgrey", label="not used")
    ax.axvline(cut, color="black", linewidth=1.5)
    ax.annotate(f"as_of = {cut.date()}", (cut, 0.3), xytext=(4, 0), textcoords="offset points")
    ax.set_yticks([])
    ax.set_ylim(-0.5, 0.9)
    ax.legend(loc="upper left", ncol=3, fontsize=8, frameon=False, bbox_to_anchor=(0, 1.35))
    fig.tight_layout()
    return fig


def calibration(tables: dict[str, pd.DataFrame]) -> plt.Figure:
    """Observed vs predicted churn per bin (``calibration_table`` outputs), one line per model."""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    for name, table in tables.items():
        ax.plot(table["mean_predicted"], table["observed_rate"], marker="o", label=name)
    ax.set(
        xlabel="predicted P(churn), bin mean",
        ylabel="observed churn rate",
        xlim=(0, 1),
        ylim=(0, 1),
        title="Calibration",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def importance(table: pd.DataFrame, top: int = 10) -> plt.Figure:
    """Horizontal bars of permutation importance (``permutation_importance_table``), coloured by group."""
    shown = table.head(top).iloc[::-1]
    groups = list(dict.fromkeys(table["group"]))
    colours = dict(zip(groups, sns.color_palette(n_colors=len(groups)), strict=True))
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(shown) + 1.2))
    ax.barh(
        shown["feature"],
        shown["importance_mean"],
        xerr=shown["importance_std"],
        color=[colours[g] for g in shown["group"]],
    )
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[g]) for g in groups]
    ax.legend(handles, groups, fontsize=8, loc="lower right")
    ax.set(xlabel="drop in ROC-AUC when the feature is shuffled", title="What the model relies on")
    fig.tight_layout()
    return fig
