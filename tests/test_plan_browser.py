"""The downloadable improvement plan prints on one A4 page (Chromium's own PDF printing)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from lib.analysis import plan, plan_search
from lib.reports import plan_html
from tests.browser import skip_without_chromium

pytestmark = [pytest.mark.browser, skip_without_chromium()]


def test_plans_print_on_one_a4_page(browser, repo_con):
    # The two lowest councils overall: three changes and four changes, three alternatives each
    # in the demonstration round, with the synthetic-data box.
    codes = [r[0] for r in repo_con.execute(
        "SELECT authority_code FROM overall_scores WHERE round_year = 2015 AND ranked "
        "ORDER BY score, authority_code LIMIT 2").fetchall()]
    page = browser.new_page()
    try:
        for code in codes:
            result = plan_search.plan_for(repo_con, code, 2015, None)
            assert result.status == plan.PLANNED and len(result.plans) == plan_search.MAX_PLANS
            page.set_content(plan_html.plan_html(repo_con, result, is_demo=True, generated=date(2026, 12, 1)))
            pdf = page.pdf(format="A4", print_background=True)
            assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, code
    finally:
        page.close()
