"""The tn-explorer dashboard: ``panel serve apps/`` serves it at ``/apps``."""

import panel as pn

from explorer.views import dashboard
from explorer.views.server_options import apply_server_options

apply_server_options()
pn.extension()
dashboard().servable(title="tn-explorer")
