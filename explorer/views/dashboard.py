"""The dashboard: every page in one tabbed view, and each page on its own, sharing one session state.

Every call builds new objects: the Bokeh server calls these functions once per browser session, so sessions never
share pages, workers or learned laws.
"""

from __future__ import annotations

import panel as pn

from explorer.views.epsnet import EpsnetPage
from explorer.views.gauge import GaugePage
from explorer.views.learn import LearnPage
from explorer.views.session import SessionState
from explorer.views.sparsity import SparsityPage

__all__ = ["dashboard", "page_view", "build_pages", "PAGES"]

PAGES = {
    "learn": lambda session: LearnPage(session),
    "sparsity": lambda session: SparsityPage(session),
    "gauge": lambda session: GaugePage(),
    "epsnet": lambda session: EpsnetPage(),
}
"""Page factories by app name; the session state is what pages of one dashboard share."""

TITLE = "tn-explorer"
SUBTITLE = (
    "Block-sparse tensor trains that learn dynamical laws (ALS-GMWS) · epsilon-net dynamic programming for 1D "
    "ground states"
)


def build_pages(session: SessionState | None = None) -> dict:
    """One object per page, all sharing ``session`` (a new one by default)."""
    session = session or SessionState()
    return {name: factory(session) for name, factory in PAGES.items()}


def _header(title: str) -> pn.pane.HTML:
    return pn.pane.HTML(f"<h2 style='margin: 4px 0'>{title}</h2><div>{SUBTITLE}</div>", sizing_mode="stretch_width",
                        margin=(0, 10))


def dashboard(pages: dict | None = None) -> pn.Column:
    """All pages as tabs (rendered when first opened) under a common header."""
    pages = pages or build_pages()
    tabs = pn.Tabs(*[(page.title, page.panel) for page in pages.values()], dynamic=True,
                   sizing_mode="stretch_width")
    return pn.Column(_header(TITLE), tabs, sizing_mode="stretch_width")


def page_view(name: str) -> pn.Column:
    """One page on its own, with the dashboard's header."""
    page = PAGES[name](SessionState())
    return pn.Column(_header(f"{TITLE}: {page.title}"), page.panel, sizing_mode="stretch_width")
