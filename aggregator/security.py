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
    "X-Frame-Options": "DENY",
}


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
