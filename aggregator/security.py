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


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # The older header for browsers without frame-ancestors, only where the policy forbids framing: an
    # embeddable page's own policy allows it, and this header would contradict it.
    if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
