"""The contract every recommender keeps, run over all of them (in the spirit of implicit's shared base tests).

Each model family gets its oracle tests elsewhere (dense numpy, implicit); this suite checks what they share:
the output frame, exclude_seen, cold start, determinism, chunk- and thread-invariance, id types (int, str,
one of each, lossless conversions; wrong kinds refused), every bad parameter (read from the model's own
declared constraints), the scikit-learn round trip (clone / get_params / set_params), refits with other
data, a failed fit (the previous fit stays intact, a first fit leaves the model unfitted) and unfitted use.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from shopcase.recommend import (
    EASE,
    ContentBased,
    Hybrid,
    ItemKNN,
    Popularity,
    RepeatAware,
    RepeatPurchase,
    SeedRecommender,
    TimeDecayed,
    UserKNN,
)
from shopcase.recommend._parallel import available_cpus, effective_threads, thread_scope
from shopcase.recommend.base import BaseRecommender
from shopcase.schema import RECOMMENDATIONS_COLUMNS, SIMILAR_ITEMS_COLUMNS
from shopcase.validate import Choice, Flag, InstanceOf, Integer, NJobs, Number, SequenceOf

HALF_LIFE = 60.0
MODELS: dict[str, Callable[[], BaseRecommender]] = {
    "Popularity": lambda: Popularity(),
    "Popularity(recency)": lambda: Popularity(recency_half_life_days=HALF_LIFE),
    "ItemKNN": lambda: ItemKNN(k_neighbors=10),
    "ItemKNN(bm25)": lambda: ItemKNN(k_neighbors=10, weighting="bm25", shrinkage=1.0),
    "UserKNN": lambda: UserKNN(k_neighbors=10),
    "EASE": lambda: EASE(l2=20.0),
    "ContentBased": lambda: ContentBased(),
    "Hybrid": lambda: Hybrid([ItemKNN(k_neighbors=10), ContentBased()], weights=[0.7, 0.3]),
    "Hybrid(rank)": lambda: Hybrid([UserKNN(), EASE(l2=20.0), ContentBased()], normalisation="rank"),
    "Hybrid(alternate)": lambda: Hybrid([UserKNN(), ContentBased()], strategy="alternate"),
    "RepeatPurchase": lambda: RepeatPurchase(recency_half_life_days=HALF_LIFE, item_repeat_exponent=0.5),
    "RepeatAware": lambda: RepeatAware(RepeatPurchase(), EASE(l2=20.0), model_weight=0.3),
    "TimeDecayed": lambda: TimeDecayed(ItemKNN(k_neighbors=10), half_life_days=HALF_LIFE),
}
"""Every recommender (some in two set-ups); all are fitted on the same dated interactions and catalogue."""
ONLY_REPEATS = {"RepeatPurchase"}  # recommends bought items only: empty lists when they are excluded


@pytest.fixture(scope="module")
def dated(small) -> pd.DataFrame:
    """``small`` (60 users x 40 items, string ids) with each pair's last interaction on a day of 2011."""
    days = np.random.default_rng(3).uniform(0, 365, len(small))
    return small.assign(timestamp=pd.Timestamp("2011-01-01") + pd.to_timedelta(days, unit="D"))


def as_ints(frame: pd.DataFrame, columns=("user_id", "item_id")) -> pd.DataFrame:
    """The same table with ``'u05'`` -> 5 and ``'i07'`` -> 7 (zero-padded, so the id order is kept)."""
    return frame.assign(**{c: frame[c].str[1:].astype(np.int64) for c in columns if c in frame.columns})


def as_strings(frame: pd.DataFrame, prefixes: dict[str, str]) -> pd.DataFrame:
    """``as_ints`` undone for the named columns."""
    return frame.assign(**{c: prefix + frame[c].astype(str).str.zfill(2) for c, prefix in prefixes.items()})


@pytest.fixture(scope="module", params=list(MODELS))
def name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def fitted(name, dated, catalogue) -> BaseRecommender:
    return MODELS[name]().fit(dated, catalogue)


def users_of(frame: pd.DataFrame) -> list:
    return sorted(frame["user_id"].unique())


# --- the output --------------------------------------------------------------------------------


