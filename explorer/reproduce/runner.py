"""Run a sweep on Dask: submit the unfinished points, append each result to the table as it arrives, plot.

The client is an embedded ``dask.distributed`` LocalCluster (one single-threaded worker process per core asked
for), an existing cluster given by its scheduler address, or a :class:`distributed.Client` passed in. Workers
must be able to import :mod:`explorer`. A script that starts a LocalCluster (worker processes are spawned)
needs the usual ``if __name__ == "__main__":`` guard; notebooks and ``explorer reproduce`` do not.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from explorer.reproduce.studies import Sweep, make_sweep
from explorer.reproduce.table import ResultTable, point_key

__all__ = ["Progress", "SweepRun", "open_client", "run_sweep"]

LOCK_NAME = ".lock"
"""The lock file of an output folder (:func:`lock_folder`)."""

BAR_WIDTH = 30


@dataclass
class SweepRun:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    sweep : Sweep
        The sweep specification.
    table : Path
        The CSV table.
    rows : list of dict
        The table's rows of this sweep's points after the run (parsed values).
    computed : int
        Points computed in this run.
    skipped : int
        Points found finished in the table and not recomputed.
    failed : list of (str, str)
        Key and error message of every point that raised; they stay out of the table and rerun next time.
    seconds : float
        Wall time of the run.
    figures : list of Path
        The saved figure files (HTML and PNG).
    """

    sweep: Sweep
    table: Path
    rows: list
    computed: int
    skipped: int
    failed: list = field(default_factory=list)
    seconds: float = 0.0
    figures: list = field(default_factory=list)


class Progress:
    """Progress of a sweep on a text stream: a tqdm bar on a terminal, a line redrawn in place in a notebook, else
    one line per point.

    Parameters
    ----------
    label : str
        Shown before the bar.
    total : int
        Points in the sweep.
    done : int
        Points already finished before the run.
    stream : file-like, optional
        Defaults to ``sys.stderr``; None disables the bar.
    """

    def __init__(self, label: str, total: int, done: int, stream=None):
        self.label = label
        self.total = total
        self.done = done
        self.skipped = done
        self.failed = 0
        self.stream = stream
        self.start = time.perf_counter()
        terminal = stream is not None and stream.isatty()
        self.tqdm = tqdm(total=total, initial=done, desc=label, unit="point", file=stream) if terminal else None
        interactive = terminal or (stream is not None and "ipykernel" in sys.modules)
        self.end = "" if interactive else "\n"
        self.prefix = "\r" if interactive else ""

    def line(self, note: str = "") -> str:
        filled = BAR_WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        elapsed = time.perf_counter() - self.start
        return (
            f"{self.label} [{bar}] {self.done}/{self.total} points ({self.skipped} skipped, {self.failed} failed) "
            f"{elapsed:.0f} s{'  ' + note if note else ''}"
        )

    def show(self, note: str = "") -> None:
        if self.tqdm is not None:
            self.tqdm.set_postfix_str(f"{self.skipped} skipped, {self.failed} failed  {note}".rstrip(), refresh=False)
            self.tqdm.n = self.done
            self.tqdm.refresh()
        elif self.stream is not None:
            self.stream.write(self.prefix + self.line(note) + self.end)
            self.stream.flush()

    def advance(self, note: str = "", failed: bool = False) -> None:
        """Count one finished (or failed) point and redraw."""
        self.done += 0 if failed else 1
        self.failed += int(failed)
        self.show(note)

    def close(self) -> None:
        if self.tqdm is not None:
            self.tqdm.close()
        elif self.stream is not None and self.end == "":
            self.stream.write("\n")
            self.stream.flush()


@contextlib.contextmanager
def open_client(client=None, scheduler: str | None = None, workers: int = 2):
    """Yield ``client``, else a Client of the cluster at ``scheduler``, else of a new LocalCluster; close what
    was opened here."""
    if client is not None:
        yield client
        return
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as new:
            yield new
        return
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as cluster,
        Client(cluster) as new,
    ):
        try:
            yield new
        except KeyboardInterrupt:
            _stop_workers(cluster)
            raise


