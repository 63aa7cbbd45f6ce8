"""The Epsilon-net page on its own: ``panel serve apps/epsnet.py``."""

import panel as pn

from explorer.views import page_view
from explorer.views.server_options import apply_server_options

apply_server_options()
pn.extension()
page_view("epsnet").servable(title="tn-explorer: Epsilon-net")
