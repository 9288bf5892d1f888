"""The services catalog: which services can be reported, read from a TOML file."""
from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field

from .exceptions import CatalogError, UnknownService

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
CATEGORY_LENGTH = 40
"""The longest category name: it is a heading on the home page, read on a phone."""


@dataclass(frozen=True)
class Service:
    """One reportable service."""

    slug: str
    name: str
    aliases: tuple[str, ...] = ()
    status_page: str | None = None
    statuspage_api: str | None = None
    webhooks: tuple[str, ...] = ()
    slack_webhooks: tuple[str, ...] = ()
    category: str | None = None

    def to_dict(self) -> dict:
        """The public view: webhook URLs are secrets of the operator and stay out of it."""
        return {"slug": self.slug, "name": self.name, "aliases": list(self.aliases), "status_page": self.status_page}


@dataclass(frozen=True)
class Catalog:
    """The services in file order, looked up by slug or alias."""

    services: tuple[Service, ...]
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        index = {}
        for service in self.services:
            for name in (service.slug, *service.aliases):
                if name in index:
                    raise CatalogError(f"'{name}' names both '{index[name].slug}' and '{service.slug}'")
                index[name] = service
        object.__setattr__(self, "_index", index)

    def __iter__(self):
        return iter(self.services)

    def exact(self, name: str) -> Service | None:
        """The service whose slug or alias is `name` as it stands (lowercase, unpadded); None otherwise."""
        return self._index.get(name)

    @property
    def slugs(self) -> list[str]:
        return [s.slug for s in self.services]

    def get(self, name: str, field: str | None = None) -> Service:
        """The service called `name` (slug or alias, any case); UnknownService names the closest slugs."""
        service = self._index.get(name.strip().lower())
        if service is not None:
            return service
        close = difflib.get_close_matches(name.strip().lower(), list(self._index), n=3, cutoff=0.5)
        hint = ", ".join(dict.fromkeys(self._index[c].slug for c in close)) or ", ".join(self.slugs)
        label = "did you mean" if close else "known"
        raise UnknownService(f"unknown service '{name}' — {label}: {hint}", field=field)


def _strings(entry: dict, name: str, slug: str, path: str) -> tuple[str, ...]:
    values = entry.get(name, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise CatalogError(f"service '{slug}' in {path}: {name} must be a list of strings")
    if name != "aliases" and not all(v.startswith(("http://", "https://")) for v in values):
        raise CatalogError(f"service '{slug}' in {path}: {name} must be http:// or https:// URLs")
    return tuple(values)


def _url(entry: dict, name: str, slug: str, path: str) -> str | None:
    """An optional http(s) URL: the status page is rendered as a link (a javascript: URL would run)."""
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise CatalogError(f"service '{slug}' in {path}: {name} must be an http:// or https:// URL")
    return value


def _category(entry: dict, slug: str, path: str) -> str | None:
    """The optional category the home page groups services under: a short, non-empty name."""
    value = entry.get("category")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > CATEGORY_LENGTH:
        raise CatalogError(f"service '{slug}' in {path}: category must be a non-empty string of at most "
                           f"{CATEGORY_LENGTH} characters, like \"Developer tools\"")
    return value.strip()


def _polled_url(entry: dict, slug: str, path: str, allow_http: bool) -> str | None:
    """The optional statuspage_api: polled, so https only unless plain http is allowed (the poller refuses it too)."""
    value = _url(entry, "statuspage_api", slug, path)
    if value is not None and not allow_http and not value.startswith("https://"):
        raise CatalogError(f"service '{slug}' in {path}: statuspage_api must be an https:// URL "
                           "(http:// only with RADAR_STATUSPAGE_ALLOW_HTTP=1)")
    return value


def load_catalog(path: str, allow_http: bool = False) -> Catalog:
    """Read and check a catalog file, http:// status page APIs only if `allow_http`; CatalogError says what is wrong
    and where."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise CatalogError(f"services file {path} does not exist (RADAR_SERVICES_FILE)") from None
    except OSError as exc:
        raise CatalogError(f"services file {path} cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"services file {path} is not valid TOML: {exc}") from None
    entries = data.get("service")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"services file {path} has no [[service]] tables")
    services = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise CatalogError(f"service #{number} in {path} must be a [[service]] table")
        slug = entry.get("slug")
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise CatalogError(f"service #{number} in {path}: slug {slug!r} must be lowercase letters, digits, dashes")
        aliases, webhooks, slack = (_strings(entry, name, slug, path) for name in ("aliases", "webhooks",
                                                                                     "slack_webhooks"))
        services.append(Service(
            slug=slug,
            name=str(entry.get("name", slug)),
            aliases=tuple(a.lower() for a in aliases),
            status_page=_url(entry, "status_page", slug, path),
            statuspage_api=_polled_url(entry, slug, path, allow_http),
            webhooks=webhooks,
            slack_webhooks=slack,
            category=_category(entry, slug, path),
        ))
    try:
        return Catalog(tuple(services))
    except CatalogError as exc:
        raise CatalogError(f"services file {path}: {exc.message}") from None
