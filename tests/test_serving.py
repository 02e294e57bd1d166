"""serve_in_thread: one way to run a loopback server in a kernel (receiver and simulator)."""

from __future__ import annotations

import pytest
import requests
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from helpers.serving import serve_in_thread


async def hello(request):
    return PlainTextResponse("hello")


APP = Starlette(routes=[Route("/", hello)])


def test_serves_on_a_free_port_until_stopped():
    serving = serve_in_thread(APP, "127.0.0.1", 0, name="test")
    try:
        assert serving.port > 0
        assert requests.get(f"http://127.0.0.1:{serving.port}/", timeout=5).text == "hello"
    finally:
        serving.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{serving.port}/", timeout=2)


def test_a_taken_port_is_an_os_error():
    serving = serve_in_thread(APP, "127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            serve_in_thread(APP, "127.0.0.1", serving.port)
    finally:
        serving.stop()
