"""Block-sparse tensor trains (seed Sec. 4): structure, contraction, block-preserving factorisations, storage."""

from explorer.tt.blocksparse import BlockSparseTT
from explorer.tt.structure import BlockStructure

__all__ = ["BlockStructure", "BlockSparseTT"]
