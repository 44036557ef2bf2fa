"""Plots of recommenders and their evaluation (notebooks 02-04): cost curves, metrics with intervals, trade-offs.

Axis labels are words, not column names (``label("ndcg_at_k", k=10)`` is ``"NDCG@10"``), and models get a
qualitative palette (one distinct colour each, in the order they first appear) so that no two look alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from shopcase.plots._style import apply_style

apply_style()

LABELS: dict[str, str] = {
    "precision_at_k": "precision@{k}",
    "recall_at_k": "recall@{k}",
    "ndcg_at_k": "NDCG@{k}",
    "map_at_k": "MAP@{k}",
    "map_all_relevant_at_k": "MAP@{k} (/ all relevant)",
    "hit_rate_at_k": "hit rate@{k}",
    "mrr_at_k": "MRR@{k}",
    "catalogue_coverage": "catalogue coverage (share of items)",
    "novelty": "novelty (bits)",
    "intra_list_diversity": "intra-list diversity",
    "average_popularity": "average popularity (buyers per item)",
    "k_neighbors": "neighbours per item (K)",
    "shrinkage": "shrinkage",
    "k": "list length K",
}
"""Readable axis labels for the columns the evaluation tables use."""


def label(column: str, k: int | str = "K") -> str:
    """The words for a column on an axis, e.g. ``label("ndcg_at_k", 10) == "NDCG@10"``."""
    return LABELS.get(column, column.replace("_", " ")).format(k=k)


def model_palette(names: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """One distinct colour per name (seaborn's qualitative ``tab10``), in order of first appearance."""
    names = list(dict.fromkeys(names))
    return dict(zip(names, sns.color_palette("tab10", n_colors=max(len(names), 1)), strict=False))


def _plain_numbers(axis: object) -> None:
    """Tick labels as plain numbers (0.5, 1, 10) rather than powers of ten."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _log_ticks(axis: object, values: Sequence[float]) -> None:
    """A log axis with a tick at each measured value, labelled plainly (e.g. 500, 1000, 2000)."""
    axis.set_major_locator(FixedLocator(sorted(set(values))))
    axis.set_minor_locator(NullLocator())
    _plain_numbers(axis)


def scaling_curves(table: pd.DataFrame) -> plt.Figure:
    """Seconds and peak memory against users on log-log axes, one line per model (``scaling_curve`` output).

    On log-log axes a straight line of slope 1 is linear growth and slope 2 is quadratic; a dotted grey line of
    each slope through the first point of the slowest-growing model is drawn for reference.
    """
    palette = model_palette(table["model"])
    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(10.5, 4))
    for name, rows in table.groupby("model", sort=False):
        ax_time.plot(rows["users"], rows["seconds"], marker="o", label=name, color=palette[name])
        ax_mem.plot(rows["users"], rows["peak_mb"], marker="o", label=name, color=palette[name])
    users = np.sort(table["users"].unique()).astype(float)
    for ax, column in ((ax_time, "seconds"), (ax_mem, "peak_mb")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        first = table[table["users"] == users[0]][column].max()
        for slope, style in ((1, ":"), (2, "--")):
            ax.plot(users, first * (users / users[0]) ** slope, style, color="grey", linewidth=1, zorder=0)
        _log_ticks(ax.xaxis, users)
        _plain_numbers(ax.yaxis)
    ax_time.set(xlabel="users", ylabel="seconds: fit + top-10 for every user", title="Time")
    ax_mem.set(xlabel="users", ylabel="peak traced memory (MiB)", title="Memory (grey: slope 1 and 2)")
    ax_time.legend()
    fig.tight_layout()
    return fig


def metric_lines(
    table: pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    logx: bool = False,
    title: str = "",
    k: int | str = "K",
    interval: tuple[str, str] | None = None,
) -> plt.Figure:
    """``y`` against ``x`` from a tidy table, one line per value of ``hue``, with an optional interval band.

    ``interval``: the names of the lower and upper columns (e.g. ``("ndcg_at_k_low", "ndcg_at_k_high")``),
    drawn as a shaded band around each line. ``k`` fills ``@K`` in the axis labels.
    """
    fig, ax = plt.subplots(figsize=(6.5, 4))
    groups = table.groupby(hue, sort=False) if hue else [(None, table)]
    colours = model_palette([str(name) for name, _ in groups]) if hue else {None: sns.color_palette()[0]}
    for name, rows in groups:
        rows = rows.sort_values(x)
        colour = colours[str(name) if hue else None]
        ax.plot(rows[x], rows[y], marker="o", color=colour, label=f"{name}" if hue else None)
        if interval:
            ax.fill_between(rows[x], rows[interval[0]], rows[interval[1]], color=colour, alpha=0.15, linewidth=0)
    if logx:
        ax.set_xscale("log")
        _log_ticks(ax.xaxis, table[x].astype(float))
    ax.set(xlabel=label(x, k), ylabel=label(y, k), title=title)
    if hue:
        ax.legend(title=label(hue, k))
    fig.tight_layout()
    return fig


def model_intervals(table: pd.DataFrame, title: str = "", k: int | str = "K") -> plt.Figure:
    """Each model's mean with its interval and, with a baseline, its gap from the baseline (``compare_models``).

    Left: the metric per model (dot and whisker). Right (when the table has ``difference``): model minus
    baseline with its paired interval; a whisker that crosses the dashed zero line is within noise.
    """
    has_gap = "difference" in table.columns
    fig, axes = plt.subplots(1, 2 if has_gap else 1, figsize=(10.5 if has_gap else 6, 0.45 * len(table) + 1.6))
    axes = np.atleast_1d(axes)
    palette = model_palette(table["model"])
    position = np.arange(len(table))[::-1]
    metric = label(str(table["metric"].iloc[0]), k)
    panels = [("value", "low", "high", metric)]
    if has_gap:
        panels.append(
            ("difference", "difference_low", "difference_high", f"{metric} minus {table['baseline'].iloc[0]}")
        )
    for ax, (centre, low, high, name) in zip(axes, panels, strict=True):
        errors = np.vstack([table[centre] - table[low], table[high] - table[centre]])
        for i, (_, row) in enumerate(table.iterrows()):
            ax.errorbar(row[centre], position[i], xerr=errors[:, i : i + 1], fmt="o", color=palette[row["model"]])
        ax.set_yticks(position, table["model"] if ax is axes[0] else [""] * len(table))
        ax.set_xlabel(name)
    if has_gap:
        axes[1].axvline(0, color="black", linestyle="--", linewidth=1)
        axes[1].set_title(f"gap from {table['baseline'].iloc[0]} (paired)")
    confidence = "95%" if "confidence" not in table.columns else f"{table['confidence'].iloc[0]:.0%}"
    axes[0].set_title(title or f"{metric} with {confidence} bootstrap intervals over users")
    fig.tight_layout()
    return fig


def metrics_by_k(
    table: pd.DataFrame, metrics: Sequence[str] = ("precision_at_k", "recall_at_k", "ndcg_at_k")
) -> plt.Figure:
    """One panel per metric against K, one line per model with its interval band (``compare_models(..., by="k")``
    stacked over ``metrics``: columns ``k, model, metric, value, low, high``)."""
    palette = model_palette(table["model"])
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.8), sharex=True)
    for ax, metric in zip(np.atleast_1d(axes), metrics, strict=True):
        rows = table[table["metric"] == metric]
        for name, line in rows.groupby("model", sort=False):
            ax.plot(line["k"], line["value"], marker="o", color=palette[name], label=name)
            ax.fill_between(line["k"], line["low"], line["high"], color=palette[name], alpha=0.15, linewidth=0)
        ax.set_xscale("log")
        _log_ticks(ax.xaxis, rows["k"].astype(float))
        ax.set(xlabel="list length K", ylabel=label(metric), title=label(metric))
    np.atleast_1d(axes)[-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def tradeoff(
    table: pd.DataFrame,
    x: str,
    y: str,
    label_column: str = "model",
    title: str = "",
    k: int | str = "K",
    interval: pd.DataFrame | None = None,
) -> plt.Figure:
    """Scatter of ``y`` against ``x``, one labelled point per row (e.g. accuracy vs coverage).

    ``interval``: a ``compare_models`` table of ``y`` (columns ``model, low, high``) drawn as vertical whiskers.
    """
    palette = model_palette(table[label_column])
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    bounds = interval.set_index("model") if interval is not None else None
    for _, row in table.iterrows():
        name = row[label_column]
        if bounds is not None and name in bounds.index:
            low, high = bounds.loc[name, "low"], bounds.loc[name, "high"]
            ax.errorbar(row[x], row[y], yerr=[[row[y] - low], [high - row[y]]], fmt="o", color=palette[name], ms=7)
        else:
            ax.scatter(row[x], row[y], s=50, color=palette[name])
        ax.annotate(str(name), (row[x], row[y]), textcoords="offset points", xytext=(6, 4), fontsize=9)
    ax.set(xlabel=label(x, k), ylabel=label(y, k), title=title)
    fig.tight_layout()
    return fig
