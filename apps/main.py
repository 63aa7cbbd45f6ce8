"""The tn-explorer dashboard: ``panel serve apps/`` serves it at ``/apps``."""

import panel as pn

from explorer.views import dashboard

pn.extension()
dashboard().servable(title="tn-explorer")
