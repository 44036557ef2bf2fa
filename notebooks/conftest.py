"""nbval on notebooks that need more than Python (``metadata.shopcase.requires``, e.g. Java for Spark).

On a machine that lacks it, nbval's run of such a notebook is skipped with one line saying what to install;
with ``SHOPCASE_REQUIRE_SPARK=1`` (CI sets it) nothing is skipped, so a missing Java fails the run instead.
"""

import os
from functools import cache
from pathlib import Path

import pytest

from shopcase.runner import missing_requirements


@cache
def _missing(path: Path) -> tuple[str, ...]:
    return tuple(missing_requirements(path))


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SHOPCASE_REQUIRE_SPARK") == "1":
        return
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb" and _missing(path):
            item.add_marker(pytest.mark.skip(reason=f"{path.name} needs {' and '.join(_missing(path))}"))
