"""Checks every public function runs on the frames it accepts.

``validate_frame`` raises ``ValueError`` naming the table, the column and how
many rows offend; it never drops rows. Cleaning functions (in ``datasets``)
return a ``CleaningReport`` that counts what they removed and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class CleaningReport:
    """What a cleaning step removed: ``removed[reason] = rows``, plus row counts in and out."""

    name: str
    rows_in: int
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def rows_out(self) -> int:
        return self.rows_in - sum(self.removed.values())

    def to_frame(self) -> pd.DataFrame:
        """One row per reason with the rows removed, then the rows kept."""
        rows = [(reason, n) for reason, n in self.removed.items()]
        rows.append(("kept", self.rows_out))
        return pd.DataFrame(rows, columns=["step", "rows"])

    def __str__(self) -> str:
        parts = ", ".join(f"{n:,} {reason}" for reason, n in self.removed.items())
        return f"{self.name}: {self.rows_in:,} rows in, removed {parts or 'nothing'}, {self.rows_out:,} kept"


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise ``ValueError`` if ``frame`` is not a DataFrame or lacks any of ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; it has {list(frame.columns)}")


def require_positive_int(value: object, name: str) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _fail(name: str, column: str, n_bad: int, n_rows: int, what: str) -> None:
    raise ValueError(f"{name}: column '{column}' has {n_bad:,} of {n_rows:,} rows {what}")


def _check_number(frame: pd.DataFrame, column: str, name: str) -> None:
    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise ValueError(f"{name}: column '{column}' must be numeric, got dtype {values.dtype}")
    as_float = values.to_numpy(dtype=float, na_value=np.nan)
    n = len(as_float)
    n_nan = int(np.isnan(as_float).sum())
    if n_nan:
        _fail(name, column, n_nan, n, "missing (NaN)")
    n_inf = int(np.isinf(as_float).sum())
    if n_inf:
        _fail(name, column, n_inf, n, "infinite")
    n_neg = int((as_float < 0).sum())
    if n_neg:
        _fail(name, column, n_neg, n, "negative")


def _check_datetime(frame: pd.DataFrame, column: str, name: str, allow_missing: bool) -> pd.Series | None:
    """Check a date column; return the parsed column if it had to be converted, else None."""
    values = frame[column]
    converted = not pd.api.types.is_datetime64_any_dtype(values)
    if converted:
        try:
            values = pd.to_datetime(values)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name}: column '{column}' is not parseable as dates ({exc})") from exc
    n_missing = int(values.isna().sum())
    if n_missing and not allow_missing:
        _fail(name, column, n_missing, len(values), "missing or unparseable dates")
    return values if converted else None


def validate_frame(
    frame: pd.DataFrame,
    schema: Mapping[str, str],
    name: str,
    *,
    key: Iterable[str] | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Check ``frame`` against ``schema`` (a ``shopcase.schema`` mapping column -> kind).

    Kinds: ``id`` (no missing values), ``id_or_missing``, ``number`` (finite, >= 0),
    ``datetime`` / ``datetime_or_missing`` (parseable; converted in the returned
    frame), ``bool``, ``category`` and ``text`` (no missing values).
    ``key`` names the columns that identify a row; duplicated keys are an error
    (with no key, fully duplicated rows are). Returns the frame, with datetime
    columns parsed; a copy is made only when a column has to be converted.
    Raises ``ValueError`` naming the table, column and offending row count.
    """
    require_columns(frame, schema.keys(), name)
    if len(frame) == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: it needs at least one row")
    converted: dict[str, pd.Series] = {}
    for column, kind in schema.items():
        if kind == "number":
            _check_number(frame, column, name)
        elif kind in ("datetime", "datetime_or_missing"):
            parsed = _check_datetime(frame, column, name, allow_missing=kind.endswith("_or_missing"))
            if parsed is not None:
                converted[column] = parsed
        elif kind == "bool":
            if not pd.api.types.is_bool_dtype(frame[column]):
                raise ValueError(f"{name}: column '{column}' must be boolean, got dtype {frame[column].dtype}")
        elif kind in ("id", "category", "text"):
            n_missing = int(frame[column].isna().sum())
            if n_missing:
                _fail(name, column, n_missing, len(frame), "missing (NaN)")
        elif kind != "id_or_missing":
            raise ValueError(f"unknown column kind {kind!r} for column '{column}' in the schema of {name}")
    subset = list(key) if key is not None else list(schema.keys())
    n_dup = int(frame.duplicated(subset=subset).sum())
    if n_dup:
        what = f"key {subset}" if key is not None else "all columns"
        raise ValueError(f"{name} has {n_dup:,} duplicate rows on {what}; aggregate or de-duplicate them first")
    if converted:
        frame = frame.assign(**converted)
    return frame


def as_timestamp(value: object, name: str = "as_of") -> pd.Timestamp:
    """Parse an explicit date argument (``str``, ``datetime`` or ``Timestamp``); never defaults to now."""
    if value is None:
        raise ValueError(f"{name} is required: pass an explicit date, results never depend on today's date")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}={value!r} is not a date ({exc})") from exc
    if pd.isna(stamp):
        raise ValueError(f"{name} is missing (NaT)")
    return stamp
