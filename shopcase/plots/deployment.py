"""Plots of deployment (notebook 09): what the business rules change, and the service's latency."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style

apply_style()


def rules_effect(before: pd.Series, after: pd.Series, cap: int | None) -> plt.Figure:
    """Histogram of items from each list's most frequent category, before and after the rules.

    ``before`` / ``after``: one value per user, e.g. ``serve.rules.category_concentration`` of the lists.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    top = int(max(before.max(), after.max()))
    bins = np.arange(1, top + 2) - 0.5
    colours = sns.color_palette()[:2]
    for colour, name, values in zip(colours, ("model's ranking", "after the rules"), (before, after), strict=True):
        ax.hist(values, bins=bins, alpha=0.6, color=colour, label=name)
    if cap is not None:
        ax.axvline(cap + 0.5, color="black", linestyle="--", label=f"at most {cap} per category")
    ax.set(
        xlabel="items from the list's most frequent category",
        ylabel="users",
        title="The category cap spreads each homepage",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def latency_histogram(ms: np.ndarray, goal_ms: float | None = None, title: str = "") -> plt.Figure:
    """Histogram of request latencies (milliseconds) with p50 and p99 marked, and a goal if given."""
    ms = np.asarray(ms, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    upper = float(np.percentile(ms, 99.5)) * 1.2
    ax.hist(np.clip(ms, 0, upper), bins=40, color=sns.color_palette()[0], alpha=0.8)
    for q, style in ((50, "-"), (99, "--")):
        value = float(np.percentile(ms, q))
        ax.axvline(value, color="black", linestyle=style, label=f"p{q} {value:.1f} ms")
    if goal_ms is not None:
        ax.axvline(goal_ms, color="red", linestyle=":", label=f"goal p99 {goal_ms:g} ms")
    ax.set(xlabel="latency per request (ms), one request at a time", ylabel="requests", title=title or "Latency")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
