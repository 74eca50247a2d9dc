"""The self-assessment page in a real browser (issue 14, item 5): after one answer is changed, the
Projected and Change values of every standard are on screen at 1366x900, not cut off at half
width, and on a 390-pixel phone the table's cells wrap rather than run off the side.

Screenshots go to tests/artifacts/screenshots/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import pytest

from lib.analysis import whatif
from lib.store import db
from tests.browser import ARTIFACTS, skip_without_chromium, wait_for_app
from tests.fixtures import copy_db
from tests.test_whatif import flip_candidate

pytestmark = [pytest.mark.browser, skip_without_chromium()]

SHOTS = ARTIFACTS / "screenshots"
YEAR = 2015


def _expected(db_path, code: str, qid: str):
    """The projection the page should show once `qid` is answered 'Available', and the question's wording."""
    con = db.connect(db_path, read_only=True)
    try:
        answers = whatif.stored_answers(con, code, YEAR)
        answers[qid] = whatif.Answer("available")
        projector = whatif.Projector(con, YEAR)
        try:
            projected = projector.project(code, answers)
        finally:
            projector.close()
        compare = whatif.comparison(whatif.standards_list(con), whatif.actual_scores(con, code, YEAR), projected,
                                    dict(con.execute("SELECT key, label FROM bands").fetchall()))
        wording = con.execute("SELECT wording FROM questions WHERE id = ?", [qid]).fetchone()[0]
    finally:
        con.close()
    return compare, wording


def _on_screen(box, width: int, height: int) -> bool:
    """Wholly inside the window sideways, and below the app's top bar and above the bottom edge."""
    return (box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            and box["y"] >= 60 and box["y"] + box["height"] <= height)


def test_projected_and_change_are_on_screen_at_1366_and_wrap_on_a_phone(repo_db_path, tmp_path, browser,
                                                                         shared_server):
    db_path = copy_db(repo_db_path, tmp_path)
    con = db.connect(db_path, read_only=True)
    try:
        code, qid, standard = flip_candidate(con, YEAR)
    finally:
        con.close()
    compare, wording = _expected(db_path, code, qid)
    row = compare[compare["standard"] == standard].iloc[0]
    assert row["change"] > 0  # the edit raises this standard's score, so Change is a number of points
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = shared_server
    for width, height in ((1366, 900), (390, 844)):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{url}/what_if?round={YEAR}&authority={code}&part={standard}")
        wait_for_app(page)
        group = page.get_by_role("radiogroup", name=wording)
        group.get_by_text("Available", exact=True).click()
        wait_for_app(page)
        table = page.locator('[data-testid="stTable"]')
        # The table's heading at the top of the window (the app's own top bar covers the first ~60px).
        page.get_by_role("heading", name="Standard by standard").evaluate(
            "e => e.scrollIntoView({block: 'start'})")
        wait_for_app(page)
        header = table.locator("th")
        assert [header.nth(i).inner_text().strip() for i in range(header.count())] == [
            "Standard", f"Actual {YEAR}", "Projected", "Change"]
        line = table.locator("tr", has_text=row["standard_label"])
        cells = line.locator("td")
        projected, change = cells.nth(2), cells.nth(3)
        assert " ".join(projected.inner_text().split()) == row["projected_text"]
        assert change.inner_text().strip() == row["change_text"]
        for cell in (projected, change, header.nth(3)):
            assert _on_screen(cell.bounding_box(), width, height), (width, cell.inner_text())
        # Nothing in the table is cut off to the right: it is no wider than its own box.
        assert table.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), width
        page.screenshot(path=str(SHOTS / f"what-if-projection-{width}.png"))
        page.close()


def test_the_downloads_built_when_pressed_are_the_councils_sheet(repo_db_path, tmp_path, browser, shared_server):
    """The CSV and Excel downloads are built only when pressed (a callable given to Streamlit);
    what arrives is still exactly the council's sheet as lib.analysis.whatif lays it out for a council
    update (exports.to_csv_bytes of whatif.import_ready), byte for byte for the CSV."""
    import io
    from pathlib import Path

    import pandas as pd

    from lib.base import exports

    db_path = copy_db(repo_db_path, tmp_path)
    con = db.connect(db_path, read_only=True)
    try:
        code, _, _ = flip_candidate(con, YEAR)
        sheet = whatif.import_ready(whatif.questionnaire(con, YEAR), code, YEAR,
                                    whatif.stored_answers(con, code, YEAR), demo=True)
    finally:
        con.close()
    url = shared_server
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{url}/what_if?round={YEAR}&authority={code}")
    wait_for_app(page)
    with page.expect_download() as got:
        page.locator('[data-testid="stDownloadButton"] button', has_text="Download CSV").click()
    assert got.value.suggested_filename.endswith(".csv")
    assert Path(got.value.path()).read_bytes() == exports.to_csv_bytes(sheet)
    with page.expect_download() as got:
        page.locator('[data-testid="stDownloadButton"] button', has_text="Excel").click()
    workbook = pd.read_excel(io.BytesIO(Path(got.value.path()).read_bytes()), sheet_name="responses",
                             dtype=str, keep_default_na=False)
    assert list(workbook.columns) == list(sheet.columns)
    assert workbook.equals(sheet.astype(str).replace({"nan": "", "None": "", "<NA>": ""}))
    page.close()
