"""Serve: models as artefacts without pickle, nightly batch personalisation, an HTTP service and a CLI.

- ``save`` / ``load`` / ``read_manifest`` / ``data_fingerprint``: model directories of JSON and ``.npz`` files
  with a verified manifest (``artifacts``).
- ``batch_recommend``: top-n for every user to partitioned Parquet, chunked and resumable, with business
  rules (``BusinessRules``) applied after scoring (``batch``, ``rules``).
- ``campaign_lists``: retention campaigns for HIGH and MEDIUM churn-risk customers (``campaign``).
- ``create_app``: the FastAPI service (``app``); the ``shopcase`` console command lives in ``cli``.
"""

from shopcase.serve.artifacts import (
    Manifest,
    data_fingerprint,
    load,
    load_with_manifest,
    model_fingerprint,
    read_manifest,
    save,
)
from shopcase.serve.batch import BatchReport, batch_recommend, read_batch
from shopcase.serve.campaign import Campaign, campaign_lists
from shopcase.serve.rules import BusinessRules, category_lookup, recommend_with_rules

__all__ = [
    "BatchReport",
    "BusinessRules",
    "Campaign",
    "Manifest",
    "batch_recommend",
    "campaign_lists",
    "category_lookup",
    "create_app",
    "data_fingerprint",
    "load",
    "load_with_manifest",
    "model_fingerprint",
    "read_batch",
    "read_manifest",
    "recommend_with_rules",
    "save",
]


def __getattr__(name: str) -> object:
    # The HTTP app imports FastAPI; only those who serve pay for it (the CLI starts faster without).
    if name == "create_app":
        from shopcase.serve.app import create_app

        return create_app
    raise AttributeError(f"module 'shopcase.serve' has no attribute {name!r}")
