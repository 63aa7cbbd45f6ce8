"""Bokeh server hooks of the ``apps/`` directory app: load the pages' code and start the worker pool when the
server starts, so the first browser session does not wait for either; shut the pool down in order when the server
stops (SIGTERM or Ctrl-C), before the interpreter's exit hooks tear its connections down."""

from explorer.views.worker import close_server_engine, server_engine


def on_server_loaded(server_context):
    server_engine()


def on_server_unloaded(server_context):
    close_server_engine()
