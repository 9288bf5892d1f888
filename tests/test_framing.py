"""Where a request ends, told from its bytes alone: the accepting loop gathers a request until it is whole."""
from aggregator.serving.framing import CONTINUE, MALFORMED, MORE, PARSER, TOO_LARGE, Request, frame

BODY = b'{"service": "claude", "surface": "website"}'
MOST = 1024 * 1024


def _post(headers: bytes, body: bytes = BODY) -> bytes:
    return b"POST /api/v1/reports?src=widget HTTP/1.1\r\nHost: radar\r\n" + headers + b"\r\n" + body


def frame_(buffered: bytes, most: int = MOST):
    return frame(buffered, most)


def test_a_whole_request_gives_its_path_without_the_query_and_its_length():
    request = _post(b"Content-Length: %d\r\n" % len(BODY))
    assert frame_(request) == Request("/api/v1/reports", len(request), closes=False)


def test_a_request_followed_by_another_is_framed_by_its_own_length():
    first = _post(b"content-length:%d\r\n" % len(BODY))
    assert frame_(first + b"GET /healthz HTTP/1.1\r\n\r\n").length == len(first)


def test_a_request_without_a_body_ends_with_its_headers():
    assert frame_(b"GET /healthz HTTP/1.1\r\n\r\n")[:2] == ("/healthz", 25)


def test_a_client_asking_to_close_or_speaking_http_1_0_closes():
    assert frame_(_post(b"Content-Length: %d\r\nConnection: close\r\n" % len(BODY))).closes
    assert frame_(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").closes


def test_a_body_still_arriving_is_more_to_come():
    assert frame_(_post(b"Content-Length: %d\r\n" % (len(BODY) + 1))) == MORE


def test_headers_still_arriving_are_more_to_come():
    assert frame_(b"POST /api/v1/reports HTTP/1.1\r\nContent-Le") == MORE
    assert frame_(b"") == MORE


def test_a_chunked_body_is_whole_at_its_last_chunk():
    head = _post(b"Transfer-Encoding: chunked\r\n", b"")
    body = b"4\r\nWiki\r\n6;ext=1\r\npedia \r\n0\r\n\r\n"
    assert frame_(head + body) == Request("/api/v1/reports", len(head + body), closes=False)
    assert frame_(head + body[:-2]) == MORE
    assert frame_(head + b"4\r\nWi") == MORE


def test_a_chunked_body_with_trailers_ends_after_them():
    head = _post(b"Transfer-Encoding: chunked\r\n", b"")
    body = b"1\r\nx\r\n0\r\nX-Checksum: 1\r\n\r\n"
    assert frame_(head + body).length == len(head + body)
    assert frame_(head + body[:-2]) == MORE


def test_a_chunk_size_that_is_not_hexadecimal_is_malformed():
    head = _post(b"Transfer-Encoding: chunked\r\n", b"")
    assert frame_(head + b"ZZ\r\nhello\r\n0\r\n\r\n") == MALFORMED
    assert frame_(head + b"2\r\nhello\r\n0\r\n\r\n") == MALFORMED
    assert frame_(head + b"1" * 2000) == MALFORMED


def test_a_client_waiting_for_100_continue_is_told_to_go_on_and_then_framed():
    head = _post(b"Content-Length: %d\r\nExpect: 100-continue\r\n" % len(BODY), b"")
    assert frame_(head) == CONTINUE
    assert frame_(head + BODY).length == len(head + BODY)


def test_a_body_larger_than_the_most_gathered_goes_to_the_parser_unread_or_chunked_is_too_large():
    assert frame_(_post(b"Content-Length: %d\r\n" % (MOST + 1), b"")) == PARSER
    chunked = _post(b"Transfer-Encoding: chunked\r\n", b"") + b"%x\r\n" % (MOST + 1)
    assert frame_(chunked + b"x" * 10) == TOO_LARGE


def test_requests_only_a_parser_can_frame_are_left_to_it():
    for headers in (b"Transfer-Encoding: gzip, chunked\r\n", b"Content-Length: 44\r\nContent-Length: 44\r\n",
                    b"Content-Length: 4x\r\n", b"Content-Length: 44\r\nTransfer-Encoding: chunked\r\n",
                    b"Content-Length: 44\r\nExpect: something-else\r\n"):
        assert frame_(_post(headers)) == PARSER, headers


def test_what_is_not_http_1_is_left_to_the_parser():
    assert frame_(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == PARSER
    assert frame_(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") == PARSER
    assert frame_(b"GET " + b"x" * 70000) == PARSER
