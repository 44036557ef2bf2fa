"""Text as search sees it: one normalisation for the catalogue and for queries, so "Café" meets "cafe".

Normalisation is Unicode NFKD with combining marks removed (accents go: "café" -> "cafe"), then
``casefold``. A token is a run of Unicode word characters (``\\w+``): letters of any script (Hebrew and
Arabic included), digits and ``_``. Everything else separates tokens, so hyphenated words split
("usb-c" -> "usb", "c"), emoji and punctuation vanish, and SQL- or regex-like text is just words: a query
is never executed or compiled as a pattern.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"\w+")

MAX_QUERY_CHARS: int = 200
"""Longest query accepted (characters). Real shop queries are a few words; longer input is rejected."""


def normalise(text: str) -> str:
    """``text`` without accents, case-folded (``"Crème BRÛLÉE"`` -> ``"creme brulee"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def tokenise(text: str) -> list[str]:
    """The normalised word tokens of ``text``, in order (repeats kept)."""
    return _TOKEN.findall(normalise(text))


def check_query(query: object, name: str = "query", max_chars: int = MAX_QUERY_CHARS) -> str:
    """``query`` if it is a non-blank string of at most ``max_chars`` characters, else ``ValueError``.

    A query with no word at all (only emoji or punctuation) is valid: it simply matches nothing.
    """
    if not isinstance(query, str):
        raise ValueError(f"{name} must be a string, got {type(query).__name__}")
    if not query.strip():
        raise ValueError(f"{name} is empty or only whitespace; type at least one character")
    if len(query) > max_chars:
        raise ValueError(f"{name} has {len(query):,} characters; at most {max_chars} are accepted")
    return query
