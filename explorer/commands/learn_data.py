"""``explorer learn --data FILE``: learn a law from the user's trajectories or data pairs.

Training pairs come from the data file (derivatives measured or estimated, ``--derivative``), test pairs from
``--test-data`` or from held-out whole trajectories (``--validation``, default 0.2). The law file written by
``--save`` records the training file's name and sha256 and the settings (:mod:`explorer.learning.lawfile`). Bad
input stops the run before any sweep with one line naming the file, the key and the expected shape (exit code 2);
states outside the domain give a warning naming how far out they are.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import warnings
from dataclasses import asdict

from threadpoolctl import threadpool_limits

from explorer.commands.checks import Interrupted, finite, input_file, interrupted, output_file
from explorer.data import ESTIMATORS, Differentiation, DomainWarning, load_data
from explorer.learning.equations import format_equations
from explorer.learning.from_data import data_problem
from explorer.learning.learner import Learner

__all__ = ["add_data_arguments", "run_data", "differentiation_from", "command_warnings"]

EXCLUSIVE = ("system", "modes", "samples", "test_samples", "noise")
"""Options of the built-in systems that a data file replaces."""


def add_data_arguments(parser) -> None:
    """The options of learning from a file (also used by ``explorer simulate`` for ``--derivative``)."""
    parser.add_argument("--data", default=None, metavar="FILE",
                        help="learn from this trajectory or pair file (.npz or .csv) instead of a system")
    parser.add_argument("--test-data", default=None, metavar="FILE",
                        help="trajectories or pairs for the test residuum (default: held-out trajectories)")
    parser.add_argument("--validation", type=float, default=0.2,
                        help="fraction of whole trajectories held out for the test residuum without --test-data")
    add_derivative_arguments(parser)


def add_derivative_arguments(parser) -> None:
    defaults = Differentiation()
    parser.add_argument("--derivative", choices=ESTIMATORS, default=None,
                        help="derivative estimator (default: measured xdot/xddot if the file has them, else fd6)")
    parser.add_argument("--window", type=int, default=defaults.window, help="savgol: window length (odd)")
    parser.add_argument("--polyorder", type=int, default=defaults.polyorder, help="savgol: polynomial degree")


def differentiation_from(args) -> Differentiation | None:
    """The estimator the options ask for (None: measured derivatives when present, else the default)."""
    if args.derivative is None:
        return None
    return Differentiation(method=args.derivative, window=args.window, polyorder=args.polyorder)


@contextlib.contextmanager
def command_warnings(command: str):
    """Show warnings as one line each, ``explorer COMMAND: warning: ...``; the Legendre dictionary's generic
    out-of-domain warning is dropped in favour of the :class:`DomainWarning` naming how far out the states are."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="states lie outside the Legendre domain")
        warnings.simplefilter("always", DomainWarning)

        def show(message, category, filename, lineno, file=None, line=None):
            print(f"explorer {command}: warning: {message}", file=sys.stderr, flush=True)

        warnings.showwarning = show
        yield


def _check_options(args) -> None:
    if args.order is None:
        raise ValueError("--order is required with --data (1: xdot = f(x), 2: xddot = f(x))")
    given = [f"--{k.replace('_', '-')}" for k in EXCLUSIVE if getattr(args, k, None) is not None]
    if getattr(args, "param", None):
        given.append("--param")
    if given:
        raise ValueError(f"{', '.join(given)} do not apply with --data (the file is the system: it sets the modes "
                         "and samples)")


@contextlib.contextmanager
def _keep_on_interrupt(args, problem, learner, reports: list):
    """On Ctrl-C: save the law of the last finished sweep (with ``--save``) and say so (exit code 130)."""
    try:
        yield
    except BaseException as err:
        if not interrupted(err):
            raise
        if not reports:
            raise Interrupted("no sweep had finished, nothing kept") from None
        if not args.save:
            raise Interrupted(f"{len(reports)} sweep(s) finished, nothing saved (no --save)") from None
        problem.attach(reports[-1].law, learner.param.values()).save(args.save)
        raise Interrupted(f"law of sweep {reports[-1].sweep} saved to {args.save}") from None


def run_data(args, learner_settings: dict) -> int:
    """Run ``explorer learn --data``; ``learner_settings`` are the learner flags given (the rest: the learner's
    own defaults, no system preset)."""
    _check_options(args)
    finite(args.threshold, "--threshold", low=0.0)
    for option in ("data", "test_data"):
        if getattr(args, option):
            input_file(getattr(args, option), "--" + option.replace("_", "-"))
    if args.save:
        output_file(args.save, "--save")
    train = load_data(args.data)
    test = load_data(args.test_data) if args.test_data else None
    seed = 0 if args.seed is None else args.seed
    learner = Learner(**learner_settings, seed=seed)
    with command_warnings("learn"):
        problem = data_problem(train, args.order, differentiation_from(args), test=test, domain=args.domain,
                               validation=args.validation, seed=seed)
        start = time.perf_counter()
        reports = []
        with threadpool_limits(limits=1, user_api="blas"), _keep_on_interrupt(args, problem, learner, reports):
            for report in learner.iterate(problem.X, problem.Y, domain=problem.domain, X_test=problem.X_test,
                                          F_test=problem.F_test):
                reports.append(report)
                test_text = "-" if report.test_residuum is None else f"{report.test_residuum:.3e}"
                print(f"sweep {report.sweep:3d}  train {report.train_residuum:.3e}  test {test_text}  "
                      f"{report.seconds:.2f} s", flush=True)
        seconds = time.perf_counter() - start
    law = problem.attach(reports[-1].law, learner.param.values())
    if args.save:
        law.save(args.save)
    rows = law.equations(args.threshold, args.basis) if args.equations else None
    if rows is not None:
        print(format_equations(law, rows, order=law.order), flush=True)
    if args.json:
        out = _summary(args, problem, reports, seconds, learner)
        if rows is not None:
            out["equations"] = [asdict(row) for row in rows]
        print(json.dumps(out))
    return 0


def _summary(args, problem, reports, seconds: float, learner: Learner) -> dict:
    law = reports[-1].law
    return {
        "data": args.data,
        "test_data": args.test_data,
        "order": problem.order,
        "modes": law.modes,
        "samples": int(problem.X.shape[0]),
        "test_samples": None if problem.X_test is None else int(problem.X_test.shape[0]),
        "domain": list(problem.domain),
        "derivative": problem.provenance["training"]["derivative"],
        "method": learner.method,
        "residuum": reports[-1].test_residuum,
        "residuum_per_sweep": [r.test_residuum for r in reports],
        "train_residuum_per_sweep": [r.train_residuum for r in reports],
        "seconds": seconds,
        "sweep_seconds": [r.seconds for r in reports],
        "parameters": law.parameter_count(),
        "learner": {k: v for k, v in learner.param.values().items() if k != "name"},
    }
