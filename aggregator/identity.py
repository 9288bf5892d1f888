"""Reporter identity for dedupe: a keyed hash of address and browser, with a key that changes daily."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from typing import Callable

import redis

from workers import keys

SALT_TTL = 2 * 86400
"""A day's key outlives its day by one more, then is gone: nobody can link hashes across days after that."""


REFRESH_SECONDS = 60
"""How long a process trusts its copy of the day's key; if Redis lost it, every process agrees again soon."""


BLOCK = 64
"""SHA-256's block size in bytes, which HMAC pads its key to."""


def keyed_sha256(key: bytes) -> tuple:
    """HMAC-SHA256 (RFC 2104) with `key` already absorbed: its inner and outer hashes, copied per message.

    hmac.new sets both up from the key for every message, which cost more than hashing the message itself.
    """
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def hmac_hex(keyed: tuple, message: bytes) -> str:
    """The hex HMAC of `message` under the key `keyed_sha256` absorbed."""
    inner, outer = keyed[0].copy(), keyed[1].copy()
    inner.update(message)
    outer.update(inner.digest())
    return outer.hexdigest()


def _opaque(keyed: tuple, text: str) -> str:
    """The opaque id of `text` under the day's key: 128 bits of its HMAC, as hex."""
    return hmac_hex(keyed, text.encode())[:32]


class Reporters:
    """Makes reporter hashes; the day's random key lives in Redis so every web process agrees on it."""

    def __init__(self, redis):
        self._redis = redis
        # Each cache is one tuple, replaced whole: a thread reads a day together with its own key, never
        # one day's name with another day's key while a second thread is crossing midnight.
        self._cached: tuple[str, tuple, float] = ("", (), float("-inf"))
        self._today: tuple[float | None, str] = (None, "")

    def _key_for(self, day: str, now: float) -> tuple:
        cached_day, keyed, fetched = self._cached
        if day != cached_day or now - fetched > REFRESH_SECONDS:
            name = keys.daily_salt(day)
            try:
                self._redis.set(name, secrets.token_hex(32), nx=True, ex=SALT_TTL)
                keyed = keyed_sha256(bytes.fromhex(self._redis.get(name)))
            except redis.RedisError:
                # On a Redis Cluster the key lives on one master: while that one is away, today's copy keeps
                # the services on the other masters taking reports. Asked again after the same interval.
                if day != cached_day:
                    raise
            self._cached = (day, keyed, now)
        return keyed

    def _keyed(self, now: float) -> tuple:
        number, day = self._today
        if now // 86400 != number:  # formatting the date for every report cost more than the hash
            number, day = now // 86400, datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%d")
            self._today = (number, day)
        return self._key_for(day, now)

    def _digest(self, text: str, now: float) -> str:
        return _opaque(self._keyed(now), text)

    def reporter(self, address: str, user_agent: str, now: float) -> str:
        """The opaque id of a reporter for today; the address itself is never stored."""
        return self.reporters_at(now)(address, user_agent)

    def reporters_at(self, now: float) -> Callable[[str, str], str]:
        """`reporter` for many reports made at `now`, with the day's key found once."""
        keyed = self._keyed(now)
        return lambda address, user_agent: _opaque(keyed, f"{address}\0{user_agent}")

    def networks_at(self, now: float) -> Callable[[str], str]:
        """The opaque id of a network (`geo.network`) for today, for the allowance of counted reports it has."""
        keyed = self._keyed(now)
        return lambda network: _opaque(keyed, f"net\0{network}")

    def proof(self, text: str, now: float) -> str:
        """A tag of `text` that only a holder of today's key can make: what the server itself said today."""
        return self._digest(f"proof\0{text}", now)

    def client_key(self, address: str, now: float) -> str:
        """The opaque id of a client address for today, for rate limits; unlike `reporter`, any browser."""
        return self._digest(f"limit\0{address}", now)
