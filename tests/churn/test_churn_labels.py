import pandas as pd
import pytest
from churn_logs import AS_OF, as_log, event, simulated_log

from shopcase.churn import bgnbd_features, build_churn_dataset, churn_labels, customer_features, label_window
from shopcase.validate import validate_frame

HORIZON = 30  # window [2023-04-01, 2023-05-01)


def label_rows():
    return [
        # user 1 buys before, then again exactly at as_of: the label window includes as_of -> stays
        event(1, 1, "2023-02-01", "purchase", "A", order=1),
        event(1, 2, AS_OF, "purchase", "A", order=2),
        # user 3 buys before, then exactly at as_of + horizon: outside the window -> churned
        event(3, 3, "2023-03-01", "purchase", "B", order=3),
        event(3, 4, "2023-05-01", "purchase", "B", order=4),
        # user 5 buys before and in the middle of the window -> stays
        event(5, 5, "2023-02-01", "purchase", "A", order=5),
        event(5, 6, "2023-04-15", "purchase", "A", order=6),
        # user 6 buys before, then only browses and carts in the window -> churned
        event(6, 7, "2023-02-01", "purchase", "C", order=7),
        event(6, 8, "2023-04-10", "view", "C"),
        event(6, 8, "2023-04-10", "cart", "C"),
        # user 2 only browsed before as_of: not a customer yet, no label
        event(2, 9, "2023-03-01", "view", "A"),
        event(2, 10, "2023-04-02", "purchase", "A", order=8),
        # user 4 buys for the first time inside the window: no label
        event(4, 11, "2023-04-03", "purchase", "A", order=9),
        # user 7 buys a minute before as_of and never again -> churned
        event(7, 12, AS_OF - pd.Timedelta(minutes=1), "purchase", "A", order=10),
    ]


def test_labels_on_a_hand_built_log():
    labels = churn_labels(as_log(label_rows()), AS_OF, HORIZON)
    assert list(labels.columns) == ["customer_id", "churned"]
    assert labels["churned"].dtype == bool
    assert dict(zip(labels["customer_id"], labels["churned"], strict=True)) == {
        1: False,
        3: True,
        5: False,
        6: True,
        7: True,
    }
    assert labels.attrs == {"as_of": AS_OF, "horizon_days": HORIZON}


def test_label_window_is_half_open():
    assert label_window("2023-04-01", 30) == (AS_OF, pd.Timestamp("2023-05-01"))


def test_no_event_counts_for_both_features_and_labels():
    # The purchase at exactly as_of moves user 1's label but none of its features.
    rows = label_rows()
    without = [r for r in rows if not (r["user_id"] == 1 and r["timestamp"] == AS_OF)]
    with_it, no_it = as_log(rows), as_log(without)
    pd.testing.assert_frame_equal(customer_features(with_it, AS_OF), customer_features(no_it, AS_OF))
    label_with = churn_labels(with_it, AS_OF, HORIZON).set_index("customer_id")["churned"]
    label_without = churn_labels(no_it, AS_OF, HORIZON).set_index("customer_id")["churned"]
    assert not label_with[1] and label_without[1]


def test_censored_labels_raise_naming_the_dates():
    log = as_log(label_rows())  # last event 2023-05-01 00:00
    with pytest.raises(ValueError, match=r"censored.*2023-05-02.*2023-05-01"):
        churn_labels(log, AS_OF, 31)
    # Day-level data observed through its last day: say where the log ends.
    assert len(churn_labels(log, AS_OF, 31, log_end="2023-05-02")) == 5
    with pytest.raises(ValueError, match="log_end"):
        churn_labels(log, AS_OF, 30, log_end="2023-04-20")  # events after it: a contradiction


def test_bad_arguments_raise():
    log = as_log(label_rows())
    with pytest.raises(ValueError, match="horizon_days must be a positive integer"):
        churn_labels(log, AS_OF, 0)
    with pytest.raises(ValueError, match="as_of is required"):
        churn_labels(log, None)
    with pytest.raises(ValueError, match="no purchase before as_of"):
        churn_labels(log, "2023-01-15", 10)
    with pytest.raises(ValueError, match="missing column"):
        churn_labels(log.drop(columns="event_type"), AS_OF, HORIZON)


def test_dataset_aligns_features_and_labels_of_buyers():
    data = build_churn_dataset(as_log(label_rows()), AS_OF, HORIZON)
    assert data.features.index.tolist() == data.labels.index.tolist() == [1, 3, 5, 6, 7]
    assert data.label_end == pd.Timestamp("2023-05-01")
    assert data.churn_rate == pytest.approx(3 / 5)


def test_dataset_is_the_public_functions_joined():
    events, emails, catalogue = simulated_log(n_customers=120, seed=4)
    data = build_churn_dataset(events, "2022-07-01", 60, emails=emails, catalogue=catalogue, bgnbd=True)
    labels = churn_labels(events, "2022-07-01", 60).set_index("customer_id")["churned"]
    pd.testing.assert_series_equal(data.labels, labels)
    features = customer_features(events, "2022-07-01", emails, catalogue).loc[labels.index]
    extra = bgnbd_features(events, "2022-07-01", 60).loc[labels.index]
    pd.testing.assert_frame_equal(data.features, features.join(extra), check_freq=False)
    with pytest.raises(ValueError, match="bgnbd must be True, False or a BGNBD"):
        build_churn_dataset(events, "2022-07-01", 60, bgnbd="yes")


def test_dataset_validates_the_event_log_once(monkeypatch):
    import shopcase.churn.dataset
    import shopcase.churn.features
    import shopcase.churn.labels
    import shopcase.data.customers

    calls = []

    def counting(frame, schema, name, **kwargs):
        calls.append(name)
        return validate_frame(frame, schema, name, **kwargs)

    for module in (shopcase.churn.dataset, shopcase.churn.features, shopcase.churn.labels, shopcase.data.customers):
        monkeypatch.setattr(module, "validate_frame", counting)
    events, emails, catalogue = simulated_log(n_customers=60, seed=5)
    build_churn_dataset(events, "2022-07-01", 60, emails=emails, catalogue=catalogue, bgnbd=True)
    assert calls.count("events") == 1 and calls.count("emails") == 1
