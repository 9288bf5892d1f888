"""Incident alerts: signed JSON and Slack-compatible webhooks, delivered by RQ jobs with retries."""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from urllib.parse import urlsplit

import redis
from rq import Callback, Queue, Retry
from rq.job import get_current_job

from aggregator.base.catalog import Service
from aggregator.base.settings import Settings

from . import keys, lead, stats

log = logging.getLogger(__name__)

EVENTS = ("opened", "state_changed", "resolved")
"""The incident changes that send an alert."""

RETRY_INTERVALS = (10, 30, 60, 300, 900)
"""Seconds before each retry of a failed delivery: five retries over about 22 minutes."""

JOB_TIMEOUT = 30
"""Seconds a delivery job may run: the HTTP timeout plus room for DNS and TLS."""

HTTP_TIMEOUT = 10
"""Seconds to wait for a receiver to connect and to answer."""

USER_AGENT = "OutageRadar/1 (+webhooks)"

RETRIED_4XX = (408, 429)
"""Client errors that mean "later", not "never"."""


class DeliveryError(Exception):
    """A receiver could not be reached or answered with a status worth retrying."""


class ReceiverRejected(DeliveryError):
    """The request was refused (a 3xx, or a 4xx other than 408/429); retrying cannot help."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Radar-Signature value: "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>"."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: int | str, body: bytes, signature: str | bytes,
           max_age: float | None = None, now: float | None = None) -> bool:
    """Whether `signature` was made with `secret` for this body and timestamp (and, given max_age, is fresh)."""
    if max_age is not None:
        try:
            age = (time.time() if now is None else now) - int(timestamp)
        except (TypeError, ValueError):
            return False
        if abs(age) > max_age:
            return False
    if isinstance(signature, str):
        signature = signature.encode("utf-8", "replace")
    # compare_digest: a plain == would tell an attacker, by its timing, how many leading characters match.
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature)


def redact(url: str) -> str:
    """Scheme and host only: a webhook's path and query are often its secret (Slack's are)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


def _word(value) -> str:
    """An enum member or plain value as plain text."""
    return str(getattr(value, "value", value))


def _plain(value) -> str:
    """JSON's fallback for values it cannot encode: datetimes as ISO 8601, anything else as text."""
    return value.isoformat() if isinstance(value, datetime) else _word(value)


def _links(public_url: str, service: Service, incident: dict) -> tuple[str, str]:
    base = public_url.rstrip("/")
    return f"{base}/api/v1/incidents/{incident.get('id')}", f"{base}/{service.slug}"


def with_lead_times(data, settings: Settings, incidents: list[dict], now: float) -> list[dict]:
    """The incidents with the official incident each is linked to and the crowd's lead time, as the status page
    polls have stored them by `now`; unlinked if they cannot be read, since an alert must still go out."""
    try:
        return lead.with_official(data, incidents, settings.RADAR_STATUSPAGE_MATCH_MINUTES * 60, now)
    except redis.RedisError as exc:
        log.warning("alerts go out without lead times: the official incidents could not be read: %s", exc)
        return incidents


def json_payload(service: Service, incident: dict, event: str, public_url: str,
                 now: datetime | None = None) -> dict:
    """The body of a JSON webhook: event, service, the whole incident, state, peak, shares, lead time, links."""
    link, page = _links(public_url, service, incident)
    payload = {
        "event": event,
        "service": {"slug": service.slug, "name": service.name},
        "incident": dict(incident),
        "state": incident.get("state"),
        "peak": incident.get("peak"),
        "shares": incident.get("surfaces_at_peak") or {},
        "origins": incident.get("origins_at_peak") or {},
        "mostly_from_site": incident.get("mostly_from_site"),
        "lead_time_seconds": incident.get("lead_time_seconds"),
        "link": link,
        "page": page,
        "sent_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
    }
    # The incident may carry enums or datetimes: hand the job (and the receiver) plain JSON values.
    return json.loads(json.dumps(payload, default=_plain))


