"""The Flask app factory: settings, catalog, Redis clients and locator bound, then every blueprint."""
from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from dashboards.views import bp as dashboard

from . import caching, catalog_sync, embed, errors, feeds, health, i18n, logs, metrics, pages, read_limit, security
from .api import admin, batch, comments, docs, official, reports, status
from .base.catalog import load_catalog
from .base.exceptions import SettingsError
from .base.ratelimit import parse
from .base.settings import SECRET_MISSING, Settings
from .base.stores import data_client, queue_client
from .geo import open_locator
from .identity import Reporters
from .radar import MAX_BODY_BYTES, Radar
from .serving.fastpath import ReportFastPath
from .snapshots import Snapshots


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, but a body nested too deeply for the parser is malformed JSON (a 400), not a 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def build_app(config: dict | None = None) -> Flask:
    """The web app, its settings read once from the environment with `config` winning over it."""
    settings = Settings.from_env(**(config or {}))
    if not settings.RADAR_SECRET:
        raise SettingsError(SECRET_MISSING)
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    data = data_client(settings)
    app.extensions["radar"] = Radar(
        settings=settings,
        catalog=load_catalog(settings.RADAR_SERVICES_FILE, allow_http=settings.RADAR_STATUSPAGE_ALLOW_HTTP),
        data=data,
        queue=queue_client(settings),
        locator=open_locator(settings.GEOIP_DB),
        reporters=Reporters(settings.RADAR_SECRET),
        limits=parse(settings.RADAR_REPORT_RATE_LIMIT),
        read_limits=parse(settings.RADAR_READ_RATE_LIMIT),
        snapshots=Snapshots(settings.RADAR_PAGE_SNAPSHOT_SECONDS),
    )

    logs.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
    security.init_app(app)
    catalog_sync.init_app(app)
    read_limit.init_app(app)
    caching.init_app(app)
    for blueprint in (health.bp, reports.bp, batch.bp, status.bp, official.bp, comments.bp, docs.bp, admin.bp,
                      feeds.bp, pages.bp, embed.bp, dashboard):
        app.register_blueprint(blueprint)
    app.wsgi_app = ReportFastPath(app)
    return app
