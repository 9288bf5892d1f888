"""Atom feeds of incidents, per service and for all services: an entry when one opens, changes state, resolves."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from flask import Blueprint, Response

from workers import incidents
from workers.lead import with_official

from .base.catalog import Catalog, Service
from .errors import shown_as_page
from .radar import radar

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
ENTRIES = 50
"""Entries a feed holds, newest first."""
INCIDENTS_READ = 100
"""Incidents read for a feed, by newest onset: more than ENTRIES, so that an incident opened before many others
still shows when it resolves."""
TAG_YEAR = "2026"
"""The date of the feed ids' tag URIs (RFC 4151); it must never change, or readers see new feeds."""
NEVER = "1970-01-01T00:00:00Z"
"""The `updated` of a feed without entries: nothing in it has ever changed."""

# XML 1.0 cannot carry these at all, escaped or not; names and official texts come from outside.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text) -> str:
    return _NOT_XML.sub("", str(text))


def _clock(stamp: str | None) -> str:
    """HH:MM of a time the product wrote (`2026-11-26T12:03:00Z`), or '?'."""
    return stamp[11:16] if isinstance(stamp, str) and len(stamp) >= 16 else "?"


def tag(public_url: str, date: str, specific: str) -> str:
    """A tag URI (RFC 4151) under the site's host and path, so that two sites' ids never meet."""
    parts = urlsplit(public_url)
    return f"tag:{(parts.hostname or 'localhost').lower()},{date}:{parts.path.rstrip('/')}/{specific}"


def feed_id(public_url: str, slug: str | None) -> str:
    return tag(public_url, TAG_YEAR, f"feed/{slug}" if slug else "feed")


def entry_id(public_url: str, incident_id: str, at: str) -> str:
    """Stable for one change of one incident: its id and the time of the change, dated by that day."""
    return tag(public_url, at[:10], f"incident/{incident_id}/{at}")


def headline(name: str, incident: dict, index: int) -> str:
    """The entry title of the incident's `index`-th change: opened, now in another state, or resolved."""
    change = incident["changes"][index]
    where = f"{name} in {incident['country']}" if incident.get("country") else name
    if index == 0:
        return f"{where}: {change['state']} since {_clock(change['at'])} UTC"
    if change["state"] == "ok":
        return f"{where}: resolved"
    return f"{where}: now {change['state']}"


def _shares(shares: dict | None, limit: int = 3) -> str:
    return ", ".join(f"{value:g} % {name}" for name, value in list((shares or {}).items())[:limit])


def summary(incident: dict) -> str:
    """One short paragraph: peak so far, surfaces and top regions at the peak, the official status if linked."""
    parts = []
    peak = incident.get("peak")
    if peak:
        parts.append(f"Peak {peak['count']:g} reports a minute at {_clock(peak['at'])} UTC "
                     f"(expected {peak['expected']:g}).")
    if incident.get("surfaces_at_peak"):
        parts.append(f"Surfaces at peak: {_shares(incident['surfaces_at_peak'])}.")
    regions = [f"{r.get('country') or r.get('region')} {r.get('percent', 0):g} %"
               for r in (incident.get("top_regions") or [])[:3]]
    if regions:
        parts.append(f"Top regions: {', '.join(regions)}.")
    official = incident.get("official")
    if isinstance(official, dict):
        parts.append(f"Official status: {official.get('name') or '?'} ({official.get('status') or '?'}), "
                     f"first posted {_clock(official.get('posted_at'))} UTC.")
    if incident.get("resolved_at"):
        parts.append(f"{incident.get('worst_state', 'outage').capitalize()} from {_clock(incident['opened_at'])} "
                     f"to {_clock(incident['resolved_at'])} UTC.")
    return " ".join(parts) or "No reports counted yet."


def entries(catalog: Catalog, found: list[dict], public_url: str, limit: int = ENTRIES) -> list[dict]:
    """The feed entries of incident records, one per change, newest first; at most `limit`."""
    base = public_url.rstrip("/")
    out = []
    for incident in found:
        service = catalog.exact(incident["service"])
        name = service.name if service else incident["service"]
        text = summary(incident)
        seen: set[str] = set()
        for index, change in enumerate(incident["changes"]):
            # Two changes in one second would share an id; the later keeps its place in the list as well.
            key = change["at"] if change["at"] not in seen else f"{change['at']}/{index}"
            seen.add(change["at"])
            out.append({"id": entry_id(public_url, incident["id"], key), "title": headline(name, incident, index),
                        "updated": change["at"], "summary": text,
                        "page": f"{base}/{incident['service']}", "api": f"{base}/api/v1/incidents/{incident['id']}"})
    # ISO times of one format sort as text; the id breaks ties so the order never flickers between requests.
    out.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
    return out[:limit]


def _add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, name, {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def document(title: str, ident: str, self_url: str, page_url: str, public_url: str, items: list[dict]) -> bytes:
    """The Atom 1.0 document (RFC 4287); ElementTree escapes every text and attribute."""
    # Unprefixed names under a default namespace: what feed readers expect to see.
    feed = ET.Element("feed", xmlns=ATOM)
    _add(feed, "id", ident)
    _add(feed, "title", title)
    _add(feed, "updated", items[0]["updated"] if items else NEVER)
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = _add(feed, "author")
    _add(author, "name", "Outage Radar")
    _add(author, "uri", public_url)
    _add(feed, "generator", "Outage Radar")
    for item in items:
        entry = _add(feed, "entry")
        _add(entry, "id", item["id"])
        _add(entry, "title", item["title"], type="text")
        _add(entry, "updated", item["updated"])
        _add(entry, "published", item["updated"])
        _add(entry, "link", rel="alternate", type="text/html", href=item["page"])
        _add(entry, "link", rel="related", type="application/json", href=item["api"])
        _add(entry, "summary", item["summary"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _feed(service: Service | None) -> Response:
    r = radar()
    # Links and ids come from RADAR_PUBLIC_URL, never the request's Host: answers are cached and shared.
    public = r.settings.RADAR_PUBLIC_URL.rstrip("/")
    found = incidents.search(r.data, service=service.slug if service else None, limit=INCIDENTS_READ)
    found = with_official(r.data, found, r.settings.RADAR_STATUSPAGE_MATCH_MINUTES * 60, r.clock())
    items = entries(r.catalog, found, public)
    if service:
        body = document(f"{service.name} incidents — Outage Radar", feed_id(public, service.slug),
                        f"{public}/{service.slug}/feed.atom", f"{public}/{service.slug}", public, items)
    else:
        body = document("All incidents — Outage Radar", feed_id(public, None), f"{public}/feed.atom",
                        f"{public}/", public, items)
    return Response(body, content_type=CONTENT_TYPE)


@bp.get("/feed.atom")
@shown_as_page("error.html")
def all_feed():
    return _feed(None)


@bp.get("/<slug>/feed.atom")
@shown_as_page("error.html")
def service_feed(slug: str):
    return _feed(radar().catalog.get(slug))
