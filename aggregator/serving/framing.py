"""Where a request on a connection ends, told without a parser, so no thread waits for a slow client's bytes."""
from __future__ import annotations

import re
from typing import NamedTuple

MORE = "more"
"""The request is still arriving."""
PARSER = "parser"
"""Only gunicorn's parser can tell (or refuse) it: not HTTP/1.x, a framing it alone knows, or too large."""
MALFORMED = "malformed"
"""A chunked body no parser would take: refused at once."""
TOO_LARGE = "too large"
"""A chunked body past the most this server gathers: refused at once."""
CONTINUE = "continue"
"""Headers in, and the client waits for `100 Continue` before it sends the body."""

MAX_HEAD = 65536
"""Bytes a request line and headers may take before the parser is left to refuse them (414 or 431)."""
_CHUNK_LINE = 1024
"""Bytes a chunk-size line (size and extensions) may take."""

_REQUEST_LINE = re.compile(rb"[A-Z]+ (/[^ ?]*)[^ ]* HTTP/1\.([01])\r\n")
_FRAMING = re.compile(rb"\r\n(content-length|transfer-encoding|expect)[ \t]*:[ \t]*([^\r]*)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection[ \t]*:[^\r]*close", re.IGNORECASE)
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class Request(NamedTuple):
    path: str
    length: int
    closes: bool
    """The client asked for the connection to close after the answer (HTTP/1.0 always does here)."""


def frame(buffered: bytes, most: int) -> Request | str:
    """The one HTTP/1.x request at the start of `buffered` if all of it is there, else why not (MORE, CONTINUE,
    PARSER or MALFORMED).

    A body larger than `most` bytes goes to the parser unread, so the application can refuse it by its length.
    """
    if buffered[:1] and not b"A" <= buffered[:1] <= b"Z":
        return PARSER  # TLS, HTTP/2's preface, noise: nothing this could frame
    end = buffered.find(b"\r\n\r\n")
    if end < 0:
        return PARSER if len(buffered) > MAX_HEAD else MORE
    line = _REQUEST_LINE.match(buffered)
    if not line:
        return PARSER
    framing = {}
    for name, value in _FRAMING.findall(buffered, 0, end + 2):
        if name.lower() in framing:
            return PARSER  # a repeated framing header: the parser refuses what could be smuggled
        framing[name.lower()] = value.strip().lower()
    closes = line[2] == b"0" or _CLOSE.search(buffered, 0, end + 2) is not None
    continues = framing.get(b"expect") == b"100-continue"
    if b"expect" in framing and not continues:
        return PARSER
    head = end + 4
    coding = framing.get(b"transfer-encoding")
    if coding is not None:
        if coding != b"chunked" or b"content-length" in framing:
            return PARSER
        size = _chunked_end(buffered, head, most)
    else:
        length = framing.get(b"content-length", b"0")
        if not length.isdigit():
            return PARSER
        size = head + int(length) if int(length) <= most else PARSER
    if size == MORE or isinstance(size, int) and size > len(buffered):
        return CONTINUE if continues else MORE
    if isinstance(size, str):
        return size
    return Request(line[1].decode("latin-1"), size, closes)


def _chunked_end(buffered: bytes, start: int, most: int) -> int | str:
    """Where a chunked body starting at `start` ends (its last chunk and trailers included), or why it cannot."""
    pos = start
    while True:
        eol = buffered.find(b"\r\n", pos, pos + _CHUNK_LINE)
        if eol < 0:
            return MALFORMED if len(buffered) - pos >= _CHUNK_LINE else MORE
        size = buffered[pos:eol].split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size):
            return MALFORMED
        if int(size, 16) == 0:
            if buffered.startswith(b"\r\n", eol + 2):
                return eol + 4
            trailers = buffered.find(b"\r\n\r\n", eol + 2)
            return trailers + 4 if trailers >= 0 else MORE
        pos = eol + 2 + int(size, 16)
        if pos - start > most:
            return TOO_LARGE
        if len(buffered) < pos + 2:
            return MORE
        if buffered[pos:pos + 2] != b"\r\n":
            return MALFORMED
        pos += 2
