"""tn-explorer: block-sparse tensor-train learning of dynamical laws and epsilon-net DP for 1D ground states.

Numerical modules never import Panel; views live in :mod:`explorer.views`.
"""

__version__ = "0.1.0"
