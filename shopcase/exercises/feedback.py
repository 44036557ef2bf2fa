"""What every exercise checker returns: a verdict and a specific message, printed as one line."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

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


def as_number(answer: object) -> float | None:
    """``answer`` as a finite float if it is a real number (not a bool), else ``None``: checkers then say so."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return value if np.isfinite(value) else None