def test_output_contract(fitted):
    users = ["u05", "u01", "nobody", "u33"]  # not sorted: the output keeps request order
    recs = fitted.recommend(users, n=4, exclude_seen=False)
    assert list(recs.columns) == list(RECOMMENDATIONS_COLUMNS)
    order = [users.index(u) for u in recs["user_id"].drop_duplicates()]
    assert order == sorted(order) and len(order) == len(users)
    for _, group in recs.groupby("user_id", sort=False):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
        assert len(group) <= 4 and (np.diff(group["score"].to_numpy()) <= 0).all()
        assert group["item_id"].is_unique
    assert recs["score"].dtype == np.float64 and recs["rank"].dtype == np.int64
    assert np.isfinite(recs["score"]).all() and set(recs["item_id"]) <= set(fitted.item_ids_)
    similar = fitted.similar_items(["i03", "i00"], n=4)
    assert list(similar.columns) == list(SIMILAR_ITEMS_COLUMNS)
    assert set(similar["item_id"]) <= {"i03", "i00"}
    assert (similar["item_id"] != similar["similar_item_id"]).all()


def test_exclude_seen(fitted, name, dated):
    recs = fitted.recommend(users_of(dated), n=10, exclude_seen=True)
    seen = set(zip(dated["user_id"], dated["item_id"], strict=True))
    assert not seen & set(zip(recs["user_id"], recs["item_id"], strict=True))
    if name in ONLY_REPEATS:
        assert recs.empty
    else:
        assert recs["user_id"].nunique() == dated["user_id"].nunique()


def test_cold_start_is_popularity(fitted, name, dated):
    decayed = name in ("TimeDecayed", "Popularity(recency)")  # their cold start ranks decayed strengths
    popularity = Popularity(recency_half_life_days=HALF_LIFE) if decayed else Popularity()
    expected = popularity.fit(dated).recommend(["anyone new"], n=6)
    recs = fitted.recommend(["nobody", "u01", "also new"], n=6)
    for user in ("nobody", "also new"):
        got = recs[recs["user_id"] == user]
        assert got["item_id"].tolist() == expected["item_id"].tolist()
        np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-12, atol=0)
    everything = fitted.recommend(["nobody"], n=1000)
    assert len(everything) == fitted.n_items_  # an unknown user gets min(n, n_items) items


def test_deterministic(name, dated, catalogue):
    runs = []
    for _ in range(2):
        model = MODELS[name]().fit(dated, catalogue)
        runs.append((model.recommend(users_of(dated), n=7), model.similar_items(model.item_ids_, n=5)))
    for first, second in zip(*runs, strict=True):
        pd.testing.assert_frame_equal(first, second)


def test_chunks_and_threads_do_not_change_results(name, dated, catalogue):
    users = users_of(dated) + ["nobody"]
    runs = []
    for n_jobs, chunk_rows in ((1, None), (2, 3), (1, 7), (-1, None)):
        model = MODELS[name]().set_params(n_jobs=n_jobs, chunk_rows=chunk_rows).fit(dated, catalogue)
        runs.append((model.recommend(users, n=6, exclude_seen=False), model.similar_items(model.item_ids_, n=6)))
    for recs, similar in runs[1:]:
        pd.testing.assert_frame_equal(recs, runs[0][0])
        pd.testing.assert_frame_equal(similar, runs[0][1])


# --- ids -----------------------------------------------------------------------------------------


def test_int_str_and_mixed_id_columns_give_the_same_lists(name, dated, catalogue):
    by_str = MODELS[name]().fit(dated, catalogue)
    by_int = MODELS[name]().fit(as_ints(dated), as_ints(catalogue))
    users_int = MODELS[name]().fit(as_ints(dated, ["user_id"]), catalogue)  # int users, str items
    users = users_of(dated)
    expected = by_str.recommend(users, n=6, exclude_seen=False)
    ints = [int(u[1:]) for u in users]
    got = by_int.recommend(ints, n=6, exclude_seen=False)
    pd.testing.assert_frame_equal(as_strings(got, {"user_id": "u", "item_id": "i"}), expected)
    got = users_int.recommend(ints, n=6, exclude_seen=False)
    pd.testing.assert_frame_equal(as_strings(got, {"user_id": "u"}), expected)
    similar = by_int.similar_items(list(range(5)), n=4)
    pd.testing.assert_frame_equal(
        as_strings(similar, {"item_id": "i", "similar_item_id": "i"}),
        by_str.similar_items(["i00", "i01", "i02", "i03", "i04"], n=4),
    )


