"""The Flask app factory and the services it binds: settings, catalog, Redis clients, locator."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import redis
from flask import Flask, current_app
from flask.json.provider import DefaultJSONProvider

from .catalog import Catalog, load_catalog
from .geo import open_locator
from .identity import Reporters
from .ratelimit import Window, parse
from .settings import Settings
from .stores import data_client, queue_client

MAX_BODY_BYTES = 4096


@dataclass
class Radar:
    """Everything a request needs, made once per app."""

    settings: Settings
    catalog: Catalog
    data: redis.Redis
    queue: redis.Redis
    locator: object
    reporters: Reporters
    limits: tuple[Window, ...] = ()
    """RADAR_REPORT_RATE_LIMIT's windows."""
    clock: Callable[[], float] = field(default=time.time)


def radar() -> Radar:
    """The Radar of the app handling the current request."""
    return current_app.extensions["radar"]


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, but a body nested too deeply for the parser is malformed JSON (a 400), not a 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def build_app(config: dict | None = None) -> Flask:
    settings = Settings.from_env(**(config or {}))
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    data = data_client(settings)
    app.extensions["radar"] = Radar(
        settings=settings,
        catalog=load_catalog(settings.RADAR_SERVICES_FILE),
        data=data,
        queue=queue_client(settings),
        locator=open_locator(settings.GEOIP_DB),
        reporters=Reporters(data),
        limits=parse(settings.RADAR_REPORT_RATE_LIMIT),
    )

    from . import admin, api, apidocs, catalog_sync, errors, health, logs, metrics, pages, relay, security
    from . import official_api, status_api
    logs.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
    security.init_app(app)
    catalog_sync.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(relay.bp)
    app.register_blueprint(status_api.bp)
    app.register_blueprint(official_api.bp)
    app.register_blueprint(apidocs.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(pages.bp)
    from .embed import bp as embed
    app.register_blueprint(embed)
    from dashboards.views import bp as dashboard
    app.register_blueprint(dashboard)
    from .fastpath import ReportFastPath
    app.wsgi_app = ReportFastPath(app)
    return app
