import pandas as pd
import pytest
from handmade import event, handmade_emails, handmade_events

from shopcase.data import customers_as_of
from shopcase.schema import CUSTOMERS_COLUMNS

AS_OF = "2023-04-01"


@pytest.fixture()
def customers():
    return customers_as_of(handmade_events(), AS_OF, handmade_emails()).set_index("customer_id")


def test_columns_are_the_reference_table(customers):
    assert ["customer_id", *customers.columns] == list(CUSTOMERS_COLUMNS)


def test_values_on_a_hand_built_log(customers):
    one = customers.loc[1]
    assert one["first_seen_date"] == pd.Timestamp("2023-01-05 10:00")
    assert one["last_purchase_date"] == pd.Timestamp("2023-03-10 12:02")
    assert one["total_orders"] == 2
    assert one["total_revenue"] == pytest.approx(2 * 10 + 10 + 5)
    assert one["days_as_customer"] == pytest.approx(
        (pd.Timestamp(AS_OF) - pd.Timestamp("2023-01-05 10:00")).days + 14 / 24
    )
    assert (one["emails_sent"], one["emails_opened"]) == (3, 1)  # the 2023-04-02 email is after as_of
    assert (one["carts_created"], one["carts_abandoned"]) == (3, 1)
    # last 30 days = [2023-03-02, 2023-04-01): order 103; 30-60 days: nothing bought
    assert (one["revenue_last_30d"], one["orders_last_30d"]) == (15.0, 1)
    assert (one["revenue_30_60d"], one["orders_30_60d"]) == (0.0, 0)


def test_customer_without_orders_has_zeros_and_no_purchase_date(customers):
    two = customers.loc[2]
    assert pd.isna(two["last_purchase_date"])
    assert two["total_orders"] == 0 and two["total_revenue"] == 0 and two["emails_sent"] == 0


def test_nothing_after_as_of_counts():
    base = customers_as_of(handmade_events(), AS_OF, handmade_emails())
    after = [event(1, 9, "2023-04-01 00:00", "purchase", "A", order=109), event(2, 10, "2023-06-01", "cart", "C")]
    later = pd.concat([handmade_events(), pd.DataFrame(after)], ignore_index=True)
    assert 3 not in set(base["customer_id"])
    pd.testing.assert_frame_equal(base, customers_as_of(later, AS_OF, handmade_emails()))


def test_as_of_must_be_given_and_leave_some_history():
    with pytest.raises(ValueError, match="as_of is required"):
        customers_as_of(handmade_events(), None)
    with pytest.raises(ValueError, match="no event before as_of=2022-01-01"):
        customers_as_of(handmade_events(), "2022-01-01")


def test_bad_events_raise():
    with pytest.raises(ValueError, match="missing column"):
        customers_as_of(handmade_events().drop(columns="unit_price"), AS_OF)
    with pytest.raises(ValueError, match="'quantity' has 1 of 13 rows negative"):
        customers_as_of(handmade_events().assign(quantity=[1] * 12 + [-1]), AS_OF)
