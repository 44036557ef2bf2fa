import pandas as pd
import pytest

from shopcase.data.real import cdnow_events, load_cdnow, load_movielens_100k, load_online_retail
from shopcase.schema import EVENTS_COLUMNS
from shopcase.validate import validate_frame


@pytest.fixture(scope="module")
def retail():
    return load_online_retail()


def test_online_retail_counts_match_the_published_cleaning(retail):
    # SOURCE.md: after (customer present, quantity > 0, price > 0): 397,884 rows, 4,338 customers,
    # 3,665 items, 18,532 invoices. We also remove duplicate invoice lines, counted in the report.
    report = retail.report
    assert report.rows_in == 541_909
    assert report.removed["no customer id"] == 135_080
    assert report.rows_out + report.removed["duplicate invoice lines"] == 397_884
    assert report.rows_out == len(retail.events)
    assert retail.events["user_id"].nunique() == 4_338
    assert retail.events["item_id"].nunique() == 3_665
    assert retail.events["order_id"].nunique() == 18_532


def test_online_retail_maps_to_the_event_schema(retail):
    validate_frame(retail.events, EVENTS_COLUMNS, "events")
    assert set(retail.events["event_type"].astype(str)) == {"purchase"}
    assert (retail.events["quantity"] > 0).all() and (retail.events["unit_price"] > 0).all()
    assert not retail.events["order_id"].astype(str).str.startswith("C").any()
    assert set(retail.catalogue["item_id"]) == set(retail.events["item_id"])


def test_cdnow_master_and_sample():
    master = load_cdnow()
    assert len(master) == 69_659 and master["customer_id"].nunique() == 23_570
    assert master["date"].min() == pd.Timestamp("1997-01-01")
    sample = load_cdnow(sample=True)
    assert len(sample) == 6_919 and sample["customer_id"].nunique() == 2_357
    events = cdnow_events(master)
    validate_frame(events, EVENTS_COLUMNS, "cdnow events")
    assert events["quantity"].mul(events["unit_price"]).sum() == pytest.approx(master["revenue"].sum())


def test_missing_files_raise_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="dataset file not found"):
        load_online_retail(tmp_path / "nope.csv.xz")
    with pytest.raises(ValueError, match="MovieLens-100k not found"):
        load_movielens_100k(tmp_path)


def test_the_old_import_path_still_works_with_a_deprecation_warning():
    import importlib
    import sys

    sys.modules.pop("shopcase.datasets", None)
    with pytest.warns(DeprecationWarning, match="shopcase.data.real"):
        old = importlib.import_module("shopcase.datasets")
    assert old.load_cdnow is load_cdnow
