"""Plots of recommenders and their evaluation (notebooks 02-04): cost curves, metrics by K, trade-offs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style

apply_style()


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
