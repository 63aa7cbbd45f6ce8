"""Runs of the pages: a job per run on the shared engine, and delivery of its reports to the browser.

A :class:`Job` hands a generator factory (sweep reports, DP site reports, ...) to an engine
(:mod:`explorer.engine`): inside a server session the process-wide :func:`server_engine` (worker processes, so
the server's event loop never competes with a computation for the GIL), elsewhere (unit tests, notebooks) a
:class:`~explorer.engine.ThreadEngine`. A small watcher thread per job waits for news from the engine and asks the
session's event loop to deliver it, at most once per :data:`PERIOD_MS`: ``IOLoop.add_callback`` (safe from any
thread) runs a coroutine that takes the document lock (``with_locked_document``). It deliberately avoids
``Document.add_next_tick_callback``: called from another thread while a page callback holds the document's events,
the callback's registration event can be swallowed by the hold, and a run's last reports then never arrive (the
"hung session" of a busy server). Outside a server session nothing is scheduled and the caller
polls.

One mechanism delivers everything: :meth:`Job.poll` runs on the event loop with the Bokeh document lock held,
hands the new items to ``consume``, then, once the run has ended, calls ``finish``, all inside
:func:`in_order`, so the browser receives the chart data and the status line in the order the page made them: a
status that says "Finished" never arrives before the points it describes. (Without it, Panel writes a pane's
change at once while Bokeh's own chart patches wait for the end of the callback: under load the status could
lead its charts by seconds.)

Stopping keeps what was delivered so far and ends the run in the engine: the computation sees its stop flag at its
next small step (:mod:`explorer.cancellation`), and a worker process running code that never checks is replaced.
Closing the browser tab stops the job too: the watcher notices that the session has had no open connection for
:data:`ORPHAN_GRACE_MS` (the server itself destroys such sessions only after its unused-session lifetime, 15 s by
default, and then the session-end callback cancels the job).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial, wraps

import panel as pn
from panel.io.state import set_curdoc
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError

from explorer.engine import DaskEngine, RunHandle, ThreadEngine
from explorer.resources import ResourceError, check_memory

__all__ = [
    "Job", "PERIOD_MS", "ORPHAN_GRACE_MS", "in_server_session", "on_session_end", "session_abandoned", "ui_callback",
    "server_engine", "configure_engine", "close_server_engine",
]

PERIOD_MS = 200
"""Least interval between two deliveries of a job's reports to the browser."""

ORPHAN_GRACE_MS = 2000
"""A job whose browser session has had no open connection for this long is cancelled (the tab was closed)."""

_ENGINE_OPTIONS: dict = {}
_ENGINE: list[DaskEngine] = []
_ENGINE_LOCK = threading.Lock()


def configure_engine(scheduler: str | None = None, workers: int | None = None, memory_limit="auto") -> None:
    """Options of the server's engine (before its first use): an existing Dask scheduler's address, or the
    worker processes and the memory limit per worker of the LocalCluster started otherwise."""
    with _ENGINE_LOCK:
        if _ENGINE:
            raise RuntimeError("the engine is already running; configure it before the first page is built")
        _ENGINE_OPTIONS.update(scheduler=scheduler, workers=workers, memory_limit=memory_limit)


def server_engine() -> DaskEngine:
    """The worker pool that every session of this server shares (started, in the background, by the first call).

    Without :func:`configure_engine`, the environment variable ``EXPLORER_SCHEDULER`` names an existing Dask
    scheduler; if it is unset, a LocalCluster of one single-threaded worker process per core starts.
    """
    with _ENGINE_LOCK:
        if not _ENGINE:
            options = {"scheduler": os.environ.get("EXPLORER_SCHEDULER") or None, **_ENGINE_OPTIONS}
            _ENGINE.append(DaskEngine(**options))
        return _ENGINE[0]


def ignore_closed_websockets() -> None:
    """Make the server's event loop ignore writes that failed because a browser tab had just closed.

    Panel writes some patches to a session's websocket without awaiting them; when the tab closes at that moment,
    the write fails with ``WebSocketClosedError`` inside a task nobody awaits, and asyncio logs "Task exception was
    never retrieved" at ERROR level for an everyday event. Every other unhandled exception still goes to the
    loop's default handler. Installed once per event loop, by the first page a loop serves.
    """
    loop = asyncio.get_event_loop()
    if getattr(loop, "_explorer_quiet_websockets", False):
        return
    previous = loop.get_exception_handler()

    def handler(event_loop, context):
        if isinstance(context.get("exception"), WebSocketClosedError | StreamClosedError):
            return
        if previous is None:
            event_loop.default_exception_handler(context)
        else:
            previous(event_loop, context)

    loop.set_exception_handler(handler)
    loop._explorer_quiet_websockets = True


def close_server_engine() -> None:
    """Shut the server's worker pool down in order (the server is stopping); nothing if it never started."""
    with _ENGINE_LOCK:
        engines = list(_ENGINE)
    for engine in engines:
        engine.close()


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
        pn.state.execute(partial(_held, callback, *args, **kwargs), schedule=True)

    return wrapper


def _held(callback: Callable, *args, **kwargs) -> None:
    """Call ``callback`` with its changes sent to the browser in the order it made them (:func:`in_order`)."""
    with in_order(pn.state.curdoc):
        callback(*args, **kwargs)


