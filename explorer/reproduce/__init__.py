"""Reproducible experiment sweeps on Dask: the sweeps behind the seed's Figs. 1-5 and an epsilon-net study.

A sweep (:mod:`.studies`) is a grid of independent points; :func:`run_sweep` (:mod:`.runner`) submits the
unfinished ones to a ``dask.distributed`` client, appends each finished row to a CSV table (:mod:`.table`) at
once, skips finished points on a rerun and saves the figure as HTML and PNG (:mod:`.figures`). Command line:
``explorer reproduce STUDY [--quick]``.

Example
-------
>>> from explorer.reproduce import run_sweep
>>> run = run_sweep("fput", quick=True, out="results")  # doctest: +SKIP
>>> run.table, run.figures  # doctest: +SKIP
"""

from explorer.reproduce.points import groundstate_point, learning_experiment, learning_point
from explorer.reproduce.runner import SweepRun, open_client, run_sweep
from explorer.reproduce.studies import STUDIES, Sweep, make_sweep
from explorer.reproduce.table import ResultTable, point_key

__all__ = [
    "STUDIES",
    "ResultTable",
    "Sweep",
    "SweepRun",
    "groundstate_point",
    "learning_experiment",
    "learning_point",
    "make_sweep",
    "open_client",
    "point_key",
    "run_sweep",
]
