"""Where a report came from — this site, the widget on another site, an API client — and what is refused."""
from __future__ import annotations

import json

import pytest

from aggregator.base.exceptions import CrossSite
from aggregator.origins import classify, embedding_host
from workers import keys
from workers.alerts import json_payload, slack_payload
from workers.buckets import Bucket
from workers.detect import State
from workers.incidents import observe, one_site, open_incident

from .helpers import CATALOG, NOW, post

OWN = ("http://127.0.0.1:8000", "http://localhost")
REPORT = {"service": "claude", "surface": "website"}
CROSS_SITE = {"Origin": "https://news.example", "Sec-Fetch-Site": "cross-site"}


def test_a_same_origin_post_is_the_sites_own_page():
    assert classify("http://localhost", "same-origin", "navigate", False, OWN) == "site"
    assert classify(None, "same-origin", "cors", True, OWN) == "site"
    assert classify("http://127.0.0.1:8000", None, None, False, OWN) == "site"


def test_a_request_no_page_sent_is_an_api_client():
    assert classify(None, None, None, True, OWN) == "api"
    assert classify(None, None, None, False, OWN) == "api"


def test_json_from_another_sites_page_is_the_widget_named_by_that_site():
    assert classify("https://News.Example", "cross-site", "cors", True, OWN) == "widget:news.example"
    assert classify("https://blog.example:8443", None, None, True, OWN) == "widget:blog.example"
    assert classify("null", "cross-site", "cors", True, OWN) == "widget:unknown"


@pytest.mark.parametrize("origin, site, mode, json_body", [
    ("https://news.example", "cross-site", "navigate", False),   # a form it submits
    ("https://news.example", "cross-site", "no-cors", False),    # fetch(..., {mode: 'no-cors'})
    ("https://news.example", "same-site", "navigate", False),
    ("https://news.example", None, None, False),                  # an older browser's form post
    (None, "cross-site", "navigate", False),
])
def test_another_sites_form_or_no_cors_post_is_refused(origin, site, mode, json_body):
    with pytest.raises(CrossSite) as refused:
        classify(origin, site, mode, json_body, OWN)
    assert refused.value.status == 403 and refused.value.field == "Origin"


def test_an_embedding_host_that_is_no_host_name_is_unknown():
    assert embedding_host("https://" + "a" * 120 + ".example") == "unknown"
    assert embedding_host("https://exa mple") == "unknown"
    assert embedding_host("https://shop.example.co.uk") == "shop.example.co.uk"


def test_another_sites_form_gets_403_cross_site_and_stores_nothing(client, data):
    answer = client.post("/api/v1/reports", data=REPORT, headers={**CROSS_SITE, "Sec-Fetch-Mode": "navigate",
                                                                    "Accept": "application/json"})
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "cross_site"
    assert data.xlen(keys.intake("claude")) == 0


def test_another_sites_form_sent_by_a_browser_gets_an_html_page(client, data):
    answer = client.post("/api/v1/reports", data=REPORT, headers={
        **CROSS_SITE, "Sec-Fetch-Mode": "navigate", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert answer.status_code == 403 and answer.mimetype == "text/html"
    assert data.xlen(keys.intake("claude")) == 0


def test_the_widgets_report_is_counted_against_the_site_that_embeds_it(client, data, run_jobs):
    answer = post(client, REPORT, headers={**CROSS_SITE, "Sec-Fetch-Mode": "cors"})
    assert answer.status_code == 202
    [(_, fields)] = data.xrange(keys.intake("claude"))
    assert fields["origin"] == "widget:news.example"
    run_jobs()
    minute = data.hgetall(keys.bucket("claude", keys.MINUTE, keys.MINUTE.index(NOW)))
    assert minute["o:widget"] == "1" and minute["w:news.example"] == "1"


def test_the_summary_shows_where_reports_came_from(client, run_jobs):
    post(client, REPORT, ua="a", headers={**CROSS_SITE, "Sec-Fetch-Mode": "cors"})
    post(client, REPORT, ua="b", headers={**CROSS_SITE, "Sec-Fetch-Mode": "cors"})
    post(client, REPORT, ua="c", headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    post(client, REPORT, ua="d")
    run_jobs()
    summary = client.get("/api/v1/services/claude/summary?window=1h").get_json()
    assert summary["origins"]["counts"] == {"widget": 2, "site": 1, "api": 1}
    assert summary["origins"]["percent"] == {"widget": 50.0, "api": 25.0, "site": 25.0}
    assert summary["top_embedders"] == [{"host": "news.example", "count": 2, "percent": 100.0}]


def test_an_incident_names_the_site_whose_widget_sent_most_of_the_excess():
    bucket = Bucket(start=0, total=40, origins={"widget": 35, "api": 5}, embedders={"news.example": 30, "b.example": 5})
    assert one_site(bucket, 40, 4) == "news.example"
    incident = open_incident("claude", None, State.OUTAGE, 0, 60)
    observe(incident, bucket, 40, 4)
    assert incident["mostly_from_site"] == "news.example"
    assert incident["origins_at_peak"] == {"widget": 87.5, "api": 12.5}


def test_no_site_is_named_when_none_sent_most_of_the_excess():
    assert one_site(Bucket(start=0, embedders={"a.example": 10, "b.example": 10}), 40, 4) is None
    assert one_site(Bucket(start=0, embedders={"a.example": 10}), 4, 4) is None
    assert one_site(Bucket(start=0), 40, 4) is None


def test_an_alert_says_when_one_site_sent_most_of_the_excess():
    incident = {**open_incident("claude", None, State.OUTAGE, 0, 60), "mostly_from_site": "news.example",
                "origins_at_peak": {"widget": 90.0, "api": 10.0}}
    service = CATALOG.get("claude")
    text = json.dumps(slack_payload(service, incident, "opened", "http://radar.example"))
    assert "news.example" in text and "Sent from" in text
    assert json_payload(service, incident, "opened", "http://radar.example")["mostly_from_site"] == "news.example"
