"""State shared by the pages of one browser session (never between sessions).

The dashboard builds one :class:`SessionState` per session and hands it to every page: the Learn page publishes
the law it is learning, the Sparsity page overlays its core magnitudes. A page served alone gets its own state.
"""

from __future__ import annotations

import param

from explorer.learning.law import SelfSimilarLaw

__all__ = ["SessionState"]


class SessionState(param.Parameterized):
    """The latest learned law of this session and a short description of where it came from."""

    law = param.ClassSelector(class_=SelfSimilarLaw, default=None, allow_None=True, doc="Latest learned law.")
    law_label = param.String(default="", doc="Where the law comes from (system, method, sweep).")
