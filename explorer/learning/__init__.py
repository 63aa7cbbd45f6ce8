"""Learning dynamical laws with self-similar block-sparse tensor trains (docs/algorithms.md A5-A8).

- :class:`Learner`: the ALS-GMWS learner and its baselines (``shared``, ``independent``, ``dense``) as a param
  model; :meth:`Learner.iterate` yields one :class:`SweepReport` per sweep.
- :class:`LearningExperiment`: a system, its data and a learner together (dashboard, notebooks, CLI).
- :class:`SelfSimilarLaw`: a learned or constructed law (``predict``, ``equations``, ``save``/``load``).
- :data:`METHODS`: the learning methods (:mod:`explorer.learning.methods`).

The FPUT law written exactly as a block-sparse TT is :meth:`explorer.systems.FPUT.exact_law`.
"""

from explorer.learning.equations import equations, format_equations
from explorer.learning.experiment import LearningExperiment
from explorer.learning.law import SelfSimilarLaw, relative_residuum
from explorer.learning.learner import METHODS, Learner, warm_up_kernels
from explorer.learning.sweeps import StopRule, SweepReport

__all__ = [
    "Learner",
    "METHODS",
    "LearningExperiment",
    "SelfSimilarLaw",
    "SweepReport",
    "StopRule",
    "equations",
    "format_equations",
    "relative_residuum",
    "warm_up_kernels",
]
