"""Polling official status pages: conditional requests, a timeout, backoff on errors, one poll in flight per page."""
from __future__ import annotations

import http.client
import logging
import secrets
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from aggregator.base.times import iso

from . import keys, stats
from .deadline import Deadline
from .evaluate import RELEASE_LOCK
from .incidents import RETENTION
from .official import store_components, store_incidents
from .reach import PUBLIC_HTTPS, Reach, Refused
from .statuspage import StatuspageError, parse_components, parse_incidents

log = logging.getLogger(__name__)

FEEDS = (("incidents", "/api/v2/incidents.json"), ("summary", "/api/v2/summary.json"))
"""The two documents read from each page; the summary adds component statuses to the unresolved incidents."""

MAX_BYTES = 5 * 1024 * 1024
"""Largest answer read from a page; a real incidents.json is well under 1 MB."""

MAX_BACKOFF = 3600
"""Longest wait, in seconds, before a failing page is tried again."""

PARALLEL = 8
"""Pages polled at once, so one that hangs until its timeout does not hold up the others."""

_SLACK = 5  # seconds: the scheduler's runs drift a little, and a wait of one interval must not skip two


PUBLIC_ERROR = "the status page could not be read"
"""What the API shows of a poll that failed other than by timeout or garbage; the reason goes to the log only, since
socket errors, addresses and status codes would tell whoever steers a page what lies behind it."""


class PollError(Exception):
    """A page that could not be read: unreachable, refused, too slow, an HTTP error or an answer too large."""


class PollTimeout(PollError):
    """A page that did not send its whole answer in time."""


OUTCOMES = ("ok", "not_modified", "timeout", "error", "garbage")
"""What a poll that asked the page came to, as `radar_statuspage_polls_total` counts it: read and stored, both
documents unchanged since the last poll, too slow, unreachable or an HTTP error, not Statuspage JSON."""


@dataclass(frozen=True)
class Answer:
    """A page's answer: the body, or None when it is not modified since the validators were given."""

    body: bytes | None
    etag: str | None
    modified: str | None


