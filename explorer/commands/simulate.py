"""``explorer simulate LAW --data FILE``: integrate a saved law from the start of each measured trajectory.

The law (validated on loading, :mod:`explorer.learning.lawfile`) is integrated with DOP853 from each trajectory's
first state (``x``, and ``v`` for a second-order law, or a one-sided estimate from the positions when the file has
no ``v``) on the trajectory's own time grid, up to ``--until``. One line per trajectory with its deviation
``max_t |x_sim - x| / max_t |x|`` and the first time it exceeds ``--threshold`` (1e-2); ``--json`` adds one JSON
object on the last line with ``deviation`` (the largest), ``deviations`` and ``exceeds_at``; ``--out SIM.npz``
writes the simulated ``t``, ``x`` (and ``v``) and the deviations. Bad input: one line, exit code 2, nothing written.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np

from explorer.commands.checks import finite, input_file, output_file
from explorer.commands.learn_data import add_derivative_arguments, command_warnings, differentiation_from
from explorer.data import TrajectoryData, load_data
from explorer.learning.lawfile import read_law
from explorer.learning.simulation import THRESHOLD, compare


def add_parser(sub) -> None:
    p = sub.add_parser("simulate", help="simulate a saved law from the start of measured trajectories")
    p.add_argument("law", help="law file written by explorer learn --save")
    p.add_argument("--data", required=True, metavar="FILE", help="trajectory file (.npz or .csv) to compare with")
    p.add_argument("--until", type=float, default=None, help="compare on times t <= UNTIL only")
    p.add_argument("--threshold", type=float, default=THRESHOLD, help="report when the deviation first exceeds this")
    p.add_argument("--rtol", type=float, default=1e-10, help="relative tolerance of DOP853")
    p.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance of DOP853")
    p.add_argument("--out", default=None, metavar="SIM.npz", help="write the simulated trajectories here")
    p.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    add_derivative_arguments(p)
    p.set_defaults(run=run)


def _check(law, data, name: str) -> TrajectoryData:
    if not isinstance(data, TrajectoryData):
        raise ValueError(f"{name}: simulate needs a trajectory file (keys t and x of shape (M, T, d)), "
                         "got a pair file (keys x, y)")
    if law.order == 1 and data.xddot is not None and data.xdot is None:
        raise ValueError(f"{name}: key 'xddot' belongs to a second-order law, but the law is first order "
                         f"(expected key 'xdot' of shape (M, T, {law.modes}) or none)")
    return data


def sim_bytes(result: dict) -> bytes:
    """The ``--out`` file: ``t`` ``(M, T)``, ``x`` (and ``v``) ``(M, T, d)``, ``deviations``, ``exceeds_at``."""
    sims = result["simulations"]
    arrays = {"t": np.stack([s.t for s in sims]), "x": np.stack([s.x for s in sims]),
              "deviations": np.asarray(result["deviations"]),
              "exceeds_at": np.array([np.nan if e is None else e for e in result["exceeds_at"]])}
    if sims[0].v is not None:
        arrays["v"] = np.stack([s.v for s in sims])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def run(args) -> int:
    if args.until is not None:
        finite(args.until, "--until")
    for option in ("threshold", "rtol", "atol"):
        finite(getattr(args, option), f"--{option}", low=0.0)
    input_file(args.law, "law")
    input_file(args.data, "--data")
    if args.out:
        output_file(args.out, "--out")
    law = read_law(args.law)
    data = _check(law, load_data(args.data), args.data)
    start = time.perf_counter()
    with command_warnings("simulate"):
        result = compare(law, data, until=args.until, differentiation=differentiation_from(args),
                         threshold=args.threshold, rtol=args.rtol, atol=args.atol)
    seconds = time.perf_counter() - start
    for i, (dev, first, sim) in enumerate(zip(result["deviations"], result["exceeds_at"], result["simulations"],
                                             strict=True)):
        crossing = "never" if first is None else f"t = {first:g}"
        note = "" if sim.complete else f"  ({sim.message})"
        print(f"trajectory {i:3d}  deviation {dev:.3e}  exceeds {args.threshold:g}: {crossing}{note}", flush=True)
    print(f"deviation {result['deviation']:.3e} (largest over {len(result['deviations'])} trajectories)", flush=True)
    if args.out:
        Path(args.out).write_bytes(sim_bytes(result))
    if args.json:
        summary = {k: v for k, v in result.items() if k != "simulations"}
        summary.update(law=args.law, data=args.data, until=args.until, seconds=seconds, order=law.order,
                       modes=law.modes, complete=[s.complete for s in result["simulations"]])
        print(json.dumps(summary))
    return 0
