"""Plots of experiments and conversion (notebook 06): funnel, calibration, lifts with the truth, power, peeking."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style

apply_style()


def funnel_steps(table: pd.DataFrame, by: str | None = None) -> plt.Figure:
    """Share of sessions reaching each step (``experiments.funnel``), one bar group per segment."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    if by is None:
        ax.bar(table["step"], table["session_conversion"], color=sns.color_palette()[:3])
        for x, (share, drop) in enumerate(zip(table["session_conversion"], table["drop_off"], strict=True)):
            label = f"{share:.1%}" + (f"\n(-{drop:.0%} from previous)" if x else "")
            ax.annotate(label, (x, share), ha="center", va="bottom", fontsize=8)
    else:
        sns.barplot(table, x="step", y="session_conversion", hue=by, ax=ax)
        ax.legend(fontsize=7, ncol=2)
    ax.set(ylabel="share of sessions reaching the step", xlabel="", title="Where the funnel leaks", yscale="log")
    fig.tight_layout()
    return fig


def calibration_curve(table: pd.DataFrame, title: str = "Calibration out of time") -> plt.Figure:
    """Observed vs predicted purchase rate per bin (a ``calibration_table``)."""
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.plot(table["mean_predicted"], table["observed_rate"], marker="o", label="conversion model")
    ax.set(xlabel="predicted P(purchase), bin mean", ylabel="observed purchase rate", xlim=(0, 1), ylim=(0, 1),
           title=title)  # fmt: skip
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def estimates_with_truth(
    table: pd.DataFrame, label: str, estimate: str = "estimate", truth: str = "true_effect", xlabel: str = ""
) -> plt.Figure:
    """One row per ``label``: the estimate with its interval (``ci_low``, ``ci_high``) and the simulator's truth."""
    fig, ax = plt.subplots(figsize=(7, 0.55 * len(table) + 1.6))
    y = np.arange(len(table))
    err = np.vstack([table[estimate] - table["ci_low"], table["ci_high"] - table[estimate]])
    ax.errorbar(table[estimate], y, xerr=err, fmt="o", capsize=4, label="estimate, 95% interval")
    ax.scatter(table[truth], y, marker="x", color="black", zorder=3, label="truth (simulator)")
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(y, table[label])
    ax.invert_yaxis()
    ax.set(xlabel=xlabel)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def power_curve(curve: pd.DataFrame, p_control: float) -> plt.Figure:
    """Users needed per arm against the relative lift to detect (``experiments.power_curve``)."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(curve["lift"] * 100, curve["n_per_arm"], marker="o")
    ax.set(xlabel="relative lift in conversion to detect (%)", ylabel="users per arm (log scale)", yscale="log",
           title=f"80% power at alpha 0.05, baseline conversion {p_control:.1%}")  # fmt: skip
    fig.tight_layout()
    return fig


def sequential_path(path: pd.DataFrame, truth: float | None = None, units: str = "") -> plt.Figure:
    """The always-valid confidence sequence and the fixed-horizon interval at every look (``SequentialResult.path``)."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    look = path["look"]
    ax.fill_between(look, path["ci_low"], path["ci_high"], alpha=0.3, label="always-valid confidence sequence")
    ax.plot(look, path["fixed_low"], linestyle="--", color="C1", label="fixed-horizon 95% interval")
    ax.plot(look, path["fixed_high"], linestyle="--", color="C1")
    ax.plot(look, path["estimate"], marker="o", color="C0", label="estimate")
    ax.axhline(0, color="grey", linewidth=1)
    if truth is not None:
        ax.axhline(truth, color="black", linestyle=":", label="true effect")
    ax.set(xlabel="look (day)", ylabel=f"treatment - control {units}".strip(), title="Read every day")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def rejection_rates(rates: pd.Series, alpha: float = 0.05) -> plt.Figure:
    """Share of A/A experiments declared significant, per way of reading them."""
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(rates) + 1.5))
    ax.barh(rates.index, rates.to_numpy(), color=sns.color_palette()[: len(rates)])
    ax.axvline(alpha, color="black", linestyle="--", label=f"alpha = {alpha:g}")
    for y, value in enumerate(rates.to_numpy()):
        ax.annotate(f"{value:.1%}", (value, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="share of A/A experiments with a 'significant' difference", title="The peeking trap")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
