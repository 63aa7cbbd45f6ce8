"""Notebook runner (``pytest --nbmake``): a message sent while a cell's reply is awaited must not hide that reply.

Why notebooks 01 and 04 sometimes took ~300 s more than usual (issue 20)
------------------------------------------------------------------------
nbclient awaits a cell's ``execute_reply`` with one ``shell_channel.get_msg(timeout=300)`` (300 s is nbmake's
``--nbmake-timeout`` default) while a second task reads the cell's IOPub output. For an ``ipywidgets.Output``
(``explorer.notebook.ipywidgets_view`` draws its figure into one) nbclient plays the front end: every output
captured by the widget is echoed back to the kernel as a ``comm_msg`` **sent on the shell channel from the IOPub
task**, while the reply poll on that same socket is pending.

jupyter_client's ``Session.send`` sends on a plain ``zmq.Socket`` shadow of the channel's ``zmq.asyncio`` socket,
so pyzmq's asyncio layer never hears of that send. A ZeroMQ send first processes the socket's pending commands,
among them the one announcing that a message arrived, and so clears the socket's edge-triggered ``ZMQ_FD``. If the
kernel's ``execute_reply`` was already queued in the client socket at that moment (the client lags behind the
kernel on a loaded machine: its IOPub task is still echoing widget outputs when the reply arrives), the event loop
is never woken for it: the reply sits in the socket, the kernel is idle, nbclient waits. Only when the 300 s poll
times out does pyzmq's final ``zmq_poll(0)`` find the reply, and the cell passes, 300 s late.

Measured (cold clone, a busy loop beside, ``pytest -n 2 -m "not browser" notebooks tests/test_tt.py
tests/test_learning.py``, 2 runs): each run stalled once, in the ``ipywidgets_view`` cell of notebook 04 and of
notebook 01. During a stall the client's shell socket reported ``EVENTS = POLLIN | POLLOUT`` (the reply was
there) and its eventfd was in the event loop's epoll set, yet epoll never reported it; the kernel and the client
sat idle. Left alone, the client received notebook 01's reply (sent by the kernel 0.8 s after the cell started)
300.03 s after the cell started, and the cell passed.

Fix: after every send on an asyncio channel, read ``EVENTS`` through the asyncio socket. pyzmq's asyncio
``Socket.get(EVENTS)`` schedules the pending receive whenever a message is waiting, so a reply whose wake-up the
send consumed is delivered on the next loop iteration. ``tests/test_notebook_runner.py`` reproduces the race
deterministically (without the fix the reply arrives only at the poll's timeout).
"""

from __future__ import annotations

import zmq
from jupyter_client.channels import AsyncZMQSocketChannel

_PLAIN_SEND = AsyncZMQSocketChannel.send


def send_and_recheck(channel: AsyncZMQSocketChannel, msg: dict) -> None:
    """Send ``msg`` on ``channel``, then let a receive pending on the same socket see any queued message."""
    _PLAIN_SEND(channel, msg)
    channel.socket.get(zmq.EVENTS)


def pytest_configure(config) -> None:
    AsyncZMQSocketChannel.send = send_and_recheck


def pytest_unconfigure(config) -> None:
    AsyncZMQSocketChannel.send = _PLAIN_SEND
