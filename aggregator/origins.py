"""Where a report came from: the site's own pages, the widget on another site, or an API client.

A page on any site can make its visitors' browsers post to us, each from the visitor's own address. What it
cannot do is send JSON without CORS, which our answers allow only as the widget does (a `cors` fetch); a form it
submits or a `no-cors` fetch is refused. Browsers name the page's origin (`Origin`, `Sec-Fetch-*`), which the
page cannot change, so what the widget sends is counted against the site that embeds it.
"""
from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from .base.exceptions import CrossSite

SITE = "site"
WIDGET = "widget"
API = "api"
KINDS = (SITE, WIDGET, API)

_HOST = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


@functools.lru_cache(maxsize=16)
def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lowercased, as browsers send it in `Origin`."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def embedding_host(origin: str) -> str:
    """The host of the page that embeds the widget, or 'unknown' for an opaque or odd origin."""
    host = (urlsplit(origin).hostname or "").lower()
    return host if len(host) <= 100 and _HOST.fullmatch(host) else "unknown"


def classify(origin: str | None, fetch_site: str | None, fetch_mode: str | None, json_body: bool,
             own: tuple[str, ...]) -> str:
    """'site', 'widget:<host>' or 'api' for a report; CrossSite for another site's form or `no-cors` post.

    `own` are this site's origins (its public URL's and the one the request was made to).
    """
    if fetch_site == "same-origin" or (origin and origin.lower() in own):
        return SITE
    if not origin and fetch_site in (None, "none"):
        return API  # not sent by a page: curl, a server, an app
    # Another site's page: a JSON body crosses sites only in a CORS fetch, past the browser's preflight.
    if json_body and fetch_mode in (None, "cors"):
        return f"{WIDGET}:{embedding_host(origin or '')}"
    raise CrossSite("reports from another site's page are taken only through the widget "
                    "(a CORS request with a JSON body); embed it, or link to this site's report page")


def of_request(environ: dict, public_url: str) -> str:
    """`classify` for a WSGI request: its headers, and this site as its public URL and the host it was sent to
    (by either scheme: behind a proxy that ends TLS, the request says http where the browser said https)."""
    host = environ.get("HTTP_HOST", "").lower()
    content = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    return classify(environ.get("HTTP_ORIGIN"), environ.get("HTTP_SEC_FETCH_SITE"), environ.get("HTTP_SEC_FETCH_MODE"),
                    content == "application/json" or content.endswith("+json"),
                    (origin_of(public_url), f"http://{host}", f"https://{host}"))