def _escape(text) -> str:
    """Slack's control characters escaped, so a name cannot make links or mentions."""
    return _word(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clock(iso) -> str:
    """HH:MM in UTC of an ISO 8601 time, or '?'."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return "?"
    return (moment.astimezone(timezone.utc) if moment.tzinfo else moment).strftime("%H:%M")


def _number(value, spec: str = ".0f") -> str:
    try:
        return format(float(value), spec)
    except (TypeError, ValueError):
        return "?"


def _percent(value) -> str:
    return f"{_number(value)} %"


def _shares(shares: dict, limit: int = 3) -> list[str]:
    def share(item):
        try:
            return -float(item[1])
        except (TypeError, ValueError):
            return 0.0
    return [f"{_percent(v)} {_escape(k)}" for k, v in sorted(shares.items(), key=share)[:limit]]


def _official_line(incident: dict) -> str:
    """What the vendor's status page had said when the alert was built, and how much earlier the crowd knew."""
    official, lead_time = incident.get("official"), incident.get("lead_time_seconds")
    if not isinstance(official, dict) or not isinstance(lead_time, int):
        return "nothing posted yet"
    said = f"{_escape(official.get('name') or '?')} ({_escape(official.get('status') or '?')}), first post " \
           f"{_clock(official.get('posted_at'))} UTC"
    minutes = round(abs(lead_time) / 60)
    return f"{said}: the crowd knew {minutes} min earlier" if lead_time >= 0 else \
        f"{said}, {minutes} min before the crowd"


def slack_payload(service: Service, incident: dict, event: str, public_url: str) -> dict:
    """A Slack incoming-webhook body: a one-line `text` and section/context `blocks`."""
    link, page = _links(public_url, service, incident)
    name = _escape(service.name) + (f" in {_escape(incident['country'])}" if incident.get("country") else "")
    shares = _shares(incident.get("surfaces_at_peak") or {})
    top = f" ({shares[0]})" if shares else ""
    since = _clock(incident.get("opened_at"))
    if event == "resolved":
        worst = _escape(incident.get("worst_state") or incident.get("state") or "?")
        headline = f"resolved, was {worst}{top}, {since}–{_clock(incident.get('resolved_at'))} UTC"
    else:
        now = "now " if event == "state_changed" else ""
        headline = f"{now}{_escape(incident.get('state') or '?')}{top} since {since} UTC"
    fields = []
    peak = incident.get("peak") or {}
    if peak:
        fields.append(f"*Peak*\n{_escape(peak.get('count', '?'))} reports at {_clock(peak.get('at'))} UTC"
                      f" (expected {_number(peak.get('expected'), '.1f')})")
    if shares:
        fields.append("*Surfaces at peak*\n" + ", ".join(shares))
    # Service-wide incidents list countries; a country's incident lists its subdivisions as "region".
    regions = [f"{_escape(r.get('country') or r.get('region') or '?')} {_percent(r.get('percent'))}"
               for r in (incident.get("top_regions") or [])[:3] if isinstance(r, dict)]
    if regions:
        fields.append("*Top regions*\n" + ", ".join(regions))
    origins = _shares(incident.get("origins_at_peak") or {})
    if origins:
        fields.append("*Sent from*\n" + ", ".join(origins))
    if incident.get("mostly_from_site"):
        fields.append(f"*Mostly one site*\nmost of the excess came through the widget on "
                      f"{_escape(incident['mostly_from_site'])}: judge before trusting it")
    if service.statuspage_api:
        fields.append("*Status page*\n" + _official_line(incident))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{name}*: {headline}"}}]
    if fields:
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"<{page}|Service page> · <{link}|Incident {_escape(incident.get('id'))}> · Outage Radar")}]})
    return {"text": f"{name}: {headline} — <{link}|details>", "blocks": blocks}


def targets(settings: Settings, service: Service) -> list[tuple[str, str]]:
    """(url, kind) for every receiver of this service's alerts: global and catalog webhooks, each URL once."""
    json_urls = list(dict.fromkeys((*settings.RADAR_WEBHOOK_URLS, *service.webhooks)))
    if json_urls and not settings.RADAR_WEBHOOK_SECRET:
        # Settings refuse global URLs without a secret; the catalog is read elsewhere, so check here too.
        log.error("%s has JSON webhooks but RADAR_WEBHOOK_SECRET is empty; not sending them unsigned", service.slug)
        json_urls = []
    slack_urls = dict.fromkeys((*settings.RADAR_SLACK_WEBHOOK_URLS, *service.slack_webhooks))
    return [(url, "json") for url in json_urls] + [(url, "slack") for url in slack_urls]


