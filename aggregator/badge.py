"""The status badge: a shields-style SVG of a label and a state, sized by an estimate of its text width."""
from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

HEIGHT = 20
RADIUS = 3
PADDING = 6
"""Space on either side of each text, in pixels."""
LABEL_COLOUR = "#555"
LIGHT_TEXT, DARK_TEXT = "#fff", "#1b1b1b"


@dataclass(frozen=True)
class Look:
    """What a state says on the badge and in which colours; every text colour is 4.5:1 or better."""

    message: str
    fill: str
    text: str


LOOKS = {
    "ok": Look("ok", "#2e7d32", LIGHT_TEXT),
    "degraded": Look("possible problems", "#e69f00", DARK_TEXT),
    "outage": Look("outage", "#c62828", LIGHT_TEXT),
    "unknown": Look("not checked yet", "#767676", LIGHT_TEXT),
}
UNKNOWN_SERVICE = Look("unknown service", "#767676", LIGHT_TEXT)

# Advance widths of Verdana at 11px, the badge font, rounded; other characters count as AVERAGE_WIDTH.
_WIDTHS = {**dict.fromkeys("iljI.,:;'!|", 3.5), **dict.fromkeys("frt()[] -/", 4.5),
           **dict.fromkeys("abcdeghknopqsuvxyz0123456789_?", 7.0), **dict.fromkeys("mwMW", 10.5)}
AVERAGE_WIDTH = 7.5


def text_width(text: str) -> float:
    """Estimated width of `text` in pixels: close enough that it neither overflows nor floats in its box."""
    return sum(_WIDTHS.get(ch, AVERAGE_WIDTH) for ch in text)


def render(label: str, look: Look) -> str:
    """The badge as an SVG document; both texts are XML-escaped."""
    left = round(text_width(label) + 2 * PADDING)
    right = round(text_width(look.message) + 2 * PADDING)
    width = left + right
    title = f"{label}: {look.message}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" role="img" '
        f'aria-label={quoteattr(title)}><title>{escape(title)}</title>'
        # Rounded by the shapes themselves, not a clip path: an id would clash when badges are inlined together.
        f'<rect width="{width}" height="{HEIGHT}" rx="{RADIUS}" fill="{LABEL_COLOUR}"/>'
        f'<path d="M{left} 0h{right - RADIUS}a{RADIUS} {RADIUS} 0 0 1 {RADIUS} {RADIUS}v{HEIGHT - 2 * RADIUS}'
        f'a{RADIUS} {RADIUS} 0 0 1 -{RADIUS} {RADIUS}h-{right - RADIUS}z" fill="{look.fill}"/>'
        f'<g text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14" fill="{LIGHT_TEXT}">{escape(label)}</text>'
        f'<text x="{left + right / 2}" y="14" fill="{look.text}">{escape(look.message)}</text></g></svg>'
    )
