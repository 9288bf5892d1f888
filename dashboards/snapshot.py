"""What a dashboard shows, as plain data assembled by pure functions from what the read functions return."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from aggregator.base.exceptions import ValidationError
from aggregator.base.times import epoch, iso
from aggregator.ranges import Range
from workers import keys
from workers.baseline import Profile
from workers.buckets import UNKNOWN, Bucket
from workers.expected import expected_counts, thresholds
from workers.lead import table
from workers.summary import add_up, percent_shares

from . import countries
from .figures import Segment
from .palette import STATE_LABELS, STATE_RANK
from .palette import UNKNOWN as NOT_CHECKED

TOP_REGIONS = 10
UNITS = {"1m": "minute", "15m": "15 minutes", "1h": "hour"}


@dataclass(frozen=True)
class Window(Range):
    """A range button's buckets: a Range that knows its button's name, like '24h'."""

    name: str = "24h"

    @property
    def starts(self) -> list[int]:
        return [i * self.resolution.seconds for i in range(self.first, self.last + 1)]


RANGES = {"1h": (3600, keys.MINUTE), "6h": (6 * 3600, keys.MINUTE), "24h": (86400, keys.MINUTE),
          "7d": (7 * 86400, keys.QUARTER), "30d": (30 * 86400, keys.HOUR)}
"""Each range button's span and the resolution that draws it in at most 1,440 buckets."""
DEFAULT_RANGE = "24h"


