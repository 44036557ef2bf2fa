import pytest
from handmade import handmade_events

from shopcase.data import interactions_from_events


def test_default_weights_sum_over_events():
    out = interactions_from_events(handmade_events()).set_index(["user_id", "item_id"])["rating"]
    # user 1 item A: view, cart, purchase twice each -> 2 x (1 + 3 + 5)
    assert out[(1, "A")] == 18
    assert out[(1, "B")] == 4 and out[(1, "C")] == 8 and out[(2, "C")] == 1 and out[(3, "B")] == 6
    assert out.index.is_unique and len(out) == 5


def test_max_keeps_the_strongest_event_and_zero_weights_drop_a_type():
    out = interactions_from_events(handmade_events(), aggregate="max").set_index(["user_id", "item_id"])["rating"]
    assert out[(1, "A")] == 5 and out[(1, "B")] == 3
    purchases_only = interactions_from_events(handmade_events(), weights={"view": 0, "cart": 0, "purchase": 1})
    assert len(purchases_only) == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"weights": {"view": 1, "cart": 3}}, r"\['purchase'\] have no weight"),
        ({"weights": {"view": -1, "cart": 3, "purchase": 5}}, "finite and >= 0"),
        ({"weights": {"view": 0, "cart": 0, "purchase": 0}}, "no events with a positive weight"),
        ({"aggregate": "mean"}, "aggregate must be 'sum' or 'max'"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        interactions_from_events(handmade_events(), **kwargs)


def test_nan_ids_raise():
    events = handmade_events()
    events.loc[0, "item_id"] = None
    with pytest.raises(ValueError, match="'item_id' has 1 of 13 rows missing"):
        interactions_from_events(events)
