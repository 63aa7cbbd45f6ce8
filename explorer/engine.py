"""Where long runs execute: a bounded pool of worker processes, shared by every session of a dashboard server.

A run is a generator factory ``produce()`` yielding one report per sweep, DP site or resolution. An engine
executes it away from the caller's thread and hands its items back through a :class:`RunHandle`, which the caller
drains (:meth:`RunHandle.drain`) whenever the engine calls the ``notify`` callback it was given.

* :class:`DaskEngine` -- what a dashboard server uses: a ``dask.distributed`` ``LocalCluster`` of single-threaded
  worker processes (one per core, each with a memory limit; the nanny replaces a worker that exceeds it; at a lower
  CPU priority than the server, :data:`WORKER_NICENESS`) bound to 127.0.0.1, or an existing cluster given by its
  scheduler address. The server process only moves reports, so its event loop (and the websockets of every
  session) never waits for a computation to release the GIL. Items travel through a ``distributed.Queue``, read
  by one blocking thread per run on the server (a stop request and the end of the task post their own messages
  into it, so the thread never polls). A stop request is also a ``distributed.Event``, relayed in the worker to
  the stop flag the computation checks between its small steps (:mod:`explorer.cancellation`: a local ALS
  problem, a DP chunk), so a stopped run ends within a fraction of a second even inside a d = 1000 sweep. A task
  that has still not ended :data:`STOP_GRACE` seconds later (it runs code that never checks, e.g. a user's law)
  has its worker process replaced. Runs beyond the pool's size wait in a FIFO queue, and :attr:`RunHandle.ahead`
  says how many runs are before them.
* :class:`ThreadEngine` -- a daemon thread per run in the calling process, for notebooks and unit tests; it runs
  the generator under the handle's stop flag too.

Nothing here imports Panel: the views wrap a handle in :class:`explorer.views.worker.Job`.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial

from explorer.cancellation import Cancelled, stoppable

__all__ = ["RunHandle", "ThreadEngine", "DaskEngine", "STOP_GRACE", "stream_to_queue"]

log = logging.getLogger(__name__)

STOP_GRACE = 0.5
"""Seconds a stopped task gets to end (it checks its stop flag between small steps) before its worker process is
replaced."""

WORKER_NICENESS = 5
"""Niceness of the LocalCluster's processes, relative to the server (CPU weight about a third of the server's).

The server's event loop, and a browser on the same machine, then get the CPU first when they wake up, so controls
answer while every core computes (benchmarks/RESULTS_dashboard.md: a control's answer with two d = 1000 runs, median
0.20 s at niceness 0, 0.15 s at 5). Niceness 10 (a tenth of the weight) starved the pool beside outside load."""

WORKER_WAIT = 2.0
"""Seconds to wait for the first message of a task cancelled before its reader saw where it runs."""

RELAY_POLL = 0.1
"""Seconds between a worker's looks at the stop event of the run it executes."""



class RunHandle:
    """One run as its caller sees it: the items so far, whether it ended, and how to stop it.

    Engines fill :attr:`items` and call ``notify()`` (from their own threads) whenever something changed: new
    items, a new queue position, or the end of the run.

    Attributes
    ----------
    error : BaseException or None
        What ended the generator, once :attr:`done` is set.
    ahead : int or None
        Runs queued before this one while it waits for a worker; None once it runs.
    worker : str
        Where the run executes (a worker's address, or ``"thread"``), once known.
    """

    def __init__(self, notify: Callable[[], None] | None = None):
        self.items: queue.Queue = queue.Queue()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.ahead: int | None = None
        self.worker = ""
        self._notify = notify or (lambda: None)
        self._on_stop: Callable[[], None] = lambda: None
        self._stop = threading.Event()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the run to end; the engine halts it within about :data:`STOP_GRACE` seconds."""
        self._stop.set()
        self._on_stop()

    def drain(self) -> list:
        """Every item that arrived since the last call (possibly none)."""
        out = []
        while True:
            try:
                out.append(self.items.get_nowait())
            except queue.Empty:
                return out

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the run has ended; True if it has."""
        return self.done.wait(timeout)

    def _put(self, item) -> None:
        self.items.put(item)
        self._notify()

    def _queued(self, ahead: int | None) -> None:
        self.ahead = ahead
        self._notify()

    def _end(self, error: BaseException | None = None) -> None:
        self.error = error
        self.done.set()
        self._notify()