def test_lossless_id_conversions_are_accepted(name, dated, catalogue):
    model = MODELS[name]().fit(as_ints(dated), as_ints(catalogue))
    expected = model.recommend([5, 17, 99], n=5)  # Python ints; 99 is unknown
    for request in (
        np.array([5, 17, 99], dtype=np.int32),
        np.array([5, 17, 99], dtype=np.uint16),
        [np.int64(5), np.int64(17), np.int64(99)],
        [5.0, 17.0, 99.0],
        pd.Series([5, 17, 99], dtype="Int64"),
    ):
        got = model.recommend(request, n=5)
        assert got["item_id"].tolist() == expected["item_id"].tolist()
        assert [int(u) for u in got["user_id"]] == expected["user_id"].tolist()
    items = model.similar_items(np.array([3, 4], dtype=np.int32), n=3)
    pd.testing.assert_frame_equal(items.astype({"item_id": np.int64}), model.similar_items([3, 4], n=3))


def test_ids_of_another_kind_are_refused(name, dated, catalogue):
    on_ints = MODELS[name]().fit(as_ints(dated), as_ints(catalogue))
    expected = r"strings .*but the ids known are numbers \(int64\)"
    with pytest.raises(ValueError, match="user_ids.*" + expected):
        on_ints.recommend(["1", "2"], n=3)
    with pytest.raises(ValueError, match="user_ids.*partly strings"):
        on_ints.recommend([1, "2"], n=3)
    with pytest.raises(ValueError, match="user_ids.*" + expected):
        on_ints.recommend_for_user("1", 3)
    with pytest.raises(ValueError, match="item_ids.*" + expected):
        on_ints.similar_items(["1"], n=3)
    on_strings = MODELS[name]().fit(dated, catalogue)
    with pytest.raises(ValueError, match=r"user_ids.*numbers .*but the ids known are strings"):
        on_strings.recommend([1, 2], n=3)
    with pytest.raises(ValueError, match=r"item_ids.*bools .*but the ids known are strings"):
        on_strings.similar_items([True], n=3)


def test_a_column_mixing_numbers_and_strings_is_refused(name, dated, catalogue):
    mixed = dated.astype({"user_id": object})
    mixed.loc[mixed["user_id"] == "u07", "user_id"] = 7
    with pytest.raises(ValueError, match=r"column 'user_id' mixes numbers and strings \(e.g. 7, 'u"):
        MODELS[name]().fit(mixed, catalogue)
    if name in ("ContentBased", "Hybrid"):
        with pytest.raises(ValueError, match="item_features.*numbers .*strings"):
            MODELS[name]().fit(dated, as_ints(catalogue))


# --- parameters -------------------------------------------------------------------------------------


def bad_values(rule) -> list[object]:
    """Values each kind of declared constraint must refuse, derived from the declaration itself."""
    if isinstance(rule, Number):
        bad = ["1", True, np.nan, np.inf, [1.0]]
        if rule.low is not None:
            bad.append(rule.low if not rule.low_inclusive else rule.low - 1.0)
        if rule.high is not None:
            bad.append(rule.high + 0.5 if rule.high_inclusive else rule.high)
    elif isinstance(rule, Integer):
        bad = [2.5, "3", True, np.nan]
        if rule.low is not None:
            bad.append(rule.low - 1)
        if rule.high is not None:
            bad.append(rule.high + 1)
    elif isinstance(rule, Choice):
        bad = ["no such option", 3]
    elif isinstance(rule, Flag):
        bad = [1, "yes", None]
    elif isinstance(rule, NJobs):
        bad = [0, 1.5, "2", True]
    elif isinstance(rule, InstanceOf):
        bad = [3, "EASE"] if rule.kind is not str else [3, ["title"]]
    elif isinstance(rule, SequenceOf):
        bad = [[value] for value in bad_values(rule.item)[:2]] + [np.zeros((2, 2))]
        if not rule.single:
            bad.append(3)
        if rule.min_len:
            bad.append([])
    else:  # pragma: no cover - a new kind of constraint needs bad values here
        raise AssertionError(f"no bad values for {rule!r}")
    optional = getattr(rule, "optional", False) or (isinstance(rule, Choice) and None in rule.choices)
    return bad if optional or isinstance(rule, (Flag, NJobs)) else [*bad, None]