def notify(queue_redis, settings: Settings, service: Service, incident: dict, event: str) -> int:
    """Enqueue one delivery job per receiver; the number enqueued, 0 (logged) when the queue fails."""
    if event not in EVENTS:
        raise ValueError(f"unknown alert event '{event}' (one of {', '.join(EVENTS)})")
    try:
        builders = {"json": json_payload, "slack": slack_payload}
        payloads: dict[str, dict] = {}
        jobs = []
        for url, kind in targets(settings, service):
            if kind not in payloads:
                payloads[kind] = builders[kind](service, incident, event, settings.RADAR_PUBLIC_URL)
            jobs.append(Queue.prepare_data(
                deliver, args=(url, kind, payloads[kind]), timeout=JOB_TIMEOUT,
                retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)),
                on_failure=Callback(_stop_retrying),
                # RQ shows and logs the description; the default one would print the secret URL.
                description=f"alert {event} {service.slug} {incident.get('id')} {kind} to {redact(url)}"))
        if jobs:
            Queue(keys.QUEUE, connection=queue_redis).enqueue_many(jobs)
        return len(jobs)
    except Exception:
        # An alert must never stop the evaluation that raised it; the incident is stored either way.
        log.exception("alerts for %s incident %s were not enqueued", service.slug, incident.get("id"))
        return 0


def _stop_retrying(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: a refused request fails at once instead of using up its retries."""
    if isinstance(exc_value, ReceiverRejected):
        job.retries_left = 0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would replay the POST as a GET without its body and report success."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _count(kind: str, outcome: str) -> None:
    job = get_current_job()
    if job is None:
        return
    try:
        stats.record_delivery(job.connection, kind, outcome)
    except redis.RedisError as exc:  # a failed tally must not make RQ post a delivered alert again
        log.warning("could not count a webhook delivery (%s %s): %s", kind, outcome, exc)


def deliver(url: str, kind: str, payload: dict) -> int:
    """RQ job: POST one alert; DeliveryError makes RQ retry, ReceiverRejected fails it at once."""
    try:
        status = _post(url, kind, payload)
    except ReceiverRejected:
        _count(kind, "rejected")
        raise
    except DeliveryError:
        _count(kind, "failed")
        raise
    _count(kind, "delivered")
    return status


def _post(url: str, kind: str, payload: dict) -> int:
    """POST one alert and return the receiver's status; raise as `deliver` documents."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if kind == "json":
        secret = Settings.from_env().RADAR_WEBHOOK_SECRET
        if not secret:
            raise ReceiverRejected("RADAR_WEBHOOK_SECRET is empty; a JSON webhook is never sent unsigned")
        timestamp = str(int(time.time()))
        headers.update({"X-Radar-Timestamp": timestamp, "X-Radar-Signature": sign(secret, timestamp, body)})
        job = get_current_job()
        if job is not None:
            # The job id stays the same across retries, so a receiver can drop a delivery it already has.
            headers["X-Radar-Delivery"] = job.id
    elif kind != "slack":
        raise ReceiverRejected(f"unknown webhook kind '{kind}'")
    target = redact(url)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=HTTP_TIMEOUT) as response:
            response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (OSError, http.client.HTTPException) as exc:
        # `from None`: the chained error's text could carry the full URL into RQ's failure record.
        raise DeliveryError(f"{target} unreachable: {getattr(exc, 'reason', None) or type(exc).__name__}") from None
    if 200 <= status < 300:
        log.info("%s alert delivered to %s (%s)", kind, target, status)
        return status
    if status < 500 and status not in RETRIED_4XX:
        raise ReceiverRejected(f"{target} answered {status}; not retried")
    raise DeliveryError(f"{target} answered {status}; will retry")
