"""Security headers on every response; a blueprint that sets its own (an embeddable page) keeps them."""
from __future__ import annotations

from flask import Flask, Response


def content_security_policy(inline_styles: bool = False) -> str:
    """This site's scripts only (never inline ones), no plugins, never framed; `inline_styles` for Plotly pages."""
    return "; ".join([
        "default-src 'self'",
        "style-src 'self' 'unsafe-inline'" if inline_styles else "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


HEADERS = {
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def missing(present) -> dict[str, str]:
    """The security headers a response with the headers `present` (case-insensitive names) still needs."""
    needed = {name: value for name, value in HEADERS.items() if name not in present}
    # The older header for browsers without frame-ancestors, only where the policy forbids framing: an
    # embeddable page's own policy allows it, and this header would contradict it.
    policy = present["Content-Security-Policy"] if "Content-Security-Policy" in present else HEADERS[
        "Content-Security-Policy"]
    if "frame-ancestors 'none'" in policy and "X-Frame-Options" not in present:
        needed["X-Frame-Options"] = "DENY"
    return needed


def add_headers(response: Response) -> Response:
    response.headers.update(missing(response.headers))
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
