import http.client
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from aggregator import metrics
from aggregator.serving.shedding import Shedding
from workers import keys

from .helpers import web_server

REPORT = json.dumps({"service": "claude", "surface": "website"}).encode()
PROBES = ("/healthz", "/metrics")


def _call(app, path="/api/v1/reports"):
    seen = {}
    body = b"".join(app({"PATH_INFO": path}, lambda status, headers: seen.update(
        status=status, headers=dict(headers))))
    return seen, body


def _ok(environ, start_response):
    start_response("202 Accepted", [])
    return [b"{}"]


def test_a_request_in_the_shedding_lane_is_answered_503_with_retry_after_and_counted_as_rejected():
    def rejected():
        return metrics.LOCAL.get_sample_value("radar_reports_rejected_total", {"code": "overloaded"}) or 0
    before = rejected()
    seen, body = _call(Shedding(_ok, lambda: True))
    assert seen["status"].startswith("503") and seen["headers"]["Retry-After"] == "5"
    assert seen["headers"]["Access-Control-Allow-Origin"] == "*"
    assert json.loads(body)["error"]["code"] == "overloaded"
    assert rejected() == before + 1


def test_a_request_in_the_work_lane_reaches_the_app():
    assert _call(Shedding(_ok, lambda: False))[0]["status"].startswith("202")


def test_health_probes_are_never_shed():
    assert _call(Shedding(_ok, lambda: True), "/healthz")[0]["status"].startswith("202")


def _get(base, path):
    try:
        with urllib.request.urlopen(f"{base}{path}", timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _post(base, n):
    request = urllib.request.Request(f"{base}/api/v1/reports", REPORT, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"shed-{n}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def _swamp(redis_server, tmp_path, budget_ms: str | None, requests: int = 80, probe_every: int = 0) -> list:
    """Answers to `requests` reports sent at once (every probe_every-th of them a probe instead)."""
    env = {} if budget_ms is None else {"RADAR_SHED_AFTER_MS": budget_ms}

    def send(base, n):
        if probe_every and n % probe_every == 0:
            return _get(base, PROBES[n // probe_every % len(PROBES)])
        return _post(base, n)
    with web_server(redis_server.url, tmp_path, **env) as base:
        with ThreadPoolExecutor(requests) as pool:
            return list(pool.map(lambda n: send(base, n), range(requests)))


def test_a_swamped_server_sheds_with_503_and_counts_every_accepted_report(redis_server, data, run_jobs, tmp_path):
    # A 1 ms budget with 8 threads and 80 requests at once: some must wait longer, some cannot.
    answers = _swamp(redis_server, tmp_path, "1")
    statuses = [status for status, _, _ in answers]
    assert set(statuses) == {202, 503}, statuses
    shed = [(headers, body) for status, headers, body in answers if status == 503]
    assert all(headers["Retry-After"] == "5" and body["error"]["code"] == "overloaded" for headers, body in shed)
    accepted = statuses.count(202)
    assert data.xlen(keys.intake("claude")) == accepted
    run_jobs()
    assert sum(int(data.hget(k, "total") or 0) for k in data.scan_iter("radar:{claude}:m:*")) == accepted


def test_a_budget_of_zero_never_sheds(redis_server, tmp_path):
    assert {status for status, _, _ in _swamp(redis_server, tmp_path, "0")} == {202}


def test_a_shed_report_is_answered_with_cors_and_the_connection_closed(redis_server, tmp_path):
    shed = [headers for status, headers, _ in _swamp(redis_server, tmp_path, "1") if status == 503]
    assert shed
    for headers in shed:
        assert headers["Access-Control-Allow-Origin"] == "*" and headers["Connection"] == "close"
        assert headers["Content-Type"] == "application/json" and headers["X-Content-Type-Options"] == "nosniff"


def test_probes_are_answered_while_reports_are_shed(redis_server, tmp_path):
    answers = _swamp(redis_server, tmp_path, "1", requests=120, probe_every=4)
    probes = [status for n, (status, _, _) in enumerate(answers) if n % 4 == 0]
    assert 503 in [status for n, (status, _, _) in enumerate(answers) if n % 4]
    assert set(probes) == {200}, probes


def test_a_modest_burst_is_not_shed_at_the_default_budget(redis_server, data, tmp_path):
    answers = _swamp(redis_server, tmp_path, None, requests=12)
    assert [status for status, _, _ in answers] == [202] * 12
    assert data.xlen(keys.intake("claude")) == 12


def _twice(base) -> list[tuple[int, str | None]]:
    """Two reports on one kept-alive connection: status, Connection header and whether it stayed open."""
    conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
    answers = []
    for n in range(2):
        conn.request("POST", "/api/v1/reports", REPORT, {"Content-Type": "application/json",
                                                         "User-Agent": f"twice-{id(conn)}-{n}"})
        response = conn.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Connection"), conn.sock is not None))
    conn.close()
    return answers


def test_a_refused_client_can_send_again_on_the_same_connection(redis_server, data, tmp_path):
    with web_server(redis_server.url, tmp_path, RADAR_SHED_AFTER_MS="1") as base:
        with ThreadPoolExecutor(40) as pool:
            answers = [a for pair in pool.map(lambda _: _twice(base), range(40)) for a in pair]
    kept = [open_after for status, connection, open_after in answers if status == 503 and connection != "close"]
    assert kept and all(kept)
    assert {status for status, _, _ in answers} <= {202, 503}
    assert data.xlen(keys.intake("claude")) == [status for status, _, _ in answers].count(202)
