"""Bokeh server hooks of the ``apps/`` directory app: load the pages' code and start the worker pool when the
server starts, so the first browser session does not wait for either."""

from explorer.views.worker import server_engine


def on_server_loaded(server_context):
    server_engine()
