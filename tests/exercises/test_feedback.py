import pytest

from shopcase.exercises import NOT_ATTEMPTED, Feedback, attempted, correct, not_yet


def test_feedback_prints_as_one_line_with_the_verdict():
    assert str(correct("02.1", "k=50 wins")) == "[correct] Exercise 02.1: k=50 wins"
    assert repr(not_yet("02.1", "3 seen items remain")) == "[not yet] Exercise 02.1: 3 seen items remain"


def test_require_passes_correct_answers_and_raises_with_the_message_otherwise():
    ok = correct("01.1", "fine")
    assert ok.require() is ok
    with pytest.raises(AssertionError, match="3 seen items remain"):
        not_yet("01.1", "3 seen items remain").require()


def test_an_untouched_answer_is_not_attempted_and_an_answer_is_checked():
    feedback = attempted(None, "03.2", "set answer to a DataFrame")
    assert feedback.status == NOT_ATTEMPTED and not feedback.passed
    assert attempted(..., "03.2", "x").status == NOT_ATTEMPTED
    assert attempted(0, "03.2", "x") is None


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="status"):
        Feedback("01.1", "maybe", "x")


def test_number_answer_lets_only_one_finite_number_through():
    from shopcase.exercises import number_answer

    assert number_answer(0.25, "01.2", "set answer") == (0.25, None)
    assert number_answer(3, "01.1", "set answer") == (3.0, None)
    value, fb = number_answer(None, "01.2", "set answer to a share")
    assert value is None and fb.status == "not attempted" and fb.message == "set answer to a share"
    for wrong in ("0.25", True, [0.25], float("nan")):
        value, fb = number_answer(wrong, "01.2", "set answer")
        assert value is None and fb.status == "not yet" and "one number" in fb.message
