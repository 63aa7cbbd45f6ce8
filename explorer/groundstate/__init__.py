"""Ground states of 1D chains: epsilon-net dynamic programming (Aharonov, Arad, Irani, PRA 82, 012315),
DMRG, product-state DP and exact references. Formulas marked "reconstructed" follow docs/algorithms.md part B.

Modules: :mod:`.hamiltonians` (chains), :mod:`.exact` (ED, free fermions), :mod:`.mps` (MPS, Vidal form,
true energies), :mod:`.nets` (Lemma-3 and Haar nets, Schmidt nets, pairs, boundary grouping), :mod:`.dp`
(the DP with stitching), :mod:`.dmrg`, :mod:`.csp` (the classical chain DP), :mod:`.model` (parameterised
front end).
"""

from .csp import ChainCSP
from .dmrg import DMRG, DMRGResult, DMRGSweepReport
from .dp import DPResult, EpsilonNetDP, SiteReport
from .hamiltonians import ChainHamiltonian, from_terms, heisenberg, tfim, trap, xxz
from .model import GroundStateModel, GroundStateResult
from .mps import MPS, VidalForm

__all__ = [
    "ChainCSP",
    "ChainHamiltonian",
    "DMRG",
    "DMRGResult",
    "DPResult",
    "EpsilonNetDP",
    "GroundStateModel",
    "GroundStateResult",
    "MPS",
    "SiteReport",
    "DMRGSweepReport",
    "VidalForm",
    "from_terms",
    "heisenberg",
    "tfim",
    "trap",
    "xxz",
]
