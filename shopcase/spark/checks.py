"""Checks of Spark DataFrames before a job starts: columns and kinds from the schema (free), nulls (one pass).

The Spark side of ``shopcase.validate``: the same messages, naming the table and the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shopcase.validate import require_column_names

_NUMERIC = ("byte", "short", "int", "bigint", "long", "float", "double", "decimal")
_KINDS = {
    "number": _NUMERIC,
    "datetime": ("timestamp", "timestamp_ntz", "date"),
    "datetime_or_missing": ("timestamp", "timestamp_ntz", "date"),
}


def is_spark_frame(frame: object) -> bool:
    """True for a pyspark DataFrame (classic or Spark Connect)."""
    return type(frame).__module__.startswith("pyspark.sql") and hasattr(frame, "schema")


def check_spark_frame(
    frame: object,
    schema: Mapping[str, str] | Iterable[str],
    name: str,
    not_null: Iterable[str] = (),
) -> object:
    """Raise ``ValueError`` unless ``frame`` is a Spark DataFrame with ``schema``'s columns of the right kinds.

    ``schema`` is a ``shopcase.schema`` mapping (column -> kind; ``number`` and ``datetime`` kinds are
    checked against Spark's types, for free) or just column names. ``not_null`` columns are counted for
    nulls in one pass over the data (a short job: run before the long ones). Returns ``frame``.
    """
    if not is_spark_frame(frame):
        raise ValueError(f"{name} must be a Spark DataFrame, got {type(frame).__name__}")
    kinds = dict(schema) if isinstance(schema, Mapping) else dict.fromkeys(schema, "")
    require_column_names(frame.columns, kinds, name)
    types = dict(frame.dtypes)
    for column, kind in kinds.items():
        allowed = _KINDS.get(kind)
        if allowed and not types[column].startswith(allowed):
            raise ValueError(f"{name}: column '{column}' must be {kind}, got Spark type {types[column]}")
    not_null = list(not_null)
    if not_null:
        from pyspark.sql import functions as F

        require_column_names(frame.columns, not_null, name)
        counts = frame.agg(
            F.count(F.lit(1)).alias("__rows"),
            *[F.count_if(F.col(c).isNull()).alias(c) for c in not_null],
        ).first()
        for column in not_null:
            if counts[column]:
                raise ValueError(
                    f"{name}: column '{column}' has {counts[column]:,} of {counts['__rows']:,} rows missing (null)"
                )
    return frame
