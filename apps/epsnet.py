"""The Epsilon-net page on its own: ``panel serve apps/epsnet.py``."""

import panel as pn

from explorer.views import page_view

pn.extension()
page_view("epsnet").servable(title="tn-explorer: Epsilon-net")
