"""Reporter identity for dedupe: a keyed hash of address and browser, with a key that changes daily.

The day's key is derived from RADAR_SECRET, which Redis never holds: with a key from Redis (or its append-only
file), a list of guessed addresses would find who reported."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .base.exceptions import SettingsError
from .base.settings import MIN_SECRET_LENGTH, SECRET_MISSING

SECRET_FILE = "secret"
"""The file in RADAR_VAR_DIR that holds the secret `run` makes when RADAR_SECRET is not set."""

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


def hkdf_sha256(secret: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869) with no salt: `length` bytes of key from `secret` for the purpose `info`."""
    prk = hmac.new(b"\0" * hashlib.sha256().digest_size, secret, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def day_key(secret: str, day: str) -> bytes:
    """The key of the UTC day `day` (YYYYMMDD): one day's hashes say nothing about another's."""
    return hkdf_sha256(secret.encode(), f"outage-radar reporter key {day}".encode())


class Reporters:
    """Makes reporter hashes under the day's key, which every process derives alike from the same secret."""

    def __init__(self, secret: str):
        if not secret:
            raise SettingsError(SECRET_MISSING)
        self._secret = secret
        # Each cache is one tuple, replaced whole: a thread reads a day together with its own key, never
        # one day's name with another day's key while a second thread is crossing midnight.
        self._cached: tuple[str, tuple] = ("", ())
        self._today: tuple[float | None, str] = (None, "")

    def _key_for(self, day: str) -> tuple:
        cached_day, keyed = self._cached
        if day != cached_day:
            keyed = keyed_sha256(day_key(self._secret, day))
            self._cached = (day, keyed)
        return keyed

    def _keyed(self, now: float) -> tuple:
        number, day = self._today
        if now // 86400 != number:  # formatting the date for every report cost more than the hash
            number, day = now // 86400, datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%d")
            self._today = (number, day)
        return self._key_for(day)

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


def read_local_secret(directory: str | Path) -> str:
    """The secret `run` keeps in `directory`, or "" when there is none."""
    try:
        return (Path(directory) / SECRET_FILE).read_text().strip()
    except FileNotFoundError:
        return ""


def local_secret(directory: str | Path) -> str:
    """The secret `run` keeps in `directory`: made once, readable by its owner only, then reused."""
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / SECRET_FILE
    if not path.exists():
        # Written whole under another name and linked into place: a crash leaves no half-written secret,
        # and of two starts at once, both end up with the one that was linked first.
        draft = directory / f".{SECRET_FILE}.{os.getpid()}"
        draft.unlink(missing_ok=True)
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink(missing_ok=True)
    secret = read_local_secret(directory)
    if len(secret) < MIN_SECRET_LENGTH:
        raise SettingsError(f"{path} holds no usable secret (fewer than {MIN_SECRET_LENGTH} characters); "
                            "delete it to have a new one made, or set RADAR_SECRET")
    return secret
