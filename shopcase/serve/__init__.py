"""Serve: models as artefacts without pickle, nightly batch personalisation, an HTTP service and a CLI.

- ``save`` / ``load`` / ``read_manifest`` / ``data_fingerprint``: model directories of JSON and ``.npz`` files
  with a verified manifest (``artifacts``).
- ``batch_recommend``: top-n for every user to partitioned Parquet, chunked and resumable, with business
  rules (``BusinessRules``) applied after scoring (``batch``, ``rules``).
- ``campaign_lists``: retention campaigns for HIGH and MEDIUM churn-risk customers (``campaign``).
- ``create_app``: the FastAPI service (``app``); the ``shopcase`` console command lives in ``cli``.
"""

from shopcase.serve.artifacts import Manifest, data_fingerprint, load, load_with_manifest, read_manifest, save

__all__ = [
    "Manifest",
    "data_fingerprint",
    "load",
    "load_with_manifest",
    "read_manifest",
    "save",
]
