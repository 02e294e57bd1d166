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


def test_headers_over_the_limit_get_a_json_answer():
    from helpers.serving import MAX_HEADER_BYTES

    serving = serve_in_thread(APP, "127.0.0.1", 0)
    try:
        answer = requests.get(f"http://127.0.0.1:{serving.port}/", timeout=5,
                              headers={"X-Big": "a" * (MAX_HEADER_BYTES + 10)})
        assert answer.status_code == 431
        assert answer.headers["content-type"] == "application/json"
        assert "headers" in answer.json()["detail"]
        assert requests.get(f"http://127.0.0.1:{serving.port}/", timeout=5,
                            headers={"X-Fine": "a" * 8000}).text == "hello"
    finally:
        serving.stop()


def test_headers_sent_in_pieces_over_the_limit_get_a_json_answer():
    import select
    import socket

    serving = serve_in_thread(APP, "127.0.0.1", 0)
    try:
        with socket.create_connection(("127.0.0.1", serving.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            for _ in range(40):  # up to 40 KiB of headers, in pieces, never finished
                sock.sendall(b"X-Big: " + b"a" * 1000 + b"\r\n")
                if select.select([sock], [], [], 0.2)[0]:  # answered: stop sending
                    break
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
        assert b"application/json" in reply and b'"detail"' in reply
    finally:
        serving.stop()


def test_a_body_over_the_limit_gets_a_json_413():
    async def echo(request):
        return PlainTextResponse(str(len(await request.body())))

    app = Starlette(routes=[Route("/", echo, methods=["POST"])])
    serving = serve_in_thread(app, "127.0.0.1", 0, max_body=1000)
    url = f"http://127.0.0.1:{serving.port}/"
    try:
        assert requests.post(url, data=b"a" * 1000, timeout=5).text == "1000"
        answer = requests.post(url, data=b"a" * 1001, timeout=5)
        assert answer.status_code == 413 and "over 1000 bytes" in answer.json()["detail"]
        chunked = requests.post(url, data=iter([b"a" * 600, b"a" * 600]), timeout=5)
        assert chunked.status_code == 413
    finally:
        serving.stop()