def window(name: str | None, end: float) -> Window:
    """The buckets of range `name` whose last one holds the instant just before `end`."""
    name = name or DEFAULT_RANGE
    if name not in RANGES:
        raise ValidationError(f"'range' must be one of {', '.join(RANGES)} — got '{name}'", field="range")
    seconds, resolution = RANGES[name]
    last = resolution.index(end - 1e-6)
    return Window(resolution, last - seconds // resolution.seconds + 1, last, name)


def status_view(status: dict) -> dict:
    """The fields of a status record a dashboard shows; a service no run has evaluated is 'not checked yet'."""
    state = status["state"] if status.get("evaluated_at") else NOT_CHECKED
    return {"state": state, "label": STATE_LABELS[state], "since": status.get("since"),
            "evaluated_at": status.get("evaluated_at"), "incident_id": status.get("incident_id"),
            "score": status.get("score")}


def segments(incident: dict, start: float, end: float) -> list[Segment]:
    """The stretches of an incident in each state, clipped to [start, end)."""
    changes = incident["changes"]
    out = []
    for n, change in enumerate(changes):
        if change["state"] == "ok":
            continue
        stop = epoch(changes[n + 1]["at"]) if n + 1 < len(changes) else end
        begin = max(epoch(change["at"]), start)
        stop = min(stop, end)
        if begin < stop:
            out.append(Segment(iso(begin), iso(stop), change["state"]))
    return out


def overlapping(incidents: list[dict], start: float, end: float) -> list[dict]:
    """The incidents that were open at some time in [start, end), newest onset first."""
    return [i for i in incidents if epoch(i["opened_at"]) < end and (i["resolved_at"] is None
                                                                   or epoch(i["resolved_at"]) > start)]


OFFICIAL_STATES = {"operational": "ok", "under_maintenance": "ok", "degraded_performance": "degraded",
                   "partial_outage": "degraded", "major_outage": "outage"}
"""What a Statuspage component status says in the crowd's states."""


def official_markers(officials: list[dict], start: float, end: float) -> list[dict]:
    """The official updates posted in [start, end), oldest first, as the spike chart marks them."""
    return sorted(({"at": u["created_at"], "status": u["status"], "name": o["name"], "display_at": u["display_at"]}
                   for o in officials for u in o["updates"] if start <= epoch(u["created_at"]) < end),
                  key=lambda m: m["at"])


def official_disagreement(status: dict, components: list[dict] | None) -> dict | None:
    """The page's worst component status when it tells another story than the crowd's state, else None."""
    if not components or not status.get("evaluated_at"):
        return None
    worst = max(components, key=lambda c: STATE_RANK[OFFICIAL_STATES[c["status"]]])["status"]
    if OFFICIAL_STATES[worst] == status["state"]:
        return None
    return {"status": worst, "label": worst.replace("_", " ")}


def lead_summary(incidents: list[dict]) -> dict:
    """The crowd's lead over the status page across the service-wide incidents among `incidents` (linked):
    how many, the median lead, and how many the vendor never posted about."""
    found = table([i for i in incidents if i["country"] is None])
    return {"incidents": len(found["lead_times"]), "median_seconds": found["median_lead_time_seconds"],
            "never": len(found["never_acknowledged"])}


def _official_view(incident: dict) -> dict | None:
    official = incident.get("official")
    if official is None:
        return None
    return {"id": official["id"], "name": official["name"], "status": official["status"],
            "posted_at": official["posted_at"], "shortlink": official["shortlink"]}


def _incident_row(incident: dict, now: float) -> dict:
    ended = epoch(incident["resolved_at"]) if incident["resolved_at"] else now
    return {"id": incident["id"], "country": incident["country"], "status": incident["status"],
            "state": incident["state"], "worst_state": incident["worst_state"],
            "label": STATE_LABELS[incident["worst_state"]], "opened_at": incident["opened_at"],
            "resolved_at": incident["resolved_at"], "duration_seconds": int(ended - epoch(incident["opened_at"])),
            "peak": incident["peak"], "surfaces_at_peak": incident["surfaces_at_peak"],
            "symptoms_at_peak": incident["symptoms_at_peak"], "notes": incident.get("notes", []),
            "lead_time_seconds": incident.get("lead_time_seconds"), "official": _official_view(incident)}


def _regions(countries_counts: dict[str, int], status: dict) -> dict:
    """Every country's count and share for the map, and whether a country has a spike of its own."""
    shares = percent_shares(countries_counts)
    # Detection lists only the countries that are not ok; before it has run, no country's state is known.
    states = {c["country"]: c["state"] for c in status.get("countries", [])}
    default = "ok" if status.get("evaluated_at") else NOT_CHECKED
    rows = []
    for code, count in sorted(countries_counts.items(), key=lambda item: (-item[1], item[0])):
        if code == UNKNOWN or count <= 0:
            continue
        country = countries.lookup(code)
        state = states.get(code, default)
        rows.append({"country": code, "alpha3": country.alpha3 if country else None,
                     "name": country.name if country else code, "count": count, "percent": shares.get(code, 0.0),
                     "state": state, "label": STATE_LABELS[state]})
    unknown = countries_counts.get(UNKNOWN, 0)
    return {"countries": rows, "unknown": unknown, "unknown_percent": shares.get(UNKNOWN, 0.0),
            "top": rows[:TOP_REGIONS]}


def service_snapshot(service: dict, win: Window, counts: list[int], whole: Bucket, profile: Profile | None,
                     status: dict, incidents: list[dict], now: float, officials: list[dict] = ()) -> dict:
    """Everything the service page shows for one range; `whole` holds the sums of all its buckets.

    `incidents` may carry their linked official incidents; `officials` are the page's incidents near the range.
    """
    seconds = win.resolution.seconds
    # time.strftime: a day of minutes is 1,440 times, and datetime takes three times as long for each.
    times = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)) for start in win.starts]
    expected = expected_counts(profile, win.starts, seconds) if profile else None
    sums = add_up([whole])
    shown = overlapping(incidents, win.start, win.end)
    overall = [i for i in shown if i["country"] is None]
    peak_index = max(range(len(counts)), key=lambda n: (counts[n], n)) if any(counts) else None
    at_peak = None
    if overall and overall[0]["peak"]:
        latest = overall[0]
        at_peak = {"incident": latest["id"], "at": latest["peak"]["at"], "count": latest["peak"]["count"],
                   "surfaces": latest["surfaces_at_peak"], "symptoms": latest["symptoms_at_peak"] or {}}
    return {
        "service": service, "range": win.name, "resolution": win.resolution.name, "bucket_seconds": seconds,
        "unit": UNITS[win.resolution.name],
        "from": iso(win.start), "to": iso(win.end), "generated_at": iso(now),
        "status": status_view(status),
        "baseline_quality": profile.quality.value if profile else None,
        "series": {"time": times, "reports": counts,
                   "baseline": [round(e, 2) for e in expected] if expected else None,
                   "threshold": thresholds(profile, expected) if expected else None},
        "total": sum(counts),
        "expected_total": round(sum(expected), 1) if expected else None,
        "peak": None if peak_index is None else {
            "time": times[peak_index], "reports": counts[peak_index],
            "baseline": round(expected[peak_index], 2) if expected else None},
        "surfaces": {"counts": dict(sums["surfaces"]), "percent": percent_shares(sums["surfaces"])},
        "symptoms": {"counts": dict(sums["symptoms"]), "percent": percent_shares(sums["symptoms"])},
        "at_peak": at_peak,
        "regions": _regions(dict(sums["countries"]), status),
        # The service's own incidents first: a country's is part of the story, not its headline.
        "incidents": [_incident_row(i, now) for i in sorted(shown, key=lambda i: i["country"] is not None)],
        "segments": [asdict(s) for i in overall for s in segments(i, win.start, win.end)],
        "official_updates": official_markers(list(officials), win.start, win.end),
        "lead": lead_summary(incidents) if service.get("official_page") else None,
    }


def overview_row(service: dict, status: dict, last_hour: int, spark: list[int], profile: Profile | None,
                 now: float, components: list[dict] | None = None) -> dict:
    """One service on the overview: its state, last hour against the baseline's, and its 24-hour sparkline."""
    minute = keys.MINUTE.index(now)
    starts = [m * 60 for m in range(minute - 59, minute + 1)]
    baseline = round(sum(expected_counts(profile, starts, 60)), 1) if profile else None
    return {**service, "status": status_view(status), "last_hour": last_hour, "baseline_hour": baseline,
            "spark": spark, "official": official_disagreement(status, components)}


def anomaly(row: dict) -> tuple:
    """Sort key putting the most anomalous service first: state, then the detector's score, then excess."""
    status = row["status"]
    excess = row["last_hour"] - (row["baseline_hour"] or 0.0)
    return (-STATE_RANK[status["state"]], -(status["score"] or 0.0), -excess, row["name"].lower())
