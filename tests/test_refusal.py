import json

import pytest
from gunicorn.http import errors

from aggregator.serving.refusal import CANNED, CANNED_CLOSING, TOO_SLOW, refused


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


@pytest.mark.parametrize("exc, status, code", [
    (errors.LimitRequestLine(9000, 4094), "414", "uri_too_long"),
    (errors.LimitRequestHeaders("too many"), "431", "headers_too_large"),
    (errors.UnsupportedTransferCoding("gzip"), "501", "not_implemented"),
    (errors.InvalidChunkSize(b"ZZ"), "400", "malformed_body"),
    (errors.InvalidRequestLine("GET"), "400", "bad_request"),
])
def test_what_the_parser_refuses_is_answered_in_the_error_shape_and_closes(exc, status, code):
    line, headers, body = _parse(refused(exc))
    assert line.split(" ")[1] == status
    assert headers["Content-Type"] == "application/json" and headers["Connection"] == "close"
    assert headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in headers
    assert json.loads(body)["error"]["code"] == code and int(headers["Content-Length"]) == len(body)


def test_a_request_too_slow_to_arrive_is_a_408_that_closes():
    line, headers, body = _parse(TOO_SLOW)
    assert line == "HTTP/1.1 408 Request Timeout" and headers["Connection"] == "close"
    assert json.loads(body)["error"]["code"] == "request_timeout"
