"""Reporter identity for dedupe: a keyed hash of address and browser, with a key that changes daily."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timezone

from workers import keys

SALT_TTL = 2 * 86400
"""A day's key outlives its day by one more, then is gone: nobody can link hashes across days after that."""


REFRESH_SECONDS = 60
"""How long a process trusts its copy of the day's key; if Redis lost it, every process agrees again soon."""


class Reporters:
    """Makes reporter hashes; the day's random key lives in Redis so every web process agrees on it."""

    def __init__(self, redis):
        self._redis = redis
        self._day = ""
        self._key = b""
        self._fetched = float("-inf")
        self._day_number, self._day_name = None, ""

    def _key_for(self, day: str, now: float) -> bytes:
        if day != self._day or now - self._fetched > REFRESH_SECONDS:
            name = keys.daily_salt(day)
            self._redis.set(name, secrets.token_hex(32), nx=True, ex=SALT_TTL)
            self._key = bytes.fromhex(self._redis.get(name))
            self._day, self._fetched = day, now
        return self._key

    def _digest(self, text: str, now: float) -> str:
        if now // 86400 != self._day_number:  # formatting the date for every report cost more than the hash
            self._day_number = now // 86400
            self._day_name = datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%d")
        return hmac.new(self._key_for(self._day_name, now), text.encode(), hashlib.sha256).hexdigest()[:32]

    def reporter(self, address: str, user_agent: str, now: float) -> str:
        """The opaque id of a reporter for today; the address itself is never stored."""
        return self._digest(f"{address}\0{user_agent}", now)

    def client_key(self, address: str, now: float) -> str:
        """The opaque id of a client address for today, for rate limits; unlike `reporter`, any browser."""
        return self._digest(f"limit\0{address}", now)
