"""``explorer reproduce``: run the sweep behind one of the seed's figures (or the epsilon-net study) on Dask.

The unfinished points of the grid go to an embedded ``dask.distributed`` LocalCluster (``--workers`` processes)
or to the cluster at ``--scheduler``; each finished point is appended to ``OUT/STUDY.csv`` at once, a rerun skips
finished points, and the figure is saved as ``OUT/STUDY.html`` and ``OUT/STUDY.png``. ``--quick`` runs a tiny
grid (tag ``STUDY-quick``) in a few minutes. With ``--json`` the last stdout line is one JSON object with
``table``, ``figures``, ``points``, ``computed``, ``skipped``, ``failed`` and ``seconds``.
"""

from __future__ import annotations

import json

from explorer.commands.checks import Interrupted, interrupted, output_folder
from explorer.reproduce.runner import run_sweep
from explorer.reproduce.studies import STUDIES, make_sweep

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "reproduce",
        help="run the sweep behind a seed figure on Dask (resumable)",
        description="Sweeps of the seed's Figs. 1-5 (fput, dipoles, dipoles-legendre, dipoles-noise, "
        "lennard-jones) and an epsilon-net convergence study (epsnet), on Dask, resumable.",
    )
    p.add_argument("study", choices=list(STUDIES), help="the sweep to run")
    p.add_argument("--quick", action="store_true", help="a tiny grid that finishes in minutes")
    p.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (default: LocalCluster)")
    p.add_argument(
        "--workers", type=int, default=2,
        help="worker processes of the LocalCluster (not with --scheduler; default: 2)",
    )
    p.add_argument(
        "--out", default="reproduce-results",
        help="folder of the table and the figure, locked while a run uses it (default: reproduce-results)",
    )
    p.add_argument("--no-figure", action="store_true", help="do not save the figure")
    p.add_argument("--json", action="store_true", help="print one JSON summary as the last line")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    output_folder(args.out, "--out")
    sweep = make_sweep(args.study, args.quick)
    try:
        result = run_sweep(
            sweep, out=args.out, scheduler=args.scheduler, workers=args.workers, figure=not args.no_figure
        )
    except BaseException as err:
        if interrupted(err):
            raise Interrupted(f"finished points are kept in {args.out}/{sweep.tag}.csv; rerun to go on") from None
        raise
    summary = {
        "study": sweep.study,
        "table": str(result.table),
        "figures": [str(path) for path in result.figures],
        "points": len(sweep.points()),
        "computed": result.computed,
        "skipped": result.skipped,
        "failed": [{"key": key, "error": error} for key, error in result.failed],
        "seconds": result.seconds,
    }
    for key, error in result.failed:
        print(f"failed: {key}: {error}")
    print(f"table: {summary['table']}  ({len(result.rows)} rows; {result.computed} computed, {result.skipped} skipped)")
    for path in summary["figures"]:
        print(f"figure: {path}")
    if args.json:
        print(json.dumps(summary))
    return 1 if result.failed else 0
