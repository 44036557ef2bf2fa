"""Plots of churn models (notebook 05): the label timeline, calibration and importance."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style

apply_style()


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
