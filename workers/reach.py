"""What the status page poller may connect to: https, public addresses, and redirects that stay on the page's host.

A catalog page is a URL that someone else answers for; without these limits its redirects or its DNS could make
the poller knock on internal hosts and ports, and what came back would tell which ones are open.
"""
from __future__ import annotations

import ipaddress
import socket
import urllib.parse
import urllib.request
from dataclasses import dataclass

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """A URL, redirect or address the poller does not connect to; the message says which and why."""


@dataclass(frozen=True)
class Reach:
    """Whether plain http and non-public addresses are allowed (both off: public https only)."""

    allow_http: bool = False
    allow_private: bool = False

    @classmethod
    def of(cls, settings) -> Reach:
        return cls(settings.RADAR_STATUSPAGE_ALLOW_HTTP, settings.RADAR_STATUSPAGE_ALLOW_PRIVATE)

    def check_url(self, url: str) -> None:
        """Refused unless `url` is https, or http while that is allowed."""
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme != "https" and not (scheme == "http" and self.allow_http):
            allowed = "http:// or https://" if self.allow_http else "https:// (RADAR_STATUSPAGE_ALLOW_HTTP is off)"
            raise Refused(f"{url} is not polled: only {allowed}")

    def connect(self, address: tuple[str, int], timeout: float | None = None, source_address=None) -> socket.socket:
        """A socket connected to `address`, its host resolved once and every address checked before any is tried.

        Resolving once matters: a name that answered a public address to the check could answer a private one
        to a second lookup.
        """
        host, port = address
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        if not self.allow_private:
            for *_, sockaddr in found:
                ip = ipaddress.ip_address(sockaddr[0])
                if not public(ip):
                    raise Refused(f"{host} resolves to {ip}, which is not a public address "
                                  "(RADAR_STATUSPAGE_ALLOW_PRIVATE is off)")
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in found:
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is None or isinstance(timeout, (int, float)):  # else http.client's "no timeout given"
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError(f"{host} resolves to no address")


PUBLIC_HTTPS = Reach()
"""The default: https to public addresses, nothing else."""


def public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `ip` is on the public internet: not private, loopback, link-local, shared, multicast or reserved."""
    if ip.version == 6:
        # An IPv6 address that carries an IPv4 one reaches that one, so it is that one that counts.
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None:
            return public(embedded)
        if ip.is_site_local:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


class SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same scheme, host and port: anywhere else is a refused poll."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        here, there = _origin(req.full_url), _origin(newurl)
        if there != here or there[2] is None:
            fp.close()
            raise Refused(f"{req.full_url} redirects ({code}) to {newurl}, off the page's own scheme, host and port")
        return super().redirect_request(req, fp, code, msg, headers, newurl)
