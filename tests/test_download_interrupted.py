"""An interrupted recording download never leaves a file that looks complete.

A tiny HTTP server on loopback plays a recording host that misbehaves: it sends fewer bytes
than it promised, cuts a chunked body, resets the connection, or sends a whole body of the
wrong size for the record event. `calls.download_recording` must raise RecordingDownloadError
with a sentence a trainee can act on, and leave neither the file nor a `.part-*` behind.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from helpers import calls

AUDIO = bytes(range(256)) * 400  # 102400 bytes standing in for a recording


def _serve_once(conn: socket.socket, mode: str) -> None:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk
    half = AUDIO[:len(AUDIO) // 2]
    head = b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\n"
    if mode in ("complete", "wrong size"):
        conn.sendall(head + f"Content-Length: {len(AUDIO)}\r\n\r\n".encode() + AUDIO)
    elif mode == "fewer bytes than Content-Length":
        conn.sendall(head + f"Content-Length: {len(AUDIO)}\r\n\r\n".encode() + half)
    elif mode == "chunked body cut":
        conn.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n"
                     + f"{len(half):x}\r\n".encode() + half + b"\r\n")
    elif mode == "connection closed, no length":
        conn.sendall(head + b"Connection: close\r\n\r\n" + half)
    elif mode == "connection reset":
        conn.sendall(head + f"Content-Length: {len(AUDIO)}\r\n\r\n".encode() + half)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif mode == "server error":
        body = b'{"title": "Internal Server Error", "detail": "disk on fire"}'
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


@contextmanager
def flaky_host(mode: str) -> Iterator[str]:
    """A one-connection-at-a-time recording host on loopback; yields its base URL."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                _serve_once(conn, mode)

    thread = threading.Thread(target=run, name="flaky-host", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        server.close()


def record_event(base: str, size: int = len(AUDIO)) -> dict:
    return {"recording_url": f"{base}/v1/files/rec-1", "recording_uuid": "rec-1", "size": size,
            "conversation_uuid": "CON-test"}


def test_a_whole_download_is_saved(lab, tmp_path):
    with flaky_host("complete") as base:
        path = calls.download_recording(lab, record_event(base), tmp_path)
    assert path.read_bytes() == AUDIO and path.name == "rec-1.mp3"
    assert [p.name for p in tmp_path.iterdir()] == ["rec-1.mp3"]


@pytest.mark.parametrize("mode", ["fewer bytes than Content-Length", "chunked body cut",
                                  "connection closed, no length", "connection reset"])
def test_a_cut_download_leaves_nothing(lab, tmp_path, mode):
    with flaky_host(mode) as base, pytest.raises(calls.RecordingDownloadError) as caught:
        calls.download_recording(lab, record_event(base), tmp_path)
    message = str(caught.value)
    assert "Nothing was saved" in message and "try again" in message, message
    assert list(tmp_path.iterdir()) == []  # no file, no .part-* temp


@pytest.mark.parametrize("size", [len(AUDIO) + 1, len(AUDIO) - 1])
def test_a_size_that_differs_from_the_event_leaves_nothing(lab, tmp_path, size):
    with flaky_host("wrong size") as base, pytest.raises(calls.RecordingDownloadError) as caught:
        calls.download_recording(lab, record_event(base, size), tmp_path)
    assert f"{len(AUDIO)} of {size} bytes" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_keeps_the_good_copy_already_there(lab, tmp_path):
    with flaky_host("complete") as base:
        good = calls.download_recording(lab, record_event(base), tmp_path)
    with flaky_host("fewer bytes than Content-Length") as base, \
            pytest.raises(calls.RecordingDownloadError):
        calls.download_recording(lab, record_event(base), tmp_path)
    assert good.read_bytes() == AUDIO and list(tmp_path.iterdir()) == [good]


def test_a_server_error_is_a_sentence_and_leaves_nothing(lab, tmp_path):
    with flaky_host("server error") as base, pytest.raises(calls.RecordingDownloadError,
                                                          match="500: disk on fire"):
        calls.download_recording(lab, record_event(base), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_cell_leaves_nothing(lab, tmp_path, monkeypatch):
    """Ctrl-C (a kernel interrupt) in the middle of the stream: the temp file goes too."""
    import requests

    real = requests.Response.iter_content

    def interrupted(self, *args, **kwargs):
        for number, chunk in enumerate(real(self, *args, **kwargs)):
            if number == 1:
                raise KeyboardInterrupt
            yield chunk

    monkeypatch.setattr(requests.Response, "iter_content", interrupted)
    with flaky_host("complete") as base, pytest.raises(KeyboardInterrupt):
        calls.download_recording(lab, record_event(base), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_host_is_a_sentence_and_leaves_nothing(lab, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again below: nobody listens there
    with pytest.raises(calls.RecordingDownloadError, match="Could not fetch .* try again"):
        calls.download_recording(lab, record_event(f"http://127.0.0.1:{port}"), tmp_path)
    assert list(tmp_path.iterdir()) == []
