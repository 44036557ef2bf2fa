"""Nightly batch personalisation: every user's list to partitioned Parquet, chunk by chunk, resumable.

``batch_recommend`` splits the users into chunks of ``chunk_size``; each chunk is scored by the model,
filtered by the business rules (``rules.recommend_with_rules``) and written to ``part-NNNNN.parquet``
through a temporary file renamed into place, so a part on disk is always complete. Memory is bounded by
the model plus about one chunk (the previous chunk is written on a background thread while the next is
scored). The run's settings (model fingerprint, users, n, rules) are kept in ``_batch.json``; run it
again after an interruption and it checks those settings and computes only the missing parts. ``_SUCCESS``
marks a finished run, as Spark and Hadoop do.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

import shopcase
from shopcase.schema import USER_ID
from shopcase.serve.artifacts import data_fingerprint, load_with_manifest, model_fingerprint
from shopcase.serve.rules import BusinessRules, recommend_with_rules
from shopcase.validate import as_id_index, check_bool, check_int

SPEC, SUCCESS = "_batch.json", "_SUCCESS"
PART = "part-{:05d}.parquet"


@dataclass(frozen=True)
class BatchReport:
    """What a batch run did. ``chunks_resumed`` were on disk from an earlier, interrupted run."""

    path: Path
    n_users: int
    n_chunks: int
    chunks_written: int
    chunks_resumed: int
    rows: int
    short_lists: int
    """Users who got fewer than ``n`` items (the model had no more passing the rules)."""
    seconds: float

    def __str__(self) -> str:
        return (
            f"batch: {self.n_users:,} users in {self.n_chunks} chunks ({self.chunks_written} written, "
            f"{self.chunks_resumed} resumed), {self.rows:,} rows, {self.short_lists:,} short lists, "
            f"{self.seconds:.1f} s -> {self.path}"
        )


def _resolve_model(model: object) -> tuple[object, str]:
    """A fitted recommender and its fingerprint; a path is loaded as an artefact (its manifest's fingerprint)."""
    if isinstance(model, (str, os.PathLike)):
        loaded, manifest = load_with_manifest(model)
        return loaded, manifest.fingerprint
    if not hasattr(model, "recommend") or not hasattr(model, "user_index_"):
        raise ValueError(f"model must be a fitted shopcase recommender or an artefact path, got {type(model).__name__}")
    return model, model_fingerprint(model)


def _prepare(path: Path, spec: dict, overwrite: bool) -> None:
    """Create ``path``, or check that the run already there is this one (resume), or clear it (overwrite)."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path}: exists and is not a directory")
    if path.is_dir() and any(path.iterdir()):
        spec_file = path / SPEC
        if not spec_file.is_file():
            raise ValueError(f"{path}: not empty and not a batch output ({SPEC} missing); choose another directory")
        previous = json.loads(spec_file.read_text())
        if previous != spec:
            if not overwrite:
                changed = sorted(k for k in spec if previous.get(k) != spec[k])
                raise ValueError(
                    f"{path}: holds a batch run with other settings ({', '.join(changed)} differ); "
                    "pass overwrite=True to replace it, or choose another directory"
                )
            for file in path.iterdir():
                if file.name in (SPEC, SUCCESS) or file.name.startswith(("part-", ".part-")):
                    file.unlink()
    path.mkdir(parents=True, exist_ok=True)
    if not (path / SPEC).is_file():
        tmp = path / f".{SPEC}.tmp"
        tmp.write_text(json.dumps(spec, indent=1, sort_keys=True))
        os.replace(tmp, path / SPEC)


def _write_part(frame: pd.DataFrame, target: Path, short: int) -> None:
    """Write one chunk atomically: to a hidden temporary file, then renamed."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"shopcase.short_lists": str(short)})
    tmp = target.with_name(f".{target.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, target)


def _part_stats(part: Path) -> tuple[int, int]:
    meta = pq.read_metadata(part)
    return meta.num_rows, int((meta.metadata or {}).get(b"shopcase.short_lists", b"0"))


def batch_recommend(
    model: object,
    path: str | os.PathLike,
    user_ids: object = None,
    *,
    n: int = 10,
    rules: BusinessRules | None = None,
    exclude_seen: bool = True,
    chunk_size: int = 20_000,
    candidates: int | None = None,
    progress: bool = False,
    overwrite: bool = False,
) -> BatchReport:
    """Top-``n`` lists for every user, business rules applied, to Parquet parts under ``path``.

    Parameters
    ----------
    model : recommender or path
        A fitted shopcase recommender, or the directory of a saved one (``serve.save``).
    path : path-like
        Output directory: ``part-00000.parquet`` ... with ``user_id, item_id, score, rank, source``
        (see ``recommend_with_rules``), ``_batch.json`` (the run's settings) and ``_SUCCESS`` when done.
    user_ids : list-like, optional
        Users to score (default: every user the model knows), unique; unknown users get the cold-start list.
    n : int
        Items per user.
    rules : BusinessRules, optional
        Out of stock, banned, pinned, already bought, at most M per category.
    exclude_seen : bool
        Leave out the items each user interacted with in the model's training data.
    chunk_size : int
        Users per part: memory grows with it (about ``chunk_size x candidates`` rows at once).
    candidates : int, optional
        Items first asked of the model per user (see ``recommend_with_rules``).
    progress : bool
        Show a progress bar (tqdm, on stderr).
    overwrite : bool
        Replace a finished or partial run with other settings in ``path``. A run with the same settings
        is always resumed: parts on disk are kept, the missing ones computed.

    Returns
    -------
    BatchReport
    """
    n = check_int(n, "n")
    chunk_size = check_int(chunk_size, "chunk_size")
    check_bool(exclude_seen, "exclude_seen")
    rules = (rules or BusinessRules()).validated()
    model, fingerprint = _resolve_model(model)
    users = model.user_index_ if user_ids is None else as_id_index(user_ids, "user_ids")
    path = Path(path)
    n_chunks = max(1, -(-len(users) // chunk_size))
    spec = {
        "shopcase_version": shopcase.__version__,
        "model": fingerprint,
        "users": data_fingerprint(pd.Series(np.asarray(users), name=USER_ID)),
        "n_users": len(users),
        "n": n,
        "exclude_seen": exclude_seen,
        "chunk_size": chunk_size,
        "candidates": candidates,
        "rules": rules.describe(),
    }
    _prepare(path, spec, overwrite)
    started = time.perf_counter()
    written = resumed = rows = short = 0
    pending: Future | None = None
    with ThreadPoolExecutor(max_workers=1) as writer:
        for chunk in tqdm(range(n_chunks), desc="batch", unit="chunk", disable=not progress):
            target = path / PART.format(chunk)
            if target.is_file():
                chunk_rows, chunk_short = _part_stats(target)
                resumed += 1
            else:
                chunk_users = users[chunk * chunk_size : (chunk + 1) * chunk_size]
                lists = recommend_with_rules(model, chunk_users, n, rules, exclude_seen, candidates)
                counts = lists.groupby(USER_ID, sort=False).size()
                chunk_rows, chunk_short = len(lists), int(len(chunk_users) - (counts >= n).sum())
                if pending is not None:
                    pending.result()  # at most one part in flight: memory stays at about two chunks
                pending = writer.submit(_write_part, lists, target, chunk_short)
                written += 1
            rows, short = rows + chunk_rows, short + chunk_short
        if pending is not None:
            pending.result()
    (path / SUCCESS).write_text("")
    return BatchReport(path, len(users), n_chunks, written, resumed, rows, short, time.perf_counter() - started)


def read_batch(path: str | os.PathLike) -> pd.DataFrame:
    """Every part of a finished batch run, in user order (``ValueError`` if the run is not finished)."""
    path = Path(path)
    if not (path / SUCCESS).is_file():
        raise ValueError(f"{path}: no finished batch run here ({SUCCESS} missing); run batch_recommend again")
    parts = sorted(path.glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
