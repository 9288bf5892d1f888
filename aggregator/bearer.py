"""Bearer-token checks for the endpoints that settings open to a few: admin actions and relay batches."""
from __future__ import annotations

import hmac

from flask import request

from .base.exceptions import Disabled, Unauthorized


def require(tokens: tuple[str, ...], realm: str, setting: str, off: Disabled) -> None:
    """Pass if the request carries one of `tokens`; `off` when there are none, Unauthorized otherwise."""
    if not tokens:
        raise off
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compare_digest takes as long for a near miss as for a wild guess, and every token is compared, so the
    # answer's timing tells nothing about any of them.
    matches = [hmac.compare_digest(given.strip().encode(), token.encode()) for token in tokens]
    if scheme.lower() != "bearer" or not any(matches):
        raise Unauthorized(f"send the {realm} token as 'Authorization: Bearer <{setting}>'", realm=realm)
