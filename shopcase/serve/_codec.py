"""A model's parameters and learned state as JSON plus plain arrays: no pickle, and a loud refusal otherwise.

``encode`` walks an estimator: its parameters (``get_params(deep=False)``) and every other attribute in
``vars(model)``, i.e. what it learned (names ending in ``_``) and private derived state (names starting
with ``_``). Each value becomes a JSON node that says what it was:

* ``None``, ``bool``, ``int``, ``float``, ``str`` and numpy scalars: inline JSON;
* ``list``, ``tuple`` and ``dict`` (``str`` or ``int`` keys): nodes of nodes;
* ``numpy.ndarray`` without Python objects: an entry of ``arrays.npz`` (read with ``allow_pickle=False``);
  an object array of ``str`` is stored as a fixed-width unicode array, one of other plain scalars as JSON;
* ``scipy.sparse`` CSR/CSC/BSR/COO matrices and arrays: their index and data arrays;
* ``pandas.Index``: its values and dtype;
* a shopcase estimator (a fitted sub-model): class, parameters and state, recursively;
* a scikit-learn estimator (the churn model's pipeline): a ``skops`` file, loaded with an explicit trusted-type
  list (see ``artifacts``);
* an object met twice (``ItemKNN`` keeps the interaction matrix under two names): a reference to the first.

Anything else raises ``ValueError`` naming the attribute and its type, so a new model attribute fails the
round-trip tests loudly instead of being dropped. ``decode`` rebuilds only classes of the ``shopcase``
package (imported by name) and the types above; it never executes code from the artefact.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator

Node = dict[str, Any]

_SPARSE_PARTS: dict[str, tuple[str, ...]] = {
    "csr": ("data", "indices", "indptr"),
    "csc": ("data", "indices", "indptr"),
    "bsr": ("data", "indices", "indptr"),
    "coo": ("data", "row", "col"),
}
_SPARSE_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        sp.csr_matrix,
        sp.csc_matrix,
        sp.bsr_matrix,
        sp.coo_matrix,
        sp.csr_array,
        sp.csc_array,
        sp.bsr_array,
        sp.coo_array,
    )
}
_CLASS_PATH = re.compile(r"^shopcase(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_PLAIN = (type(None), bool, int, float, str)


def class_path(obj: object) -> str:
    """``module.QualifiedName`` of ``obj``'s class."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_shopcase_estimator(obj: object) -> bool:
    return isinstance(obj, BaseEstimator) and type(obj).__module__.startswith("shopcase.")


def resolve_class(path: str, where: str) -> type:
    """The shopcase estimator class named ``path``; ``ValueError`` for anything outside the package."""
    if not isinstance(path, str) or not _CLASS_PATH.match(path):
        raise ValueError(f"{where}: model class {path!r} is not a shopcase class; refusing to import it")
    module_name, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{where}: model class {path!r} does not exist in this shopcase version") from exc
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
        raise ValueError(f"{where}: {path!r} is not an estimator class")
    return cls


def state_names(model: BaseEstimator, where: str) -> list[str]:
    """The attributes of ``model`` that are not parameters: learned (``name_``) or private (``_name``)."""
    params = set(model.get_params(deep=False))
    names = []
    for name in vars(model):
        if name in params:
            continue
        if not (name.endswith("_") or name.startswith("_")):
            raise ValueError(
                f"{where}.{name}: attribute is neither a parameter of {type(model).__name__} nor learned "
                "(a name ending in '_'); the artefact format cannot tell what it is"
            )
        names.append(name)
    return sorted(names)


