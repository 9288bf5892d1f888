"""Synthetic reports for a running server: a rate, a count, a surface mix and a region mix."""
from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

# IPv6 /32 networks of home-line providers that the GeoLite2 database places in each country. Each simulated
# reporter gets a /64 of its own inside one, as a household does: a counted report stands for one network.
COUNTRY_PREFIXES = {
    "US": "2600:1700", "GB": "2a00:23c0", "DE": "2a02:8100", "FR": "2a01:cb00", "IN": "2401:4900",
    "BR": "2804:14c", "JP": "240b:10", "CA": "2607:fea8", "AU": "2001:8003", "NL": "2a02:a440",
}


@dataclass(frozen=True)
class Mix:
    """Weighted choices such as website=62,desktop=15."""

    names: tuple[str, ...]
    weights: tuple[float, ...]

    @classmethod
    def parse(cls, text: str, what: str) -> "Mix":
        names, weights = [], []
        for part in text.split(","):
            name, sep, weight = part.strip().partition("=")
            try:
                value = float(weight) if sep else 1.0
            except ValueError:
                value = -1.0
            if not name or value < 0:
                raise ValueError(f"--{what}: '{part}' should look like name=weight")
            names.append(name)
            weights.append(value)
        if not sum(weights):
            raise ValueError(f"--{what}: the weights add up to zero")
        return cls(tuple(names), tuple(weights))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.names, self.weights)[0]


@dataclass
class Result:
    """What a simulation sent and how the server answered."""

    sent: int = 0
    counted: int = 0
    deduped: int = 0
    failed: int = 0
    retried: int = 0
    """Sends repeated after a 503 with Retry-After."""
    resent: int = 0
    """Sends repeated on a new connection: the server had closed the kept-alive one before they reached it."""
    shown: int | None = None
    """Reports the service counted from the simulation's start until the end check (None: not read)."""


# How a request on a kept-alive connection fails when the server closed that connection while it was idle:
# the request never reached the server, so sending it again on a new connection cannot count it twice.
_CLOSED_WHILE_IDLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                      ConnectionAbortedError)


RETRIES = 5


def _retry_after(header: str | None) -> float:
    try:
        seconds = float(header or 1)
    except ValueError:
        return 1.0
    return min(seconds, 30.0) if seconds >= 0 else 1.0


def _address(country: str, rng: random.Random) -> str:
    prefix = COUNTRY_PREFIXES.get(country.upper())
    if prefix is None:
        raise ValueError(f"--regions: no sample addresses for '{country}' — known: {', '.join(COUNTRY_PREFIXES)}")
    return f"{prefix}:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::1"


def _get_json(base, path: str) -> dict:
    conn = http.client.HTTPConnection(base.hostname, base.port or 80, timeout=10)
    try:
        for _ in range(RETRIES):
            conn.request("GET", path)
            response = conn.getresponse()
            answer = json.loads(response.read())
            # The end check polls several times a second and may meet the server's read limit on a slow drain.
            if response.status != 429:
                break
            time.sleep(_retry_after(response.getheader("Retry-After")))
        return answer
    finally:
        conn.close()


# The series API returns at most 2880 buckets: a long simulation is checked in wider ones.
BUCKETS = (("1m", 60, "minutes"), ("15m", 900, "quarter-hours"), ("1h", 3600, "hours"))
MOST_BUCKETS = 2880
END_WAIT = 30.0
"""Seconds the end check waits for the service's counts to show every counted report."""


def _buckets(base, service: str, resolution: str, since: str | None = None) -> list[dict]:
    """The service's buckets from `since` (one of their times) to now; without it, the latest ones."""
    path = f"/api/v1/services/{quote(service)}/series?resolution={resolution}"
    answer = _get_json(base, path + (f"&from={quote(since)}" if since else ""))
    if "error" in answer:
        raise ValueError(answer["error"]["message"])
    return answer["buckets"]


def run_simulation(url: str, service: str, count: int, rate: float, surfaces: Mix, regions: Mix,
                   concurrency: int, echo=print, seed: int | None = None) -> Result:
    """Send `count` reports at about `rate` per second, then wait until the service's counts show them."""
    base = urlsplit(url)
    for country in regions.names:
        _address(country, random.Random())
    # Fixed buckets from the one the simulation starts in: a sliding window ("the last hour") would also
    # lose older reports while it runs. What the first held before the start is not the simulation's.
    planned = count / rate + END_WAIT
    resolution, _, unit = next((b for b in BUCKETS if planned < (MOST_BUCKETS - 2) * b[1]), BUCKETS[-1])
    first = _buckets(base, service, resolution)[-1]
    result, lock = Result(), threading.Lock()
    started = time.monotonic()
    tickets = iter(range(count))

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(base.hostname, base.port or 80, timeout=30)

    def sender(worker: int):
        rng = random.Random(None if seed is None else seed + worker)
        conn = connect()
        for n in tickets:
            # Open loop: report n is due at n / rate seconds, whether or not earlier ones were answered.
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            body = {"service": service, "surface": surfaces.pick(rng)}
            headers = {"Content-Type": "application/json", "User-Agent": f"radar-simulate/{worker}-{n}",
                       "X-Forwarded-For": _address(regions.pick(rng), rng)}
            for attempt in range(RETRIES + 1):
                try:
                    reused = conn.sock is not None  # http.client drops the socket when either side closes
                    try:
                        conn.request("POST", "/api/v1/reports", json.dumps(body), headers)
                        response = conn.getresponse()
                    except _CLOSED_WHILE_IDLE:
                        if not reused:
                            raise
                        conn.close()
                        conn = connect()
                        with lock:
                            result.resent += 1
                        conn.request("POST", "/api/v1/reports", json.dumps(body), headers)
                        response = conn.getresponse()
                    answer = json.loads(response.read())
                    ok = response.status == 202
                except (OSError, http.client.HTTPException, ValueError):
                    conn.close()
                    conn = connect()
                    ok, answer = False, {}
                    break
                if response.status != 503 or attempt == RETRIES:
                    break
                # A 503 means the report was not stored: send it again when the server says to.
                time.sleep(_retry_after(response.getheader("Retry-After")))
                with lock:
                    result.retried += 1
            with lock:
                result.sent += 1
                if not ok:
                    result.failed += 1
                elif answer.get("counted"):
                    result.counted += 1
                else:
                    result.deduped += 1
        conn.close()

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent_in = time.monotonic() - started
    echo(f"sent {result.sent} reports in {sent_in:.1f} s: {result.counted} counted, {result.deduped} deduped, "
         f"{result.failed} failed" + (f" ({result.retried} sends repeated after 503)" if result.retried else ""))
    what = f"the service's count for the {unit} since the simulation began"
    done = time.monotonic()
    while True:
        result.shown = sum(b["total"] for b in _buckets(base, service, resolution, first["time"])) - first["total"]
        if result.shown >= result.counted:
            others = result.shown - result.counted
            echo(f"{what} rose by {result.shown}: all {result.counted} counted reports it sent"
                 + (f" and {others} from elsewhere" if others else "")
                 + f", {time.monotonic() - done:.2f} s after the last was sent")
            break
        if time.monotonic() - done > END_WAIT:
            echo(f"after {END_WAIT:.0f} s {what} had risen by {result.shown}, short of the {result.counted} "
                 f"counted reports it sent")
            break
        time.sleep(0.2)
    return result
