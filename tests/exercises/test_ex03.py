"""Checkers of notebook 03: each accepts the worked solution, names a plausible mistake, and waits for None."""

import pandas as pd
import pytest

from shopcase.data import generate_shop, interactions_from_events
from shopcase.evaluate import purchase_truth, temporal_split
from shopcase.exercises import ex03
from shopcase.recommend import ContentBased, Hybrid, ItemKNN

K = 5


@pytest.fixture(scope="module")
def split():
    shop = generate_shop(n_users=500, n_items=150, seed=8)
    train_events, test_events, _ = temporal_split(shop.events, "2023-10-01")
    fit_events, validation_events, _ = temporal_split(train_events, "2023-08-01")
    train, fit_part = interactions_from_events(train_events), interactions_from_events(fit_events)
    validation = purchase_truth(validation_events, fit_part, new_items_only=True)
    test = purchase_truth(test_events, train, new_items_only=True)
    new_items = shop.catalogue.loc[~shop.catalogue["item_id"].isin(train["item_id"]), "item_id"]
    assert len(new_items) >= 2
    return shop.catalogue, train, fit_part, validation, test, new_items


def test_new_item_share(split):
    _, train, _, _, test, _ = split
    new = ~test["item_id"].isin(train["item_id"])
    assert ex03.check_new_item_share(None, test, train).status == "not attempted"
    assert ex03.check_new_item_share(float(new.mean()), test, train).passed
    assert "the count" in ex03.check_new_item_share(int(new.sum()), test, train).message
    assert not ex03.check_new_item_share(float(new.mean()) + 0.05, test, train).passed


def _reserved(blend, content, users, new_items):
    top = blend.recommend(users, n=K - 1)
    ranked = content.recommend(users, n=10_000)
    ranked = ranked[ranked["item_id"].isin(new_items)].groupby("user_id").head(1)
    missing = pd.Index(users).difference(ranked["user_id"])
    slot = pd.concat([ranked[["user_id", "item_id"]], pd.DataFrame({"user_id": missing, "item_id": new_items.iloc[0]})])
    return pd.concat([top, slot.assign(rank=K)], ignore_index=True)[["user_id", "item_id", "rank"]]


def test_reserved_slot(split):
    catalogue, train, _, _, test, new_items = split
    users = test["user_id"].unique()
    blend = Hybrid([ItemKNN(k_neighbors=50), ContentBased()]).fit(train, item_features=catalogue)
    content = ContentBased().fit(train, item_features=catalogue)
    blend_recs = blend.recommend(users, n=K)
    right = _reserved(blend, content, users, new_items)
    check = ex03.check_reserved_slot
    assert check(None, blend_recs, test, train, new_items, k=K).status == "not attempted"
    passed = check(right, blend_recs, test, train, new_items, k=K)
    assert passed.passed and "95% CI" in passed.message
    # the blend alone has no reserved slot for some buyer
    assert "no new item" in check(blend_recs, blend_recs, test, train, new_items, k=K).message
    # an item the user bought before, put in place of their rank-1 item
    seen_pair = train[train["user_id"].isin(users)].iloc[0]
    with_seen = right.copy()
    row = with_seen.index[(with_seen["user_id"] == seen_pair["user_id"]) & (with_seen["rank"] == 1)][0]
    with_seen.loc[row, "item_id"] = seen_pair["item_id"]
    assert "items the users interacted with before" in check(with_seen, blend_recs, test, train, new_items, k=K).message
    assert "no list" in check(right[right["user_id"] != users[0]], blend_recs, test, train, new_items, k=K).message
    assert "must hold" in check(right[right["rank"] != 2], blend_recs, test, train, new_items, k=K).message


def test_normalisation(split):
    catalogue, _, fit_part, validation, _, _ = split
    models = [ItemKNN(k_neighbors=50), ContentBased()]
    check = ex03.check_normalisation
    assert check(None, models, fit_part, validation, (0.5, 0.5), catalogue, k=K).status == "not attempted"
    assert "'minmax' or 'rank'" in check("zscore", models, fit_part, validation, (0.5, 0.5), catalogue, k=K).message
    verdicts = {m: check(m, models, fit_part, validation, (0.5, 0.5), catalogue, k=K) for m in ("minmax", "rank")}
    # the better one always passes; the other passes only when the paired gap is within noise, and says so
    assert any(v.passed for v in verdicts.values())
    loser = [v for v in verdicts.values() if "below" in v.message or "as good as" in v.message]
    assert len(loser) == 1


def test_brand_share(split):
    catalogue, train, _, _, _, new_items = split
    content = ContentBased().fit(train, item_features=catalogue)
    item = new_items.iloc[0]
    brand = catalogue.set_index("item_id")["brand"]
    same = brand.reindex(content.similar_items([item], n=10)["similar_item_id"]).to_numpy() == brand[item]
    check = ex03.check_brand_share
    assert check(None, content, item, catalogue).status == "not attempted"
    assert check(float(same.mean()), content, item, catalogue).passed
    if same.sum() > 1:
        assert "the count" in check(int(same.sum()), content, item, catalogue).message
    assert not check(float(same.mean()) + 0.15, content, item, catalogue).passed
