"""``explorer learn``: recover a dynamical law from samples, one progress line per sweep.

With ``--json`` the last line of stdout is one JSON object with at least ``residuum`` (final test residuum),
``residuum_per_sweep``, ``seconds``, ``sweep_seconds`` and ``parameters``. ``--equations`` prints the learned
law term by term (monomials for polynomial dictionaries) and adds them to the JSON object as ``equations``.
The run keeps BLAS to one thread (set once, before any sweep starts): the sweep's own threads share the local
problems, whose many small products BLAS threads only slow down.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict

from threadpoolctl import threadpool_limits

from explorer.learning.equations import format_equations
from explorer.learning.experiment import LearningExperiment
from explorer.learning.learner import METHODS
from explorer.learning.presets import DEFAULT_SAMPLES, preset

SYSTEM_HELP = "fput, fput-disordered, dipoles, lennard-jones, or MODULE:CALLABLE (a vectorised user law)"


def add_parser(sub) -> None:
    p = sub.add_parser("learn", help="learn a dynamical law with block-sparse tensor trains")
    p.add_argument("--system", default="fput", help=SYSTEM_HELP)
    p.add_argument("--modes", type=int, default=50, help="number of modes d")
    p.add_argument("--samples", type=int, default=None, help="training samples N (default: per system)")
    p.add_argument("--test-samples", type=int, default=20_000, help="fresh test samples")
    p.add_argument("--noise", type=float, default=0.0, help="std of Gaussian noise on the targets")
    p.add_argument("--dictionary", choices=["legendre", "monomial", "trigonometric"], default=None)
    p.add_argument("--degree", type=int, default=None, help="dictionary degree (and total degree bound)")
    p.add_argument("--total-degree", type=int, default=None, help="bound lambda on the total degree")
    p.add_argument("--block-size", type=int, default=None, help="largest block size rho")
    p.add_argument("--interaction-length", type=int, default=None, help="L of the selection table")
    p.add_argument("--method", choices=METHODS, default="gmws")
    p.add_argument("--sweeps", type=int, default=10)
    p.add_argument("--init", choices=["window", "random"], default=None, help="initialisation of the cores")
    p.add_argument("--ridge", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads", type=int, default=None, help="threads for the local problems of a mode (default: cores, <= 4)"
    )
    p.add_argument("--domain", type=float, nargs=2, metavar=("A", "B"), default=None)
    p.add_argument("--order", type=int, choices=[1, 2], default=1, help="order of a user law")
    p.add_argument(
        "--stagnation", type=float, default=None, help="stop when the best residual improves less than this fraction"
    )
    p.add_argument("--patience", type=int, default=None, help="sweeps without that improvement before stopping")
    p.add_argument("--equations", action="store_true", help="print the learned law as equations")
    p.add_argument("--threshold", type=float, default=1e-6, help="smallest |coefficient| printed by --equations")
    p.add_argument(
        "--basis", choices=["auto", "monomial", "dictionary"], default="auto",
        help="basis of --equations (auto: monomials for polynomial dictionaries)",
    )
    p.add_argument("--save", default=None, help="write the learned law to this .npz file")
    p.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    p.set_defaults(run=run)


def _learner_settings(args) -> dict:
    settings = preset(args.system)
    options = {
        "dictionary": args.dictionary,
        "degree": args.degree,
        "block_size": args.block_size,
        "interaction_length": args.interaction_length,
        "init": args.init,
        "stagnation": args.stagnation,
        "patience": args.patience,
        "threads": args.threads,
    }
    settings.update({k: v for k, v in options.items() if v is not None})
    if args.degree is not None and args.total_degree is None and not settings.get("exact_degree"):
        settings["total_degree"] = args.degree
    if args.total_degree is not None:
        settings["total_degree"] = args.total_degree
    if settings.get("dictionary") == "trigonometric":
        settings.update(degree=1, total_degree=settings.get("total_degree", 2))
    settings.update(method=args.method, sweeps=args.sweeps, ridge=args.ridge, seed=args.seed)
    return settings


def build_experiment(args) -> LearningExperiment:
    experiment = LearningExperiment(
        system=args.system,
        modes=args.modes,
        samples=args.samples or DEFAULT_SAMPLES.get(args.system, 1400),
        test_samples=args.test_samples,
        noise=args.noise,
        seed=args.seed,
        domain=tuple(args.domain) if args.domain else None,
        order=args.order,
    )
    experiment.learner.param.update(**_learner_settings(args))
    return experiment


def run(args) -> int:
    experiment = build_experiment(args)
    start = time.perf_counter()
    reports = []
    with threadpool_limits(limits=1, user_api="blas"):
        for report in experiment.iterate():
            reports.append(report)
            test = "-" if report.test_residuum is None else f"{report.test_residuum:.3e}"
            print(
                f"sweep {report.sweep:3d}  train {report.train_residual:.3e}  test {test}  {report.seconds:.2f} s",
                flush=True,
            )
    seconds = time.perf_counter() - start
    law = reports[-1].law
    if args.save:
        law.save(args.save)
    rows = law.equations(args.threshold, args.basis) if args.equations else None
    if rows is not None:
        print(format_equations(law, rows, order=experiment.make_system().order), flush=True)
    if args.json:
        out = summary(experiment, reports, seconds)
        if rows is not None:
            out["equations"] = [asdict(row) for row in rows]
        print(json.dumps(out))
    return 0


def summary(experiment: LearningExperiment, reports, seconds: float) -> dict:
    law = reports[-1].law
    return {
        "system": experiment.system,
        "modes": experiment.modes,
        "samples": experiment.samples,
        "method": experiment.learner.method,
        "residuum": reports[-1].test_residuum,
        "residuum_per_sweep": [r.test_residuum for r in reports],
        "train_residual_per_sweep": [r.train_residual for r in reports],
        "seconds": seconds,
        "sweep_seconds": [r.seconds for r in reports],
        "parameters": law.parameter_count(),
        "learner": experiment.learner.param.values(),
    }
