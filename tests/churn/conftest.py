"""One OpenMP thread for the churn tests.

HistGradientBoosting parallelises with OpenMP; on a small machine that is busy with other work its
threads spin-wait and a 0.2 s fit can take 40 s. The tests fit small models, so one thread is fastest.
"""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
