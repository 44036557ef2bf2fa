"""The synthetic shop as partitioned Parquet, written block by block on Spark, and its interactions.

``generate_shop`` builds users in blocks of ``USER_BLOCK`` that each draw from their own seed, so one
block computed alone equals its part of the whole shop. Here each Spark task generates one block
(``generate_user_block``, the single-machine code) and writes it as Parquet; the driver never holds the
log. Session and order ids are numbered across blocks in ``generate_shop``, which needs each earlier
block's session count: a second pass (one task per block, no shuffle) shifts each block's ids by the
sessions of the blocks before it. The result is ``generate_shop``'s shop, row for row (tested), whatever
the number of executors.

Layout under ``path``: ``config.json``; ``catalogue``, ``prices``, ``stockouts`` (one file each, written
by the driver: catalogue-sized); ``users``, ``events``, ``emails`` as Hive-style partitions
``<table>/block=<b>/part-0.parquet`` (readable by Spark, pyarrow and pandas). Paths are local or any
filesystem pyarrow knows (``hdfs://``, ``s3://``): on a cluster, every executor must reach ``path``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass

import pandas as pd

from shopcase.data.generate import USER_BLOCK, ShopConfig, generate_user_block, n_user_blocks
from shopcase.schema import (
    DEFAULT_EVENT_WEIGHTS,
    EVENT_TYPE,
    EVENTS_COLUMNS,
    ITEM_ID,
    ORDER_ID,
    PURCHASE,
    RATING,
    SEED,
    SESSION_ID,
    TIMESTAMP,
    USER_ID,
)
from shopcase.spark.checks import check_spark_frame
from shopcase.validate import check_bool, check_choice, check_number

BLOCK = "block"
"""The partition column of the block-written tables: the user block a row belongs to."""

DRIVER_TABLES: tuple[str, ...] = ("catalogue", "prices", "stockouts")
BLOCK_TABLES: tuple[str, ...] = ("users", "events", "emails")
_SUMMARY = f"{BLOCK} long, users long, events long, emails long, sessions long"


@dataclass
class SparkShop:
    """A shop read from Parquet: its config and one Spark DataFrame per table (block tables carry ``block``)."""

    path: str
    config: ShopConfig
    catalogue: object
    users: object
    events: object
    emails: object
    prices: object
    stockouts: object


def _filesystem(path: str):
    """``(pyarrow filesystem, path inside it, the URI Spark reads)``; local paths are made absolute."""
    from pyarrow import fs

    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ValueError(f"path must be a non-empty path or URI, got {path!r}")
    path = str(path)
    if "://" not in path:
        path = os.path.abspath(path)
        return fs.LocalFileSystem(), path, path
    filesystem, inner = fs.FileSystem.from_uri(path)
    return filesystem, inner, path


def _block_file(root: str, table: str, block: int) -> str:
    return f"{root}/{table}/{BLOCK}={block:05d}/part-0.parquet"


def _write(frame: pd.DataFrame, filesystem, where: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    filesystem.create_dir(where.rsplit("/", 1)[0], recursive=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), where, filesystem=filesystem)


def _catalogue_state(config: ShopConfig):
    # The generator's shared catalogue and calendar (private to shopcase.data.generate): built once on the
    # driver and broadcast, instead of once per block task. generate_user_block accepts it for that reason.
    from shopcase.data.generate import _catalogue_state as build

    return build(config)


def generate_shop_spark(
    spark,
    path: str | os.PathLike,
    n_users: int = 4_000,
    n_items: int = 3_000,
    seed: int = SEED,
    start: str = "2023-01-01",
    end: str = "2023-12-31",
    overwrite: bool = False,
    **options: object,
) -> SparkShop:
    """Write ``generate_shop(n_users, n_items, seed, start, end, **options)`` as Parquet under ``path``.

    One Spark task per block of ``USER_BLOCK`` users generates it with ``generate_user_block`` and
    writes its users, events and emails; a second pass numbers sessions and orders across blocks.
    The same arguments give the same tables as ``generate_shop``, row for row; rows are in no global
    order (``timestamp, session_id, event_type, item_id`` identifies an event).

    Parameters
    ----------
    spark : SparkSession
    path : str or path
        A folder (local, or a URI pyarrow can write to, e.g. ``hdfs://...`` on a cluster).
    n_users, n_items, seed, start, end, **options
        As ``generate_shop`` (``ShopConfig`` fields), validated before any task starts.
    overwrite : bool
        Replace an existing shop at ``path`` (otherwise an existing ``path`` is an error).

    Returns
    -------
    SparkShop
        The tables read back (``read_shop_spark``).
    """
    from pyarrow import fs

    cfg = ShopConfig(n_users=n_users, n_items=n_items, seed=seed, start=str(start), end=str(end), **options)
    cfg = cfg.validated()
    check_bool(overwrite, "overwrite")
    filesystem, root, uri = _filesystem(path)
    if filesystem.get_file_info(root).type != fs.FileType.NotFound:
        if not overwrite:
            raise ValueError(f"path {uri!r} exists; pass overwrite=True to replace it")
        filesystem.delete_dir(root)
    filesystem.create_dir(root, recursive=True)
    state = _catalogue_state(cfg)
    _write(state.catalogue, filesystem, f"{root}/catalogue.parquet")
    _write(state.calendar.prices_table(), filesystem, f"{root}/prices.parquet")
    _write(state.calendar.stockouts_table(), filesystem, f"{root}/stockouts.parquet")
    shared = spark.sparkContext.broadcast(state)
    n_blocks = n_user_blocks(cfg)
    staging = f"{root}/_staging"

    def generate(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            rows = []
            for block in batch["id"].tolist():
                part = generate_user_block(cfg, int(block), shared.value)
                _write(part.users, filesystem, _block_file(root, "users", block))
                _write(part.emails, filesystem, _block_file(root, "emails", block))
                _write(part.events, filesystem, _block_file(staging, "events", block))
                sessions = int(part.events[SESSION_ID].max()) if len(part.events) else 0
                rows.append((block, len(part.users), len(part.events), len(part.emails), sessions))
            yield pd.DataFrame(rows, columns=["block", "users", "events", "emails", "sessions"])

    blocks = spark.range(n_blocks, numPartitions=n_blocks)
    summary = blocks.mapInPandas(generate, _SUMMARY).toPandas().sort_values(BLOCK, ignore_index=True)
    # generate_shop's numbering: block b's sessions follow the sessions of blocks 0 .. b - 1.
    before = (summary["sessions"].cumsum() - summary["sessions"]).tolist()
    offsets = dict(zip(summary[BLOCK].tolist(), before, strict=True))

    def renumber(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pyarrow.parquet as pq

        for batch in batches:
            for block in batch["id"].tolist():
                source = _block_file(staging, "events", block)
                events = pq.read_table(source, filesystem=filesystem).to_pandas()
                events[SESSION_ID] += offsets[block]
                events[ORDER_ID] += offsets[block]
                _write(events, filesystem, _block_file(root, "events", block))
                filesystem.delete_file(source)
            yield batch

    blocks.mapInPandas(renumber, "id long").count()
    filesystem.delete_dir(staging)
    with filesystem.open_output_stream(f"{root}/config.json") as out:
        out.write(json.dumps(asdict(cfg), indent=2, sort_keys=True).encode())
    return read_shop_spark(spark, uri)


def read_shop_spark(spark, path: str | os.PathLike) -> SparkShop:
    """Read a shop written by ``generate_shop_spark`` (``ValueError`` naming what is missing under ``path``)."""
    from pyarrow import fs

    filesystem, root, uri = _filesystem(path)
    if filesystem.get_file_info(root).type == fs.FileType.NotFound:
        raise ValueError(f"no shop at {uri!r}: the path does not exist (write one with generate_shop_spark)")
    expected = ["config.json", *(f"{t}.parquet" for t in DRIVER_TABLES), *BLOCK_TABLES]
    missing = [name for name in expected if filesystem.get_file_info(f"{root}/{name}").type == fs.FileType.NotFound]
    if missing:
        raise ValueError(f"{uri!r} is not a complete shop: missing {missing} (an interrupted write? write it again)")
    with filesystem.open_input_stream(f"{root}/config.json") as source:
        fields = json.loads(source.read().decode())
    config = ShopConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
    tables = {name: spark.read.parquet(f"{uri}/{name}.parquet") for name in DRIVER_TABLES}
    tables.update({name: spark.read.parquet(f"{uri}/{name}") for name in BLOCK_TABLES})
    return SparkShop(path=uri, config=config, **tables)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as nullable floats (Spark returns an id column with nulls as floats), rows sorted."""
    numeric = [c for c in frame.columns if frame[c].dtype.kind in "iuf"]
    return frame.astype(dict.fromkeys(numeric, "Float64")).sort_values(list(frame.columns), ignore_index=True)


def compare_to_shop(spark_shop: SparkShop, shop) -> pd.DataFrame:
    """Table by table, whether a Parquet shop holds exactly ``shop``'s rows (collects them: small shops only).

    Rows are compared as sorted tables (Spark keeps no global order); categories as their labels.
    Returns ``table, rows_parquet, rows_shop, equal``.
    """
    rows = []
    for name in (*DRIVER_TABLES, *BLOCK_TABLES):
        expected = getattr(shop, name)
        got = getattr(spark_shop, name).select(*expected.columns).toPandas()
        labels = [c for c in expected.columns if isinstance(expected[c].dtype, pd.CategoricalDtype)]
        expected = expected.astype(dict.fromkeys(labels, str))
        got, expected = _comparable(got), _comparable(expected)
        equal = len(got) == len(expected) and all(got[c].equals(expected[c]) for c in expected.columns)
        rows.append({"table": name, "rows_parquet": len(got), "rows_shop": len(expected), "equal": bool(equal)})
    return pd.DataFrame(rows)


def interactions_spark(
    events,
    weights: Mapping[str, float] | None = None,
    aggregate: str = "sum",
    with_timestamp: bool = False,
):
    """``shopcase.data.interactions_from_events`` on a Spark DataFrame: one row per (user, item).

    Same parameters and result (``user_id, item_id, rating`` (+ ``timestamp``)), unordered. Raises
    ``ValueError`` before the aggregation for missing columns, null ids or event types without a weight.
    """
    from pyspark.sql import functions as F

    weights = dict(DEFAULT_EVENT_WEIGHTS if weights is None else weights)
    check_choice(aggregate, "aggregate", ("sum", "max"))
    check_bool(with_timestamp, "with_timestamp")
    for kind, weight in weights.items():
        check_number(weight, f"weights[{kind!r}]", low=0.0)
    check_spark_frame(events, EVENTS_COLUMNS, "events", not_null=[USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP])
    types = [row[0] for row in events.select(EVENT_TYPE).distinct().collect()]
    unknown = sorted(set(map(str, types)) - set(weights))
    if unknown:
        raise ValueError(f"events: event_type values {unknown} have no weight in {weights}")
    weight = F.create_map(*[F.lit(x) for kv in weights.items() for x in (kv[0], float(kv[1]))])
    frame = events.select(USER_ID, ITEM_ID, TIMESTAMP, weight[F.col(EVENT_TYPE)].alias(RATING)).where(F.col(RATING) > 0)
    combine = F.sum if aggregate == "sum" else F.max
    columns = [combine(RATING).alias(RATING)]
    if with_timestamp:
        columns.append(F.max(TIMESTAMP).alias(TIMESTAMP))
    return frame.groupBy(USER_ID, ITEM_ID).agg(*columns)


def purchase_interactions_spark(events, strength: str = "count"):
    """``shopcase.data.purchase_interactions`` on Spark: distinct orders per (user, item) bought, and when last.

    ``user_id, item_id, rating, timestamp``, unordered; ``strength`` as there (count, log1p, binary).
    """
    from pyspark.sql import functions as F

    from shopcase.data.interactions import STRENGTHS

    check_choice(strength, "strength", STRENGTHS)
    check_spark_frame(events, EVENTS_COLUMNS, "events", not_null=[USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP])
    pairs = (
        events.where(F.col(EVENT_TYPE) == PURCHASE)
        .groupBy(USER_ID, ITEM_ID)
        .agg(F.countDistinct(ORDER_ID).cast("double").alias("orders"), F.max(TIMESTAMP).alias(TIMESTAMP))
    )
    rating = {"count": F.col("orders"), "log1p": F.log1p("orders"), "binary": F.lit(1.0)}[strength]
    return pairs.select(USER_ID, ITEM_ID, rating.alias(RATING), TIMESTAMP)


__all__ = [
    "BLOCK",
    "USER_BLOCK",
    "SparkShop",
    "compare_to_shop",
    "generate_shop_spark",
    "interactions_spark",
    "purchase_interactions_spark",
    "read_shop_spark",
]
