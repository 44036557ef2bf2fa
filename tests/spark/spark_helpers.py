"""Skip the Spark tests on a machine without Java or pyspark, but fail under ``SHOPCASE_REQUIRE_SPARK=1``.

``make test`` (and so CI) sets it: there a missing Java must fail the run, not pass it with skips.
"""

import os

import pytest

from shopcase.spark import missing_spark_requirements

REQUIRE_ENV = "SHOPCASE_REQUIRE_SPARK"


def require_spark() -> None:
    """Skip the calling test module (or fail, when required) if Spark cannot run here."""
    missing = missing_spark_requirements()
    if not missing:
        return
    reason = f"Spark tests need {' and '.join(missing)}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 (make test, CI) requires them to run", pytrace=False)
    pytest.skip(f"{reason}; set {REQUIRE_ENV}=1 to make this a failure", allow_module_level=True)
