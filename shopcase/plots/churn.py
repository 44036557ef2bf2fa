"""Plots of churn models (notebook 05): the label timeline, calibration, importance, intervals and value."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style

apply_style()


def churn_timeline(
    log_start: object,
    as_of: object,
    horizon_days: int,
    log_end: object,
    training_origins: Sequence[object] = (),
) -> plt.Figure:
    """The churn label's definition as a picture, for the test date and each training date.

    One row per date: features from events before it (blue), the label from the ``horizon_days``
    after it (red). Training dates (``training_origins``) have label windows that close by the
    test date ``as_of``, so a model trained on them could exist on that date.
    """
    start, test, end = pd.Timestamp(log_start), pd.Timestamp(as_of), pd.Timestamp(log_end)
    horizon = pd.Timedelta(days=horizon_days)
    dates = [(f"test: as_of {test.date()}", test)]
    dates += [(f"training: as_of {pd.Timestamp(o).date()}", pd.Timestamp(o)) for o in training_origins]
    colours = sns.color_palette()
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(dates) + 1.6))
    for row, (_, cut) in enumerate(dates):
        y = len(dates) - 1 - row
        features = ax.barh(y, cut - start, left=start, height=0.55, color=colours[0])
        label = ax.barh(y, horizon, left=cut, height=0.55, color=colours[3])
        if end > cut + horizon:
            ax.barh(y, end - cut - horizon, left=cut + horizon, height=0.55, color="lightgrey")
    ax.axvline(test, color="black", linewidth=1.2, linestyle="--")
    ax.set_yticks(range(len(dates)), [name for name, _ in dates][::-1])
    ax.legend(
        [features, label, plt.Rectangle((0, 0), 1, 1, color="lightgrey")],
        ["features: events before as_of", f"label: any purchase in the next {horizon_days} days?", "not used"],
        loc="upper left",
        bbox_to_anchor=(0, -0.18),
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    ax.set(
        xlabel="date",
        xlim=(start, end),
        title="Features before as_of, label after it; training labels close by the test date (dashed)",
    )
    ax.title.set_fontsize(10)
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
        title="Calibration on the test date (deciles of predicted risk)",
    )
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def importance(table: pd.DataFrame, top: int = 10, n_repeats: int = 5) -> plt.Figure:
    """Horizontal bars of permutation importance (``permutation_importance_table``), coloured by group.

    The legend lists only the groups of the bars shown; a caption says what the error bars are.
    """
    shown = table.head(top).iloc[::-1]
    groups = list(dict.fromkeys(table["group"]))
    colours = dict(zip(groups, sns.color_palette(n_colors=len(groups)), strict=True))
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(shown) + 1.8))
    ax.barh(
        shown["feature"],
        shown["importance_mean"],
        xerr=shown["importance_std"],
        color=[colours[g] for g in shown["group"]],
    )
    present = [g for g in groups if g in set(shown["group"])]
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[g]) for g in present]
    ax.legend(handles, present, title="feature group", fontsize=8, title_fontsize=8, loc="lower right")
    ax.set(xlabel="drop in ROC-AUC when the feature is shuffled", title=f"What the model relies on (top {len(shown)})")
    fig.text(
        0.01,
        0.01,
        f"Bars: mean drop over {n_repeats} shuffles of the test customers; error bars: +-1 standard deviation of "
        "those shuffles\n(how much the estimate itself varies, not a confidence interval). Correlated features "
        "share their importance.",
        fontsize=7,
        color="dimgrey",
    )
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def differences(table: pd.DataFrame, metric: str = "roc_auc", reference: str = "the reference") -> plt.Figure:
    """Paired bootstrap intervals (``bootstrap_differences``) of ``reference - method``, one row per method.

    An interval that crosses the dashed zero line is within noise; one entirely right of it (left, for
    the Brier score) means the reference is really better.
    """
    rows = table[table["metric"] == metric].dropna(subset=["difference"]).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(rows) + 1.4))
    colours = [sns.color_palette()[2] if verdict == "real" else "grey" for verdict in rows["verdict"]]
    for row, (point, colour) in enumerate(zip(rows.itertuples(), colours, strict=True)):
        ax.errorbar(
            point.difference,
            row,
            xerr=[[point.difference - point.ci_low], [point.ci_high - point.difference]],
            fmt="o",
            color=colour,
            capsize=4,
        )
    ax.axvline(0, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(rows)), rows["method"])
    label = {"roc_auc": "ROC-AUC", "brier": "Brier score"}.get(metric, metric)
    ax.set(xlabel=f"{label}: {reference} minus method (95% paired bootstrap interval)")
    ax.set_title(f"Is {reference} better? Green: yes, beyond noise; grey: within noise", fontsize=10)
    fig.tight_layout()
    return fig


def value_comparison(naive: pd.Series, modelled: pd.Series, highlight: object = None) -> plt.Figure:
    """Each customer's yearly value: extrapolated from the past (x) against BG/NBD x Gamma-Gamma (y), log scales."""
    both = pd.DataFrame({"naive": naive, "model": modelled}).dropna()
    both = both[(both > 0).all(axis=1)]
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.scatter(both["naive"], both["model"], s=8, alpha=0.4, color=sns.color_palette()[0])
    low, high = both.min().min(), both.max().max()
    ax.plot([low, high], [low, high], linestyle="--", color="grey", label="same value")
    if highlight is not None and highlight in both.index:
        point = both.loc[highlight]
        ax.scatter([point["naive"]], [point["model"]], s=60, color=sns.color_palette()[3], zorder=3)
        ax.annotate(
            f"customer {highlight}",
            (point["naive"], point["model"]),
            xytext=(-90, 12),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="revenue per day of tenure x 365 (extrapolated)",
        ylabel="value over the next 365 days if still active (models)",
        title="Customer value: extrapolation against models",
    )
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