class ThreadEngine:
    """Runs each generator in a daemon thread of this process (notebooks, unit tests)."""

    def start(self, produce: Callable[[], Iterator], notify: Callable[[], None] | None = None) -> RunHandle:
        handle = RunHandle(notify)
        handle.worker = "thread"
        threading.Thread(target=self._run, args=(produce, handle), daemon=True, name="explorer-job").start()
        return handle

    @staticmethod
    def _run(produce: Callable[[], Iterator], handle: RunHandle) -> None:
        error = None
        try:
            with stoppable(handle._stop):
                for item in produce():
                    if handle.stop_requested:
                        break
                    handle._put(item)
                    if handle.stop_requested:
                        break
        except Cancelled:
            pass
        except Exception as exc:
            error = exc
        handle._end(error)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (the way Dask ships it to the server), else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def stream_to_queue(produce: Callable[[], Iterator], queue_name: str, stop_name: str) -> None:
    """The task a Dask worker runs: every item of ``produce()`` into the queue, until the end or a stop request.

    Messages are pairs ``(kind, payload)``: ``("worker", address)`` first, then ``("item", item)`` per item, and
    finally ``("end", None)`` or ``("error", exception)``. The stop request (the ``distributed.Event`` ``stop_name``)
    is relayed to a local stop flag (:func:`_relay_stop`) under which the generator runs, so the computation
    itself ends at its next small step (:mod:`explorer.cancellation`), not only between items.
    """
    from distributed import Queue, get_worker

    channel, flag, finished = Queue(queue_name), threading.Event(), threading.Event()
    channel.put(("worker", get_worker().address))
    threading.Thread(target=_relay_stop, args=(stop_name, flag, finished), daemon=True, name="explorer-stop").start()
    try:
        with stoppable(flag):
            for item in produce():
                channel.put(("item", item))
                if flag.is_set():
                    break
    except Cancelled:
        pass
    except Exception as exc:
        channel.put(("error", _portable(exc)))
        return
    finally:
        finished.set()
    channel.put(("end", None))


def _relay_stop(stop_name: str, flag: threading.Event, finished: threading.Event) -> None:
    """Set ``flag`` once the Dask event ``stop_name`` is set; return when the task has ``finished``, or when the
    worker's connection closes (its process is being replaced).

    It asks every :data:`RELAY_POLL` seconds instead of waiting on the event: a wait still pending on the scheduler
    when a worker process is replaced gets logged there as an error.
    """
    from distributed import Event

    stop = Event(stop_name)
    try:
        while not finished.wait(RELAY_POLL):
            if stop.is_set():
                flag.set()
                return
    except OSError:
        return


def _warm_up() -> int:
    from explorer.learning.learner import warm_up_kernels

    warm_up_kernels()
    return os.getpid()


