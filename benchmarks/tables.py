"""Printing helpers shared by the benchmark scripts (they run as scripts, so this sits beside them)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from shopcase.churn import bootstrap_differences
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
    y: np.ndarray, scores: dict, model: str, baselines: list[str], ranking_only: list[str], n_boot: int = 1000
) -> pd.DataFrame:
    """Paired bootstrap (``n_boot`` resamples of customers, the same for every baseline) of model minus each."""
    table = bootstrap_differences(
        y,
        {name: scores[name] for name in [model, *baselines]},
        model,
        n_boot=n_boot,
        random_state=SEED,
        not_probabilities=ranking_only,
    )
    return table.rename(
        columns={
            "method": "baseline",
            "difference": "model - baseline",
            "ci_low": "95% CI low",
            "ci_high": "95% CI high",
        }
    )
