"""Model artefacts a shop can ship: a directory of plain files that loading never executes.

``save(model, path, created_at=..., training_data=...)`` writes::

    path/manifest.json     format and shopcase versions, model class, parameters, training-data fingerprint,
                           created_at, library versions, the SHA-256 of every other file, and its own checksum
    path/state.json        the learned state as typed JSON nodes (ids, column lists, scalars; see ``_codec``)
    path/arrays.npz        every numeric array (read with ``allow_pickle=False``)
    path/estimators/*.skops  scikit-learn estimators inside the model (the churn model's fitted pipeline)

Why skops for scikit-learn estimators: gradient-boosted trees are Cython ``Tree`` objects and histogram
``TreePredictor`` node tables, with calibrators around them; re-implementing their (version-dependent) state
in our own JSON would be a second implementation to keep in step with scikit-learn. skops reads a zip of
JSON and numpy arrays and instantiates only the types we list in ``TRUSTED_TYPES`` (scikit-learn's own
estimators are trusted by skops already); anything else is refused before any object is built. Nothing is
unpickled, and ``np.load`` always runs with ``allow_pickle=False``.

``load(path)`` checks, before parsing anything: every file the manifest lists exists and has its SHA-256,
the manifest's own checksum, the format version, the shopcase version (and scikit-learn's when a skops file
is inside). Any failure is a ``ValueError`` naming the file and the reason. A write goes to a temporary
directory renamed into place, so a crash never leaves a half-written artefact under ``path``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

import shopcase
from shopcase.serve._codec import Decoder, Encoder, class_path, is_shopcase_estimator, plain_params
from shopcase.validate import as_timestamp

FORMAT = "shopcase-model"
FORMAT_VERSION = 1
"""Bump when the layout of an artefact changes; artefacts of another format version are refused."""
MANIFEST, STATE, ARRAYS, ESTIMATORS = "manifest.json", "state.json", "arrays.npz", "estimators"
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.model_selection._split.KFold",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn.dummy.DummyClassifier",
)
"""Types a skops file may instantiate besides those skops trusts by default (scikit-learn estimators)."""
LIBRARIES: tuple[str, ...] = ("numpy", "scipy", "pandas", "scikit-learn", "skops")


@dataclass(frozen=True)
class Manifest:
    """What an artefact is: read with ``read_manifest`` (verified) or returned by ``save``."""

    path: Path
    model_class: str
    shopcase_version: str
    format_version: int
    created_at: str
    training_data: str
    fingerprint: str
    """SHA-256 of ``manifest.json``: one id for the whole artefact (it lists every other file's hash)."""
    parameters: dict[str, Any] = field(repr=False)
    files: dict[str, str] = field(repr=False)
    libraries: dict[str, str] = field(repr=False)
    metadata: dict[str, Any] = field(repr=False)

    def __str__(self) -> str:
        name = self.model_class.rpartition(".")[2]
        return (
            f"{name} artefact {self.fingerprint[:12]} (shopcase {self.shopcase_version}, format "
            f"{self.format_version}), created {self.created_at}, trained on data {self.training_data[:12]}, "
            f"{len(self.files)} files"
        )

    def summary(self) -> dict[str, Any]:
        """A JSON-ready view (what ``/health`` shows)."""
        return {
            "model_class": self.model_class,
            "fingerprint": self.fingerprint,
            "training_data": self.training_data,
            "created_at": self.created_at,
            "shopcase_version": self.shopcase_version,
            "format_version": self.format_version,
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(*frames: pd.DataFrame | pd.Series) -> str:
    """SHA-256 of one or more frames: column names, dtypes, index and every value (row order matters).

    Two frames with the same content give the same fingerprint in any session (pandas' fixed hash key);
    a changed value, row, column name or dtype changes it.
    """
    if not frames:
        raise ValueError("training_data: give at least one DataFrame to fingerprint")
    digest = hashlib.sha256()
    for frame in frames:
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"training_data must hold DataFrames, got {type(frame).__name__}")
        digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
        digest.update(str(frame.shape).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def _training_fingerprint(training_data: object) -> str:
    if isinstance(training_data, str):
        if len(training_data) != 64 or any(c not in "0123456789abcdef" for c in training_data):
            raise ValueError("training_data: a string must be a SHA-256 hex digest (see data_fingerprint)")
        return training_data
    if isinstance(training_data, (pd.DataFrame, pd.Series)):
        return data_fingerprint(training_data)
    if isinstance(training_data, Sequence) and training_data:
        return data_fingerprint(*training_data)
    raise ValueError(
        "training_data must be the DataFrame(s) the model was fitted on, or their data_fingerprint(); "
        f"got {type(training_data).__name__}"
    )


def _libraries() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - every one is a dependency
            found[name] = "missing"
    return found


def _canonical(document: dict) -> bytes:
    return (json.dumps(document, sort_keys=True, indent=1, ensure_ascii=True) + "\n").encode()


def _check_fitted(model: object) -> None:
    if not is_shopcase_estimator(model):
        raise ValueError(
            f"save takes a shopcase model (recommender, churn model, search index); got {class_path(model)}"
        )
    if not any(name.endswith("_") and not name.startswith("__") for name in vars(model)):
        raise ValueError(f"save: {type(model).__name__} is not fitted; fit it before saving")


def save(
    model: BaseEstimator,
    path: str | os.PathLike,
    *,
    created_at: object,
    training_data: object,
    metadata: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Manifest:
    """Write a fitted shopcase ``model`` to the directory ``path``; return its ``Manifest``.

    Parameters
    ----------
    model : estimator
        A fitted shopcase recommender, ``ChurnModel`` or ``SearchIndex``.
    path : path-like
        The artefact directory (created; its parent must exist).
    created_at : date-like
        When the model was made, given by the caller (never read from the clock: saving twice gives
        byte-identical files).
    training_data : DataFrame, sequence of DataFrames or str
        What the model was fitted on (fingerprinted with ``data_fingerprint``), or that fingerprint.
    metadata : dict, optional
        Small JSON-ready notes to keep beside (e.g. ``{"as_of": "2023-10-01"}``).
    overwrite : bool, default False
        Replace an existing artefact at ``path`` (the new one is complete before the old one goes).

    Raises
    ------
    ValueError
        Unfitted model, bad ``created_at`` / ``training_data``, an attribute the format cannot store
        (named, with its type), or ``path`` existing without ``overwrite``.
    """
    _check_fitted(model)
    path = Path(path)
    stamp = as_timestamp(created_at, "created_at").isoformat()
    fingerprint = _training_fingerprint(training_data)
    extra = {} if metadata is None else metadata
    try:
        json.dumps(extra, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata must be JSON-ready (str keys, plain values): {exc}") from exc
    if path.exists() and not overwrite:
        raise ValueError(f"{path}: already exists; pass overwrite=True to replace it")
    if not path.parent.is_dir():
        raise ValueError(f"{path.parent}: the folder to save into does not exist")

    encoder = Encoder()
    root = encoder.estimator(model, type(model).__name__)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        (tmp / STATE).write_bytes(_canonical({"root": root}))
        with open(tmp / ARRAYS, "wb") as handle:
            np.savez(handle, **encoder.arrays)
        if encoder.foreign:
            import skops.io as sio

            (tmp / ESTIMATORS).mkdir()
            for name, estimator in encoder.foreign.items():
                (tmp / ESTIMATORS / f"{name}.skops").write_bytes(sio.dumps(estimator))
        files = {str(p.relative_to(tmp).as_posix()): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "shopcase_version": shopcase.__version__,
            "model_class": class_path(model),
            "parameters": {k: plain_params(v) for k, v in root["params"].items()},
            "training_data_fingerprint": fingerprint,
            "created_at": stamp,
            "libraries": _libraries(),
            "metadata": extra,
            "files": files,
        }
        body["manifest_sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
        (tmp / MANIFEST).write_bytes(_canonical(body))
        if path.exists():
            old = path.with_name(f".{path.name}.old{os.getpid()}")
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old)
        else:
            tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return read_manifest(path)


def _fail(path: Path, reason: str) -> ValueError:
    return ValueError(f"{path}: {reason}")


def read_manifest(path: str | os.PathLike, verify: bool = True) -> Manifest:
    """The verified ``Manifest`` of the artefact at ``path`` (``verify=False`` skips the file hashes).

    Raises ``ValueError`` naming the file and the reason: missing, not JSON, tampered (checksum), another
    format or shopcase version, a listed file missing or with another SHA-256 (truncated or changed).
    """
    path = Path(path)
    if not path.is_dir():
        raise _fail(path, "no model artefact here (not a directory)")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise _fail(manifest_path, "missing: not a shopcase model artefact, or an incomplete copy")
    raw = manifest_path.read_bytes()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(manifest_path, f"corrupt (not valid JSON: {exc})") from exc
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise _fail(manifest_path, f"not a {FORMAT} manifest")
    claimed = body.pop("manifest_sha256", None)
    if (
        claimed != hashlib.sha256(_canonical(body)).hexdigest()
        or _canonical({**body, "manifest_sha256": claimed}) != raw
    ):
        raise _fail(manifest_path, "tampered or corrupt: its checksum does not match its content")
    if body["format_version"] != FORMAT_VERSION:
        raise _fail(
            manifest_path,
            f"format version {body['format_version']} but this shopcase reads version {FORMAT_VERSION}; "
            "re-train and save the model with this version",
        )
    if body["shopcase_version"] != shopcase.__version__:
        raise _fail(
            manifest_path,
            f"written by shopcase {body['shopcase_version']} but this is shopcase {shopcase.__version__}; "
            "a model's attributes may differ between versions: re-train and save it with this version",
        )
    files: dict[str, str] = body["files"]
    if any(name.startswith(ESTIMATORS + "/") for name in files):
        mine = _libraries()["scikit-learn"]
        if body["libraries"].get("scikit-learn") != mine:
            raise _fail(
                manifest_path,
                f"its estimators were saved with scikit-learn {body['libraries'].get('scikit-learn')} but this "
                f"is scikit-learn {mine}; tree models are only guaranteed identical on the same version",
            )
    if verify:
        for name, digest in files.items():
            file = path / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                raise _fail(manifest_path, f"lists a file outside the artefact: {name!r}")
            if not file.is_file():
                raise _fail(file, "missing (listed in manifest.json)")
            if sha256_file(file) != digest:
                raise _fail(file, "tampered or truncated: its SHA-256 differs from manifest.json")
    return Manifest(
        path=path,
        model_class=body["model_class"],
        shopcase_version=body["shopcase_version"],
        format_version=body["format_version"],
        created_at=body["created_at"],
        training_data=body["training_data_fingerprint"],
        fingerprint=hashlib.sha256(raw).hexdigest(),
        parameters=body["parameters"],
        files=files,
        libraries=body["libraries"],
        metadata=body["metadata"],
    )


def _load_skops(path: Path, name: str, expected_class: str) -> BaseEstimator:
    import skops.io as sio

    file = path / ESTIMATORS / f"{name}.skops"
    data = file.read_bytes()
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises several types on a malformed file
        raise _fail(file, f"corrupt estimator file ({type(exc).__name__}: {exc})") from exc
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise _fail(file, f"holds types outside the trusted list, refusing to load: {refused}")
    estimator = sio.loads(data, trusted=list(TRUSTED_TYPES))
    if class_path(estimator) != expected_class:
        raise _fail(file, f"holds a {class_path(estimator)}, expected {expected_class}")
    return estimator


def load(path: str | os.PathLike) -> BaseEstimator:
    """The model saved at ``path``, verified first (see ``read_manifest``); it predicts as when saved."""
    return load_with_manifest(path)[0]


def load_with_manifest(path: str | os.PathLike) -> tuple[BaseEstimator, Manifest]:
    """``load`` and the verified ``Manifest`` in one read (each file is hashed once)."""
    manifest = read_manifest(path)
    path = manifest.path
    try:
        state = json.loads((path / STATE).read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path / STATE, f"corrupt (not valid JSON: {exc})") from exc
    try:
        with np.load(io.BytesIO((path / ARRAYS).read_bytes()), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (ValueError, OSError, EOFError) as exc:
        raise _fail(path / ARRAYS, f"unreadable ({exc})") from exc
    decoder = Decoder(arrays, lambda name, cls: _load_skops(path, name, cls), str(path / STATE))
    root = state.get("root") if isinstance(state, dict) else None
    if not isinstance(root, dict) or not isinstance(root.get("class"), str):
        raise _fail(path / STATE, "corrupt: no model in it")
    model = decoder.estimator(root, root["class"].rpartition(".")[2])  # the root path save used
    if class_path(model) != manifest.model_class:
        raise _fail(path / STATE, f"holds a {class_path(model)} but manifest.json says {manifest.model_class}")
    return model, manifest


def model_fingerprint(model: BaseEstimator) -> str:
    """SHA-256 of a fitted model's class, parameters and learned state, without writing it anywhere.

    Equal for a model and its ``load``-ed copy; used by batch runs to check that a resumed run uses the
    same model. Costs one pass over the model's arrays (about a second per GB).
    """
    _check_fitted(model)
    encoder = Encoder()
    digest = hashlib.sha256(_canonical(encoder.estimator(model, type(model).__name__)))
    for key in sorted(encoder.arrays):
        array = encoder.arrays[key]
        digest.update(f"{key}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    if encoder.foreign:
        import skops.io as sio

        for name in sorted(encoder.foreign):
            digest.update(name.encode())
            digest.update(sio.dumps(encoder.foreign[name]))
    return digest.hexdigest()


@dataclass(frozen=True)
class Verification:
    """Whether an artefact loads: ``ok``, and the reason when it does not (the file and what is wrong)."""

    path: Path
    ok: bool
    reason: str

    def __str__(self) -> str:
        return f"{self.path.name}: ok" if self.ok else f"refused: {self.reason}"


def verify(path: str | os.PathLike) -> Verification:
    """Check an artefact's manifest and every file's SHA-256 (what ``load`` checks first); never raises."""
    path = Path(path)
    try:
        read_manifest(path)
    except ValueError as exc:
        return Verification(path, False, str(exc))
    return Verification(path, True, "")
