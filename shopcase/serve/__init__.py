"""Serve: models as artefacts without pickle, nightly batch personalisation, an HTTP service and a CLI.

- ``save`` / ``load`` / ``read_manifest`` / ``data_fingerprint``: model directories of JSON and ``.npz`` files
  with a verified manifest (``artifacts``).
- ``batch_recommend``: top-n for every user to partitioned Parquet, chunked and resumable, with business
  rules (``BusinessRules``) applied after scoring (``batch``, ``rules``).
- ``campaign_lists``: retention campaigns for HIGH and MEDIUM churn-risk customers (``campaign``).
- ``create_app``: the FastAPI service (``app``); the ``shopcase`` console command lives in ``cli``.

Names are imported on first use, so ``shopcase --help`` and each service worker start without loading
scikit-learn, FastAPI and pandas before they need them.
"""

from importlib import import_module

_WHERE = {
    "Manifest": "artifacts",
    "data_fingerprint": "artifacts",
    "load": "artifacts",
    "load_with_manifest": "artifacts",
    "model_fingerprint": "artifacts",
    "read_manifest": "artifacts",
    "save": "artifacts",
    "verify": "artifacts",
    "Verification": "artifacts",
    "ServiceProcess": "process",
    "time_requests": "process",
    "BatchReport": "batch",
    "batch_recommend": "batch",
    "read_batch": "batch",
    "Campaign": "campaign",
    "campaign_lists": "campaign",
    "BusinessRules": "rules",
    "category_lookup": "rules",
    "category_concentration": "rules",
    "recommend_with_rules": "rules",
    "create_app": "app",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    if name in _WHERE:
        value = getattr(import_module(f"shopcase.serve.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'shopcase.serve' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
