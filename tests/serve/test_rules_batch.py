"""Business rules against a plain per-user oracle; batch output, resumability after an interruption; campaigns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from test_artifacts import RECOMMENDERS

from shopcase.churn import customer_value
from shopcase.recommend import ItemKNN
from shopcase.serve import batch as batch_module
from shopcase.serve import save
from shopcase.serve.batch import batch_recommend, read_batch
from shopcase.serve.campaign import campaign_lists
from shopcase.serve.rules import BusinessRules, category_lookup, recommend_with_rules


@pytest.fixture(scope="module")
def knn(interactions):
    return ItemKNN(k_neighbors=30).fit(interactions)


def oracle(model, users, n, rules: BusinessRules, exclude_seen=True, seen=frozenset()) -> pd.DataFrame:
    """The rules applied one user at a time to the model's whole ranking: the definition, written plainly."""
    full = model.recommend(users, n=len(model.item_ids_), exclude_seen=exclude_seen)
    blocked = set(rules.out_of_stock) | set(rules.banned)
    bought = set()
    if rules.bought is not None:
        bought = set(zip(rules.bought["user_id"], rules.bought["item_id"], strict=True))
    category = {} if rules.item_category is None else dict(rules.item_category)
    rows = []
    for user in users:
        chosen, per_category = [], {}
        pins = [p for p in rules.pinned if p not in blocked and (user, p) not in bought | seen]
        for item in pins:
            chosen.append((item, np.nan, "pinned"))
            per_category[category.get(item)] = per_category.get(category.get(item), 0) + 1
        cold = user not in set(model.user_ids_)
        for item, score in full.loc[full["user_id"] == user, ["item_id", "score"]].itertuples(index=False):
            if len(chosen) >= n:
                break
            if item in blocked or (user, item) in bought or item in rules.pinned:
                continue
            c = category.get(item)
            if rules.max_per_category is not None and per_category.get(c, 0) >= rules.max_per_category:
                continue
            per_category[c] = per_category.get(c, 0) + 1
            chosen.append((item, score, "cold-start" if cold else "model"))
        for rank, (item, score, source) in enumerate(chosen[:n], 1):
            rows.append((user, item, score, rank, source))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "score", "rank", "source"])


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got = got.assign(source=got["source"].astype(str))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)


def _merchandiser(interactions, shop, **changes) -> BusinessRules:
    popular = interactions.groupby("item_id")["rating"].sum().sort_values(ascending=False).index
    later = interactions.sample(200, random_state=1)[["user_id", "item_id"]]  # "bought since training"
    rules = {
        "out_of_stock": list(popular[:5]),
        "banned": list(popular[10:12]),
        "pinned": [popular[20], popular[30]],
        "max_per_category": 2,
        "item_category": category_lookup(shop.catalogue),
        "bought": later,
    }
    return BusinessRules(**{**rules, **changes})


@pytest.mark.parametrize("model_name", list(RECOMMENDERS))
def test_rules_match_the_per_user_oracle_for_every_recommender(model_name, interactions, shop):
    """Inside the ranking (known users, models with candidate scores) or after ``recommend`` (cold-start users,
    Hybrid's alternation), each list is the oracle's; also with too few first candidates (re-asking)."""
    model = RECOMMENDERS[model_name]().set_params(chunk_rows=7).fit(interactions, item_features=shop.catalogue)
    rules = _merchandiser(interactions, shop)
    users = [*model.user_ids_[:60], 10_000_001]  # and a cold-start user
    seen = set(zip(interactions["user_id"], interactions["item_id"], strict=True))
    want = oracle(model, users, 10, rules, seen=seen)
    _same(recommend_with_rules(model, users, 10, rules), want)
    _same(recommend_with_rules(model, users, 10, rules, candidates=10), want)  # forces re-asking
    unseen = recommend_with_rules(model, users, 10, rules, exclude_seen=False, candidates=12)
    _same(unseen, oracle(model, users, 10, rules, exclude_seen=False))
    if model_name == "itemknn":
        assert (want.groupby("user_id").size() == 10).mean() > 0.8  # most lists are full despite the rules