@contextmanager
def in_order(doc):
    """Send every change made in the body through Bokeh's own session writes, in the order it was made.

    Inside a locked callback Bokeh queues changes of its models (chart data) until the callback returns, while
    Panel writes changes of its panes and widgets (a status line) to the websocket at once, so a status could
    reach the browser seconds before the chart points it describes. Holding the document's events makes Panel
    leave its changes to Bokeh too; releasing the hold hands all of them to the session in order.
    """
    if doc is None or doc.callbacks.hold_value:
        yield
        return
    doc.hold("collect")
    try:
        yield
    finally:
        doc.unhold()


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
    """Run ``produce()`` (a generator factory) on an engine and hand its items to ``consume`` on the UI side.

    Parameters
    ----------
    produce : callable
        Returns an iterator; called where the work runs (a worker process, or a thread), so expensive setup
        belongs in the generator. It must be picklable for a worker process (e.g. a ``functools.partial`` of a
        module-level generator function).
    consume : callable
        ``consume(items)`` with the list of items produced since the last poll (never empty).
    finish : callable
        ``finish(error, stopped)`` once, after the last ``consume``: ``error`` is the exception that ended the
        generator (or None), ``stopped`` whether :meth:`stop` ended it.
    waiting : callable, optional
        ``waiting(ahead)`` when the run starts waiting for a free worker or moves up the queue (``ahead`` runs
        before it), and ``waiting(None)`` when it leaves the queue and starts.
    """

    def __init__(self, produce: Callable[[], Iterator], consume: Callable, finish: Callable,
                 waiting: Callable[[int], None] | None = None):
        self._produce, self._consume, self._finish = produce, consume, finish
        self._waiting = waiting or (lambda ahead: None)
        self._ahead: int | None = None
        self._finished = False
        self._run: RunHandle | None = None
        self._news = threading.Event()
        self._doc = None
        self._loop: IOLoop | None = None

    @property
    def running(self) -> bool:
        """True until the job has been finished on the UI side."""
        return not self._finished

    def start(self, engine=None) -> Job:
        """Hand the run to ``engine`` (default: the server's inside a session, else a thread of this process)."""
        if in_server_session():
            self._doc, self._loop = pn.state.curdoc, IOLoop.current()
        engine = engine or (server_engine() if self._doc is not None else ThreadEngine())
        self._run = engine.start(self._produce, self._news.set)
        if self._doc is not None:
            threading.Thread(target=self._watch, daemon=True, name="explorer-delivery").start()
        return self

    def _watch(self) -> None:
        """Watcher thread: deliver news through the event loop, cancel the job when its tab is gone."""
        while not self._finished:
            news = self._news.wait(ORPHAN_GRACE_MS / 4000)
            if session_abandoned(self._doc):
                self.cancel()
                return
            if not news:
                continue
            self._news.clear()
            self._loop.add_callback(self._deliver)
            time.sleep(PERIOD_MS / 1000)

    async def _deliver(self) -> None:
        """On the event loop: take the session's document lock and poll, with every change held for one message."""
        context = self._doc.session_context
        if context is None or context.destroyed:
            self.cancel()
            return
        await context.with_locked_document(self._poll_locked)

    def _poll_locked(self, doc) -> None:
        with set_curdoc(doc), in_order(doc):
            self.poll()

    def poll(self) -> None:
        """Hand new items to ``consume``; call ``finish`` when the run has ended (UI side)."""
        if self._finished or self._run is None:
            return
        done = self._run.done.is_set()
        items = self._run.drain()
        if items:
            self._consume(items)
        if done:
            self._end(self._run.error, stopped=False)
        elif self._run.ahead != self._ahead:
            self._ahead = self._run.ahead
            self._waiting(self._ahead)

    def stop(self) -> None:
        """Stop now: keep what was produced so far, discard the rest (the engine ends the computation)."""
        if self._finished:
            return
        self._run.stop()
        items = self._run.drain()
        if items:
            self._consume(items)
        self._end(None, stopped=True)

    def cancel(self) -> None:
        """Stop the run without touching the UI (the session is gone)."""
        self._finished = True
        if self._run is not None:
            self._run.stop()
        self._news.set()

    def _end(self, error, stopped: bool) -> None:
        self._finished = True
        self._news.set()
        self._finish(error, stopped)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end (tests and notebooks); True if it ended."""
        return self._run.join(timeout)


class JobOwner:
    """Mixin of the pages that run one :class:`Job` at a time in ``self.job`` (``None`` before the first run)."""

    job: Job | None = None

    running_text = "Running ..."
    """What the status line says while a run computes its first report (pages set it in ``run``)."""

    def _queued(self, ahead: int | None) -> None:
        """Status while the run waits for a worker process (pages have a ``bar``, a :class:`RunBar`)."""
        if ahead is None:
            self.bar.say(self.running_text)
            return
        runs = "no other run" if ahead == 0 else f"{ahead} run(s)"
        self.bar.say(f"**Queued**: waiting for a free worker process ({runs} ahead; the pool may still be starting).")

    def fits(self, estimate: int, what: str) -> bool:
        """Whether a run of ``estimate`` bytes fits a worker process (this machine outside a server); if not, the
        page says so (with the estimate and the limit) and the run is not started."""
        limit = server_engine().worker_memory() if in_server_session() else None
        try:
            check_memory(estimate, limit, what)
        except ResourceError as exc:
            self.errors.show(exc, prefix="Refused")
            self.bar.say("**Refused**: this run would not fit in memory (see below).")
            return False
        return True

    def stop(self) -> None:
        """Stop now; what was computed so far stays on the page."""
        if self.job is not None:
            self.job.stop()

    def _abandon(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def poll(self) -> None:
        """Move finished items to the charts (the job's periodic callback, or tests)."""
        if self.job is not None:
            self.job.poll()

