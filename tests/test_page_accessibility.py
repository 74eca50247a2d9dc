"""AppTest for the accessibility statement: its sections, the contact it gives, and that what it
promises about charts holds on the pages it names."""

from __future__ import annotations

import pytest

from lib.web import auth
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("app_db")

PAGE = "pages/accessibility.py"


def _text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_the_statement_has_the_sections_a_public_sector_site_needs(monkeypatch, repo_db_path):
    monkeypatch.delenv(auth.CONTACT_ENV, raising=False)
    at = open_page(PAGE)
    assert at.title[0].value == "Accessibility statement"
    assert [h.value for h in at.header] == ["How accessible the dashboard is", "How it is checked",
                                            "Reporting a problem", "About this statement"]
    text = _text(at)
    assert "**partially compliant** with the Web Content Accessibility Guidelines (WCAG) version 2.2" in text
    assert "Equality and Human Rights Commission (EHRC)" in text
    # No contact configured: it says so instead of inventing an address.
    assert f"has not given a contact address (it is set with `{auth.CONTACT_ENV}`)" in text


def test_the_statement_gives_the_configured_contact(monkeypatch, repo_db_path):
    monkeypatch.setenv(auth.CONTACT_ENV, "pa-benchmark@example.org")
    at = open_page(PAGE)
    assert "contact **pa\\-benchmark@example\\.org**" in _text(at)


@pytest.mark.parametrize("page", ["pages/home.py", "pages/gaps.py", "pages/scorecard.py", "pages/regions.py",
                                  "pages/peers.py"])
def test_pages_named_in_the_statement_give_each_chart_a_table(repo_con, page):
    """The statement says the figures behind these pages' charts are in tables there too, mostly in
    a 'Table:' section: every such page has charts, a 'Table:' section, and a table per chart."""
    code = repo_con.execute("SELECT authority_code FROM overall_scores WHERE round_year = 2015 AND ranked "
                            "ORDER BY rank LIMIT 1").fetchone()[0]
    at = open_page(page, opened=True, authority=code)
    charts = len(at.get("plotly_chart"))
    tables = [e for e in at.expander if e.label.startswith("Table")]
    assert charts >= 1 and len(tables) >= 1, page
    assert len(at.dataframe) >= charts - 1, page  # Home and the scorecard use one table for two charts
