"""What every exercise checker returns: a verdict and a specific message, printed as one line."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

CORRECT = "correct"
NOT_YET = "not yet"
NOT_ATTEMPTED = "not attempted"
_MARKS = {CORRECT: "[correct]", NOT_YET: "[not yet]", NOT_ATTEMPTED: "[not attempted]"}


@dataclass(frozen=True)
class Feedback:
    """The verdict on one exercise.

    Parameters
    ----------
    exercise : str
        The exercise's number as the notebook shows it, e.g. ``"02.1"``.
    status : {"correct", "not yet", "not attempted"}
        ``"not yet"`` comes with what is still wrong; ``"not attempted"`` with what to do.
    message : str
        The specific feedback, e.g. "the list still contains 3 items the user bought".
    """

    exercise: str
    status: str
    message: str

    def __post_init__(self) -> None:
        if self.status not in _MARKS:
            raise ValueError(f"status must be one of {tuple(_MARKS)}, got {self.status!r}")

    @property
    def passed(self) -> bool:
        """True when the answer is correct."""
        return self.status == CORRECT

    def require(self) -> Feedback:
        """Return ``self`` if the answer is correct, else raise ``AssertionError`` with the feedback.

        Solutions call it, so a solution that no longer passes its checker fails the test suite.
        """
        if not self.passed:
            raise AssertionError(str(self))
        return self

    def __str__(self) -> str:
        return f"{_MARKS[self.status]} Exercise {self.exercise}: {self.message}"

    __repr__ = __str__


def correct(exercise: str, message: str) -> Feedback:
    """A passing verdict; ``message`` says what the answer shows (a sentence, not just "well done")."""
    return Feedback(exercise, CORRECT, message)


def not_yet(exercise: str, message: str) -> Feedback:
    """A failing verdict; ``message`` names what is wrong and, where it helps, what to try."""
    return Feedback(exercise, NOT_YET, message)


def attempted(answer: object, exercise: str, what_to_do: str) -> Feedback | None:
    """``None`` if the student has answered; else the "not attempted" feedback saying ``what_to_do``.

    Checkers start with ``if (fb := attempted(answer, "02.1", "set answer = ...")) is not None: return fb``,
    so an untouched exercise cell (``answer = None``) runs without error.
    """
    if answer is None or answer is Ellipsis:
        return Feedback(exercise, NOT_ATTEMPTED, what_to_do)
    return None


def number_answer(answer: object, exercise: str, what_to_do: str) -> tuple[float | None, Feedback | None]:
    """The answer as a finite float and ``None``, or ``None`` and the feedback to return at once.

    For checkers whose answer is one number: an untouched cell gets "not attempted" with ``what_to_do``; a string,
    a bool, a list or NaN gets "not yet" saying one number is expected. Use as
    ``value, fb = number_answer(answer, "02.1", "set answer to ..."); if fb: return fb``.
    """
    if (fb := attempted(answer, exercise, what_to_do)) is not None:
        return None, fb
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real) or not math.isfinite(float(answer)):
        return None, not_yet(exercise, f"the answer should be one number, got {answer!r} ({type(answer).__name__})")
    return float(answer), None
