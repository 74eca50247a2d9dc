"""A respondent completes and submits the questionnaire in Chromium from their private link
(issue 12), and the respond page passes axe-core (no serious or critical violations)."""

from __future__ import annotations

import re

import duckdb
import pytest

from lib import collection
from tests.browser import skip_without_chromium, streamlit_server, wait_for_app
from tests.fixtures import copy_db
from tests.test_browser import _serious_axe_violations

pytestmark = [pytest.mark.browser, skip_without_chromium()]

YEAR = 2016

# Radio groups with nothing chosen yet: click the first option of each.
_ANSWER_EMPTY_JS = """() => {
  let clicked = 0;
  for (const group of document.querySelectorAll('[data-testid="stRadio"]')) {
    if (!group.querySelector('input[type=radio]:checked')) {
      group.querySelector('label').click();
      clicked += 1;
    }
  }
  return clicked;
}"""


def test_a_respondent_completes_and_submits_from_their_link(repo_db_path, tmp_path, browser):
    db_path = copy_db(repo_db_path, tmp_path)
    collection.open_round(db_path, YEAR, by="tester")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        code = con.execute("SELECT min(authority_code) FROM respondents WHERE round_year = 2015").fetchone()[0]
    finally:
        con.close()
    invitation = collection.invite(db_path, YEAR, code, by="tester")
    with streamlit_server(db_path) as url:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{url}/respond?token={invitation.token}")
        wait_for_app(page)
        assert page.get_by_text(f"{YEAR} survey round").count() >= 1
        violations = _serious_axe_violations(page)
        assert not violations, "axe-core on the respond page:\n" + "\n".join(violations)
        page.evaluate(_ANSWER_EMPTY_JS)
        for title in ("Support for individual employers", "Support for personal assistants",
                      "The council's approach"):
            page.get_by_role("button", name=f"Save {title.lower()}").click()
            page.get_by_text(f"{title} saved.").first.wait_for(timeout=30_000)
            wait_for_app(page)
        page.get_by_role("button", name="Submit the answers").click()
        page.get_by_text("Your reference is").first.wait_for(timeout=30_000)
        receipt = page.get_by_role("button", name=re.compile(r"Download a copy of your answers \(HTML\)"))
        receipt.wait_for(timeout=30_000)  # drawn just after the reference, in the same run
        assert receipt.count() == 1
        page.close()
    session = collection.resolve(db_path, invitation.token)
    draft = collection.load_draft(db_path, session)
    assert draft.submitted_at is not None
    assert collection.tracker(db_path, YEAR).set_index("council_code").loc[code, "status"] == "submitted"
