"""Bokeh server hooks of the ``apps/`` directory app: apply the server's options (``--args ...``), load the pages'
code and start the worker pool when the server starts, so the first browser session does not wait for either and a
bad option stops the server at once; shut the pool down in order when the server stops (SIGTERM or Ctrl-C), before
the interpreter's exit hooks tear its connections down."""

import sys

from explorer.views.server_options import apply_server_options
from explorer.views.worker import close_server_engine, server_engine

SERVER_ARGS = sys.argv[1:]
"""``--args ...`` of ``panel serve``: Bokeh sets ``sys.argv`` while it runs this module, not when it calls a hook."""


def on_server_loaded(server_context):
    apply_server_options(SERVER_ARGS)
    server_engine()


def on_server_unloaded(server_context):
    close_server_engine()
