"""Named errors of the domain; the web layer turns each into one JSON shape."""
from __future__ import annotations

import math


class RadarError(Exception):
    """Base error: a short lowercase message a person can act on, the field it concerns, an HTTP status."""

    status = 400
    code = "bad_request"
    headers: dict[str, str] = {}

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class SettingsError(RadarError):
    """A setting in the environment has a value that cannot be used; start-up stops."""

    code = "bad_setting"


class CatalogError(RadarError):
    """The services catalog file is missing or malformed."""

    status = 422
    code = "bad_catalog"


class ValidationError(RadarError):
    """A request field is missing, of the wrong type or outside its allowed values."""

    code = "invalid"


class MalformedBody(RadarError):
    """The request body cannot be parsed."""

    code = "malformed_body"


class UnsupportedMediaType(RadarError):
    """The request body is neither JSON nor a form."""

    status = 415
    code = "unsupported_media_type"


class UnknownService(RadarError):
    """No service in the catalog has this slug or alias: 404 for a path, 400 for a body field."""

    code = "unknown_service"

    @property
    def status(self) -> int:
        return 400 if self.field else 404


class UnknownIncident(RadarError):
    """No stored incident has this id."""

    status = 404
    code = "unknown_incident"


class UnknownComment(RadarError):
    """No stored comment of the service has this id."""

    status = 404
    code = "unknown_comment"


class CommentsOff(RadarError):
    """The public comments were asked for while RADAR_COMMENTS_SHOWN is 0."""

    status = 404
    code = "comments_off"


class DataUnavailable(RadarError):
    """The data store cannot be reached right now."""

    status = 503
    code = "data_unavailable"


class StoreFull(DataUnavailable):
    """The data store is at its maxmemory and refuses writes; nothing of the request was stored."""

    code = "store_full"
    headers = {"Retry-After": "60"}


class Disabled(RadarError):
    """An endpoint that is off until a setting gives it a token."""

    status = 403
    code = "disabled"


class AdminDisabled(Disabled):
    """An admin endpoint was called while RADAR_ADMIN_TOKEN is empty."""

    code = "admin_disabled"


class CrossSite(RadarError):
    """A report posted by another site's page other than through the widget (a form, a `no-cors` fetch)."""

    status = 403
    code = "cross_site"

    def __init__(self, message: str):
        super().__init__(message, field="Origin")


class Unauthorized(RadarError):
    """A protected endpoint (admin, relay batches) was called without a right bearer token."""

    status = 401
    code = "unauthorized"

    def __init__(self, message: str, realm: str):
        super().__init__(message, field="Authorization")
        self.headers = {"WWW-Authenticate": f'Bearer realm="{realm}"'}


class Conflict(RadarError):
    """The request cannot be done in the thing's present state (closed already, busy being updated)."""

    status = 409
    code = "conflict"


class RateLimited(RadarError):
    """A client sent more reports to a service than RADAR_REPORT_RATE_LIMIT allows."""

    status = 429
    code = "rate_limited"

    def __init__(self, wait: float):
        seconds = max(1, math.ceil(wait))
        super().__init__(f"too many reports from your address — try again in {seconds} seconds")
        self.headers = {"Retry-After": str(seconds)}


class TooManyReads(RadarError):
    """A client made more reads than RADAR_READ_RATE_LIMIT allows."""

    status = 429
    code = "rate_limited"

    def __init__(self, wait: float):
        seconds = max(1, math.ceil(wait))
        super().__init__(f"too many requests from your address — try again in {seconds} seconds")
        self.headers = {"Retry-After": str(seconds)}
