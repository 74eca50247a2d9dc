"""The briefing prints on at most two A4 pages: Chromium prints it to PDF and the pages are counted.

The product's complaint was that Leeds printed to 7 pages and North Yorkshire to 14. These
load the briefing HTML straight into the page (it is self-contained, so no server is needed)
and print it with page.pdf(format="A4"), for Leeds, North Yorkshire, the 2015 council with the
most gaps, and Northamptonshire in 2012 (split in 2021 and a round that asked about only four
standards: the longest reorganisation note and the longest standards table in the demo). The
PDFs go to tests/artifacts/briefing/ so people can look at them.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from lib.reports import briefing_html
from tests.browser import ARTIFACTS, skip_without_chromium
from tests.test_briefing import LEEDS, NORTH_YORKSHIRE, NORTHAMPTONSHIRE, most_gaps

pytestmark = [pytest.mark.browser, skip_without_chromium()]

TODAY = date(2026, 12, 1)
BASE_URL = "http://127.0.0.1:8501"  # what lib.web.urlstate.base_url gives on a default local server
OUT = ARTIFACTS / "briefing"


def pdf_pages(pdf: bytes) -> int:
    """Pages in a PDF Chromium wrote: its page objects (/Type /Page, not /Pages), checked against
    the page tree's /Count."""
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    assert counts and max(counts) == pages, f"{pages} page objects, page tree says {counts}"
    return pages


def _print(page, doc: str, name: str) -> int:
    page.set_content(doc)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.pdf").write_bytes(pdf)
    return pdf_pages(pdf)


@pytest.fixture()
def page(browser):
    context = browser.new_context(offline=True)  # the briefing must need nothing from the network
    pg = context.new_page()
    yield pg
    context.close()


def _cases(con) -> list[tuple[str, int]]:
    return [(LEEDS, 2015), (NORTH_YORKSHIRE, 2015), (most_gaps(con, 2015)[0], 2015), (NORTHAMPTONSHIRE, 2012)]


def test_briefing_prints_on_at_most_two_a4_pages(page, repo_con):
    for code, year in _cases(repo_con):
        doc = briefing_html.briefing_html(repo_con, code, year, is_demo=True, base_url=BASE_URL, generated=TODAY)
        pages = _print(page, doc, f"{code}-{year}")
        assert 1 <= pages <= 2, f"{code} {year}: the briefing printed on {pages} A4 pages"


def test_appendix_follows_on_pages_of_its_own(page, repo_con):
    for code, year in _cases(repo_con)[:2]:
        full = briefing_html.briefing_html(repo_con, code, year, is_demo=True, base_url=BASE_URL, generated=TODAY,
                                           appendix=True)
        start = full.index('<section class="appendix">')
        main_only = full[:start] + full[full.index("</main>"):]
        main_pages = _print(page, main_only, f"{code}-{year}-main-of-appendix-version")
        full_pages = _print(page, full, f"{code}-{year}-with-appendix")
        assert main_pages <= 2, f"{code} {year}: with the appendix, the briefing part is {main_pages} pages"
        assert full_pages > main_pages, "the appendix adds pages of its own"
