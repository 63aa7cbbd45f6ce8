"""``explorer groundstate``: ground state of a 1D chain by epsilon-net DP, DMRG, product-state DP or ED.

Prints one progress line per DP site or DMRG sweep. With ``--json`` the last stdout line is one JSON object
with at least ``energy`` (true energy of the returned state), ``energy_dp`` (the DP's estimate, else null),
``exact`` (reference energy when cheap, else null), ``net_size`` and ``seconds``.
"""

from __future__ import annotations

import json

from explorer.commands.checks import finite_flags, input_array
from explorer.commands.console import progress_bar
from explorer.commands.flags import add_flags, given
from explorer.groundstate.dmrg import DMRGSweepReport
from explorer.groundstate.dp import default_schmidt_count
from explorer.groundstate.model import DEFAULT_FIELD, MODELS, NAMED_MODELS, GroundStateModel
from explorer.progress import Progress
from explorer.resources import check_memory, groundstate_bytes

FILE_MODEL = next(name for name, chain in MODELS.items() if chain.from_file)
"""The chain read from a ``.npy`` two-site term."""

__all__ = ["add_parser", "build_model", "run"]


MODEL_FLAGS = ("sites", "bond_dim", "field", "anisotropy", "eta", "refine", "method", "seed", "dmrg_start")
"""Flags of :class:`GroundStateModel` parameters; ``--model``, ``--delta`` and ``--net-size`` are added apart
(a model name or a ``.npy`` file; the two net flags also choose the net family)."""

NET_FLAGS = ("delta", "net_size")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "groundstate",
        help="approximate a 1D ground state (epsilon-net DP, DMRG, product states, exact)",
        description="Ground state of an open chain within bond dimension D. The epsilon-net DP follows "
        "Aharonov-Arad-Irani (PRA 82, 012315) with reconstructed formulas; see docs/algorithms.md part B. Every "
        "setting is a parameter of GroundStateModel (same defaults, bounds and docs as the library and the "
        "dashboard).",
    )
    named = ", ".join(NAMED_MODELS)
    parser.add_argument(
        "--model",
        default=GroundStateModel.param["model"].default,
        help=f"{named}, or PATH.npy holding a d^2 x d^2 two-site term "
        f"(default: {GroundStateModel.param['model'].default})",
    )
    field_defaults = ", ".join(f"{name} {DEFAULT_FIELD[name]:g}" for name in NAMED_MODELS)
    add_flags(parser, GroundStateModel, MODEL_FLAGS, defaults={"field": f"per model: {field_defaults}"})
    nets = parser.add_mutually_exclusive_group()
    add_flags(
        nets,
        GroundStateModel,
        NET_FLAGS,
        defaults={
            "delta": f"{GroundStateModel.param['delta'].default}; the flag selects Lemma-3 nets",
            "net_size": f"{GroundStateModel.param['net_size'].default}; Haar nets",
        },
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    parser.set_defaults(run=run)


def build_model(args) -> GroundStateModel:
    """Translate parsed arguments into a validated :class:`GroundStateModel` (ValueError on bad input)."""
    params = given(args, MODEL_FLAGS)
    finite_flags(args, MODEL_FLAGS + NET_FLAGS)
    if args.model in NAMED_MODELS:
        params["model"] = args.model
    elif args.model.endswith(".npy"):
        input_array(args.model, "--model")
        params.update(model=FILE_MODEL, term_path=args.model)
    else:
        raise ValueError(f"--model must be {', '.join(NAMED_MODELS)} or a .npy path, got {args.model!r}")
    if args.delta is not None:
        params.update(family="lemma3", delta=args.delta)
    elif args.net_size is not None:
        params.update(family="haar", net_size=args.net_size)
    model = GroundStateModel(**params)
    check_resources(model, model.validate())
    return model


def check_resources(model: GroundStateModel, ham) -> None:
    """Refuse a run whose estimated peak memory (:func:`explorer.resources.groundstate_bytes`) exceeds what the
    machine has available, naming the parameters that drive the estimate."""
    bond_dim = 1 if model.method == "product" else min(model.bond_dim, ham.d ** (model.sites // 2))
    net_size = model.net_size if model.family == "haar" else 0
    estimate = groundstate_bytes(model.method, bond_dim, ham.d, model.sites, net_size,
                                 default_schmidt_count(model.eta))
    what = {
        "dp": f"--method dp with --bond-dim {model.bond_dim}, --net-size {model.net_size}, --eta {model.eta:g}",
        "product": f"--method product with --net-size {model.net_size}",
        "dmrg": f"--method dmrg with --bond-dim {model.bond_dim} (local dimension {ham.d})",
        "exact": f"--method exact with --sites {model.sites} (local dimension {ham.d})",
    }[model.method]
    check_memory(estimate, None, what, advice="use a smaller bond dimension, net or chain")


def _progress(report) -> str:
    if isinstance(report, DMRGSweepReport):
        return (
            f"sweep {report.sweep:3d}  E = {report.energy:+.10f}  discarded = {report.discarded:.2e}  "
            f"D = {report.max_bond}  ({report.seconds:.2f} s)"
        )
    return (
        f"round {report.round} site {report.site:3d}/{report.sites}  "
        f"best partial = {report.best_energy:+.8f}  "
        f"pairs = {report.pairs}  links = {report.links}  ({report.seconds:.2f} s)"
    )


def _advance(bar, report) -> None:
    """Move the terminal bar: DP sites of the current round, or DMRG sweeps."""
    if isinstance(report, DMRGSweepReport):
        bar.set_postfix_str(f"E {report.energy:+.8f}", refresh=False)
    else:
        bar.total = report.sites
        bar.n = report.site - 1
        bar.set_description(f"round {report.round}", refresh=False)
    bar.update()


def run(args) -> int:
    model = build_model(args)
    progress = Progress(model.iterate())
    with progress_bar(None, "step", f"{model.method} {model.model}") as bar:
        for report in progress:
            bar.clear()
            print(_progress(report), flush=True)
            _advance(bar, report)
    result = progress.result
    summary = {
        "model": model.model,
        "sites": model.sites,
        "bond_dim": model.bond_dim,
        "method": result.method,
        "energy": result.energy,
        "energy_dp": result.energy_dp,
        "exact": result.exact,
        "net_size": result.net_size,
        "seconds": result.seconds,
        **result.details,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        for key in ("energy", "energy_dp", "exact", "net_size", "seconds"):
            print(f"{key:>10}: {summary[key]}")
    return 0
