"""Colours that colour-blind viewers can tell apart (Okabe–Ito), and the words that always go with a state."""
from __future__ import annotations

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#767676"

UNKNOWN = "unknown"
"""The state of a service no detection run has looked at yet."""

STATE_COLOURS = {"ok": BLUISH_GREEN, "degraded": ORANGE, "outage": VERMILLION, UNKNOWN: GREY}
STATE_LABELS = {"ok": "OK", "degraded": "Possible problems", "outage": "Outage", UNKNOWN: "Not checked yet"}
STATE_RANK = {"outage": 3, "degraded": 2, "ok": 1, UNKNOWN: 0}
"""How alarming a state is, for sorting."""

SERIES_COLOURS = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE)
"""Colours of the bars when a chart compares several sets of shares."""
