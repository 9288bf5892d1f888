"""The service page answers "is it down?" in one sentence that agrees with the status API."""
from __future__ import annotations

import html
import json
import re

import pytest

from aggregator.pages import answer
from workers import keys
from workers.evaluate import never_evaluated


def test_an_outage_says_since_when():
    said = answer("outage", "2026-11-26T12:03:00Z", 2431, 19.6)
    assert (said["state"], said["clock"], said["normal"]) == ("outage", "12:03 UTC", 20)


def test_a_degraded_service_says_since_when_too():
    said = answer("degraded", "2026-11-26T12:03:00Z", 40, 12)
    assert (said["state"], said["since"]) == ("degraded", "2026-11-26T12:03:00Z")


def test_an_ok_service_says_no_since():
    said = answer("ok", "2026-11-26T12:03:00Z", 3, None)
    assert (said["state"], said["since"], said["normal"]) == ("ok", None, None)
    assert answer("ok", None, 0, 0.2)["normal"] == 1, "normal is never said as zero"


def _status(data, slug, state, since):
    record = {**never_evaluated(slug), "state": state, "since": since, "evaluated_at": "2026-11-26T12:05:00Z"}
    data.set(keys.status(slug), json.dumps(record))


def _sentence(page: str) -> str:
    found = re.search(r'<p class="answer[^"]*" id="answer">(.*?)</p>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


@pytest.mark.parametrize("state, lead", [
    ("outage", "User reports indicate problems at Claude since 12:03 UTC"),
    ("degraded", "Possible problems at Claude since 12:03 UTC"),
    ("ok", "No problems reported at Claude —"),
])
def test_the_sentence_agrees_with_the_status_api(client, data, state, lead):
    _status(data, "claude", state, "2026-11-26T12:03:00Z")
    assert client.get("/api/v1/services/claude/status").get_json()["state"] == state
    sentence = _sentence(client.get("/claude").get_data(as_text=True))
    assert sentence.startswith(lead), sentence
    assert "reports in the last hour" in sentence


def test_the_time_is_machine_readable_for_the_readers_zone(client, data):
    _status(data, "claude", "outage", "2026-11-26T12:03:00Z")
    assert '<time datetime="2026-11-26T12:03:00Z">12:03 UTC</time>' in client.get("/claude").get_data(as_text=True)
