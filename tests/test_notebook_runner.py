"""The notebook runner's fix (notebooks/conftest.py): a send on the shell channel does not hide a queued reply."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

RUNNER = Path(__file__).resolve().parents[1] / "notebooks" / "conftest.py"


def _load_runner():
    spec = importlib.util.spec_from_file_location("notebook_runner", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _reply_delay_after_send_during_poll(send, poll_timeout: float) -> float:
    """Seconds between awaiting a pending ``get_msg`` and getting the reply that was queued before ``send`` ran.

    A ROUTER socket plays the kernel. The client's ``get_msg`` is already waiting when the reply is sent; the event
    loop is then blocked until the reply has landed in the client socket, and the client sends a ``comm_msg`` on the
    same channel (as nbclient does for an ``ipywidgets.Output``) before the loop looks at the socket again.
    """
    ctx = zmq.asyncio.Context()
    kernel = ctx.socket(zmq.ROUTER)
    client = ctx.socket(zmq.DEALER)
    try:
        port = kernel.bind_to_random_port("tcp://127.0.0.1")
        client.connect(f"tcp://127.0.0.1:{port}")
        session = Session()
        channel = AsyncZMQSocketChannel(client, session)
        channel.send(session.msg("kernel_info_request"))
        identity, *_ = await kernel.recv_multipart()
        pending = asyncio.ensure_future(channel.get_msg(timeout=poll_timeout))
        await asyncio.sleep(0.2)
        session.send(kernel, "execute_reply", {"status": "ok"}, ident=identity)
        time.sleep(0.5)
        send(channel, session.msg("comm_msg", {"comm_id": "output-widget", "data": {}}))
        start = time.monotonic()
        reply = await pending
        assert reply["msg_type"] == "execute_reply"
        return time.monotonic() - start
    finally:
        client.close(linger=0)
        kernel.close(linger=0)
        ctx.term()


def test_a_reply_queued_during_a_shell_send_is_delivered_at_once():
    runner = _load_runner()
    delay = asyncio.run(_reply_delay_after_send_during_poll(runner.send_and_recheck, poll_timeout=30.0))
    assert delay < 2.0  # without the re-check the reply comes only when the 30 s poll times out


def test_the_runner_installs_the_fix_on_async_channels(pytestconfig):
    runner = _load_runner()
    plain = AsyncZMQSocketChannel.send
    try:
        runner.pytest_configure(pytestconfig)
        assert AsyncZMQSocketChannel.send is runner.send_and_recheck
    finally:
        AsyncZMQSocketChannel.send = plain
