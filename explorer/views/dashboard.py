"""The dashboard: every page in one tabbed view, and each page on its own, sharing one session state.

Every call builds new objects: the Bokeh server calls these functions once per browser session, so sessions never
share pages, workers or learned laws. The dashboard builds a page when its tab is first opened, so the first paint
only pays for the Learn page.
"""

from __future__ import annotations

import panel as pn

from explorer.views.epsnet import EpsnetPage
from explorer.views.gauge import GaugePage
from explorer.views.learn import LearnPage
from explorer.views.session import SessionState
from explorer.views.sparsity import SparsityPage
from explorer.views.worker import ignore_closed_websockets, in_server_session, server_engine

__all__ = ["Dashboard", "dashboard", "page_view", "build_pages", "PAGES"]

PAGES = {
    "learn": LearnPage,
    "sparsity": SparsityPage,
    "gauge": GaugePage,
    "epsnet": EpsnetPage,
}
"""Page classes by app name; each takes the session state that the pages of one dashboard share."""

TITLE = "tn-explorer"
SUBTITLE = (
    "Block-sparse tensor trains that learn dynamical laws (ALS-GMWS) · epsilon-net dynamic programming for 1D "
    "ground states"
)


def build_pages(session: SessionState | None = None) -> dict:
    """One object per page, all sharing ``session`` (a new one by default)."""
    session = session or SessionState()
    return {name: cls(session) for name, cls in PAGES.items()}


def _header(title: str) -> pn.pane.HTML:
    return pn.pane.HTML(f"<h2 style='margin: 4px 0'>{title}</h2><div>{SUBTITLE}</div>", sizing_mode="stretch_width",
                        margin=(0, 10))


class Dashboard:
    """All pages as tabs under a common header; a page is built when its tab is first opened.

    Parameters
    ----------
    session : SessionState, optional
        Shared by the pages (a new one by default).
    """

    def __init__(self, session: SessionState | None = None):
        self.session = session or SessionState()
        self.pages: dict = {}
        self._names = list(PAGES)
        self._slots = {name: pn.Column(sizing_mode="stretch_width") for name in self._names}
        self.tabs = pn.Tabs(*[(PAGES[name].title, self._slots[name]) for name in self._names], dynamic=True,
                            sizing_mode="stretch_width")
        self.tabs.param.watch(lambda event: self.open(self._names[event.new]), "active")
        self.open(self._names[self.tabs.active])
        self.panel = pn.Column(_header(TITLE), self.tabs, sizing_mode="stretch_width")

    def open(self, name: str):
        """The page called ``name``, built (and put into its tab) on first use."""
        if name not in self.pages:
            self.pages[name] = PAGES[name](self.session)
            self._slots[name].objects = [self.pages[name].panel]
        return self.pages[name]


POOL_STARTING = ("Starting the worker processes that compute the runs (after an install they compile the learner's "
                 "kernels once, ~10-20 s); a run started meanwhile waits in the queue.")


def pool_indicator() -> pn.Row:
    """A spinner and a note, visible while the server's worker pool is still starting (hidden once it is up;
    never shown outside a server, where runs use threads)."""
    row = pn.Row(pn.indicators.LoadingSpinner(value=True, size=18, name="", margin=(4, 10)),
                 pn.pane.Markdown(POOL_STARTING, margin=(0, 4)), visible=False, sizing_mode="stretch_width",
                 css_classes=["pool-starting"])
    if not in_server_session():
        return row
    engine = server_engine()
    row.visible = not engine.ready.is_set()
    if row.visible:
        def check():
            if engine.ready.is_set():
                row.visible = False
                watcher.stop()

        watcher = pn.state.add_periodic_callback(check, period=500)
    return row


def _quiet_server_loop() -> None:
    if in_server_session():
        ignore_closed_websockets()


def dashboard() -> pn.Column:
    """A new dashboard (one per browser session); the first one of a process starts the shared worker pool."""
    _quiet_server_loop()
    return pn.Column(pool_indicator(), *Dashboard().panel.objects, sizing_mode="stretch_width")


def page_view(name: str) -> pn.Column:
    """One page on its own, with the dashboard's header (the first page of a process starts the worker pool)."""
    _quiet_server_loop()
    page = PAGES[name](SessionState())
    return pn.Column(pool_indicator(), _header(f"{TITLE}: {page.title}"), page.panel, sizing_mode="stretch_width")
