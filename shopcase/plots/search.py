"""Plots of search (notebook 07): position bias, rankers with intervals, NDCG by query kind, features."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style

apply_style()


def click_bias(table: pd.DataFrame) -> plt.Figure:
    """Click rate and true relevance by position (``search.position_table``), logged vs randomised pages."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    colours = sns.color_palette()
    pos = table["position"]
    left.plot(pos, table["ctr_logged"], marker="o", color=colours[0], label="click rate, logged pages")
    left.plot(pos, table["ctr_randomised"], marker="s", color=colours[1], label="click rate, randomised pages")
    twin = left.twinx()
    twin.plot(pos, table["relevance_logged"], linestyle="--", color=colours[0], label="true relevance, logged")
    twin.plot(pos, table["relevance_randomised"], linestyle="--", color=colours[1], label="true relevance, random")
    twin.set_ylim(0, max(1.0, float(table[["relevance_logged", "relevance_randomised"]].max().max()) * 1.2))
    twin.set_ylabel("mean true relevance (dashed)")
    twin.grid(False)
    left.set(xlabel="position on the page", ylabel="click rate", title="Clicks fall with position; relevance does not")
    handles = left.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    left.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="upper right")
    right.plot(pos, table["examination"], marker="o", color="grey", label="true examination k^-eta")
    right.plot(pos, table["propensity"], marker="s", color=colours[2], label="estimated from randomised pages")
    right.set(
        xlabel="position on the page", ylabel="propensity (position 1 = 1)", title="Position bias", ylim=(0, 1.05)
    )
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ranker_gains(table: pd.DataFrame, baseline: str, metric: str = "ndcg", goal: float | None = None) -> plt.Figure:
    """Relative gain over ``baseline`` with its interval, one bar per ranker (``RankerComparison.table``)."""
    shown = table[table["ranker"] != baseline]
    gain = shown[f"{metric}_gain"].to_numpy() * 100
    err = np.vstack([gain - shown[f"{metric}_low"] * 100, shown[f"{metric}_high"] * 100 - gain])
    fig, ax = plt.subplots(figsize=(6, 0.6 * len(shown) + 1.6))
    ax.barh(shown["ranker"], gain, xerr=err, color=sns.color_palette()[: len(shown)], capsize=4)
    ax.axvline(0, color="black", linewidth=1)
    if goal is not None:
        ax.axvline(goal * 100, color="grey", linestyle="--", label=f"goal +{goal:.0%}")
        ax.legend(fontsize=8, loc="lower right")
    names = {"ndcg": "NDCG@10", "rr": "MRR@10", "clicked": "click-through", "purchased": "purchase rate"}
    ax.set(xlabel=f"{names.get(metric, metric)} gain over {baseline} (%), 95% interval", title="Against the truth")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def ndcg_by_kind(by_kind: pd.DataFrame) -> plt.Figure:
    """Mean NDCG per query kind (rows) and ranker (columns): where each ranker fails."""
    long = by_kind.rename_axis("kind").reset_index().melt(id_vars="kind", var_name="ranker", value_name="ndcg")
    fig, ax = plt.subplots(figsize=(8, 3.8))
    sns.barplot(long, x="kind", y="ndcg", hue="ranker", ax=ax)
    ax.set(xlabel="query kind", ylabel="NDCG@10", title="Where each ranker stands, by what users typed")
    ax.tick_params(axis="x", rotation=25)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def feature_gain(importances: dict[str, pd.Series]) -> plt.Figure:
    """Share of each model's total split gain per feature (``Reranker.feature_importances_``), side by side."""
    frame = pd.DataFrame({name: s / s.sum() for name, s in importances.items()}).fillna(0.0)
    frame = frame.loc[frame.max(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(frame) + 1.4))
    frame.plot.barh(ax=ax, width=0.8)
    ax.set(xlabel="share of the model's split gain", ylabel="", title="What each re-ranker relies on")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
