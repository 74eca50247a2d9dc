"""Browser tests against a real `streamlit run` server in headless Chromium.

Each page must load with no exception box and no console errors, and pass axe-core with no
serious or critical violations. Screenshots at 1366x900 go to tests/artifacts/screenshots/
(git-ignored) so people can look at every page.
"""

from __future__ import annotations

import html.parser
import re

import pytest

from lib.reports import briefing_html, scorecard_files
from tests.browser import (
    ARTIFACTS,
    VIEWPORT,
    skip_without_chromium,
    wait_for_app,
    wait_for_rerun_start,
)

pytestmark = [pytest.mark.browser, skip_without_chromium()]

PAGES = {
    "home": "",
    "gaps": "gaps",
    "scorecard": "scorecard",
    "what-if": "what_if",
    "plan": "plan",
    "regions": "regions",
    "peers": "peers",
    "good-practice": "good_practice",
    "methodology": "methodology",
    "accessibility": "accessibility",
    "downloads": "downloads",
    "data": "data",
}
SHOTS = ARTIFACTS / "screenshots"


@pytest.fixture()
def page(fresh_page):
    pg = fresh_page
    pg.console_errors = []
    pg.on("console", lambda msg: pg.console_errors.append(msg.text)
          if msg.type == "error" and not _base_path_probe(msg.location.get("url", "")) else None)
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    return pg


def _base_path_probe(url: str) -> bool:
    """Streamlit's front end, opened on /<page>, first looks for its server under that path
    (/<page>/_stcore/health and host-config) and gets a 404 before trying the root. Those two
    404s are the framework finding its base path, not errors of this app."""
    return bool(re.search(r"/[^/]+/_stcore/(health|host-config)$", url))


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)


def _serious_axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['help']} - {len(v['nodes'])} node(s)"
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_cleanly_and_is_accessible(shared_server, page, name):
    _open(page, f"{shared_server}/{PAGES[name]}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
    page.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0, f"exception box on {name}"
    assert not page.console_errors, f"console errors on {name}: {page.console_errors}"
    assert page.get_by_text("Synthetic demonstration data").count() >= 1, "demo banner missing"
    violations = _serious_axe_violations(page)
    assert not violations, f"axe-core on {name}:\n" + "\n".join(violations)


def test_hex_map_renders(shared_server, page):
    _open(page, f"{shared_server}/regions")
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=30_000)
    # One filled path per hexagon trace, or many; at least the plot's SVG has drawn shapes.
    assert page.locator(".js-plotly-plot path").count() > 50


def test_picking_a_council_updates_the_url(shared_server, page, repo_con):
    name = repo_con.execute(
        "SELECT display_name FROM overall_scores WHERE round_year = 2015 ORDER BY rank LIMIT 1").fetchone()[0]
    _open(page, f"{shared_server}/scorecard")
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first
    box.click()
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"authority=E\d{8}"), timeout=30_000)
    wait_for_app(page)
    assert name in page.inner_text('[data-testid="stMain"]')


def test_permalink_reopens_the_same_view(shared_server, page, repo_con):
    code, name, rank = repo_con.execute(
        "SELECT authority_code, display_name, rank FROM overall_scores WHERE round_year = 2014 AND ranked "
        "ORDER BY authority_code LIMIT 1").fetchone()
    _open(page, f"{shared_server}/scorecard?authority={code}&round=2014")
    text = page.inner_text('[data-testid="stMain"]')
    assert name in text
    round_box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    shown = round_box.inner_text() + " ".join(
        round_box.locator("input").evaluate_all("els => els.map(e => e.value || '')"))
    assert "2014" in shown, f"the sidebar round picker shows {shown!r}"
    assert f"authority={code}" in page.url and "round=2014" in page.url
    assert str(rank) in text