def test_every_parameter_is_declared(name):
    model = MODELS[name]()
    assert set(model._constraints()) == set(model.get_params(deep=False))


def test_every_bad_parameter_is_refused_before_anything_changes(name, dated, catalogue):
    make = MODELS[name]
    for param, rule in make()._constraints().items():
        for value in bad_values(rule):
            model = make().set_params(**{param: value})
            with pytest.raises(ValueError, match=re.escape(param)):
                model.fit(dated, catalogue)
            with pytest.raises(NotFittedError):  # a failed first fit leaves the model unfitted
                model.recommend(["u01"])
            assert set(vars(model)) == set(model.get_params(deep=False))


BAD_COMBINATIONS = [
    (Hybrid([ItemKNN(), EASE()], weights=[1.0]), "weights has 1 values for 2 models"),
    (Hybrid([ItemKNN(), EASE()], weights=[0, 0]), "all zero"),
    (Hybrid([ItemKNN()], strategy="alternate"), "two models"),
    (RepeatPurchase(trend_exponent=1.0), "trend_half_life_days"),
    (ContentBased(text_column=None, categorical_columns=None, numeric_column=None), "at least one"),
    (ContentBased(categorical_columns=()), None),  # allowed: the other blocks remain
    (EASE(max_items=39), "max_items=39"),  # the data has 40 items: needs the data, fails inside fit
    (ContentBased(categorical_columns=("colour",)), "colour"),
    (TimeDecayed(EASE(l2=-1.0)), "l2"),  # a part's own parameters are checked when it is fitted
    (RepeatAware(model=ItemKNN(k_neighbors=0)), "k_neighbors"),
]


@pytest.mark.parametrize(("model", "message"), BAD_COMBINATIONS)
def test_bad_combinations_and_parts_are_refused(model, message, dated, catalogue):
    if message is None:
        model.fit(dated, catalogue)
        return
    with pytest.raises(ValueError, match=re.escape(message)):
        model.fit(dated, catalogue)
    with pytest.raises(NotFittedError):
        model.recommend(["u01"])


def _good() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "item_id": ["i01", "i02", "i02"],
            "rating": [1.0, 2.0, 3.0],
            "timestamp": pd.to_datetime(["2011-01-01", "2011-02-01", "2011-03-01"]),
        }
    )


BAD_INTERACTIONS = {
    "missing column": (_good().drop(columns="rating"), "missing column"),
    "NaN user id": (_good().assign(user_id=["a", None, "b"]), "user_id"),
    "NaN item id": (_good().assign(item_id=["i01", np.nan, "i02"]), "item_id"),
    "negative rating": (_good().assign(rating=[1.0, -2.0, 3.0]), "negative"),
    "infinite rating": (_good().assign(rating=[1.0, np.inf, 3.0]), "infinite"),
    "NaN rating": (_good().assign(rating=[1.0, np.nan, 3.0]), "NaN"),
    "zero rating": (_good().assign(rating=[1.0, 0.0, 3.0]), "equal to 0"),
    "text rating": (_good().assign(rating=["1", "2", "3"]), "numeric"),
    "duplicate pairs": (pd.concat([_good(), _good().iloc[:1]]), "duplicate"),
    "empty table": (_good().iloc[:0], "empty"),
    "not a frame": (_good().to_dict(), "DataFrame"),
}


@pytest.mark.parametrize("case", list(BAD_INTERACTIONS))
def test_bad_interactions(name, case, catalogue):
    frame, message = BAD_INTERACTIONS[case]
    with pytest.raises(ValueError, match=message):
        MODELS[name]().fit(frame, catalogue)


