"""Printing helpers shared by the benchmark scripts (they run as scripts, so this sits beside them)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from shopcase.churn import bootstrap_difference
from shopcase.schema import SEED


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A DataFrame as a markdown table, floats rounded (no tabulate dependency)."""

    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return "n/a" if np.isnan(value) else f"{value:.{digits}f}"
        return str(value)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + " --- |" * frame.shape[1]]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def section(title: str, body: str) -> None:
    """Print a markdown section at once (flushed, so long runs show progress)."""
    print(f"\n### {title}\n\n{body}\n")
    sys.stdout.flush()


def bootstrap_table(
    y: np.ndarray, scores: dict, model: str, baselines: list[str], ranking_only: list[str]
) -> pd.DataFrame:
    """Paired bootstrap (200 resamples of customers) of model minus each baseline, ROC-AUC and Brier."""
    rows = []
    for baseline in baselines:
        diff = bootstrap_difference(
            y,
            scores[model],
            scores[baseline],
            n_boot=200,
            random_state=SEED,
            baseline_is_probability=baseline not in ranking_only,
        )
        for row in diff.itertuples(index=False):
            rows.append(
                {
                    "baseline": baseline,
                    "metric": row.metric,
                    "model - baseline": row.difference,
                    "95% CI low": row.ci_low,
                    "95% CI high": row.ci_high,
                }
            )
    return pd.DataFrame(rows)
