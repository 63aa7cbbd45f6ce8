"""The Learn page on its own: ``panel serve apps/learn.py``."""

import panel as pn

from explorer.views import page_view
from explorer.views.server_options import apply_server_options

apply_server_options()
pn.extension()
page_view("learn").servable(title="tn-explorer: Learn")