def _stop_workers(cluster) -> None:
    """On Ctrl-C: end the LocalCluster's worker processes at once (their points are lost anyway; finished rows are
    in the table) and quiet the cluster's shutdown warnings, so the cluster closes in about a second."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    for nanny in list(cluster.workers.values()):
        pid = getattr(getattr(getattr(nanny, "process", None), "process", None), "pid", None)
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _note(sweep: Sweep, point: dict, row: dict) -> str:
    varying = [name for name in (*sweep.lines, sweep.panel, sweep.x, "seed") if name]
    value = row.get(sweep.y)
    shown = "-" if value is None else f"{value:.3e}"
    return " ".join(f"{name}={point[name]}" for name in dict.fromkeys(varying)) + f" {sweep.y}={shown}"


def _compute(sweep: Sweep, pending: list, table: ResultTable, client, progress: Progress) -> list:
    from dask.distributed import as_completed

    futures = {client.submit(sweep.function, point, pure=False): point for point in pending}
    failed = []
    for future in as_completed(futures):
        point = futures[future]
        try:
            row = future.result()
        except Exception as err:  # a failed point stays unfinished and reruns next time
            failed.append((point_key(point), f"{type(err).__name__}: {err}"))
            progress.advance(f"FAILED {failed[-1][1]}", failed=True)
            continue
        finished = datetime.now(UTC).isoformat(timespec="microseconds")
        table.append({"key": point_key(point), **point, **row, "finished": finished})
        progress.advance(_note(sweep, point, row))
    return failed


def run_sweep(
    sweep,
    *,
    quick: bool = False,
    out="reproduce-results",
    client=None,
    scheduler: str | None = None,
    workers: int = 2,
    progress=True,
    figure: bool = True,
) -> SweepRun:
    """Run the unfinished points of a sweep on Dask, append their rows to ``OUT/TAG.csv`` and save the figure.

    Parameters
    ----------
    sweep : str or Sweep
        A study name of :data:`~explorer.reproduce.studies.STUDIES` or a sweep specification.
    quick : bool
        With a study name: the CI-sized grid (tag ``NAME-quick``).
    out : str or Path
        Output folder of the table ``TAG.csv`` and the figure ``TAG.html`` / ``TAG.png``.
    client : distributed.Client, optional
        Use this client (it stays open); else ``scheduler`` or a new LocalCluster of ``workers`` processes.
    scheduler : str, optional
        Address of a running Dask scheduler.
    workers : int
        Worker processes of the LocalCluster (one thread each).
    progress : bool or file-like
        Draw the progress bar on ``sys.stderr`` (True), on this stream, or not at all (False).
    figure : bool
        Save the figure after the run.

    Returns
    -------
    SweepRun
    """
    start = time.perf_counter()
    sweep = make_sweep(sweep, quick) if isinstance(sweep, str) else sweep
    points = sweep.points()
    table = ResultTable(Path(out) / f"{sweep.tag}.csv", sweep.columns())
    with lock_folder(out):
        return _run_locked(sweep, points, table, start, client, scheduler, workers, progress, figure)


@contextlib.contextmanager
def lock_folder(out):
    """Hold an exclusive lock on the output folder ``out`` (file ``OUT/.lock``, created with the folder) while a
    sweep runs; ValueError when another run holds it. The operating system drops the lock when the process ends."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_NAME).open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise ValueError(f"out: {folder} is in use by another reproduce run (pid {holder}); "
                             "wait for it or choose another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _run_locked(sweep, points, table, start, client, scheduler, workers, progress, figure) -> SweepRun:
    done = table.keys()
    pending = [point for point in points if point_key(point) not in done]
    stream = sys.stderr if progress is True else progress or None
    bar = Progress(sweep.tag, len(points), len(points) - len(pending), stream)
    failed = []
    if pending:
        with open_client(client, scheduler, workers) as active:
            if stream is not None:
                stream.write(f"Dask dashboard: {active.dashboard_link}\n")
            bar.show()
            failed = _compute(sweep, pending, table, active, bar)
    else:
        bar.show()
    bar.close()
    keys = {point_key(point) for point in points}
    rows = [row for row in table.read() if row["key"] in keys]
    run = SweepRun(sweep, table.path, rows, len(pending) - len(failed), len(points) - len(pending), failed)
    if figure and rows:
        from explorer.reproduce.figures import save_figure

        run.figures = save_figure(sweep, rows, table.path.with_suffix(""))
    run.seconds = time.perf_counter() - start
    return run