@pytest.mark.parametrize("changes", [{}, {"max_per_category": None}, {"pinned": []}, {"bought": None}])
def test_rules_do_not_depend_on_threads_or_chunks(changes, interactions, shop, knn):
    rules = _merchandiser(interactions, shop, **changes)
    users = knn.user_ids_
    want = recommend_with_rules(knn, users, 10, rules)
    threaded = clone(knn).set_params(n_jobs=2, chunk_rows=13).fit(interactions)
    pd.testing.assert_frame_equal(recommend_with_rules(threaded, users, 10, rules), want)


def test_without_rules_it_is_the_model_ranking(knn):
    users = knn.user_ids_[:50]
    got = recommend_with_rules(knn, users, 10)
    want = knn.recommend(users, n=10)
    pd.testing.assert_frame_equal(got[["user_id", "item_id", "score", "rank"]], want)
    assert set(got["source"]) == {"model"}


def test_a_pin_the_model_does_not_know_is_still_shown(knn):
    got = recommend_with_rules(knn, knn.user_ids_[:5], 4, BusinessRules(pinned=[10**9]))
    assert (got[got["rank"] == 1]["item_id"] == 10**9).all() and (got.groupby("user_id").size() == 4).all()
    assert got.loc[got["rank"] == 1, "source"].astype(str).eq("pinned").all()


def test_no_users_gives_an_empty_frame_with_the_columns(knn):
    empty = recommend_with_rules(knn, [], 5, BusinessRules(banned=[1]))
    assert empty.empty and list(empty.columns) == ["user_id", "item_id", "score", "rank", "source"]


def test_a_short_ranking_stays_short_and_is_not_padded(knn):
    # A user whose ItemKNN list is short (few neighbours): the rules never invent items.
    full = knn.recommend(knn.user_ids_, n=len(knn.item_ids_))
    sizes = full.groupby("user_id").size()
    user = sizes.idxmin()
    got = recommend_with_rules(
        knn, [user], 50, BusinessRules(banned=[full.loc[full.user_id == user, "item_id"].iloc[0]])
    )
    assert len(got) == sizes.min() - 1


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (BusinessRules(pinned=[1], banned=[1]), "also out of stock or banned"),
        (BusinessRules(max_per_category=2), "needs item_category"),
        (BusinessRules(max_per_category=0, item_category=pd.Series({1: "a"})), "max_per_category"),
        (BusinessRules(pinned=[1, 1]), "pinned contains duplicated"),
        (BusinessRules(bought=pd.DataFrame({"user": [1]})), "bought.*user_id"),
        (BusinessRules(banned="abc"), "banned must be a collection"),
    ],
)
def test_bad_rules_are_refused(rules, message, knn):
    with pytest.raises(ValueError, match=message):
        recommend_with_rules(knn, knn.user_ids_[:3], 5, rules)


