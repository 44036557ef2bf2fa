"""Plots of the scale-out notebook (10): Spark's time per step beside shopcase's on one machine."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from shopcase.plots._style import apply_style

apply_style()

STEPS: tuple[str, ...] = ("generation", "interactions", "ItemKNN fit", "recommend-all", "metrics")


def spark_scaling(table: pd.DataFrame, users: int | None = None) -> plt.Figure:
    """Seconds per step, one bar per engine (``benchmarks/results/spark_scaling.csv``), log scale.

    ``users`` picks one shop size (default: the largest in the table).
    """
    users = int(table["users"].max()) if users is None else users
    rows = table[table["users"] == users]
    long = rows.melt(id_vars="engine", value_vars=[s for s in STEPS if s in rows], var_name="step", value_name="s")
    fig, ax = plt.subplots(figsize=(8, 3.8))
    sns.barplot(data=long, x="step", y="s", hue="engine", ax=ax)
    ax.set(yscale="log", xlabel="", ylabel="seconds (log scale)", title=f"{users:,} users, 3,000 items, purchases")
    fig.tight_layout()
    return fig
