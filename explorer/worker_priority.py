"""A Dask worker plugin that runs a worker process at a lower CPU priority than the server that started it.

Used by :class:`explorer.engine.DaskEngine` for its LocalCluster: the dashboard server's event loop (and a browser on
the same machine) then get the CPU first when they wake up, while the workers still use every idle cycle.
"""

from __future__ import annotations

import os

from distributed import WorkerPlugin

__all__ = ["LowerPriority"]


class LowerPriority(WorkerPlugin):
    """Every thread of the worker process runs ``niceness`` above its nanny (Linux).

    Linux keeps a niceness per thread, and a thread inherits its creator's, so the plugin sets it on every thread
    the process has when the plugin is set up (the scheduler sets up registered plugins on a worker before it runs
    tasks, on a replacement worker too; the thread that runs tasks is created later, from a niced thread). The
    value is relative to the nanny, so setting it up twice changes nothing.
    """

    name = "explorer-lower-priority"

    def __init__(self, niceness: int):
        self.niceness = niceness

    def setup(self, worker) -> None:
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getppid()) + self.niceness)
        for thread in os.listdir("/proc/self/task"):
            os.setpriority(os.PRIO_PROCESS, int(thread), target)
