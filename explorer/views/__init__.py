"""Panel views of tn-explorer: one module per dashboard page plus shared helpers.

Only this package imports Panel; the numerical packages stay free of it. Pages are plain objects with a
``panel`` attribute (the layout), ``run``/``stop``/``poll`` methods where they compute something, and the Bokeh
sources of their charts, so tests drive them without a browser.
"""

from explorer.views.dashboard import PAGES, build_pages, dashboard, page_view
from explorer.views.epsnet import EpsnetPage
from explorer.views.gauge import GaugePage
from explorer.views.learn import LearnPage
from explorer.views.session import SessionState
from explorer.views.sparsity import SparsityPage

__all__ = [
    "PAGES",
    "EpsnetPage",
    "GaugePage",
    "LearnPage",
    "SessionState",
    "SparsityPage",
    "build_pages",
    "dashboard",
    "page_view",
]
