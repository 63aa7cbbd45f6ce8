"""Background work for the pages: a worker thread per run and a throttled poll on the server's event loop.

A :class:`Job` consumes a generator (sweep reports, DP site reports, ...) in a daemon thread, off the event loop.
Items go through a queue; the page drains it with :meth:`Job.poll`, which a periodic callback of the session calls
a few times a second while the job runs (so the browser gets every item, batched, at most ``1000 / PERIOD_MS``
times a second). Outside a server session (unit tests, notebooks) nothing is scheduled and the caller polls.

Stopping sets a flag that the thread checks between items; the job reports itself stopped at once, and whatever
the thread computes after that is discarded. Closing the browser tab stops the job too: the poll notices that the
session has had no open connection for :data:`ORPHAN_GRACE_MS` (the server itself destroys such sessions only
after its unused-session lifetime, 15 s by default, and then the session-end callback cancels the job as well).

Every callback of a page runs on the event loop with the Bokeh document lock held: the poll is a periodic callback
of the session, and widget callbacks go through :func:`ui_callback`. Pages therefore change their Bokeh models
directly, and Bokeh sends all changes in order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from functools import partial, wraps

import panel as pn
from panel.io.callbacks import PeriodicCallback

__all__ = [
    "Job", "PERIOD_MS", "ORPHAN_GRACE_MS", "in_server_session", "on_session_end", "session_abandoned", "ui_callback",
]

PERIOD_MS = 300
"""Interval of the poll that moves results from the worker thread to the browser."""

ORPHAN_GRACE_MS = 2000
"""A job whose browser session has had no open connection for this long is cancelled (the tab was closed)."""


def in_server_session() -> bool:
    """True inside a live Bokeh server session (where callbacks can be scheduled)."""
    doc = pn.state.curdoc
    return bool(doc is not None and doc.session_context)


def ui_callback(callback: Callable) -> Callable:
    """Run a widget callback on the event loop with the Bokeh document lock held.

    Panel usually runs widget callbacks inside Bokeh's locked message handlers, but a click or change that arrives
    while another change is still pending runs in a plain asyncio task without the lock, where changing a Bokeh
    model fails. ``pn.state.execute(..., schedule=True)`` queues the call as a next-tick callback of the session,
    which Bokeh always runs locked. Outside a server session the callback runs at once.
    """

    @wraps(callback)
    def wrapper(*args, **kwargs):
        pn.state.execute(partial(callback, *args, **kwargs), schedule=True)

    return wrapper


def session_abandoned(doc) -> bool:
    """True when the server session of ``doc`` has had no open connection for :data:`ORPHAN_GRACE_MS`."""
    session = getattr(doc.session_context, "session", None)
    return bool(session is not None and session.connection_count == 0
                and session.milliseconds_since_last_unsubscribe > ORPHAN_GRACE_MS)


def on_session_end(callback: Callable[[], None]) -> None:
    """Call ``callback`` when the current browser session ends (no-op outside a server session)."""
    if in_server_session():
        pn.state.on_session_destroyed(lambda _context: callback())


class Job:
    """Run ``produce()`` (a generator factory) in a thread and hand its items to ``consume`` on the UI side.

    Parameters
    ----------
    produce : callable
        Returns an iterator; called in the worker thread, so expensive setup belongs in the generator.
    consume : callable
        ``consume(items)`` with the list of items produced since the last poll (never empty).
    finish : callable
        ``finish(error, stopped)`` once, after the last ``consume``: ``error`` is the exception that ended the
        generator (or None), ``stopped`` whether :meth:`stop` ended it.
    """

    def __init__(self, produce: Callable[[], Iterator], consume: Callable, finish: Callable):
        self._produce, self._consume, self._finish = produce, consume, finish
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._finished = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="explorer-job")
        self._callback: PeriodicCallback | None = None
        self._doc = None

    @property
    def running(self) -> bool:
        """True until the job has been finished on the UI side."""
        return not self._finished

    def start(self) -> Job:
        """Start the thread and, inside a server session, the periodic poll."""
        self._thread.start()
        if in_server_session():
            self._doc = pn.state.curdoc
            self._callback = PeriodicCallback(callback=self.poll, period=PERIOD_MS, log=False, background=True)
            self._callback.start()
        return self

    def _run(self) -> None:
        try:
            for item in self._produce():
                if self._stop.is_set():
                    break
                self._queue.put(item)
                if self._stop.is_set():
                    break
        except Exception as exc:
            self._error = exc
        finally:
            self._done.set()

    def _drain(self) -> list:
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def poll(self) -> None:
        """Hand new items to ``consume``; call ``finish`` when the thread is done (UI side, throttled)."""
        if self._finished:
            return
        if self._doc is not None and session_abandoned(self._doc):
            self.cancel()
            return
        done = self._done.is_set()
        items = self._drain()
        if items:
            self._consume(items)
        if done:
            self._end(self._error, stopped=self._stop.is_set())

    def stop(self) -> None:
        """Stop now: keep what was produced so far, discard the rest (the thread ends after its current item)."""
        if self._finished:
            return
        self._stop.set()
        items = self._drain()
        if items:
            self._consume(items)
        self._end(None, stopped=True)

    def cancel(self) -> None:
        """Stop the thread without touching the UI (the session is gone)."""
        self._stop.set()
        self._finished = True
        if self._callback is not None:
            self._callback.stop()

    def _end(self, error, stopped: bool) -> None:
        self._finished = True
        if self._callback is not None:
            self._callback.stop()
        self._finish(error, stopped)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread (tests and notebooks); True if it ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


class JobOwner:
    """Mixin of the pages that run one :class:`Job` at a time in ``self.job`` (``None`` before the first run)."""

    job: Job | None = None

    def stop(self) -> None:
        """Stop after the current item; what was computed so far stays on the page."""
        if self.job is not None:
            self.job.stop()

    def _abandon(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def poll(self) -> None:
        """Move finished items to the charts (the job's periodic callback, or tests)."""
        if self.job is not None:
            self.job.poll()

