r"""The learning methods: one :class:`Method` per optimiser/ansatz, registered in :data:`METHODS`.

Every method runs the same sweep loop (:func:`explorer.learning.sweeps.als_sweeps`) on the same self-similar law;
they differ in three switches (docs/algorithms.md A7):

- ``gauge``: gauge-mediated weight sharing (seed Algorithm 1) or fitting every shared core on all its equations;
- ``shares``: equations share outside cores through the selection table :math:`S^L`, or each equation has its own
  cores (the selection table with ``L = d - 1``);
- ``dense``: dense cores of the same ranks instead of block-sparse ones.

Adding a method is one entry of :data:`METHODS`; the learner, the command line and the dashboard list it from
there.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Method", "METHODS", "method"]


@dataclass(frozen=True)
class Method:
    """One learning method.

    Attributes
    ----------
    name : str
        Registry key (``--method`` on the command line).
    summary : str
        One line for listings and tooltips.
    gauge : bool
        Gauge-mediated weight sharing in the local updates.
    shares : bool
        Outside cores shared by the equations of the selection table with the learner's ``L``; False: one tensor
        train per equation (``L = d - 1``).
    dense : bool
        Dense cores (no block sparsity).
    """

    name: str
    summary: str
    gauge: bool = True
    shares: bool = True
    dense: bool = False

    @property
    def shared_block_sparse(self) -> bool:
        """Block-sparse cores shared by the equations: the premise of :mod:`explorer.learning.capacity`."""
        return self.shares and not self.dense

    def interaction_length(self, interaction_length: int, modes: int) -> int:
        """The ``L`` of the selection table this method uses for a learner's ``interaction_length``."""
        if not self.shares:
            return modes - 1
        if interaction_length >= modes:
            raise ValueError(f"interaction_length must be < modes ({modes}), got {interaction_length}")
        return interaction_length


METHODS = {
    m.name: m
    for m in (
        Method("gmws", "ALS with gauge-mediated weight sharing (seed Algorithm 1)"),
        Method("shared", "weight sharing without gauge mediation (GGR+20's selection tensors)", gauge=False),
        Method("independent", "one block-sparse tensor train per equation, no sharing", shares=False),
        Method("dense", "the gmws algorithm with dense cores of the same ranks", dense=True),
    )
}
"""The learning methods by name, in the order listings show them."""


def method(name: str) -> Method:
    """The registered :class:`Method` called ``name`` (ValueError naming the choices otherwise)."""
    if name not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {name!r}")
    return METHODS[name]
