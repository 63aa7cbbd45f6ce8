"""The Gauge fixing page on its own: ``panel serve apps/gauge.py``."""

import panel as pn

from explorer.views import page_view
from explorer.views.server_options import apply_server_options

apply_server_options()
pn.extension()
page_view("gauge").servable(title="tn-explorer: Gauge fixing")
