"""Headline figures: each notebook records a few, ``make run`` gathers them in ``build/summary.md``.

Mechanism: every notebook has a ``summary_path`` parameter (``None`` when a
student runs it by hand). Its last cell calls ``record_figures``, which shows
the figures as a table and, when ``summary_path`` is set, writes them as JSON.
The runner passes ``build/figures/<notebook>.json`` and then calls
``write_summary`` over that folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd


def _plain(value: object) -> object:
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def record_figures(notebook: str, figures: dict[str, object], summary_path: str | os.PathLike | None) -> pd.DataFrame:
    """Return ``figures`` as a table (``figure, value``); also write them as JSON if ``summary_path`` is set."""
    if not figures:
        raise ValueError("figures is empty: record at least one headline figure")
    if summary_path is not None:
        path = Path(summary_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"notebook": notebook, "figures": {k: _plain(v) for k, v in figures.items()}}
        path.write_text(json.dumps(payload, indent=2) + "\n")
    return pd.DataFrame({"figure": list(figures), "value": [_plain(v) for v in figures.values()]})


def write_summary(figures_dir: str | os.PathLike, out_path: str | os.PathLike, header: str = "") -> Path:
    """Write a Markdown summary with one section per notebook's JSON in ``figures_dir``."""
    lines = ["# shopcase: headline figures", ""]
    if header:
        lines += [header, ""]
    for file in sorted(Path(figures_dir).glob("*.json")):
        record = json.loads(file.read_text())
        lines += [f"## {record['notebook']}", "", "| figure | value |", "| --- | --- |"]
        for name, value in record["figures"].items():
            shown = f"{value:,.4g}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else value
            lines.append(f"| {name} | {shown} |")
        lines.append("")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    return out