class Encoder:
    """Turns values into JSON nodes; arrays go to ``self.arrays``, foreign estimators to ``self.foreign``."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.foreign: dict[str, BaseEstimator] = {}
        self._seen: dict[int, tuple[object, str]] = {}

    # --- entry points ---------------------------------------------------------------------
    def estimator(self, model: BaseEstimator, path: str, with_state: bool = True) -> Node:
        node: Node = {
            "type": "estimator",
            "class": class_path(model),
            "params": {k: self.value(v, f"{path}.{k}", params=True) for k, v in model.get_params(deep=False).items()},
        }
        if with_state:
            node["state"] = {
                name: self.value(getattr(model, name), f"{path}.{name}") for name in state_names(model, path)
            }
        return node

    def value(self, value: object, path: str, params: bool = False) -> Node:
        if isinstance(value, _PLAIN):
            return {"type": "json", "value": value}
        if isinstance(value, np.generic) and not isinstance(value, np.object_):
            if value.dtype.hasobject or value.dtype.kind in "MmV":
                raise self._refuse(value, path)
            return {"type": "numpy_scalar", "dtype": value.dtype.str, "value": value.item()}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            if type(value) not in (list, tuple):  # namedtuples and list subclasses would come back as plain ones
                raise self._refuse(value, path)
            return {"type": kind, "items": [self.value(v, f"{path}[{i}]", params) for i, v in enumerate(value)]}
        if isinstance(value, dict):
            if type(value) is not dict:
                raise self._refuse(value, path)
            keys = list(value)
            if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
                raise ValueError(f"{path}: dict keys must be str or int to be stored, got {keys[:3]!r}")
            return {
                "type": "dict",
                "keys": keys,
                "values": [self.value(value[k], f"{path}[{k!r}]", params) for k in keys],
            }
        if isinstance(value, BaseEstimator):
            if params:  # a parameter is an unfitted template (Hybrid's models): class and parameters only
                if not is_shopcase_estimator(value):
                    raise self._refuse(value, path)
                return self.estimator(value, path, with_state=False)
            return self._shared(value, path, self._fitted_estimator)
        if isinstance(value, np.ndarray):
            return self._shared(value, path, self._ndarray)
        if sp.issparse(value):
            return self._shared(value, path, self._sparse)
        if isinstance(value, pd.Index):
            return self._shared(value, path, self._index)
        raise self._refuse(value, path)

    # --- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _refuse(value: object, path: str) -> ValueError:
        return ValueError(
            f"{path}: cannot store a value of type {class_path(value)} in a model artefact "
            "(supported: JSON scalars, lists, tuples, dicts, numpy arrays, scipy sparse matrices, pandas Index, "
            "shopcase and scikit-learn estimators); extend shopcase.serve._codec for it"
        )

    def _shared(self, value: object, path: str, encode: Callable[[object, str], Node]) -> Node:
        """Encode ``value`` once; later occurrences of the same object become references to ``path``."""
        seen = self._seen.get(id(value))
        if seen is not None and seen[0] is value:
            return {"type": "ref", "path": seen[1]}
        self._seen[id(value)] = (value, path)  # the value is kept alive, so its id is not reused meanwhile
        return encode(value, path)

    def _store(self, array: np.ndarray, path: str) -> str:
        key = f"a{len(self.arrays):05d}"
        self.arrays[key] = np.ascontiguousarray(array)
        return key

    def _ndarray(self, array: np.ndarray, path: str) -> Node:
        if not array.dtype.hasobject:
            return {"type": "ndarray", "key": self._store(array, path)}
        flat = array.ravel().tolist()
        if all(isinstance(v, str) and not v.endswith("\x00") for v in flat):
            # Fixed-width unicode: loads without pickle; numpy would strip trailing NULs, hence the check.
            unicode = np.asarray(flat, dtype=str if flat else "<U1").reshape(array.shape)
            return {"type": "ndarray", "key": self._store(unicode, path), "as_object": True}
        if all(isinstance(v, _PLAIN) or isinstance(v, np.generic) for v in flat):
            values = [self.value(v, f"{path}[{i}]") for i, v in enumerate(flat)]
            return {"type": "object_array", "shape": list(array.shape), "values": values}
        odd = next(v for v in flat if not isinstance(v, _PLAIN))
        raise ValueError(f"{path}: object array holds a value of type {class_path(odd)}; cannot store it safely")

    def _sparse(self, matrix: object, path: str) -> Node:
        cls = type(matrix).__name__
        fmt = matrix.format  # type: ignore[attr-defined]
        if cls not in _SPARSE_CLASSES or fmt not in _SPARSE_PARTS:
            raise self._refuse(matrix, path)
        parts = {part: self._store(getattr(matrix, part), f"{path}.{part}") for part in _SPARSE_PARTS[fmt]}
        node: Node = {"type": "sparse", "class": cls, "shape": list(matrix.shape), "parts": parts}  # type: ignore[attr-defined]
        if fmt in ("csr", "csc"):
            node["sorted_indices"] = bool(matrix.has_sorted_indices)  # type: ignore[attr-defined]
        if fmt == "bsr":
            node["blocksize"] = list(matrix.blocksize)  # type: ignore[attr-defined]
        return node

    def _index(self, index: pd.Index, path: str) -> Node:
        if isinstance(index, (pd.MultiIndex, pd.CategoricalIndex, pd.IntervalIndex, pd.PeriodIndex)):
            raise self._refuse(index, path)
        if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
            raise self._refuse(index, path)
        if isinstance(index, pd.RangeIndex):
            return {"type": "range_index", "start": index.start, "stop": index.stop, "step": index.step,
                    "name": self.value(index.name, f"{path}.name")}  # fmt: skip
        values = index.to_numpy()
        return {
            "type": "index",
            "dtype": str(index.dtype),
            "name": self.value(index.name, f"{path}.name"),
            "values": self._ndarray(values, path),
        }

    def _fitted_estimator(self, model: BaseEstimator, path: str) -> Node:
        if is_shopcase_estimator(model):
            return self.estimator(model, path)
        if type(model).__module__.startswith("sklearn."):
            name = re.sub(r"[^A-Za-z0-9_.]+", "_", path.strip(".")) or "estimator"
            self.foreign[name] = model
            return {"type": "skops", "name": name, "class": class_path(model)}
        raise self._refuse(model, path)


class Decoder:
    """Rebuilds values from JSON nodes, ``arrays`` (an npz read without pickle) and loaded foreign estimators."""

    def __init__(self, arrays: Any, foreign: Callable[[str, str], BaseEstimator], where: str) -> None:
        self.arrays = arrays
        self.foreign = foreign
        self.where = where
        self._built: dict[str, object] = {}

    def estimator(self, node: Node, path: str) -> BaseEstimator:
        self._expect(node, "estimator", path)
        cls = resolve_class(node["class"], self.where)
        params = {k: self.value(v, f"{path}.{k}") for k, v in node["params"].items()}
        try:
            model = cls(**params)
        except TypeError as exc:
            raise ValueError(f"{self.where}: parameters of {node['class']} do not fit this version: {exc}") from exc
        self._built[path] = model
        for name, child in node.get("state", {}).items():
            if not (name.endswith("_") or name.startswith("_")) or name in params:
                raise ValueError(f"{self.where}: {path}.{name} is not a learned attribute")
            setattr(model, name, self.value(child, f"{path}.{name}"))
        return model

    def value(self, node: Node, path: str) -> object:
        if not isinstance(node, dict) or "type" not in node:
            raise ValueError(f"{self.where}: malformed entry at {path}")
        kind = node["type"]
        if kind == "json":
            return node["value"]
        if kind == "numpy_scalar":
            dtype = np.dtype(node["dtype"])
            if dtype.hasobject or dtype.kind in "MmV":
                raise ValueError(f"{self.where}: {path} has a forbidden dtype {node['dtype']!r}")
            return dtype.type(node["value"])
        if kind in ("list", "tuple"):
            items = [self.value(v, f"{path}[{i}]") for i, v in enumerate(node["items"])]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            keys = node["keys"]
            return {k: self.value(v, f"{path}[{k!r}]") for k, v in zip(keys, node["values"], strict=True)}
        if kind == "ref":
            if node["path"] not in self._built:
                raise ValueError(f"{self.where}: {path} refers to {node['path']!r}, which is not stored before it")
            return self._built[node["path"]]
        if kind == "estimator":
            return self.estimator(node, path)
        built = self._build(node, path)
        self._built[path] = built
        return built

    def _build(self, node: Node, path: str) -> object:
        kind = node["type"]
        if kind == "ndarray":
            array = self._array(node["key"], path)
            return array.astype(object) if node.get("as_object") else array
        if kind == "object_array":
            values = [self.value(v, f"{path}[{i}]") for i, v in enumerate(node["values"])]
            out = np.empty(len(values), dtype=object)
            out[:] = values
            return out.reshape(node["shape"])
        if kind == "sparse":
            return self._sparse(node, path)
        if kind == "range_index":
            return pd.RangeIndex(node["start"], node["stop"], node["step"], name=self.value(node["name"], path))
        if kind == "index":
            values = self._build(node["values"], path)
            return pd.Index(values, dtype=node["dtype"], name=self.value(node["name"], path), tupleize_cols=False)
        if kind == "skops":
            return self.foreign(node["name"], node["class"])
        raise ValueError(f"{self.where}: unknown entry type {kind!r} at {path}")

    def _array(self, key: str, path: str) -> np.ndarray:
        if key not in self.arrays:
            raise ValueError(f"{self.where}: arrays.npz has no array {key!r} (for {path})")
        return self.arrays[key]

    def _sparse(self, node: Node, path: str) -> object:
        cls = _SPARSE_CLASSES.get(node["class"])
        if cls is None:
            raise ValueError(f"{self.where}: {path} has an unknown sparse class {node['class']!r}")
        parts = {name: self._array(key, path) for name, key in node["parts"].items()}
        shape = tuple(node["shape"])
        fmt = cls.__name__[:3]  # csr, csc, bsr or coo
        if fmt == "coo":
            matrix = cls((parts["data"], (parts["row"], parts["col"])), shape=shape)
        elif fmt == "bsr":
            matrix = cls((parts["data"], parts["indices"], parts["indptr"]), shape=shape, blocksize=node["blocksize"])
        else:
            matrix = cls((parts["data"], parts["indices"], parts["indptr"]), shape=shape)
        if "sorted_indices" in node:
            matrix.has_sorted_indices = node["sorted_indices"]
        return matrix

    def _expect(self, node: Node, kind: str, path: str) -> None:
        if not isinstance(node, dict) or node.get("type") != kind:
            raise ValueError(f"{self.where}: expected a {kind} at {path}")


def plain_params(node: Node) -> object:
    """A readable JSON view of an encoded parameter node (for the manifest and ``/health``)."""
    kind = node.get("type")
    if kind in ("json", "numpy_scalar"):
        return node["value"]
    if kind in ("list", "tuple"):
        return [plain_params(v) for v in node["items"]]
    if kind == "dict":
        return {str(k): plain_params(v) for k, v in zip(node["keys"], node["values"], strict=True)}
    if kind == "estimator":
        return {"class": node["class"], "params": {k: plain_params(v) for k, v in node["params"].items()}}
    return f"<{kind}>"
