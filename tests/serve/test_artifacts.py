"""Artefacts: every model round-trips with identical outputs and state; damaged artefacts are refused by name."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator

import shopcase
import shopcase.recommend
from shopcase.churn import BGNBD, BGNBDClassifier, BinnedRateRule, ChurnModel, build_churn_dataset
from shopcase.recommend import (
    EASE,
    BaseRecommender,
    CompositeRecommender,
    ContentBased,
    Hybrid,
    ItemKNN,
    Popularity,
    RepeatAware,
    RepeatPurchase,
    TimeDecayed,
    UserKNN,
)
from shopcase.search import SearchIndex
from shopcase.serve import artifacts as artifacts_module
from shopcase.serve import data_fingerprint, load, read_manifest, save

CREATED = "2024-01-02T03:04:05"
ROOT = Path(shopcase.__file__).resolve().parent

RECOMMENDERS = {
    "popularity": lambda: Popularity(),
    "popularity-decayed": lambda: Popularity(recency_half_life_days=30.0),
    "itemknn": lambda: ItemKNN(k_neighbors=20),
    "itemknn-bm25": lambda: ItemKNN(k_neighbors=20, weighting="bm25", shrinkage=2.0),
    "userknn": lambda: UserKNN(k_neighbors=10),
    "ease": lambda: EASE(l2=50.0),
    "content": lambda: ContentBased(),
    "hybrid": lambda: Hybrid([ItemKNN(k_neighbors=20), ContentBased()], weights=[0.7, 0.3]),
    "hybrid-rank-threads": lambda: Hybrid([UserKNN(), EASE(l2=50.0), ContentBased()], normalisation="rank", n_jobs=2),
    "hybrid-alternate": lambda: Hybrid([ItemKNN(k_neighbors=20), Popularity()], strategy="alternate"),
    "repeat": lambda: RepeatPurchase(recency_half_life_days=60.0, item_repeat_exponent=1.0),
    "repeat-aware": lambda: RepeatAware(model=ItemKNN(k_neighbors=20), model_weight=0.2),
    "time-decayed": lambda: TimeDecayed(ItemKNN(k_neighbors=20), half_life_days=60.0),
}


def assert_same_value(a: object, b: object, path: str) -> None:
    """Deep equality of learned state, types and dtypes included."""
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, BaseEstimator):
        assert a.get_params(deep=False).keys() == b.get_params(deep=False).keys()
        names = sorted(set(vars(a)) | set(vars(b)))
        for name in names:
            assert name in vars(a) and name in vars(b), f"{path}.{name} missing after the round trip"
            assert_same_value(vars(a)[name], vars(b)[name], f"{path}.{name}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        if a.dtype.hasobject:
            assert [type(v) for v in a.ravel()] == [type(v) for v in b.ravel()], path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif sp.issparse(a):
        assert a.format == b.format and a.dtype == b.dtype and a.shape == b.shape, path
        for part in ("data", "indices", "indptr"):
            assert_same_value(getattr(a, part), getattr(b, part), f"{path}.{part}")
    elif isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b, exact=True)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_value(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            assert_same_value(a[key], b[key], f"{path}[{key!r}]")
    else:
        assert a == b or (a != a and b != b), f"{path}: {a!r} != {b!r}"


def _round_trip(model, tmp_path, data):
    save(model, tmp_path / "model", created_at=CREATED, training_data=data)
    loaded = load(tmp_path / "model")
    assert_same_value(model, loaded, type(model).__name__)
    return loaded


@pytest.mark.parametrize("name", list(RECOMMENDERS))
@pytest.mark.parametrize("ids", ["int", "str"])
def test_every_recommender_round_trips_with_identical_outputs(
    name, ids, interactions, str_interactions, shop, tmp_path
):
    data = interactions if ids == "int" else str_interactions
    catalogue = (
        shop.catalogue if ids == "int" else shop.catalogue.assign(item_id="i" + shop.catalogue["item_id"].astype(str))
    )
    model = RECOMMENDERS[name]().fit(data, item_features=catalogue)
    loaded = _round_trip(model, tmp_path, data)
    users = [*model.user_ids_[:150], "nobody" if ids == "str" else -1]
    for exclude_seen in (True, False):
        pd.testing.assert_frame_equal(
            model.recommend(users, n=10, exclude_seen=exclude_seen),
            loaded.recommend(users, n=10, exclude_seen=exclude_seen),
        )
    items = model.item_ids_[:40]
    pd.testing.assert_frame_equal(model.similar_items(items, n=5), loaded.similar_items(items, n=5))


def test_every_recommender_class_is_round_tripped():
    """A new recommender in shopcase.recommend must join RECOMMENDERS (its learned state may be new to the format)."""
    classes = {
        cls
        for cls in vars(shopcase.recommend).values()
        if isinstance(cls, type)
        and issubclass(cls, BaseRecommender)
        and cls not in (BaseRecommender, CompositeRecommender)
    }
    covered = {type(make()) for make in RECOMMENDERS.values()}
    assert classes - covered == set()


def test_a_reweighted_composite_keeps_its_learned_weights_and_shared_parts(interactions, shop, tmp_path):
    """``with_weights``: a copy whose ``weights_`` and parameters say the new weights, over the same fitted parts."""
    model = Hybrid([ItemKNN(k_neighbors=20), ContentBased()]).fit(interactions, item_features=shop.catalogue)
    reweighted = model.with_weights([0.2, 0.8])
    loaded = _round_trip(reweighted, tmp_path, interactions)
    np.testing.assert_array_equal(loaded.weights_, [0.2, 0.8])
    assert loaded.weights == [0.2, 0.8] and loaded.models_ is loaded.parts_
    users = model.user_ids_[:100]
    pd.testing.assert_frame_equal(loaded.recommend(users, n=10), reweighted.recommend(users, n=10))
    assert not loaded.recommend(users, n=10).equals(model.recommend(users, n=10))  # the weights matter
    aware = RepeatAware(model=ItemKNN(k_neighbors=20)).fit(interactions).with_weights([1.0, 0.5])
    (tmp_path / "aware").mkdir()
    loaded = _round_trip(aware, tmp_path / "aware", interactions)
    assert loaded.model_weight == 0.5 and loaded.history_ is loaded.parts_[0]


def _churn_dataset(shop, bgnbd=False):
    return build_churn_dataset(shop.events, "2023-09-01", horizon_days=60, log_end=shop.log_end, bgnbd=bgnbd)


@pytest.mark.parametrize(
    "params",
    [
        {"estimator": "gbm", "n_estimators": 30},
        {"estimator": "hgb", "n_estimators": 30, "calibration": "isotonic"},
        {"estimator": "gbm", "n_estimators": 20, "calibration": "sigmoid"},
    ],
    ids=["gbm", "hgb-isotonic", "gbm-sigmoid"],
)
def test_churn_model_round_trips_with_identical_probabilities(params, shop, tmp_path):
    data = _churn_dataset(shop)
    model = ChurnModel(**params).fit(data.features, data.labels)
    save(model, tmp_path / "churn", created_at=CREATED, training_data=[data.features, data.labels])
    loaded = load(tmp_path / "churn")
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(data.features), model.predict_proba(data.features))
    pd.testing.assert_frame_equal(loaded.predict_churn_risk(data.features), model.predict_churn_risk(data.features))
    assert sorted(p.name for p in (tmp_path / "churn" / "estimators").iterdir()) == ["ChurnModel.estimator_.skops"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: BGNBDClassifier(horizon_days=60, bgnbd=BGNBD(penalizer=0.01)),
        lambda: BinnedRateRule("total_orders", n_bins=5),
    ],
    ids=["bgnbd", "rule"],
)
def test_the_other_churn_classifiers_round_trip_with_identical_state(make, shop, tmp_path):
    data = _churn_dataset(shop, bgnbd=True)
    model = make().fit(data.features, data.labels)
    loaded = _round_trip(model, tmp_path, [data.features, data.labels])
    np.testing.assert_array_equal(loaded.predict_proba(data.features), model.predict_proba(data.features))
    assert loaded.score(data.features, data.labels) == model.score(data.features, data.labels)


def test_search_index_round_trips(shop, tmp_path):
    index = SearchIndex().fit(shop.catalogue)
    index.search("wireles headphnes")  # fills the private correction cache, which is saved too
    loaded = _round_trip(index, tmp_path, shop.catalogue)
    for query in ["wireless headphones", "headph", "coffee", "zzzz"]:
        pd.testing.assert_frame_equal(index.search(query, n=10), loaded.search(query, n=10))


def test_shared_arrays_stay_shared(interactions, tmp_path):
    model = ItemKNN(k_neighbors=10).fit(interactions)
    assert model._users_by_items is model.user_items_
    loaded = _round_trip(model, tmp_path, interactions)
    assert loaded._users_by_items is loaded.user_items_


def test_saving_is_deterministic_and_the_manifest_says_what_it_is(interactions, tmp_path):
    model = ItemKNN(k_neighbors=10).fit(interactions)
    first = save(model, tmp_path / "a", created_at=CREATED, training_data=interactions, metadata={"as_of": "x"})
    second = save(model, tmp_path / "b", created_at=CREATED, training_data=interactions, metadata={"as_of": "x"})
    assert first.fingerprint == second.fingerprint  # byte-identical files
    assert first.model_class == "shopcase.recommend.item_knn.ItemKNN"
    assert first.parameters["k_neighbors"] == 10 and first.created_at == CREATED
    assert first.training_data == data_fingerprint(interactions)
    assert set(first.files) == {"state.json", "arrays.npz"}
    assert first.metadata == {"as_of": "x"}
    assert "ItemKNN artefact" in str(first) and "\n" not in str(first)


def test_data_fingerprint_changes_with_any_value():
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    same = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    assert data_fingerprint(frame) == data_fingerprint(same)
    assert data_fingerprint(frame) != data_fingerprint(frame.assign(a=[1, 2, 4]))
    assert data_fingerprint(frame) != data_fingerprint(frame.rename(columns={"a": "c"}))
    assert data_fingerprint(frame) != data_fingerprint(frame.astype({"a": float}))
    assert data_fingerprint(frame) != data_fingerprint(frame.iloc[::-1])


@pytest.fixture(scope="module")
def churn_artefact(shop, tmp_path_factory):
    data = _churn_dataset(shop)
    model = ChurnModel(n_estimators=10).fit(data.features, data.labels)
    path = tmp_path_factory.mktemp("churn") / "churn"
    save(model, path, created_at=CREATED, training_data=[data.features, data.labels])
    return path


def _copy(source: Path, target: Path) -> Path:
    import shutil

    return Path(shutil.copytree(source, target))


@pytest.mark.parametrize(
    "name", ["manifest.json", "state.json", "arrays.npz", "estimators/ChurnModel.estimator_.skops"]
)
@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_one_flipped_byte_anywhere_is_refused_naming_the_file(name, where, churn_artefact, tmp_path):
    path = _copy(churn_artefact, tmp_path / "copy")
    file = path / name
    data = bytearray(file.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    file.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=re.escape(name.rpartition("/")[2]) + ".*(tampered|corrupt)"):
        load(path)


@pytest.mark.parametrize(
    "name", ["manifest.json", "state.json", "arrays.npz", "estimators/ChurnModel.estimator_.skops"]
)
def test_truncated_and_missing_files_are_refused_naming_the_file(name, churn_artefact, tmp_path):
    path = _copy(churn_artefact, tmp_path / "truncated")
    file = path / name
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    with pytest.raises(ValueError, match=re.escape(name.rpartition("/")[2]) + ".*(tampered|corrupt)"):
        load(path)
    path = _copy(churn_artefact, tmp_path / "missing")
    (path / name).unlink()
    with pytest.raises(ValueError, match=re.escape(name.rpartition("/")[2]) + ".*missing"):
        load(path)


def _rewrite_manifest(path: Path, **changes: object) -> None:
    """What an artefact written by another version looks like: consistent checksum, other values."""
    body = json.loads((path / "manifest.json").read_text())
    body.pop("manifest_sha256")
    body.update(changes)
    body["manifest_sha256"] = hashlib.sha256(artifacts_module._canonical(body)).hexdigest()
    (path / "manifest.json").write_bytes(artifacts_module._canonical(body))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"shopcase_version": "0.0.1"}, "written by shopcase 0.0.1"),
        ({"format_version": 99}, "format version 99"),
        ({"libraries": {"scikit-learn": "0.1"}}, "scikit-learn 0.1"),
        ({"files": {"../outside": "0" * 64}}, "outside the artefact"),
        ({"model_class": "os.system"}, "holds a .*ChurnModel but manifest.json says os.system"),
    ],
)
def test_version_mismatch_and_forged_manifests_are_refused(changes, reason, churn_artefact, tmp_path):
    path = _copy(churn_artefact, tmp_path / "copy")
    _rewrite_manifest(path, **changes)
    with pytest.raises(ValueError, match="manifest.json|state.json") as info:
        load(path)
    assert re.search(reason, str(info.value))


def test_a_class_outside_shopcase_is_never_imported(interactions, tmp_path):
    save(Popularity().fit(interactions), tmp_path / "m", created_at=CREATED, training_data=interactions)
    state = json.loads((tmp_path / "m" / "state.json").read_text())
    state["root"]["class"] = "subprocess.Popen"
    raw = artifacts_module._canonical(state)
    (tmp_path / "m" / "state.json").write_bytes(raw)
    _rewrite_manifest(
        tmp_path / "m",
        files={
            "state.json": hashlib.sha256(raw).hexdigest(),
            "arrays.npz": artifacts_module.sha256_file(tmp_path / "m" / "arrays.npz"),
        },
    )
    with pytest.raises(ValueError, match="not a shopcase class; refusing to import it"):
        load(tmp_path / "m")


def test_untrusted_types_in_a_skops_file_are_refused(churn_artefact, monkeypatch):
    monkeypatch.setattr(artifacts_module, "TRUSTED_TYPES", ())
    with pytest.raises(ValueError, match=r"\.skops: holds types outside the trusted list.*sklearn\.tree"):
        load(churn_artefact)


def test_a_missing_or_foreign_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a directory"):
        load(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="manifest.json: missing"):
        load(tmp_path / "empty")


class _Odd(Popularity):
    """A model with an attribute the format does not know: it must fail loudly, naming it."""


def test_an_attribute_of_unknown_type_is_refused_by_name(interactions, tmp_path):
    model = Popularity().fit(interactions)
    model.callback_ = lambda x: x
    with pytest.raises(ValueError, match=r"Popularity\.callback_: cannot store a value of type .*function"):
        save(model, tmp_path / "m", created_at=CREATED, training_data=interactions)
    assert not (tmp_path / "m").exists()
    model = Popularity().fit(interactions)
    model.frame_ = interactions
    with pytest.raises(ValueError, match=r"frame_: cannot store a value of type pandas.*DataFrame"):
        save(model, tmp_path / "m", created_at=CREATED, training_data=interactions)
    model = Popularity().fit(interactions)
    model.note = "x"
    with pytest.raises(ValueError, match=r"Popularity\.note: attribute is neither a parameter"):
        save(model, tmp_path / "m", created_at=CREATED, training_data=interactions)
    model = Popularity().fit(interactions)
    model.ids_ = np.array([object()], dtype=object)
    with pytest.raises(ValueError, match=r"ids_: object array holds a value of type builtins.object"):
        save(model, tmp_path / "m", created_at=CREATED, training_data=interactions)


def test_bad_save_arguments_are_refused(interactions, tmp_path):
    model = Popularity().fit(interactions)
    with pytest.raises(ValueError, match="not fitted"):
        save(Popularity(), tmp_path / "m", created_at=CREATED, training_data=interactions)
    with pytest.raises(ValueError, match="created_at"):
        save(model, tmp_path / "m", created_at="not a date", training_data=interactions)
    with pytest.raises(ValueError, match="training_data"):
        save(model, tmp_path / "m", created_at=CREATED, training_data=42)
    with pytest.raises(ValueError, match="shopcase model"):
        save(object(), tmp_path / "m", created_at=CREATED, training_data=interactions)
    save(model, tmp_path / "m", created_at=CREATED, training_data=interactions)
    with pytest.raises(ValueError, match="already exists"):
        save(model, tmp_path / "m", created_at=CREATED, training_data=interactions)
    newer = save(model, tmp_path / "m", created_at="2025-01-01", training_data=interactions, overwrite=True)
    assert newer.created_at.startswith("2025-01-01") and read_manifest(tmp_path / "m") == newer
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary directories left behind


def test_no_pickle_anywhere_in_the_package():
    forbidden = re.compile(
        r"\bimport pickle\b|\bfrom pickle\b|\bjoblib\b|allow_pickle\s*=\s*True|\bcloudpickle\b|\bdill\b"
    )
    offenders = [
        f"{path.relative_to(ROOT.parent)}:{n}"
        for path in ROOT.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []
