"""The baselines: a bare Flask app whose one endpoint parses the same JSON and does one XADD (ingest), and a
constant HTML page of BENCH_PAGE_BYTES bytes (public)."""
import os
from types import SimpleNamespace

import redis
from flask import Flask, jsonify, request

from aggregator.base.settings import Settings

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
# The project's shedding worker reads its budgets from here, so the page can be served exactly as `web` serves.
app.extensions["radar"] = SimpleNamespace(settings=Settings.from_env())
_HEAD, _TAIL = b"<!doctype html><html lang=en><title>Bare</title><p>", b"</p></html>\n"
PAGE = _HEAD + b"x" * max(0, int(os.environ.get("BENCH_PAGE_BYTES", "4096")) - len(_HEAD) - len(_TAIL)) + _TAIL


@app.post("/api/v1/reports")
def report():
    body = request.get_json()
    entry_id = store.xadd("bench:intake", {"service": body["service"], "surface": body["surface"]})
    return jsonify({"id": entry_id}), 202


@app.get("/page")
def page():
    return PAGE, 200, {"Content-Type": "text/html; charset=utf-8"}


@app.get("/")
def ready():
    return "ok"
