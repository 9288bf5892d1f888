"""Where a report comes from: the client's address behind trusted proxies, and its region."""
from __future__ import annotations

import ipaddress
import logging
import os
import socket
import time

from workers.buckets import COUNTRY, UNKNOWN

log = logging.getLogger(__name__)

# Codes CDNs send when they do not know the country (Cloudflare: XX unknown, T1 Tor).
_NOT_A_COUNTRY = {"XX", "T1", "A1", "A2", "O1", "EU", "AP"}
_MAPPED = bytes(10) + b"\xff\xff"
"""The first 12 bytes of an IPv4-mapped IPv6 address (::ffff:a.b.c.d)."""


def canonical(raw: str | None) -> str | None:
    """One spelling per address: port, brackets and zone dropped, IPv4-mapped IPv6 unwrapped; None if no address.

    Without it `1.2.3.4:5555` (a balancer appending the port) or `::ffff:1.2.3.4` would be new reporters.
    """
    text = raw or ""
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # an IPv4 address with a port; IPv6 has at least two colons
        text = text.partition(":")[0]
    address = packed(text.partition("%")[0])
    return None if address is None else spelled(address)


def unmapped(address: bytes) -> bytes:
    """A packed address, an IPv4-mapped IPv6 one as the IPv4 address it maps."""
    return address[12:] if len(address) == 16 and address[:12] == _MAPPED else address


def spelled(address: bytes) -> str:
    """The canonical text of a packed address (`packed`), unmapped."""
    address = unmapped(address)
    return socket.inet_ntop(socket.AF_INET if len(address) == 4 else socket.AF_INET6, address)


def network(address: str) -> str:
    """What one allowance of counted reports covers: an IPv4 address, or the /64 of an IPv6 one.

    A home line gets a whole /64 and can pick any address in it, so an IPv6 address alone is no person.
    """
    if ":" not in address:
        return address
    return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, address)[:8] + bytes(8)) + "/64"


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: tuple) -> str:
    """The client's canonical address: X-Forwarded-For is walked from the right only through trusted proxies.

    A hop that is no address (`unknown`, an obfuscated RFC 7239 name) ends the walk at the proxy that wrote it:
    what stands left of it is not vouched for, and each made-up name must not be a reporter of its own.
    """
    address = canonical(remote_addr) or ""
    if not forwarded_for or not _is_in(address, trusted):
        return address
    for raw in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        hop = canonical(raw)
        if hop is None:
            break
        address = hop
        if not _is_in(hop, trusted):
            break
    return address


def _is_in(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


RELOAD_CHECK_SECONDS = 300
"""How often a process looks whether the database file was replaced (geoipupdate runs every few days)."""

REMEMBERED_NETWORKS = 65536
"""Regions a process keeps per /24 (IPv4) or /48 (IPv6) network, under 10 MB; then it starts afresh.
Looking an address up in the City database costs some 55 µs; a remembered network's region about 1 µs."""


def packed(address: str) -> bytes | None:
    """An IPv4 or IPv6 address as its 4 or 16 bytes; None if it is not one (inet_pton: a fraction of
    ipaddress's time, which matters when a relay sends a thousand at once)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_pton(family, address)
        except (OSError, ValueError, UnicodeError):  # not an address; a NUL or lone surrogate in it
            pass
    return None


def _region_of(city) -> str:
    """'GB-ENG', 'US-WA', 'JP' or 'unknown' from a City answer: its country and most specific subdivision."""
    country = city.country.iso_code
    if not country:
        return UNKNOWN
    subdivision = city.subdivisions.most_specific.iso_code
    return f"{country}-{subdivision}" if subdivision else country


class GeoLocator:
    """Region from a GeoIP2/GeoLite2 City database: 'GB-ENG', 'US-WA', 'JP', or 'unknown'."""

    def __init__(self, path: str, clock=time.monotonic):
        self._path, self._clock = path, clock
        # The reader and the regions remembered from it are one tuple, replaced whole on reload, so a region
        # found in the old file is never remembered for the new one.
        self._state, self._stamp = (self._open(), {}), self._modified()
        self._checked = clock()

    def _open(self):
        import geoip2.database
        reader = geoip2.database.Reader(self._path)
        kind = reader.metadata().database_type
        if "City" not in kind:  # reader.city() raises TypeError on every lookup in any other database
            reader.close()
            raise ValueError(f"{kind} is not a City database")
        return reader

    def _modified(self) -> tuple:
        info = os.stat(self._path)
        return info.st_mtime_ns, info.st_ino

    def _refresh(self) -> None:
        """Reopen the file when geoipupdate has replaced it; a half-written or broken one keeps the old data."""
        self._checked = self._clock()
        try:
            stamp = self._modified()
            if stamp != self._stamp:
                # The old reader is not closed: a lookup in another thread may still hold it, and it is
                # released with its last reference.
                self._state, self._stamp = (self._open(), {}), stamp
                log.info("GEOIP_DB %s reloaded", self._path)
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning("GEOIP_DB %s changed but cannot be read (%s); keeping the data loaded before", self._path,
                        exc)

    def region(self, address: str, address_bytes: bytes | None = None) -> str:
        """`address_bytes`: `packed(address)`, when the caller has it already."""
        if self._clock() - self._checked > RELOAD_CHECK_SECONDS:
            self._refresh()
        reader, remembered = self._state
        address_bytes = address_bytes or packed(address)
        # The first 24 bits of an IPv4 address, 48 of an IPv6 one.
        network = address_bytes[:3 if len(address_bytes) == 4 else 6] if address_bytes else None
        region = remembered.get(network)
        if region is not None:
            return region
        import geoip2.errors
        try:
            city = reader.city(address)
            region, found_in = _region_of(city), city.traits.network
        except geoip2.errors.AddressNotFoundError as exc:
            region, found_in = UNKNOWN, exc.network
        except ValueError:  # not an address, or IPv6 in an IPv4-only file
            return UNKNOWN
        except RuntimeError:  # maxminddb's InvalidDatabaseError: a corrupt file must not refuse the report
            log.warning("GEOIP_DB %s cannot be searched; region unknown", self._path)
            return UNKNOWN
        # Only a database network as wide as the remembered one or wider holds every address in it.
        if network is not None and found_in is not None and found_in.prefixlen <= len(network) * 8:
            if len(remembered) >= REMEMBERED_NETWORKS:
                remembered.clear()
            remembered[network] = region
        return region

    def close(self) -> None:
        self._state[0].close()


class NoLocator:
    """Stands in when no database is configured: every region is unknown."""

    def region(self, address: str, address_bytes: bytes | None = None) -> str:
        return UNKNOWN

    def close(self) -> None:
        pass


def open_locator(path: str):
    """A GeoLocator for `path`, or NoLocator (with a warning) when there is no usable file."""
    if not path:
        return NoLocator()
    try:
        return GeoLocator(path)
    except (OSError, ValueError, RuntimeError) as exc:  # maxminddb's InvalidDatabaseError is a RuntimeError
        log.warning("GEOIP_DB %s cannot be read (%s); every region will be 'unknown'", path, exc)
        return NoLocator()


def region_for(locator, address: str, cdn_country: str | None) -> str:
    """A trusted CDN's country header wins; else the database; else 'unknown'."""
    if cdn_country:
        code = cdn_country.strip().upper()
        if COUNTRY.fullmatch(code) and code not in _NOT_A_COUNTRY:
            return code
    return locator.region(address)
