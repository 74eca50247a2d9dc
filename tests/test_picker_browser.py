"""The council picker in a real browser: typed text the importer accepts finds the council
(issue 11). Each text is typed into the scorecard's picker and confirmed with Enter, as people
do; the address then names the council the text means in the 2015 round's council set."""

from __future__ import annotations

import pytest

from tests.browser import skip_without_chromium, wait_for_app

pytestmark = [pytest.mark.browser, skip_without_chromium()]

CASES = [
    ("St. Helens", "E08000013", None),  # a variant of St Helens the dropdown's own filter misses
    ("E06000065", "E10000023", "was not a council in the 2015 round"),  # today's North Yorkshire
    ("Buckinghamshire Council", "E10000002", None),  # the 2020 unitary's name: the county then
]


def test_typed_names_and_codes_find_the_council(shared_server, fresh_page):
    url, page = shared_server, fresh_page  # 1366x900
    for text, code, note in CASES:
        page.goto(f"{url}/scorecard?round=2015")
        wait_for_app(page)
        page.get_by_role("combobox", name="Council").click()
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => location.search.includes('authority={code}')", timeout=20_000)
        wait_for_app(page)
        page.get_by_text(f"ONS code {code}").first.wait_for(timeout=20_000)  # the council's own header
        if note:
            assert page.get_by_text(note).count() == 1, text
