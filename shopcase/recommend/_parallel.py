"""Threads for the chunked work of fit and recommend: ``n_jobs`` resolved, BLAS kept to one thread each.

The heavy steps release the GIL (scipy's sparse products, numpy's partition, sorts and ufuncs),
so threads run them in parallel: 2 threads on 2 cores measured 1.4x to 1.5x. Results never depend
on the number of threads: every chunk is computed on its own, the same way, and results are used
in input order. Each thread holds one chunk's temporaries, so peak memory grows with the threads.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from threadpoolctl import ThreadpoolController

T = TypeVar("T")
R = TypeVar("R")

_INHERITED: ContextVar[int | None] = ContextVar("shopcase_recommend_threads", default=None)
"""Threads of the recommender whose fit or recommend is running (None outside one)."""

_controller: ThreadpoolController | None = None
_controller_lock = threading.Lock()


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def effective_threads(n_jobs: int | None) -> int:
    """Threads for a recommender's (validated) ``n_jobs``, with scikit-learn's meaning.

    ``None``: the threads of the recommender being fitted or run around this one (a composite passes
    its own to parts left at ``None``), else 1. ``-1``: every available CPU; ``-2`` all but one, and so
    on (at least 1). A positive value is used as given.
    """
    if n_jobs is None:
        inherited = _INHERITED.get()
        return 1 if inherited is None else inherited
    if n_jobs < 0:
        return max(available_cpus() + 1 + n_jobs, 1)
    return n_jobs


@contextmanager
def thread_scope(threads: int) -> Iterator[int]:
    """Run a block as a recommender using ``threads``: ``ordered_map`` and parts with ``n_jobs=None`` use them."""
    token = _INHERITED.set(threads)
    try:
        yield threads
    finally:
        _INHERITED.reset(token)


def _one_blas_thread() -> object:
    """A context limiting BLAS (OpenBLAS, MKL, ...) to one thread, so ``n`` workers use ``n`` cores, not ``n^2``.

    threadpoolctl's limit is process-wide, so it is entered once, by the thread that starts the workers.
    The controller (which scans the loaded libraries) is built once, on first use.
    """
    global _controller
    with _controller_lock:
        if _controller is None:
            _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` threads, yielding results in input order.

    ``workers`` defaults to the threads of the running ``thread_scope`` (1 outside one). ``items`` is
    consumed lazily in the calling thread and at most ``workers + 1`` calls are in flight, so memory
    stays bounded by a few chunks; an exception in ``fn`` is raised here, when its result is reached.
    With more than one worker, BLAS runs one thread per worker meanwhile.
    """
    workers = effective_threads(None) if workers is None else workers
    if workers <= 1:
        yield from map(fn, items)
        return
    with _one_blas_thread(), ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
