import json

from aggregator.serving.refusal import CANNED, CANNED_CLOSING, Request, whole_request

BODY = b'{"service": "claude", "surface": "website"}'


def _post(headers: bytes, body: bytes = BODY) -> bytes:
    return b"POST /api/v1/reports?src=widget HTTP/1.1\r\nHost: radar\r\n" + headers + b"\r\n" + body


def test_a_whole_request_gives_its_path_without_the_query_and_its_length():
    request = _post(b"Content-Length: %d\r\n" % len(BODY))
    assert whole_request(request) == Request("/api/v1/reports", len(request), closes=False)


def test_a_request_followed_by_another_is_framed_by_its_own_length():
    first = _post(b"content-length:%d\r\n" % len(BODY))
    assert whole_request(first + b"GET /healthz HTTP/1.1\r\n\r\n").length == len(first)


def test_a_request_without_a_body_ends_with_its_headers():
    assert whole_request(b"GET /healthz HTTP/1.1\r\n\r\n")[:2] == ("/healthz", 25)


def test_a_client_asking_to_close_or_speaking_http_1_0_closes():
    assert whole_request(_post(b"Content-Length: %d\r\nConnection: close\r\n" % len(BODY))).closes
    assert whole_request(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").closes


def test_a_body_still_arriving_is_not_a_whole_request():
    assert whole_request(_post(b"Content-Length: %d\r\n" % (len(BODY) + 1))) is None


def test_headers_still_arriving_are_not_a_whole_request():
    assert whole_request(b"POST /api/v1/reports HTTP/1.1\r\nContent-Le") is None


def test_requests_only_a_parser_can_frame_are_left_to_it():
    for headers in (b"Transfer-Encoding: chunked\r\n", b"Content-Length: 44\r\nContent-Length: 44\r\n",
                    b"Content-Length: 4x\r\n", b"Content-Length: 44\r\nExpect: 100-continue\r\n"):
        assert whole_request(_post(headers)) is None, headers


def test_what_is_not_http_1_is_left_to_the_parser():
    assert whole_request(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") is None
    assert whole_request(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") is None


def _parse(answer: bytes) -> tuple[str, dict, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    return lines[0], dict(line.split(": ", 1) for line in lines[1:]), body


def test_the_canned_answer_is_a_503_with_retry_after_cors_and_the_error_shape():
    for answer in (CANNED, CANNED_CLOSING):
        status, headers, body = _parse(answer)
        assert status == "HTTP/1.1 503 Service Unavailable"
        assert headers["Retry-After"] == "5" and headers["Access-Control-Allow-Origin"] == "*"
        assert "Retry-After" in headers["Access-Control-Expose-Headers"]
        assert int(headers["Content-Length"]) == len(body)
        assert json.loads(body)["error"]["code"] == "overloaded"


def test_only_the_closing_answer_says_it_closes():
    assert "Connection" not in _parse(CANNED)[1] and _parse(CANNED_CLOSING)[1]["Connection"] == "close"
