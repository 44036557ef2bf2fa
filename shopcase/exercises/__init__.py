"""Checkers for the notebooks' exercises: specific feedback on a student's answer, never just "wrong".

One module per notebook (``ex01`` for ``01_shop_data.ipynb``, ...). Each exercise has a ``check_*``
function that takes the student's answer and returns a ``Feedback``, which a notebook displays as one
line. An answer left as ``None`` (the untouched exercise cell) gets ``NOT_ATTEMPTED`` feedback and never
raises, so the committed notebooks run from top to bottom. Worked solutions, in ``notebooks/solutions/``,
call ``.require()`` on each feedback: a solution that stops passing its checker fails ``make test``.
"""

from shopcase.exercises.feedback import (
    CORRECT,
    NOT_ATTEMPTED,
    NOT_YET,
    Feedback,
    attempted,
    correct,
    not_yet,
    number_answer,
)

__all__ = ["CORRECT", "NOT_ATTEMPTED", "NOT_YET", "Feedback", "attempted", "correct", "not_yet", "number_answer"]
