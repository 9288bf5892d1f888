"""The home page: problems first with their state in words, the last hour beside typical, a chart with a text
equivalent, search without JavaScript, categories, the latest incidents; and no script at all."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from aggregator import create_app, home
from aggregator.base.catalog import Service
from workers import profiles
from workers.baseline import Profile, Quality

from .helpers import NOW, SECRET, TEST_GEOIP, UNLIMITED, iso, post, set_state, store_incident


class _Page(HTMLParser):
    """The home page as a reader meets it: headings in order, and each listed service with its text."""

    def __init__(self, page: str):
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.rows: list[dict] = []
        self._heading = None
        self._row = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h1", "h2", "h3"):
            self._heading = [tag, ""]
        elif tag == "li" and attrs.get("class") == "home-service":
            self._row = {"heading": self.headings[-1][1], "text": "", "slug": None, "chart": None}
        elif tag == "a" and self._row is not None and self._row["slug"] is None:
            self._row["slug"] = attrs["href"].strip("/")
        elif tag == "svg" and self._row is not None:
            self._row["chart"] = attrs

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data
        if self._row is not None:
            self._row["text"] += data

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append((self._heading[0], self._heading[1].strip()))
            self._heading = None
        elif tag == "li" and self._row is not None:
            self._row["text"] = " ".join(self._row["text"].split())
            self.rows.append(self._row)
            self._row = None

    def row(self, slug: str) -> dict:
        return next(r for r in self.rows if r["slug"] == slug)


def _page(client, url="/"):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _incidents(page: str) -> list[str]:
    """The latest incidents as text, in page order."""
    block = page[page.index('<ol class="home-incidents">'):]
    items = re.findall(r"<li>(.*?)</li>", block[:block.index("</ol>")], re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


# --- the view's pure parts ------------------------------------------------------------------------

def _row(slug, state="ok", score=None, last_hour=0, baseline=None, spark=(0,) * 25):
    return {"slug": slug, "name": slug.title(), "status": {"state": state, "score": score}, "last_hour": last_hour,
            "baseline_hour": baseline, "spark": list(spark)}


def test_problems_come_outage_first_then_degraded_and_the_rest_keep_the_catalog_order():
    rows = [_row("calm"), _row("shaky", "degraded", 9.0), _row("new", "unknown"), _row("down", "outage", 3.0),
            _row("busy", "ok", 1.0, 900)]
    problems, rest = home.problems_first(rows, ["new", "busy", "down", "calm", "shaky"])
    assert [r["slug"] for r in problems] == ["down", "shaky"]
    assert [r["slug"] for r in rest] == ["new", "busy", "calm"]


def test_every_state_has_its_words():
    assert home.WORDS == {"outage": "Problems", "degraded": "Possible problems", "ok": "No problems",
                          "unknown": "Not checked yet"}


def test_groups_follow_the_catalog_order_of_categories_and_the_uncategorised_come_last():
    rows = [_row(s) for s in ("a", "b", "c", "d")]
    groups = home.grouped(rows, {"a": "Chat", "b": None, "c": "Cloud", "d": "Chat", "e": "Unused"})
    assert [(g["category"], [r["slug"] for r in g["rows"]]) for g in groups] == [
        ("Chat", ["a", "d"]), ("Cloud", ["c"]), (None, ["b"])]


def test_without_categories_the_rest_is_one_group_without_a_heading():
    rows = [_row("a"), _row("b")]
    assert home.grouped(rows, {"a": None, "b": None}) == [{"category": None, "rows": rows}]
    assert home.grouped([], {"a": "Chat"}) == []


def test_the_chart_names_the_peak_hour_and_now():
    spark = [0] * 25
    spark[12], spark[20] = 312, 40
    drawn = home.chart(spark, 246, NOW)
    assert (drawn["peak"], drawn["now"]) == (312, 246)
    assert drawn["peak_at"] == iso((NOW // 3600 - 12) * 3600)[11:16]
    assert len(drawn["points"].split()) == 25
    assert home.chart([0] * 25, 0, NOW)["peak"] is None


def test_typical_is_never_said_as_zero_and_is_unknown_without_a_baseline():
    assert (home.typical(19.6), home.typical(0.2), home.typical(None)) == (20, 1, None)


def test_a_time_of_today_is_a_clock_and_of_another_day_carries_its_date():
    assert home.clock(iso(NOW), NOW) == {"datetime": iso(NOW), "time": iso(NOW)[11:16], "date": None}
    assert home.clock(iso(NOW - 2 * 86400), NOW)["date"] == iso(NOW - 2 * 86400)[:10]


def test_a_search_is_matched_in_lowercase_with_spaces_collapsed_and_bounded():
    assert home.clean_query("  Git   Hub ") == "git hub"
    assert len(home.clean_query("x" * 1000)) == home.QUERY_LENGTH


def test_only_incidents_of_the_services_shown_are_listed():
    services = [Service("a", "A"), Service("b", "B")]
    found = [{"id": "1", "service": "b", "country": None, "state": "outage", "worst_state": "outage",
              "opened_at": iso(NOW), "resolved_at": None}]
    assert home.home_view([_row("a")], services, found, "a", NOW)["incidents"] == []
    assert [i["name"] for i in home.home_view([_row("b")], services, found, "b", NOW)["incidents"]] == ["B"]


# --- the page ---------------------------------------------------------------------------------------

def test_services_with_problems_are_listed_first_outage_before_degraded(client, data):
    set_state(data, "slack", "degraded")
    set_state(data, "discord", "outage")
    set_state(data, "claude", "ok")
    page = _Page(_page(client))
    assert [r["slug"] for r in page.rows[:2]] == ["discord", "slack"]
    assert {r["heading"] for r in page.rows[:2]} == {"Problems now"}
    assert page.row("claude")["heading"] != "Problems now"


def test_each_service_says_its_state_in_words(client, data):
    set_state(data, "discord", "outage")
    set_state(data, "slack", "degraded")
    set_state(data, "claude", "ok")
    page = _Page(_page(client))
    assert page.row("discord")["text"].startswith("Discord Problems ")
    assert page.row("slack")["text"].startswith("Slack Possible problems ")
    assert page.row("claude")["text"].startswith("Claude No problems ")
    assert page.row("gemini")["text"].startswith("Gemini Not checked yet ")


def test_the_last_hour_is_shown_beside_what_is_typical(client, data, run_jobs):
    with data.pipeline(transaction=False) as pipe:
        profiles.store(pipe, "chatgpt", {profiles.OVERALL: Profile(tuple([20.0] * 168), Quality.WEEKLY, 0.01)}, NOW)
        pipe.execute()
    for n in range(3):
        post(client, {"service": "chatgpt", "surface": "website"}, ua=f"browser-{n}")
    post(client, {"service": "gemini", "surface": "website"})
    run_jobs()
    page = _Page(_page(client))
    assert "3 reports in the last hour · about 20 typical" in page.row("chatgpt")["text"]
    assert "1 report in the last hour · typical not known yet" in page.row("gemini")["text"]


def test_every_chart_is_an_image_with_a_text_equivalent(client, run_jobs):
    for n in range(2):
        post(client, {"service": "claude", "surface": "website"}, ua=f"browser-{n}")
    run_jobs()
    page = _Page(_page(client))
    hour = iso(NOW)[11:14] + "00"
    chart = page.row("claude")["chart"]
    assert chart["role"] == "img"
    assert chart["aria-label"] == f"Reports per hour over the last 24 hours: peak 2 at {hour} UTC, now 2"
    assert page.row("slack")["chart"]["aria-label"] == "Reports per hour over the last 24 hours: no reports"


def test_the_page_needs_no_script_but_the_local_times_one_and_has_no_inline_style(client, data):
    set_state(data, "claude", "outage")
    store_incident(data, "claude", NOW - 600)
    page = _page(client)
    assert re.findall(r"<script[^>]*>", page.lower()) == ['<script src="/static/local-times.js" defer>']
    assert "style=" not in page.lower()


def test_a_search_by_name_lists_only_the_services_it_matches(client):
    page = _page(client, "/?q=GitHub")
    assert sorted(r["slug"] for r in _Page(page).rows) == ["copilot", "github"]
    assert "2 services match “github”" in page
    assert ("h2", "Matching services") in _Page(page).headings


def test_a_search_by_alias_finds_the_service(client):
    assert [r["slug"] for r in _Page(_page(client, "/?q=anthropic")).rows] == ["claude"]


def test_a_search_that_matches_nothing_says_so_and_links_back_to_every_service(client):
    page = _page(client, "/?q=xyz")
    assert "No service matches “xyz”." in page
    assert '<a href="/">Show all services</a>' in page
    assert _Page(page).rows == []


def test_the_search_is_a_get_form_that_keeps_what_was_searched(client):
    page = _page(client, "/?q=claude")
    form = page[page.index('<form class="home-search"'):page.index("</form>")]
    assert 'method="get"' in form and 'action="/"' in form
    assert 'name="q"' in form and 'value="claude"' in form
    assert '<label for="home-q">' in form and 'id="home-q"' in form


def test_a_search_with_markup_is_shown_as_text(client):
    page = _page(client, "/?q=<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>" not in page


def test_the_services_without_problems_are_grouped_under_their_categories(client, data):
    set_state(data, "slack", "outage")
    page = _Page(_page(client))
    assert [h for h in page.headings if h[0] == "h3"] == [
        ("h3", "AI assistants"), ("h3", "Developer tools"), ("h3", "Communication"), ("h3", "Cloud hosting")]
    assert {r["slug"]: r["heading"] for r in page.rows} == {
        "slack": "Problems now", "claude": "AI assistants", "chatgpt": "AI assistants", "gemini": "AI assistants",
        "copilot": "Developer tools", "github": "Developer tools", "discord": "Communication",
        "aws": "Cloud hosting"}


def test_the_headings_go_down_one_level_at_a_time(client, data):
    set_state(data, "slack", "outage")
    store_incident(data, "slack", NOW - 600)
    levels = [int(tag[1]) for tag, _ in _Page(_page(client)).headings]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:]))


def test_a_catalog_without_categories_lists_the_rest_under_one_heading(redis_server, tmp_path):
    catalog = tmp_path / "services.toml"
    catalog.write_text('[[service]]\nslug = "one"\nname = "One"\n\n[[service]]\nslug = "two"\nname = "Two"\n')
    client = create_app({**SECRET, **UNLIMITED, "RADAR_SERVICES_FILE": str(catalog), "REDIS_URL": redis_server.url,
                         "GEOIP_DB": TEST_GEOIP}).test_client()
    page = _Page(_page(client))
    assert [h for _, h in page.headings] == ["Is it down for you?", "All services", "Latest incidents"]
    assert [r["slug"] for r in page.rows] == ["one", "two"]


def test_the_latest_incidents_are_listed_newest_first_with_state_time_and_whether_resolved(client, data):
    store_incident(data, "claude", NOW - 7200, state="degraded", resolved=NOW - 3600)
    store_incident(data, "github", NOW - 600)
    store_incident(data, "slack", NOW - 1800)
    page = _page(client)
    github, slack, claude = (iso(t)[11:16] for t in (NOW - 600, NOW - 1800, NOW - 7200))
    assert _incidents(page) == [
        f"GitHub: Problems since {github} UTC · not resolved yet",
        f"Slack: Problems since {slack} UTC · not resolved yet",
        f"Claude: Possible problems since {claude} UTC · resolved {iso(NOW - 3600)[11:16]} UTC"]
    assert f'<time datetime="{iso(NOW - 600)}">{github} UTC</time>' in page
    block = page[page.index('<ol class="home-incidents">'):]
    assert re.findall(r'href="/([a-z-]+)"', block[:block.index("</ol>")]) == ["github", "slack", "claude"]


def test_a_countrys_incident_is_left_to_the_service_page(client, data):
    store_incident(data, "slack", NOW - 1800)
    store_incident(data, "slack", NOW - 600, country="DE")
    assert _incidents(_page(client)) == [f"Slack: Problems since {iso(NOW - 1800)[11:16]} UTC · not resolved yet"]


def test_at_most_ten_incidents_are_listed(client, data):
    for n in range(12):
        store_incident(data, "claude", NOW - 600 * (n + 1), resolved=NOW - 600 * n - 300)
    assert len(_incidents(_page(client))) == home.INCIDENTS_SHOWN


def test_without_incidents_the_page_says_so(client):
    assert "No incidents recorded yet." in _page(client)


def test_the_view_is_reused_for_the_snapshot_seconds(redis_server, data):
    app = create_app({**SECRET, **UNLIMITED, "RADAR_PAGE_SNAPSHOT_SECONDS": "60", "REDIS_URL": redis_server.url,
                      "GEOIP_DB": TEST_GEOIP})
    client = app.test_client()
    assert "Problems now" not in _page(client)
    set_state(data, "claude", "outage")
    assert "Problems now" not in _page(client), "the view made a moment ago is reused"
    assert "Problems now" in _page(client, "/?q=claude"), "another search is another view"
