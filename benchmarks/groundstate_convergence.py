"""Convergence and runtime of the epsilon-net DP on the critical TFIM (g = 1), bond dimension D = 2.

Measures
  1. true energy E and the DP estimate Etilde vs Haar net size (pure DP and with refinement rounds),
  2. E and Etilde vs the stitching tolerance eta,
  3. the Lemma-3 nets: D = 1 (product states) vs delta, and the one practical D = 2 grid,
  4. runtime vs n at a fixed net (linear) and vs net size at fixed n (quadratic),
with reference lines: exact E0 (free fermions), our DMRG at D = 2, the best product state.

Prints one table per experiment and, as the last line, one JSON object with every figure.
Usage: python benchmarks/groundstate_convergence.py [--sites 10] [--quick] [--skip-lemma3-d2]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from explorer.groundstate import hamiltonians, study  # noqa: E402
from explorer.groundstate.dp import EpsilonNetDP  # noqa: E402
from explorer.groundstate.model import GroundStateModel  # noqa: E402


def _dp_row(ham, bond_dim, **kwargs) -> dict:
    result = EpsilonNetDP(ham, bond_dim, **kwargs).solve()
    return {
        **kwargs,
        "energy": result.energy,
        "energy_dp": result.energy_dp,
        "seconds": result.seconds,
        "pairs": result.net_sizes["pairs"],
        "max_stitch": result.max_stitch,
    }


def references(n: int) -> dict:
    """The study's references (explorer.groundstate.study) with the Lemma-3 product net of resolution 0.02."""
    model = GroundStateModel(model="tfim", sites=n, bond_dim=2)
    found = {ref.label: ref.energy for ref in study.references(model, {"family": "lemma3", "delta": 0.02})}
    exact_energy, dmrg, product = (found[label] for label in study.REFERENCES)
    return {"E0": exact_energy, "dmrg_D2": dmrg, "best_product": product}


def versus_net_size(n: int, sizes, refine: int, seeds) -> list:
    ham = hamiltonians.tfim(n)
    return [
        _dp_row(ham, 2, net_size=size, eta=0.05, refine=refine, seed=seed) for size in sizes for seed in seeds
    ]


def default_configuration(n: int, seeds) -> list:
    """The configuration used by the CLI and the tests: N = 500, eta = 0.05, 10 refinement rounds."""
    ham = hamiltonians.tfim(n)
    return [_dp_row(ham, 2, net_size=500, eta=0.05, refine=10, seed=seed) for seed in seeds]


def versus_eta(n: int, etas, size: int) -> list:
    ham = hamiltonians.tfim(n)
    return [_dp_row(ham, 2, net_size=size, eta=eta, refine=0, seed=0) for eta in etas]


def lemma3_rows(n: int, deltas, with_d2: bool) -> list:
    ham = hamiltonians.tfim(n)
    rows = [{"D": 1, **_dp_row(ham, 1, family="lemma3", delta=delta)} for delta in deltas]
    if with_d2:
        rows.append({"D": 2, **_dp_row(ham, 2, family="lemma3", delta=1.5, eta=0.05, refine=0)})
    return rows


def runtime_vs_sites(sites, size: int) -> list:
    return [{"n": n, **_dp_row(hamiltonians.tfim(n), 2, net_size=size, eta=0.05, refine=0, seed=0)} for n in sites]


def runtime_vs_size(n: int, sizes) -> list:
    return [_dp_row(hamiltonians.tfim(n), 2, net_size=size, eta=0.05, refine=0, seed=0) for size in sizes]


def _table(title: str, rows: list, keys) -> None:
    print(f"\n{title}")
    print("  ".join(f"{k:>12}" for k in keys))
    for row in rows:
        print(
            "  ".join(
                f"{row.get(k, ''):>12.6f}" if isinstance(row.get(k), float) else f"{row.get(k, ''):>12}"
                for k in keys
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="fewer and smaller points")
    parser.add_argument("--skip-lemma3-d2", action="store_true", help="skip the slow D = 2 Lemma-3 run")
    args = parser.parse_args()
    quick, n = args.quick, args.sites
    start = time.perf_counter()
    out = {"sites": n, "references": references(n)}
    sizes = (100, 300) if quick else (100, 300, 1000, 2000)
    seeds = (0,) if quick else (0, 1, 2)
    out["net_size_pure"] = versus_net_size(n, sizes, 0, seeds)
    out["net_size_refined"] = versus_net_size(n, sizes[:3], 10, seeds)
    out["defaults"] = default_configuration(n, (0, 1) if quick else (0, 1, 2, 3, 4))
    out["eta"] = versus_eta(n, (0.2, 0.1, 0.05) if quick else (0.2, 0.1, 0.05, 0.02), 300 if quick else 1000)
    out["lemma3"] = lemma3_rows(8, (0.2, 0.1, 0.05, 0.02), not (quick or args.skip_lemma3_d2))
    out["runtime_sites"] = runtime_vs_sites((6, 10, 20) if quick else (6, 10, 20, 40, 80), 300)
    out["runtime_size"] = runtime_vs_size(8, (100, 200, 400) if quick else (100, 200, 400, 800, 1600))
    out["total_seconds"] = time.perf_counter() - start
    print("references:", {k: round(v, 6) for k, v in out["references"].items()})
    cols = ("net_size", "seed", "refine", "energy", "energy_dp", "seconds")
    _table(f"D=2, n={n}: vs Haar net size (pure DP, eta=0.05)", out["net_size_pure"], cols)
    _table(f"D=2, n={n}: vs Haar net size (+10 refinement rounds)", out["net_size_refined"], cols)
    _table(f"D=2, n={n}: default configuration (N=500, eta=0.05, refine=10)", out["defaults"], cols)
    _table(f"D=2, n={n}: vs eta", out["eta"], ("eta", "net_size", "pairs", "energy", "energy_dp", "seconds"))
    _table("Lemma-3 nets, n=8", out["lemma3"], ("D", "delta", "pairs", "energy", "energy_dp", "seconds"))
    _table("runtime vs n (N=300, pure DP)", out["runtime_sites"], ("n", "pairs", "energy", "seconds"))
    _table(
        "runtime vs net size (n=8, pure DP)", out["runtime_size"], ("net_size", "pairs", "energy", "seconds")
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
