"""The models a service holds: loaded together from an artefacts directory, swapped as one.

An artefacts directory holds one saved model per subdirectory: ``recommender/`` (required), ``churn/`` and
``search/`` (optional). ``load_models`` verifies and loads them all before anything changes; ``Service``
keeps the current ``Models`` in one attribute, so a reload builds the new set aside and replaces the
reference in one step: a request in flight keeps the set it started with, the next one gets the new set.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shopcase.serve.artifacts import MANIFEST, Manifest, load_with_manifest
from shopcase.serve.risk import check_churn_model
from shopcase.serve.scoring import OneUser
from shopcase.validate import id_kind

REQUIRED, OPTIONAL = ("recommender",), ("churn", "search")


def check_artifacts_dir(path: str | os.PathLike) -> Path:
    """``path`` if it looks like an artefacts directory (has ``recommender/manifest.json``), else ``ValueError``."""
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path}: no artefacts directory here; create one with `shopcase train --out {path}`")
    for name in REQUIRED:
        if not (path / name / MANIFEST).is_file():
            raise ValueError(
                f"{path / name}: missing (a saved recommender); `shopcase train --model itemknn --out {path}`"
            )
    return path


@dataclass(frozen=True)
class Models:
    """One consistent set of loaded models and what they are."""

    directory: Path
    recommender: object
    churn: object | None
    search: object | None
    manifests: dict[str, Manifest]
    load_seconds: float
    user_kind: str | None = field(repr=False)
    item_kind: str | None = field(repr=False)
    one_user: OneUser = field(repr=False)

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the manifests' fingerprints: changes when any model changes."""
        text = ";".join(f"{name}={m.fingerprint}" for name, m in sorted(self.manifests.items()))
        return hashlib.sha256(text.encode()).hexdigest()


def load_models(path: str | os.PathLike) -> Models:
    """Verify and load every model under ``path`` (``ValueError`` naming the file on any problem)."""
    path = check_artifacts_dir(path)
    started = time.perf_counter()
    loaded, manifests = {}, {}
    for name in REQUIRED + OPTIONAL:
        if (path / name).exists():
            loaded[name], manifests[name] = load_with_manifest(path / name)
    recommender = loaded["recommender"]
    for name, needs in (("recommender", "recommend"), ("search", "search")):
        if name in loaded and not hasattr(loaded[name], needs):
            raise ValueError(f"{path / name}: holds a {type(loaded[name]).__name__}, which cannot {needs}")
    if "churn" in loaded:
        check_churn_model(loaded["churn"], str(path / "churn"))
    if "n_jobs" in recommender.get_params(deep=False):
        # One request, one thread: concurrency comes from requests and worker processes; a thread pool per
        # call would cost more than scoring one user (results never depend on n_jobs).
        recommender.set_params(n_jobs=1)
    return Models(
        directory=path,
        recommender=recommender,
        churn=loaded.get("churn"),
        search=loaded.get("search"),
        manifests=manifests,
        load_seconds=time.perf_counter() - started,
        user_kind=id_kind(recommender.user_index_),
        item_kind=id_kind(recommender.item_index_),
        one_user=OneUser(recommender),
    )


class Service:
    """Holds the current ``Models``; ``reload`` swaps in a new set only once it has loaded completely."""

    def __init__(self, models: Models) -> None:
        self.models = models
        self._lock = threading.Lock()  # one reload at a time; readers never wait

    def reload(self, path: str | os.PathLike | None = None) -> Models:
        """Load ``path`` (default: the current directory again) and swap it in; the old set serves until then."""
        with self._lock:
            fresh = load_models(self.models.directory if path is None else path)
            self.models = fresh  # one reference assignment: atomic for every reader
            return fresh


def parse_id(text: str, kind: str | None, what: str) -> object:
    """A path parameter as the model's id type: ``ValueError`` when it can never match (e.g. letters for ints)."""
    if kind == "number":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{what} must be an integer for this model, got {text!r}") from None
    return text


def is_known(index: pd.Index, key: object) -> bool:
    try:
        return bool(index.get_indexer([key])[0] >= 0)
    except (TypeError, ValueError):
        return False


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts (numpy scalars to Python; NaN to None)."""
    out = []
    values = [frame[c].to_numpy() for c in columns]
    for row in zip(*values, strict=True):
        out.append({c: _plain(v) for c, v in zip(columns, row, strict=True)})
    return out


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