def test_bad_requests(fitted):
    for n in (0, -1, 2.5, True, "3", None):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            fitted.recommend(["u01"], n=n)
        with pytest.raises(ValueError, match="n must be a positive integer"):
            fitted.similar_items(["i01"], n=n)
    with pytest.raises(ValueError, match="missing"):
        fitted.recommend(["u01", np.nan])
    with pytest.raises(ValueError, match="missing"):
        fitted.recommend([None])
    with pytest.raises(ValueError, match="duplicated"):
        fitted.recommend(["u01", "u02", "u01"])
    with pytest.raises(ValueError, match="duplicated"):
        fitted.similar_items(["i01", "i01"])
    with pytest.raises(ValueError, match=r"unknown item.*'i99'"):
        fitted.similar_items(["i01", "i99"])
    with pytest.raises(ValueError, match="unknown method"):
        fitted.recommend_for_user("u01", 3, method="magic")
    for param in ("chunk_rows", "n_jobs"):  # changed after fit: refused when read
        fitted.set_params(**{param: 0})
        try:
            with pytest.raises(ValueError, match=param):
                fitted.recommend(["u01"])
        finally:
            fitted.set_params(**{param: None})


# --- scikit-learn's estimator contract ---------------------------------------------------------------


def _same_params(a: dict, b: dict) -> bool:
    """Parameters equal by value; estimators by type and their own parameters (clones are new objects)."""
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, BaseRecommender):
            if type(x) is not type(y) or not _same_params(x.get_params(), y.get_params()):
                return False
        elif isinstance(x, (list, tuple)) and x and isinstance(x[0], BaseRecommender):
            if len(x) != len(y) or not all(_same_params({0: p}, {0: q}) for p, q in zip(x, y, strict=True)):
                return False
        elif x is not y and x != y:
            return False
    return True


def test_clone_get_params_set_params_round_trip(fitted, name, dated, catalogue):
    fresh = MODELS[name]()
    copy = clone(fitted)
    assert _same_params(copy.get_params(), fresh.get_params())
    with pytest.raises(NotFittedError):  # a clone is unfitted
        copy.recommend(["u01"])
    assert copy.set_params(**fresh.get_params(deep=False)) is copy
    assert copy.set_params(chunk_rows=5, n_jobs=2).get_params()["chunk_rows"] == 5
    assert fitted.get_params()["chunk_rows"] is None  # the fitted model was not touched
    pd.testing.assert_frame_equal(
        clone(fitted).fit(dated, catalogue).recommend(["u03", "u30"], n=5), fitted.recommend(["u03", "u30"], n=5)
    )


def test_unfitted_model_raises_not_fitted(name):
    model = MODELS[name]()
    for call in (lambda: model.recommend(["u01"]), lambda: model.similar_items(["i01"])):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()