class DaskEngine:
    """A bounded pool of worker processes (Dask) that runs generators and streams their items back.

    Parameters
    ----------
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:port``); by default a LocalCluster is started.
    workers : int, optional
        Worker processes of the LocalCluster (default: the available cores).
    memory_limit : str or int
        Memory limit per worker of the LocalCluster (Dask's syntax, e.g. ``"4GB"``; ``"auto"``: the machine's
        memory divided among the workers).
    warm_up : bool
        Load (on the first run after an install: compile) the learner's kernels in every worker before the first
        run, so no run pays for compiling.
    niceness : int
        Niceness of the LocalCluster's worker processes above their nanny's (:data:`WORKER_NICENESS`, through
        :class:`explorer.worker_priority.LowerPriority`). Not applied to an existing cluster.

    The cluster starts in a background thread, so building the first page never waits for it; runs submitted
    before it is ready wait (``ahead`` counts them).
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None, memory_limit="auto",
                 warm_up: bool = True, niceness: int = WORKER_NICENESS):
        self.scheduler = scheduler
        self.niceness = niceness
        self.warm_up = warm_up
        self.workers = workers or len(os.sched_getaffinity(0))
        self.memory_limit = memory_limit
        self.client = None
        self.slots = 0
        self.startup_error: BaseException | None = None
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._waiting: list[tuple[RunHandle, Callable]] = []
        self._running = 0
        self._cluster = None
        threading.Thread(target=self._connect, daemon=True, name="explorer-engine").start()

    def _connect(self) -> None:
        try:
            self.client = self._open_client()
            if self.warm_up:
                self._warm_up_workers()
            self.slots = sum(self.client.nthreads().values())
        except Exception as exc:
            log.exception("the Dask engine could not start")
            self.startup_error = exc
        self.ready.set()
        self._dispatch()

    def _warm_up_workers(self) -> None:
        addresses = list(self.client.scheduler_info()["workers"])
        warm = [self.client.submit(_warm_up, pure=False, workers=[a], allow_other_workers=False) for a in addresses]
        self.client.gather(warm)

    def _open_client(self):
        from distributed import Client, LocalCluster

        from explorer.worker_priority import LowerPriority

        if self.scheduler:
            return Client(self.scheduler)
        self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address="127.0.0.1:0", memory_limit=self.memory_limit)
        client = Client(self._cluster)
        client.register_plugin(LowerPriority(self.niceness))
        return client

    @property
    def active(self) -> int:
        """Runs executing on a worker now (queued runs not counted)."""
        with self._lock:
            return self._running

    def worker_memory(self) -> int | None:
        """The smallest memory limit of the workers in bytes (None before the pool is up, or without a limit)."""
        if self.client is None:
            return None
        limits = [w.get("memory_limit") for w in self.client.scheduler_info()["workers"].values()]
        limits = [m for m in limits if m]
        return min(limits) if limits else None

    def start(self, produce: Callable[[], Iterator], notify: Callable[[], None] | None = None) -> RunHandle:
        """Queue ``produce`` for the next free worker and return its handle at once."""
        handle = RunHandle(notify)
        handle._on_stop = self._dispatch
        with self._lock:
            self._waiting.append((handle, produce))
        self._dispatch()
        return handle

    def _dispatch(self) -> None:
        launch, update = [], []
        with self._lock:
            if self.ready.is_set():
                self._waiting = [(h, p) for h, p in self._waiting if not self._drop_stopped(h)]
                while self._waiting and (self.startup_error is not None or self._running < self.slots):
                    launch.append(self._waiting.pop(0))
                    self._running += self.startup_error is None
            update = [(handle, index) for index, (handle, _) in enumerate(self._waiting)]
        for handle, produce in launch:
            handle._queued(None)
            threading.Thread(target=self._pump, args=(handle, produce), daemon=True, name="explorer-run").start()
        for handle, index in update:
            if handle.ahead != index:
                handle._queued(index)

    @staticmethod
    def _drop_stopped(handle: RunHandle) -> bool:
        """End a queued run whose stop was requested (True: take it out of the queue)."""
        if handle.stop_requested:
            handle._end(None)
            return True
        return False

    def _pump(self, handle: RunHandle, produce: Callable[[], Iterator]) -> None:
        if self.startup_error is not None:
            handle._end(RuntimeError(f"the worker pool could not start: {self.startup_error}"))
            return
        try:
            error, stuck = self._stream(handle, produce)
            handle._end(error)
            if stuck and handle.worker:
                self.client.restart_workers([handle.worker], raise_for_error=False)
        except Exception as exc:
            handle._end(exc)
        finally:
            with self._lock:
                self._running -= 1
            self._dispatch()

    def _stream(self, handle: RunHandle, produce: Callable[[], Iterator]) -> tuple[BaseException | None, bool]:
        """Move the task's items to ``handle``; returns the run's error and whether its worker must be replaced
        (a stopped task still computing). The handle ends before that replacement, the slot only after it."""
        from distributed import Event, Queue

        name = f"explorer-run-{uuid.uuid4().hex}"
        channel, stop = Queue(name, client=self.client), Event(name + "-stop", client=self.client)
        handle._on_stop = partial(_post, channel, ("stop", None))
        future = self.client.submit(stream_to_queue, produce, name, name + "-stop", pure=False, key=name)
        future.add_done_callback(lambda _future: _post(channel, ("ended", None)))
        if handle.stop_requested:
            _post(channel, ("stop", None))
        try:
            while True:
                kind, payload = channel.get()
                if kind == "worker":
                    handle.worker = payload
                elif kind == "item":
                    handle._put(payload)
                elif kind == "stop":
                    if _halted(future, stop):
                        return None, False
                    handle.worker = handle.worker or _worker_of(channel)
                    return None, True
                elif kind == "ended":
                    return _lost(future), False
                else:
                    return payload, False
        finally:
            future.release()

    def close(self) -> None:
        """Shut the pool down (the LocalCluster too, if this engine started it)."""
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _halted(future, stop) -> bool:
    """Ask a task to stop (it checks between items); True if it ended within :data:`STOP_GRACE` seconds, else it
    is cancelled (its worker, still computing, must then be replaced)."""
    stop.set()
    end = time.monotonic() + STOP_GRACE
    while time.monotonic() < end and not future.done():
        time.sleep(0.05)
    if future.done():
        return True
    future.cancel()
    return False


def _worker_of(channel, timeout: float = WORKER_WAIT) -> str:
    """The worker a cancelled task was running on, from its first message (a stop can come before the reader has
    seen it); "" if the task never started."""
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        try:
            kind, payload = channel.get(timeout=left)
        except TimeoutError:
            return ""
        if kind == "worker":
            return payload
    return ""


def _post(channel, message) -> None:
    """Put ``message`` into a Dask queue from a thread of its own (callers may be on an event loop)."""
    threading.Thread(target=channel.put, args=(message,), daemon=True, name="explorer-post").start()


def _lost(future) -> BaseException:
    """The error of a task that ended without saying so (its worker died, e.g. for lack of memory)."""
    try:
        error = future.exception(timeout=1)
    except Exception as exc:
        error = exc
    return RuntimeError(f"the worker running this computation was lost: {error}")
