"""AppTest for the Data management page's council update (issue 14, item 5): the preview says it
replaces only that council's answers and shows its scores before and after; the import then
changes that council alone."""

from __future__ import annotations

import pytest

from lib import ingest
from lib.analysis import whatif
from lib.base.formatting import escape_markdown as md
from lib.store import db
from tests import test_page_data
from tests.apptest import open_page
from tests.test_council_update import YEAR, _edited_sheet
from tests.test_ingest import csv_bytes, stored_rows, wide_sheet
from tests.test_page_data import PAGE, PASSWORD, _sign_in
from tests.test_whatif import flip_candidate

pytestmark = pytest.mark.usefixtures("app_db")

# The Data page tests' fixtures: a private database copy and the administrator's password.
page_db = test_page_data.page_db
admin_hash = test_page_data.admin_hash


def _upload(at, name: str, data: bytes, mode: str):
    at.radio(key="import_mode").set_value(mode).run()
    at.file_uploader[0].upload(name, data, "text/csv")
    at.run()
    assert not at.exception, at.exception
    return at


def test_council_update_preview_wording_then_import_changes_that_council_only(page_db, admin_hash):
    con = db.connect(page_db)
    try:
        code, qid, _ = flip_candidate(con, YEAR)
        sheet, _ = _edited_sheet(con, code, qid)
        data = csv_bytes(sheet)
        expected = ingest.council_preview(con, ingest.validate_council_update(con, data, "one.csv", YEAR))
        before_rows = stored_rows(con, YEAR)
    finally:
        con.close()
    at = _upload(_sign_in(open_page(PAGE), PASSWORD), "one.csv", data, "council")
    assert any("ready to import as a council update" in s.value for s in at.success)
    headline = next(i.value for i in at.info if "This will replace only" in i.value)
    assert headline == md(expected.headline())
    assert md(f"This will replace only {expected.name} ({code})'s answers in the 2015 round") in headline
    overall = next(t.value for t in at.table if "Overall score" in t.value.columns)
    assert list(overall["Overall score"]) == [md(whatif.format_score(expected.before.overall["score"])),
                                              md(whatif.format_score(expected.after.overall["score"]))]
    assert expected.after.overall["score"] > expected.before.overall["score"]
    standards = next(t.value for t in at.table if "After the update" in t.value.columns)
    assert len(standards) == 9 and not standards.isna().any().any()
    assert list(standards["Change"]) == [md(c) for c in expected.standards["change_text"]]
    assert any("stays labelled synthetic" in c.value for c in at.caption)

    button = next(b for b in at.button if b.label == md(f"Replace only {expected.name}'s answers in the 2015 round"))
    button.click().run()
    assert not at.exception, at.exception
    assert any(md(f"Updated {expected.name} ({code})'s answers in the 2015 round") in s.value for s in at.success)
    con = db.connect(page_db)
    try:
        after_rows = stored_rows(con, YEAR)
        assert {r for r in after_rows if r[0] != code} == {r for r in before_rows if r[0] != code}
        assert {r for r in after_rows if r[0] == code} != {r for r in before_rows if r[0] == code}
        assert con.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone() == ("council update",)
    finally:
        con.close()


def test_one_council_file_as_a_whole_round_warns_and_two_councils_are_refused(page_db, admin_hash):
    con = db.connect(page_db)
    try:
        one = csv_bytes(wide_sheet(con, ["E06000001"], year=YEAR))
        two = csv_bytes(wide_sheet(con, ["E06000001", "E06000002"], year=YEAR))
    finally:
        con.close()
    at = _upload(_sign_in(open_page(PAGE), PASSWORD), "one.csv", one, "round")
    assert any("replaces the 2015 round's 95 councils with that one council" in w.value for w in at.warning)

    at = _upload(_sign_in(open_page(PAGE), PASSWORD), "two.csv", two, "council")
    assert any("1 problem found" in e.value for e in at.error)
    problem = at.dataframe[0].value.iloc[0]
    assert (problem["Row"], problem["Column"], problem["Cell"]) == ("3", "council", "A3")
    assert "more than one council" in problem["Problem"]
    assert not any(b.label.startswith(("Replace only", "Import")) for b in at.button)