def test_batch_writes_parts_that_match_the_rules_in_memory(knn, shop, tmp_path):
    rules = BusinessRules(out_of_stock=[1, 2, 3], max_per_category=3, item_category=category_lookup(shop.catalogue))
    report = batch_recommend(knn, tmp_path / "out", n=8, rules=rules, chunk_size=120)
    assert report.n_chunks == -(-len(knn.user_ids_) // 120) and report.chunks_written == report.n_chunks
    parts = sorted(p.name for p in (tmp_path / "out").glob("part-*.parquet"))
    assert len(parts) == report.n_chunks and (tmp_path / "out" / "_SUCCESS").exists()
    got = read_batch(tmp_path / "out")
    want = recommend_with_rules(knn, knn.user_ids_, 8, rules)
    pd.testing.assert_frame_equal(got, want)
    assert report.rows == len(got) and "batch:" in str(report)
    assert report.short_lists == int((got.groupby("user_id").size().reindex(knn.user_ids_, fill_value=0) < 8).sum())


def test_an_interrupted_batch_resumes_without_redoing_finished_chunks(knn, interactions, tmp_path, monkeypatch):
    path = tmp_path / "model"
    save(knn, path, created_at="2024-01-01", training_data=interactions)
    real_write, calls = batch_module._write_part, []

    def crash_on_third(frame, target, short):
        calls.append(target.name)
        if len(calls) == 3:
            raise KeyboardInterrupt("power cut")
        real_write(frame, target, short)

    monkeypatch.setattr(batch_module, "_write_part", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        batch_recommend(path, tmp_path / "out", n=5, chunk_size=100)
    done = sorted(p.name for p in (tmp_path / "out").glob("part-*.parquet"))
    assert done == ["part-00000.parquet", "part-00001.parquet"]
    assert not (tmp_path / "out" / "_SUCCESS").exists()
    assert not list((tmp_path / "out").glob(".part-*"))  # no half-written part under a final name
    before = {p: (tmp_path / "out" / p).stat().st_mtime_ns for p in done}

    monkeypatch.setattr(batch_module, "_write_part", real_write)
    asked = []
    real_recommend = batch_module.recommend_with_rules
    monkeypatch.setattr(
        batch_module,
        "recommend_with_rules",
        lambda model, users, *a: asked.append(len(users)) or real_recommend(model, users, *a),
    )
    report = batch_recommend(path, tmp_path / "out", n=5, chunk_size=100)
    n_chunks = -(-len(knn.user_ids_) // 100)
    assert report.chunks_resumed == 2 and report.chunks_written == n_chunks - 2
    assert len(asked) == n_chunks - 2 and sum(asked) == len(knn.user_ids_) - 200  # finished users not rescored
    assert {p: (tmp_path / "out" / p).stat().st_mtime_ns for p in done} == before
    pd.testing.assert_frame_equal(read_batch(tmp_path / "out"), recommend_with_rules(knn, knn.user_ids_, 5))


def test_a_batch_with_other_settings_is_not_mixed_in(knn, tmp_path):
    batch_recommend(knn, tmp_path / "out", n=5, chunk_size=200)
    with pytest.raises(ValueError, match="other settings \\(n differ\\)"):
        batch_recommend(knn, tmp_path / "out", n=6, chunk_size=200)
    report = batch_recommend(knn, tmp_path / "out", n=6, chunk_size=200, overwrite=True)
    assert report.chunks_resumed == 0 and read_batch(tmp_path / "out")["rank"].max() == 6
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a batch output"):
        batch_recommend(knn, tmp_path / "mine", n=5, overwrite=True)
    with pytest.raises(ValueError, match="model must be a fitted shopcase recommender"):
        batch_recommend(object(), tmp_path / "x")
    with pytest.raises(ValueError, match="chunk_size"):
        batch_recommend(knn, tmp_path / "x", chunk_size=0)
    with pytest.raises(ValueError, match="_SUCCESS missing"):
        read_batch(tmp_path / "nothing")


def test_campaign_lists_contact_at_risk_customers_with_spread_unseen_items(knn, shop, interactions):
    customers = knn.user_ids_[:200]
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, len(customers))
    segment = np.select([p > 0.7, p > 0.4], ["HIGH", "MEDIUM"], "LOW")
    scores = pd.DataFrame({"customer_id": customers, "churn_probability": p, "risk_segment": segment})
    value = pd.Series(rng.uniform(0, 200, len(customers)), index=customers)
    emails = pd.DataFrame({"user_id": customers[:30], "timestamp": pd.Timestamp("2023-12-25")})
    categories = category_lookup(shop.catalogue)
    campaign = campaign_lists(
        scores, knn, as_of="2024-01-01", customer_value=value, n=4, item_category=categories,
        contacts=emails, max_contacts=1, cap_days=14, uplift=0.1, contact_cost=2.0,
    )  # fmt: skip
    chosen = campaign.customers
    at_risk = scores[scores["risk_segment"] != "LOW"]
    assert campaign.at_risk == len(at_risk)
    assert set(chosen["risk_segment"]) <= {"HIGH", "MEDIUM"}
    assert not chosen["customer_id"].isin(customers[:30]).any()  # contacted on Dec 25: capped
    assert campaign.capped == int(at_risk["customer_id"].isin(customers[:30]).sum())
    expected = 0.1 * chosen["churn_probability"] * chosen["customer_value"] - 2.0
    np.testing.assert_allclose(chosen["expected_value"], expected)
    assert (chosen["expected_value"] > 0).all() and chosen["expected_value"].is_monotonic_decreasing
    gain = 0.1 * at_risk["churn_probability"].to_numpy() * value[at_risk["customer_id"]].to_numpy() - 2.0
    uncapped = ~at_risk["customer_id"].isin(customers[:30]).to_numpy()
    assert campaign.not_worth == int(((gain <= 0) & uncapped).sum())
    assert len(chosen) == int(((gain > 0) & uncapped).sum())
    items = campaign.items
    assert set(items["customer_id"]) <= set(chosen["customer_id"])
    per_category = items.assign(c=categories.reindex(items["item_id"]).to_numpy()).groupby(["customer_id", "c"]).size()
    assert per_category.max() == 1  # spread across categories
    seen = set(zip(interactions["user_id"], interactions["item_id"], strict=True))
    assert not any((u, i) in seen for u, i in zip(items["customer_id"], items["item_id"], strict=True))
    assert "campaign:" in str(campaign)
    sent = campaign.contacts()
    assert sent["user_id"].tolist() == chosen["customer_id"].tolist() and (sent["timestamp"] == "2024-01-01").all()
    next_week = campaign_lists(
        scores, knn, as_of="2024-01-08", customer_value=value, n=4, item_category=categories, contacts=sent,
        max_contacts=1, cap_days=14, uplift=0.1, contact_cost=2.0,
    )  # fmt: skip
    assert not next_week.customers["customer_id"].isin(sent["user_id"]).any()  # the frequency cap


def test_campaign_takes_model_based_customer_value_as_value_if_active(knn, shop):
    """``churn.customer_value``'s frame is used by its ``value_if_active`` (P(churn) is already in the formula)."""
    value = customer_value(shop.events, "2023-12-01")
    customers = knn.user_ids_[np.isin(knn.user_ids_, value.index)][:100]
    scores = pd.DataFrame({"customer_id": customers, "churn_probability": 0.8, "risk_segment": "HIGH"})
    options = {"as_of": "2023-12-01", "item_category": category_lookup(shop.catalogue)}
    campaign = campaign_lists(scores, knn, customer_value=value, uplift=0.1, contact_cost=0.5, **options)
    chosen = campaign.customers.set_index("customer_id")
    np.testing.assert_allclose(chosen["customer_value"], value.loc[chosen.index, "value_if_active"])
    assert len(chosen) + campaign.not_worth == len(customers)
    with pytest.raises(ValueError, match="value_if_active"):
        campaign_lists(scores, knn, customer_value=value[["expected_value"]], **options)


def test_campaign_refuses_bad_input(knn):
    scores = pd.DataFrame({"customer_id": [1], "churn_probability": [0.9], "risk_segment": ["HIGH"]})
    with pytest.raises(ValueError, match="segments"):
        campaign_lists(scores, knn, as_of="2024-01-01", customer_value=10.0, segments=("URGENT",))
    with pytest.raises(ValueError, match="uplift"):
        campaign_lists(scores, knn, as_of="2024-01-01", customer_value=10.0, uplift=2.0)
    with pytest.raises(ValueError, match="customer_value has no value"):
        campaign_lists(scores, knn, as_of="2024-01-01", customer_value=pd.Series({2: 1.0}))
    with pytest.raises(ValueError, match="as_of"):
        campaign_lists(scores, knn, as_of="soon", customer_value=10.0)


def test_category_concentration_counts_the_most_repeated_category():
    from shopcase.serve.rules import category_concentration

    lists = pd.DataFrame({"user_id": [1, 1, 1, 2, 2], "item_id": [10, 11, 12, 10, 99]})
    categories = pd.Series({10: "a", 11: "a", 12: "b"})
    got = category_concentration(lists, categories)
    assert got.to_dict() == {1: 2, 2: 1}  # item 99 has no category: a category of its own
