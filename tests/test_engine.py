"""The engines that run the dashboard's computations: threads, and Dask worker processes with stop and queue."""

from __future__ import annotations

import itertools
import logging
import math
import os
import sys
import time
from functools import partial

import cloudpickle
import pytest

from explorer import engine as engine_module
from explorer.cancellation import check
from explorer.engine import DaskEngine, ThreadEngine
from explorer.resources import ResourceError, check_memory, learning_bytes

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def counting(n: int):
    return itertools.islice(itertools.count(), n)


def drain_until_done(handle, timeout: float = 300.0) -> list:
    """Items of ``handle`` until it ends (a liveness bound for a loaded machine, not a speed target)."""
    items = []
    end = time.monotonic() + timeout
    while not handle.done.is_set():
        assert time.monotonic() < end, "the run never ended"
        items += handle.drain()
        time.sleep(0.02)
    return items + handle.drain()


def test_thread_engine_streams_every_item_and_notifies():
    calls = []
    handle = ThreadEngine().start(partial(counting, 5), lambda: calls.append(1))
    assert drain_until_done(handle) == [0, 1, 2, 3, 4]
    assert handle.error is None and len(calls) == 6


def test_thread_engine_reports_the_error_that_ended_the_run():
    handle = ThreadEngine().start(partial(map, math.sqrt, [4.0, -1.0]))
    assert drain_until_done(handle) == [2.0]
    assert isinstance(handle.error, ValueError)


@pytest.fixture(scope="module")
def engine():
    pool = DaskEngine(workers=1, memory_limit="2GB", warm_up=False)
    assert pool.ready.wait(120), "the LocalCluster did not start"
    assert pool.startup_error is None
    yield pool
    pool.close()


def test_dask_engine_streams_items_from_a_worker_process(engine):
    handle = engine.start(partial(itertools.starmap, os.getpid, [()]))
    items = drain_until_done(handle)
    assert handle.error is None and len(items) == 1
    assert items[0] != os.getpid()
    assert handle.worker.startswith("tcp://127.0.0.1:")


def test_dask_engine_reports_errors_of_the_computation(engine):
    handle = engine.start(partial(map, math.sqrt, [9.0, -1.0]))
    assert drain_until_done(handle) == [3.0]
    assert isinstance(handle.error, ValueError) and "math domain error" in str(handle.error)


def test_dask_engine_queues_runs_beyond_its_workers_and_stops_a_busy_worker(engine):
    busy = engine.start(partial(map, time.sleep, [600]))
    while not busy.worker:
        time.sleep(0.05)
    waiting = engine.start(partial(counting, 3))
    deadline = time.monotonic() + 60
    while waiting.ahead != 0:
        assert time.monotonic() < deadline, "the second run was never reported as queued"
        time.sleep(0.05)
    assert not waiting.done.is_set()
    busy.stop()
    assert drain_until_done(busy) == []
    assert busy.error is None
    assert drain_until_done(waiting) == [0, 1, 2]
    assert waiting.ahead is None


def stubborn():
    """The worker's pid, then a step that never ends by itself but checks its stop flag."""
    yield os.getpid()
    while True:
        check()
        time.sleep(0.005)


def test_dask_engine_stops_a_step_in_its_worker_without_replacing_the_process(engine, monkeypatch):
    """The stop reaches the computation itself (:mod:`explorer.cancellation`): the task ends on its own, so the
    worker process is not replaced, however long the engine would wait before replacing it."""
    monkeypatch.setattr(engine_module, "STOP_GRACE", 120.0)
    handle = engine.start(stubborn)
    deadline = time.monotonic() + 120
    while handle.items.empty():
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.02)
    handle.stop()
    assert handle.join(60), "the step never saw its stop flag"
    assert handle.error is None
    pid = handle.drain()[0]
    again = engine.start(partial(itertools.starmap, os.getpid, [()]))
    assert drain_until_done(again) == [pid]


def test_dask_engine_drops_a_queued_run_that_was_stopped(engine):
    busy = engine.start(partial(map, time.sleep, [600]))
    queued = engine.start(partial(counting, 3))
    queued.stop()
    assert queued.join(60) and queued.drain() == []
    busy.stop()
    assert busy.join(300)


@pytest.fixture(autouse=True)
def no_errors_logged(caplog):
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


def test_memory_check_refuses_a_run_that_cannot_fit_and_names_it():
    estimate = learning_bytes(modes=10, samples=10_000_000)
    assert estimate > 100 * 2**30
    with pytest.raises(ResourceError, match=r"d = 10 .* needs about 1[45]\d\.\d GB of memory, more than the 12\.0 GB"):
        check_memory(estimate, 12 * 2**30, "d = 10 modes x N = 10,000,000 samples")
    check_memory(learning_bytes(modes=10, samples=500, test_samples=2000), 12 * 2**30, "small")


def test_local_cluster_workers_run_at_a_lower_priority_than_the_server(engine):
    """Every thread of a worker process, the one running tasks included, is niced by :data:`WORKER_NICENESS`."""
    from explorer.engine import WORKER_NICENESS

    handle = engine.start(partial(itertools.starmap, os.nice, [(0,)]))
    assert drain_until_done(handle) == [min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS)]


def test_an_error_that_cannot_travel_reaches_the_page_as_its_text():
    from explorer.engine import _portable

    class Local(Exception):
        """Defined in a function: pickle cannot find it again."""

    travelled = _portable(Local("bad input"))
    assert isinstance(travelled, RuntimeError) and str(travelled) == "Local: bad input"
    plain = ValueError("bad input")
    assert _portable(plain) is plain
