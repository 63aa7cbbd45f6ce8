"""The Sparsity patterns page on its own: ``panel serve apps/sparsity.py``."""

import panel as pn

from explorer.views import page_view
from explorer.views.server_options import apply_server_options

apply_server_options()
pn.extension()
page_view("sparsity").servable(title="tn-explorer: Sparsity patterns")