def test_briefing_download_is_valid_html(shared_server, page, repo_con, tmp_path):
    code, name = repo_con.execute(
        "SELECT authority_code, display_name FROM overall_scores WHERE round_year = 2015 ORDER BY rank LIMIT 1"
    ).fetchone()
    _open(page, f"{shared_server}/scorecard?authority={code}")
    button = page.locator('[data-testid="stDownloadButton"] button', has_text=re.compile("briefing", re.I)).first
    with page.expect_download(timeout=30_000) as info:
        button.click()
    path = tmp_path / "briefing.html"
    info.value.save_as(path)
    # Built on the click (a callable passed to st.download_button), the same file as ever.
    # Its link back to the scorecard uses the address the browser sees (lib.web.urlstate.base_url).
    assert path.read_bytes() == briefing_html.briefing_html(repo_con, code, 2015, is_demo=True,
                                                       base_url=shared_server).encode("utf-8")
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html")
    assert name in text and "Synthetic demonstration data" in text
    lowered = text.lower()
    assert "<script" not in lowered and "<link" not in lowered and 'src="http' not in lowered, "must be self-contained"

    class Checker(html.parser.HTMLParser):
        pass

    Checker().feed(text)  # raises on badly broken markup


def test_data_downloads_are_built_on_click(shared_server, page, repo_con, tmp_path):
    code = repo_con.execute(
        "SELECT authority_code FROM overall_scores WHERE round_year = 2015 ORDER BY rank LIMIT 1 OFFSET 3"
    ).fetchone()[0]
    _open(page, f"{shared_server}/scorecard?authority={code}")
    button = page.locator('[data-testid="stDownloadButton"] button', has_text="CSV").first
    with page.expect_download(timeout=30_000) as info:
        button.click()
    path = tmp_path / "answers.csv"
    info.value.save_as(path)
    assert path.read_bytes() == scorecard_files.answers_csv(repo_con, code, 2015, is_demo=True)
    button = page.locator('[data-testid="stDownloadButton"] button', has_text="Excel").first
    with page.expect_download(timeout=30_000) as info:
        button.click()
    path = tmp_path / "data.xlsx"
    info.value.save_as(path)
    assert path.read_bytes()[:2] == b"PK"  # a workbook (its bytes carry the time it was made)


def test_on_a_phone_the_sidebar_starts_closed_and_the_headline_comes_first(shared_server, browser):
    """At 390x844 the page opens on its content: the sidebar is closed and the title and the
    demo banner are in view; at 1366x900 the sidebar is open."""
    for viewport, sidebar_open in (({"width": 390, "height": 844}, False), (VIEWPORT, True)):
        context = browser.new_context(viewport=viewport)
        try:
            pg = context.new_page()
            pg.goto(shared_server + "/")
            wait_for_app(pg)
            title = pg.locator('[data-testid="stMain"] h1').first.bounding_box()
            assert title is not None and title["y"] + title["height"] <= viewport["height"], viewport
            # An open sidebar (about 300 px wide) pushes the page's content to its right.
            nav = pg.get_by_role("link", name="Gap finder").first
            nav_box = nav.bounding_box() if nav.count() else None
            nav_visible = nav_box is not None and nav_box["x"] >= 0 and nav_box["width"] > 0
            assert nav_visible is sidebar_open, viewport
            assert (title["x"] > 250) is sidebar_open, (viewport, title)
        finally:
            context.close()


def test_a_table_behind_a_chart_opens_with_the_keyboard(shared_server, page, repo_con):
    # The scorecard's "Table: scores in each round" is built only once opened (lib.web.display.on_demand):
    # nothing is drawn in it while closed; Enter on its heading opens it and the table appears.
    code = repo_con.execute("SELECT authority_code FROM overall_scores WHERE round_year = 2015 AND ranked "
                            "ORDER BY rank LIMIT 1").fetchone()[0]
    _open(page, f"{shared_server}/scorecard?authority={code}")
    box = page.locator('[data-testid="stExpander"]').filter(has_text="Table: scores in each round")
    assert box.count() == 1
    assert box.locator('[data-testid="stDataFrame"]').count() == 0
    box.locator("summary").focus()
    page.keyboard.press("Enter")
    wait_for_rerun_start(page)
    wait_for_app(page)
    grid = box.locator('[data-testid="stDataFrame"]')
    grid.wait_for(timeout=30_000)
    assert grid.is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not page.console_errors, page.console_errors
