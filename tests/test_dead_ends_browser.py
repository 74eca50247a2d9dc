"""No dead ends (issue 14, item 4): every council link on the Good practice page and in a
scorecard's gaps opens a page with something to read, a non-respondent's scorecard offers a next
step, and an example's Gap finder link opens with its standard chosen.

The links are read from the pages as a real browser shows them, and the first of each list is
followed in that browser. The rest are opened in AppTest with the link's own page and address
parameters: what a page shows is decided by its script on the server, and AppTest runs that
script without Chromium drawing it (about half the time of a browser view, for 20 to 30 links).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.apptest import open_page
from tests.browser import skip_without_chromium, wait_for_app

pytestmark = [pytest.mark.browser, skip_without_chromium()]

LEEDS = "E08000035"


@pytest.fixture()
def page(fresh_page):
    return fresh_page


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page, timeout_ms=120_000)


def _council_links(page) -> list[str]:
    """The addresses of the scorecard and self-assessment links in the page's main area."""
    hrefs = page.locator('[data-testid="stMain"] a[href*="authority="]').evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if re.search(r"(scorecard|what_if)\?", h)))


def _assert_not_a_dead_end_on_the_server(href: str) -> None:
    """The same checks as _assert_not_a_dead_end, on the page the link names, run in AppTest with
    the link's parameters (open_page fails on an exception)."""
    parts = urlsplit(href)
    name = parts.path.strip("/").split("/")[-1]
    at = open_page(f"pages/{name}.py", **dict(parse_qsl(parts.query)))
    warnings = " ".join(w.value for w in at.warning)
    if name == "scorecard":
        assert any(m.label == "Overall score (out of 100)" for m in at.metric), href
        assert "did not respond to the" not in warnings, href
    else:
        heads = [h.value for h in at.title] + [h.value for h in at.header]
        assert any(re.search("Self-assessment", h) for h in heads), (href, heads)
        code = re.search(r"authority=([A-Z0-9]+)", href).group(1)  # type: ignore[union-attr]
        assert code in " ".join(str(e.value) for e in list(at.markdown) + list(at.caption) + list(at.selectbox)
                                + list(at.text_input)), href


def _follow(page, base: str, links: list[str]) -> None:
    """The first link in the browser, the others on the server (module docstring)."""
    _assert_not_a_dead_end(page, base, links[0])
    for href in links[1:]:
        _assert_not_a_dead_end_on_the_server(href)


def _assert_not_a_dead_end(page, base: str, href: str) -> None:
    _open(page, href if href.startswith("http") else f"{base}/{href.lstrip('/')}")
    main = page.locator('[data-testid="stMain"]')
    assert page.locator('[data-testid="stException"]').count() == 0, href
    if "scorecard?" in href:
        # A scorecard with answers: its headline score is drawn, and no "did not respond" box.
        assert main.get_by_text("Overall score (out of 100)").count() >= 1, href
        assert main.get_by_text(re.compile("did not respond to the")).count() == 0, href
    else:
        # A council that never answered: its self-assessment opens on it.
        assert main.get_by_role("heading", name=re.compile("Self-assessment")).count() >= 1, href
        code = re.search(r"authority=([A-Z0-9]+)", href).group(1)  # type: ignore[union-attr]
        assert main.get_by_text(re.compile(code)).count() >= 1, href


def test_every_good_practice_council_link_opens_a_page_with_answers(shared_server, page, repo_con, app_db):
    # 2012: 12 of the 20 example councils did not answer it, so most links must move round.
    _open(page, f"{shared_server}/good_practice?round=2012")
    links = _council_links(page)
    expected = repo_con.execute(
        "SELECT count(DISTINCT c.authority_code) FROM case_studies c JOIN round_councils r "
        "ON r.authority_code = c.authority_code AND r.round_year = 2012").fetchone()[0]
    assert len(links) == expected > 10
    moved = [h for h in links if "round=2012" not in h]
    assert len(moved) >= 10  # the nearest round the council answered, not the empty 2012 page
    _follow(page, shared_server, links)


def test_the_council_links_in_a_scorecards_gaps_open_pages_with_answers(shared_server, page, app_db):
    _open(page, f"{shared_server}/scorecard?authority={LEEDS}&round=2015")
    for expander in page.locator('[data-testid="stExpander"] summary').all():
        expander.click()
    links = [h for h in _council_links(page) if LEEDS not in h]
    assert len(links) >= 3
    _follow(page, shared_server, links)


def test_a_non_respondents_scorecard_offers_a_next_step(shared_server, page, repo_con):
    code = repo_con.execute("SELECT min(authority_code) FROM round_councils WHERE round_year = 2015 "
                            "AND NOT responded").fetchone()[0]
    _open(page, f"{shared_server}/scorecard?authority={code}&round=2015")
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text(re.compile("did not respond to the 2015 survey")).count() >= 1
    hrefs = main.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href') || '')")
    assert any("what_if" in h and code in h for h in hrefs), hrefs
    assert any("peers" in h and code in h for h in hrefs), hrefs


def test_an_examples_gap_finder_link_opens_on_its_standard(shared_server, page):
    _open(page, f"{shared_server}/good_practice?round=2015")
    link = page.get_by_role("link", name=re.compile(r"Gap finder: standard \d")).first
    number = re.search(r"standard (\d)", link.inner_text()).group(1)  # type: ignore[union-attr]
    link.click()
    wait_for_app(page, timeout_ms=120_000)
    assert f"sort={number}" in page.evaluate("location.href")
    chosen = page.locator('[data-testid="stSelectbox"]').filter(has_text="Order councils by").locator("input")
    assert re.fullmatch(rf"Standard {number}: .*\(highest first\)", chosen.input_value())


@pytest.mark.parametrize(("path", "echoed"), [
    ("scorecard?authority={v}", True), ("regions?standard={v}&region={v}", True), ("what_if?authority={v}", True),
    ("gaps?region={v}&question={v}", False),  # the Gap finder drops a value it does not know
])
def test_an_address_in_the_address_bar_never_comes_back_as_a_link(shared_server, page, path, echoed):
    # A web address, a Markdown link and an HTML link put into the page's own parameters (as a
    # phishing message could): what the page echoes is plain text, so no <a> leads off the site.
    from urllib.parse import quote

    hostile = "https://evil.example/a [b](https://evil.example/b) <a href='https://evil.example/c'>c</a> www.evil.example"
    _open(page, f"{shared_server}/{path.format(v=quote(hostile, safe=''))}")
    assert page.locator('[data-testid="stException"]').count() == 0
    main = page.locator('[data-testid="stMain"]')
    assert (main.get_by_text(re.compile("evil")).count() >= 1) == echoed  # shown, as text, where echoed
    hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
    assert [h for h in hrefs if "evil" in h] == []
