"""The poller is not a probe: https only, public addresses only, redirects on the page's own host, and a public error
that tells nothing of what lies behind a page; the reason is in the log."""
import ipaddress
import logging
import time

import pytest

from aggregator import logs
from bench.stack import free_port
from workers import keys, official
from workers.poller import PUBLIC_ERROR, poll_page, poll_state
from workers.reach import Reach, public

from .statuspages import LOCAL, StatusPage, incident, update

T = time.time() // 60 * 60 - 3 * 3600
HTTP_ONLY = Reach(allow_http=True)
"""Plain http allowed, as the local pages need, but no private address."""


@pytest.fixture
def page():
    with StatusPage() as server:
        server.publish([incident("inc1", [update("u1", "investigating", T)])])
        yield server


def _poll(data, url, reach, slug="claude"):
    return poll_page(data, [slug], url, 120, 2, T, reach)


def _warnings(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records
                     if r.name == "workers.poller" and r.levelno == logging.WARNING)


def test_a_plain_http_page_is_not_asked_unless_http_is_allowed(data, page, caplog):
    assert _poll(data, page.url, Reach(allow_private=True)) == "error"
    assert page.requests == []
    assert "only https://" in _warnings(caplog)
    assert _poll(data, page.url, LOCAL) == "ok", "the same page is read once http is allowed"


@pytest.mark.parametrize("url", ["file:///etc", "ftp://127.0.0.1", "data:,{}"])
def test_a_page_that_is_not_http_or_https_is_refused_even_with_http_allowed(data, url, caplog):
    assert _poll(data, url, LOCAL) == "error"
    assert "is not polled" in _warnings(caplog)
    assert poll_state(data, "claude")["error"] == PUBLIC_ERROR


@pytest.mark.parametrize("target", ["http://127.0.0.1:{other}{path}", "http://localhost:{port}{path}",
                                    "https://127.0.0.1:{port}{path}"],
                         ids=["another port", "another host name", "another scheme"])
def test_a_redirect_off_the_pages_scheme_host_and_port_is_a_failed_poll(data, page, target, caplog):
    with StatusPage() as elsewhere:
        elsewhere.publish([incident("inc1", [update("u1", "investigating", T)])])
        path = "/api/v2/incidents.json"
        page.redirects[path] = target.format(other=elsewhere.port, port=page.port, path=path)
        assert _poll(data, page.url, LOCAL) == "error"
    assert elsewhere.requests == []
    assert official.between(data, "claude", T - 60, T + 60) == []
    assert f"redirects (302) to {page.redirects[path]}" in _warnings(caplog)


def test_a_redirect_within_the_pages_host_is_followed(data, page):
    page.documents["/moved/incidents.json"] = page.documents["/api/v2/incidents.json"]
    page.redirects["/api/v2/incidents.json"] = "/moved/incidents.json"
    assert _poll(data, page.url, LOCAL) == "ok"
    assert [path for path, _ in page.requests] == ["/api/v2/incidents.json", "/moved/incidents.json",
                                                   "/api/v2/summary.json"]
    assert [i["id"] for i in official.between(data, "claude", T - 60, T + 60)] == ["inc1"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_a_page_on_a_loopback_address_is_not_connected_to_unless_private_addresses_are_allowed(data, page, host,
                                                                                               caplog):
    assert _poll(data, f"http://{host}:{page.port}", HTTP_ONLY) == "error"
    assert page.requests == []
    assert "which is not a public address" in _warnings(caplog)


@pytest.mark.parametrize("address, expected", [
    ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False), ("127.0.0.1", False),
    ("169.254.169.254", False), ("0.0.0.0", False), ("100.64.0.1", False), ("224.0.0.1", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("::1", False), ("::", False), ("fe80::1", False),
    ("fc00::1", False), ("fec0::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:10.0.0.1", False), ("2002:a00:1::", False), ("64:ff9b::a9fe:a9fe", False),
    ("93.184.215.14", True), ("1.1.1.1", True), ("2606:4700:4700::1111", True), ("::ffff:1.1.1.1", True),
])
def test_only_addresses_on_the_public_internet_count_as_public(address, expected):
    assert public(ipaddress.ip_address(address)) is expected


def test_the_public_error_says_could_not_be_read_and_nothing_of_the_socket(client, data, page):
    closed = free_port()
    page.redirects["/api/v2/incidents.json"] = f"http://127.0.0.1:{closed}/api/v2/incidents.json"
    for url in (f"http://127.0.0.1:{closed}", page.url):
        data.delete(keys.official_poll("claude"))  # no backoff between the two polls
        assert _poll(data, url, LOCAL) == "error"
        answer = client.get("/api/v1/services/claude/official")
        assert answer.status_code == 200
        assert answer.get_json()["error"] == "the status page could not be read"
        assert str(closed) not in answer.get_data(as_text=True)
        assert "refused" not in answer.get_data(as_text=True).lower()


def test_an_http_error_is_shown_as_could_not_be_read(data, page):
    del page.documents["/api/v2/summary.json"]
    assert _poll(data, page.url, LOCAL) == "error"
    assert poll_state(data, "claude")["error"] == PUBLIC_ERROR


def test_the_log_has_why_a_poll_failed_with_the_services_it_was_for(data, page, caplog):
    closed = free_port()
    del page.documents["/api/v2/summary.json"]
    poll_page(data, ["github", "copilot"], f"http://127.0.0.1:{closed}", 120, 2, T, LOCAL)
    poll_page(data, ["discord"], page.url, 120, 2, T, LOCAL)
    poll_page(data, ["claude"], page.url, 120, 2, T, HTTP_ONLY)
    lines = _warnings(caplog).splitlines()
    assert len(lines) == 3
    assert "github, copilot" in lines[0] and "Connection refused" in lines[0]
    assert "discord" in lines[1] and "answered HTTP 404" in lines[1]
    assert "claude" in lines[2] and "127.0.0.1 resolves to 127.0.0.1, which is not a public address" in lines[2]


def test_the_filter_that_hides_client_addresses_leaves_a_refused_servers_address_in_the_log(data, page, caplog):
    _poll(data, page.url, HTTP_ONLY)
    [record] = [r for r in caplog.records if r.name == "workers.poller"]
    assert logs.NoAddressFilter().filter(record)
    assert "resolves to 127.0.0.1" in record.getMessage()
    assert "[address]" in logs.scrub(record.getMessage()), "without its mark the line would lose the address"


def test_a_refused_poll_backs_off_like_any_failed_one(data, page):
    assert _poll(data, page.url, HTTP_ONLY) == "error"
    assert poll_page(data, ["claude"], page.url, 120, 2, T + 120, HTTP_ONLY) == "error"
    assert poll_page(data, ["claude"], page.url, 120, 2, T + 230, HTTP_ONLY) == "waiting"
    assert poll_state(data, "claude")["error"] == PUBLIC_ERROR