def _other_data(dated: pd.DataFrame, catalogue: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Different users, fewer items, integer ids: nothing in it can be mistaken for the first data."""
    other = dated[dated["item_id"] < "i25"].copy()
    other["user_id"] = "w" + other["user_id"].str[1:]
    return as_ints(other), as_ints(catalogue[catalogue["item_id"] < "i30"])


def test_refit_with_other_data_keeps_nothing_from_the_first_fit(name, dated, catalogue):
    other, other_catalogue = _other_data(dated, catalogue)
    model = MODELS[name]().fit(dated, catalogue).fit(other, other_catalogue)
    fresh = MODELS[name]().fit(other, other_catalogue)
    assert set(vars(model)) == set(vars(fresh))
    users = users_of(other) + [999]
    pd.testing.assert_frame_equal(model.recommend(users, n=6), fresh.recommend(users, n=6))
    pd.testing.assert_frame_equal(model.similar_items(fresh.item_ids_, n=4), fresh.similar_items(fresh.item_ids_, n=4))
    with pytest.raises(ValueError, match="strings"):
        model.recommend(["u01"])  # the first fit's ids are gone


def _learned(model: BaseRecommender) -> dict:
    return {key: value for key, value in vars(model).items() if key not in model.get_params(deep=False)}


def test_failed_refit_leaves_the_previous_fit_intact(name, dated, catalogue, monkeypatch):
    """Defect 2: the base used to set the ids and the matrix before a model checked its parameters."""
    model = MODELS[name]().fit(dated, catalogue)
    before, learned = model.recommend(users_of(dated), n=5, exclude_seen=False), _learned(model)
    other, other_catalogue = _other_data(dated, catalogue)
    param, rule = next(iter(type(model)._parameter_constraints.items()))  # the model's first own parameter
    good = model.get_params(deep=False)[param]
    model.set_params(**{param: bad_values(rule)[0]})
    with pytest.raises(ValueError, match=re.escape(param)):
        model.fit(other, other_catalogue)
    model.set_params(**{param: good})

    def fail(self, *args):
        raise MemoryError("a failure inside the model's own learning")

    monkeypatch.setattr(type(model), "_fit", fail)  # the last step of a fit, after ids and matrix are built
    with pytest.raises(MemoryError):
        model.fit(other, other_catalogue)
    monkeypatch.undo()
    after = _learned(model)
    assert after.keys() == learned.keys() and all(after[key] is learned[key] for key in after)
    pd.testing.assert_frame_equal(model.recommend(users_of(dated), n=5, exclude_seen=False), before)


def test_failed_first_fit_leaves_the_model_unfitted(name, dated, catalogue, monkeypatch):
    model = MODELS[name]()

    def fail(self, *args):
        raise MemoryError("a failure inside the model's own learning")

    monkeypatch.setattr(type(model), "_fit", fail)
    with pytest.raises(MemoryError):
        model.fit(dated, catalogue)
    monkeypatch.undo()
    assert _learned(model) == {}
    with pytest.raises(NotFittedError):
        model.recommend(["u01"])


# --- threads ---------------------------------------------------------------------------------------------


def test_n_jobs_means_what_it_means_in_scikit_learn():
    assert effective_threads(None) == 1 and effective_threads(1) == 1 and effective_threads(3) == 3
    assert effective_threads(-1) == available_cpus()
    assert effective_threads(-2) == max(available_cpus() - 1, 1)
    assert effective_threads(-1000) == 1
    with thread_scope(3):  # what a composite does for its parts left at None
        assert effective_threads(None) == 3 and effective_threads(1) == 1
    assert effective_threads(None) == 1


def test_parts_left_at_none_use_the_composites_threads(dated, monkeypatch):
    import shopcase.recommend._parallel as parallel

    used = []
    original = parallel.ordered_map

    def spy(fn, items, workers=None):
        used.append(effective_threads(None) if workers is None else workers)
        return original(fn, items, workers)

    monkeypatch.setattr("shopcase.recommend.base.ordered_map", spy)
    monkeypatch.setattr("shopcase.recommend._similarity.ordered_map", spy)
    Hybrid([ItemKNN(), ItemKNN(n_jobs=1)], n_jobs=2).fit(dated)
    assert used == [2, 1]  # the first part's similarity blocks ran on 2 threads, the second's on its own 1
    used.clear()
    Hybrid([ItemKNN(), EASE()], n_jobs=2).fit(dated).recommend(users_of(dated), n=3)
    assert used == [2, 2, 2]  # ItemKNN's similarity blocks, EASE's Gram blocks, the composite's scoring


# --- the reference design, where the contract applies ------------------------------------------------------


def test_reference_design_is_deterministic_and_id_type_blind(dated, catalogue):
    users = users_of(dated)[:10]
    by_str = SeedRecommender().fit(dated, catalogue)
    by_int = SeedRecommender().fit(as_ints(dated), as_ints(catalogue))
    again = SeedRecommender().fit(dated, catalogue)
    for user in users:
        for method in ("collaborative", "content", "hybrid"):
            lists = by_str.recommend_for_user(user, 5, method=method)
            assert lists == again.recommend_for_user(user, 5, method=method)
            assert [f"i{i:02d}" for i in by_int.recommend_for_user(int(user[1:]), 5, method=method)] == lists
    expected = Popularity().fit(dated).recommend(["nobody"], n=5)["item_id"].tolist()
    assert by_str.recommend_for_user("nobody", 5) == expected  # cold start: popularity, as every model