def fetch(url: str, etag: str | None, modified: str | None, deadline: Deadline, reach: Reach = PUBLIC_HTTPS) -> Answer:
    """GET `url` conditionally (If-None-Match / If-Modified-Since) before `deadline`, within `reach`; PollError says
    why it failed."""
    headers = {"Accept": "application/json", "User-Agent": "OutageRadar (status page poller)"}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    late = PollTimeout(f"{url} timed out: no whole answer within {deadline.seconds:g} s")
    if deadline.over:
        raise late
    try:
        reach.check_url(url)
        with deadline.opener(reach).open(urllib.request.Request(url, headers=headers),
                                    timeout=deadline.remaining()) as response:
            body = response.read(MAX_BYTES + 1)
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 304:
            return Answer(None, etag, modified)
        raise PollError(f"{url} answered HTTP {exc.code}") from None
    except Refused as exc:
        raise PollError(f"refused: {exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        # A socket timeout at the end of the time left is the deadline too.
        if deadline.over:
            raise late from None
        reason = getattr(exc, "reason", None) or exc
        raise PollError(f"{url} could not be read: {reason}") from None
    # An answer without a length ends where the deadline shut the socket: cut short, not complete.
    if deadline.over:
        raise late
    if len(body) > MAX_BYTES:
        raise PollError(f"{url} sent more than {MAX_BYTES // 1024 // 1024} MB")
    return Answer(body, etag, modified)


def retry_at(now: float, failures: int, interval: int) -> float:
    """When a page that failed `failures` times in a row is next tried: the next run, then 1, 3, 7… runs later."""
    wait = min(interval * (2 ** (failures - 1) - 1), MAX_BACKOFF)
    return now + wait - _SLACK if wait else now


def _read(redis, slugs: list[str], base: str, state: dict, timeout: float, now: float,
          reach: Reach) -> tuple[dict, bool]:
    """Read both feeds, `timeout` seconds for the two, and store what changed; the validators for the next poll,
    and whether either feed had changed."""
    validators = {}
    with Deadline(timeout) as deadline:
        answers = [(name, fetch(base.rstrip("/") + path, state.get(f"etag:{name}"), state.get(f"modified:{name}"),
                                  deadline, reach)) for name, path in FEEDS]
    for name, answer in answers:
        if answer.body is not None:
            found = parse_incidents(answer.body)
            listed = parse_components(answer.body) if name == "summary" else None
            for slug in slugs:
                store_incidents(redis, slug, found, now)
                if listed is not None:
                    store_components(redis, slug, listed, now)
        validators.update({f"etag:{name}": answer.etag or "", f"modified:{name}": answer.modified or ""})
    return validators, any(answer.body is not None for _, answer in answers)


def _record(redis, slugs: list[str], fields: dict) -> None:
    with redis.pipeline(transaction=False) as pipe:
        for slug in slugs:
            pipe.hset(keys.official_poll(slug), mapping=fields)
            pipe.expire(keys.official_poll(slug), RETENTION)
        pipe.execute()


def _failure(exc: Exception) -> str:
    if isinstance(exc, PollTimeout):
        return "timeout"
    return "garbage" if isinstance(exc, StatuspageError) else "error"


def _public(exc: Exception) -> str:
    return str(exc) if isinstance(exc, (PollTimeout, StatuspageError)) else PUBLIC_ERROR


def poll_page(redis, slugs: list[str], base: str, interval: int, timeout: float, now: float,
              reach: Reach = PUBLIC_HTTPS) -> str:
    """Poll one page for the services naming it, unless it is backing off (`waiting`) or being polled (`busy`);
    else the poll's outcome, one of OUTCOMES.

    The first service holds the page's lock and validators, so the page is asked once whoever else names it.
    """
    slug = slugs[0]
    state = redis.hgetall(keys.official_poll(slug))
    if float(state.get("retry_at") or 0) > now:
        return "waiting"
    token = secrets.token_hex(8)
    # The requests take at most `timeout` in all, then parsing and storing; a dead poll frees the page by itself.
    if not redis.set(keys.official_polling(slug), token, nx=True, ex=int(timeout + 60)):
        return "busy"
    try:
        validators, changed = _read(redis, slugs, base, state, timeout, now, reach)
    except (PollError, StatuspageError) as exc:
        failures = int(state.get("failures") or 0) + 1
        # Server addresses, not clients': the log filter that hides addresses leaves this line whole.
        log.warning("status page %s of %s: %s (failure %d in a row)", base, ", ".join(slugs), exc, failures,
                    extra={"server_addresses": True})
        _record(redis, slugs, {"failures": failures, "error": _public(exc), "polled_at": now,
                              "retry_at": retry_at(now, failures, interval)})
        outcome = _failure(exc)
    else:
        _record(redis, slugs, {"failures": 0, "error": "", "polled_at": now, "ok_at": now, "retry_at": 0,
                               **validators})
        outcome = "ok" if changed else "not_modified"
    finally:
        redis.register_script(RELEASE_LOCK)(keys=[keys.official_polling(slug)], args=[token])
    stats.record_poll(redis, base, outcome)
    return outcome


def poll_pages(redis, services, interval: int, timeout: float, now: float,
               reach: Reach = PUBLIC_HTTPS) -> dict[str, str]:
    """Poll every page named as a Statuspage API, several at once; one page's trouble stays its own."""
    pages: dict[str, list[str]] = {}
    for service in services:
        if service.statuspage_api:
            pages.setdefault(service.statuspage_api, []).append(service.slug)

    def one(page: tuple[str, list[str]]) -> str:
        base, slugs = page
        try:
            return poll_page(redis, slugs, base, interval, timeout, now, reach)
        except Exception:  # a bug or a Redis error in one page's poll must not end the others' threads
            log.exception("polling the status page %s failed", base)
            return "error"

    if not pages:
        return {}
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(pages))) as pool:
        outcomes = dict(zip(pages, pool.map(one, pages.items())))
    return {slug: outcomes[base] for base, slugs in pages.items() for slug in slugs}


def poll_state(redis, slug: str) -> dict:
    """What the API shows of the last poll: when, when it last worked, and the error if it failed."""
    state = redis.hgetall(keys.official_poll(slug))
    return {"polled_at": iso(float(state["polled_at"])) if state.get("polled_at") else None,
            "ok_at": iso(float(state["ok_at"])) if state.get("ok_at") else None,
            "error": state.get("error") or None}
