"""The ingest baseline: a bare Flask app whose one endpoint parses the same JSON and does one XADD."""
import os

import redis
from flask import Flask, jsonify, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)


@app.post("/api/v1/reports")
def report():
    body = request.get_json()
    entry_id = store.xadd("bench:intake", {"service": body["service"], "surface": body["surface"]})
    return jsonify({"id": entry_id}), 202


@app.get("/")
def ready():
    return "ok"
