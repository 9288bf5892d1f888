"""Slow clients hold no thread, and the server's own refusals speak the one error shape (real gunicorn)."""
from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.request

import pytest

from .helpers import web_server

REPORT = b'{"service": "claude", "surface": "website"}'


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    """One worker with two threads: ten stalled clients would take every thread many times over."""
    with web_server(redis_server.url, tmp_path_factory.mktemp("slow"), workers=1, RADAR_WEB_THREADS="2",
                    RADAR_REQUEST_READ_SECONDS="3") as base:
        yield ("127.0.0.1", int(base.rsplit(":", 1)[1]))


def connect(server) -> socket.socket:
    return socket.create_connection(server, timeout=10)


def answer(sock: socket.socket) -> tuple[int, dict, bytes]:
    """Read one whole answer: status, headers (lowercase names) and body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return int(lines[0].split(" ")[1]), headers, body


def report(length: int = len(REPORT), extra: bytes = b"") -> bytes:
    return (b"POST /api/v1/reports HTTP/1.1\r\nHost: radar\r\nContent-Type: application/json\r\n"
            b"User-Agent: slow-test\r\nContent-Length: %d\r\n" % length + extra + b"\r\n")


@contextlib.contextmanager
def stalled(server, first_bytes: bytes, count: int = 10):
    """`count` clients that send the start of a request and then nothing."""
    socks = [connect(server) for _ in range(count)]
    try:
        for sock in socks:
            sock.sendall(first_bytes)
        yield
    finally:
        for sock in socks:
            sock.close()


def test_clients_stalled_in_a_body_leave_health_and_reports_answered(server):
    with stalled(server, report(200) + b'{"service":'):
        time.sleep(0.5)
        base = f"http://{server[0]}:{server[1]}"
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as health:
            assert health.status == 200
        with connect(server) as sock:
            sock.sendall(report() + REPORT)
            assert answer(sock)[0] == 202


def test_clients_stalled_in_their_headers_leave_health_answered(server):
    with stalled(server, b"POST /api/v1/reports HTTP/1.1\r\nHost: radar\r\n"):
        time.sleep(0.5)
        with urllib.request.urlopen(f"http://{server[0]}:{server[1]}/healthz", timeout=2) as health:
            assert health.status == 200


def test_a_request_slower_than_the_deadline_gets_408_and_the_connection_closes(server):
    with connect(server) as sock:
        sock.sendall(report(200) + b'{"service":')
        status, headers, body = answer(sock)
        assert status == 408 and headers["connection"] == "close"
        assert json.loads(body)["error"]["code"] == "request_timeout"
        assert sock.recv(10) == b""


def test_a_request_sent_a_byte_at_a_time_within_the_deadline_is_answered(server):
    with connect(server) as sock:
        for byte in report() + REPORT:
            sock.send(bytes([byte]))
        assert answer(sock)[0] == 202


def test_a_chunked_report_is_taken(server):
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(REPORT), REPORT)
    head = report().replace(b"Content-Length: %d\r\n" % len(REPORT), b"Transfer-Encoding: chunked\r\n")
    with connect(server) as sock:
        sock.sendall(head + body)
        assert answer(sock)[0] == 202


def test_a_chunk_size_that_is_not_a_number_is_a_400_malformed_body_not_a_500(server):
    head = report().replace(b"Content-Length: %d\r\n" % len(REPORT), b"Transfer-Encoding: chunked\r\n")
    with connect(server) as sock:
        sock.sendall(head + b"ZZ\r\n" + REPORT + b"\r\n0\r\n\r\n")
        status, headers, body = answer(sock)
    assert status == 400 and headers["connection"] == "close"
    assert json.loads(body)["error"]["code"] == "malformed_body"
    assert headers["x-content-type-options"] == "nosniff"


def test_a_client_expecting_100_continue_is_told_to_go_on_and_then_answered(server):
    with connect(server) as sock:
        sock.sendall(report(extra=b"Expect: 100-continue\r\n"))
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(REPORT)
        status, _, _ = answer(sock)
        while status == 100:  # the parser may say it once more; a client reads past every 1xx
            status, _, _ = answer(sock)
        assert status == 202


def test_the_parsers_own_refusals_are_json_with_the_security_headers(server):
    with connect(server) as sock:
        sock.sendall(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: radar\r\n\r\n")
        status, headers, body = answer(sock)
    assert status == 414 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    assert "content-security-policy" in headers and headers["connection"] == "close"


def test_a_body_too_large_is_refused_and_the_connection_still_serves_the_next_request(server):
    with connect(server) as sock:
        sock.sendall(report(5000) + b" " * 5000)
        status, headers, _ = answer(sock)
        assert status == 413 and headers.get("connection") != "close"
        sock.sendall(report() + REPORT)
        assert answer(sock)[0] == 202


def test_a_chunked_body_of_many_small_chunks_past_a_mebibyte_is_refused_by_its_size_at_once(server):
    head = report().replace(b"Content-Length: %d\r\n" % len(REPORT), b"Transfer-Encoding: chunked\r\n")
    chunks = b"1\r\nx\r\n" * 200_000 + b"0\r\n\r\n"
    with connect(server) as sock:
        sock.sendall(head + chunks)
        status, headers, body = answer(sock)
    assert status == 413 and headers["connection"] == "close"
    assert json.loads(body)["error"]["code"] == "request_entity_too_large"


def test_a_client_that_sends_its_request_and_closes_its_side_is_still_answered(server):
    with connect(server) as sock:
        sock.sendall(report() + REPORT)
        sock.shutdown(socket.SHUT_WR)
        assert answer(sock)[0] == 202


def test_a_client_that_closes_halfway_through_its_request_is_let_go(server):
    with connect(server) as sock:
        sock.sendall(report(200) + b'{"service":')
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(10) == b""
