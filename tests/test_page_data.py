"""AppTest for the Data management page: locked without credentials, password sign-in, upload -> check -> import."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import ingest
from lib.base import passwords
from lib.base.paths import DB_ENV_VAR
from lib.store import db, upkeep
from lib.web import auth
from tests.apptest import open_page
from tests.fixtures import copy_db
from tests.test_ingest import NEW_YEAR, csv_bytes, respondents, wide_sheet

pytestmark = pytest.mark.usefixtures("app_db")

PASSWORD = "a long test password"

PAGE = "pages/data.py"


@pytest.fixture()
def page_db(repo_db_path, tmp_path, monkeypatch):
    """The app runs on a private copy of the session database (the page writes).

    Streamlit's data caches are cleared before and after: lib.web.pickers caches the list of rounds
    under a key that does not include the database path, so a round imported here would
    otherwise show up in the next test's (different) database.
    """
    path = copy_db(repo_db_path, tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    monkeypatch.delenv(passwords.HASH_ENV, raising=False)
    monkeypatch.delenv(auth.EMAILS_ENV, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    auth.GUARD.reset()  # failed sign-ins are counted in the collection database: start each test afresh
    yield path
    auth.GUARD.reset()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture()
def admin_hash(monkeypatch) -> str:
    encoded = passwords.hash_password(PASSWORD, iterations=2_000)
    monkeypatch.setenv(passwords.HASH_ENV, encoded)
    return encoded


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.text_input[0].input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_without_credentials_the_page_explains_how_to_enable_it(page_db):
    at = open_page(PAGE)
    assert at.title[0].value == "Data management"
    text = " ".join(i.value for i in at.info)
    assert "not set up" in text and "lib.cli admin-hash" in text and passwords.HASH_ENV in text
    assert not at.file_uploader and not at.text_input and not at.tabs


def test_wrong_password_is_refused_and_delays_the_next_try(page_db, admin_hash, monkeypatch):
    monkeypatch.setattr(auth, "DELAY_BASE_SECONDS", 600.0)  # the delay is certainly still running below
    at = open_page(PAGE)
    assert [t.label for t in at.text_input] == ["Administrator password"] and not at.file_uploader
    _sign_in(at, "not the password")
    assert any("not right" in e.value for e in at.error)
    assert not at.file_uploader and not at.tabs
    _sign_in(at, PASSWORD)  # straight away: still refused, the delay has not passed
    assert any("Too many wrong attempts" in e.value for e in at.error)
    assert not at.file_uploader
    assert any("1 wrong attempt in a row." in c.value for c in at.caption)
    # Another browser session meets the same delay: failures are counted per server process.
    fresh = _sign_in(open_page(PAGE), PASSWORD)
    assert any("Too many wrong attempts" in e.value for e in fresh.error) and not fresh.file_uploader
    con = db.connect(page_db)
    try:
        rows = con.execute("SELECT actor, action, detail FROM audit_log WHERE action = 'sign-in failed'").fetchall()
    finally:
        con.close()
    assert [r[:2] for r in rows] == [("administrator (password)", "sign-in failed")] * 3
    assert rows[0][2].startswith("Failed administrator sign-in (1 in a row for this account): That password is not right.")
    assert all("Too many wrong attempts. Wait" in r[2] for r in rows[1:])  # refused while waiting: logged too


def test_right_password_shows_the_upload_step(page_db, admin_hash):
    at = _sign_in(open_page(PAGE), PASSWORD)
    assert not at.error
    assert [t.label for t in at.tabs] == ["Load a round", "Survey round", "History", "Template and exports", "Reset"]
    assert at.file_uploader[0].label == "File of answers"
    assert at.number_input(key="import_year").value == 2015


def test_upload_check_preview_and_import(page_db, admin_hash):
    con = db.connect(page_db)
    try:
        sheet = wide_sheet(con, respondents(con)[:5])
        expected = ingest.validate(con, csv_bytes(sheet), "answers.csv", NEW_YEAR)
        preview = ingest.preview(con, expected)
    finally:
        con.close()
    at = _sign_in(open_page(PAGE), PASSWORD)
    at.number_input(key="import_year").set_value(NEW_YEAR)
    at.file_uploader[0].upload("answers.csv", csv_bytes(sheet), "text/csv")
    at.run()
    assert not at.exception, at.exception
    assert any("5 councils and" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Councils responding"] == f"5 of {preview.national['councils']}"
    councils_table = next(d.value for d in at.dataframe if "Council" in d.value.columns)
    assert sorted(councils_table["Council"]) == sorted(
        f"{n} ({c})" for n, c in zip(preview.councils["display_name"], preview.councils["authority_code"], strict=True))
    assert not councils_table.isna().any().any()

    next(b for b in at.button if b.label == f"Import 5 councils into the {NEW_YEAR} round").click()
    at.run()
    assert not at.exception, at.exception
    assert any(f"Imported the {NEW_YEAR} round" in s.value for s in at.success)
    con = db.connect(page_db)
    try:
        assert respondents(con, NEW_YEAR) == sorted(sheet["council"])
        assert con.execute("SELECT submitted_by FROM submissions").fetchone() == ("administrator (password)",)
    finally:
        con.close()


def test_bad_upload_shows_the_problem_table_and_no_import_button(page_db, admin_hash):
    con = db.connect(page_db)
    try:
        sheet = wide_sheet(con, respondents(con)[:2])
    finally:
        con.close()
    sheet.loc[1, "council"] = "<b>Atlantis</b>"
    at = _sign_in(open_page(PAGE), PASSWORD)
    at.number_input(key="import_year").set_value(NEW_YEAR)
    at.file_uploader[0].upload("bad.csv", csv_bytes(sheet), "text/csv")
    at.run()
    assert not at.exception, at.exception
    assert any("1 problem found" in e.value for e in at.error)
    problems = at.dataframe[0].value
    row = problems.iloc[0]
    assert (row["Row"], row["Column"], row["Cell"], row["Value"]) == ("3", "council", "A3", "<b>Atlantis</b>")
    assert row["Problem"].startswith("script content: the cell contains HTML markup")
    assert not any(b.label.startswith("Import") for b in at.button)
    # The file's text reaches the screen only inside the table, never as Markdown or HTML.
    assert not any("Atlantis" in m.value for m in at.markdown)


def test_demo_round_needs_the_replace_box(page_db, admin_hash):
    con = db.connect(page_db)
    try:
        sheet = wide_sheet(con, respondents(con)[:3], year=2015)
    finally:
        con.close()
    at = _sign_in(open_page(PAGE), PASSWORD)
    at.file_uploader[0].upload("real2015.csv", csv_bytes(sheet), "text/csv")
    at.run()
    button = next(b for b in at.button if b.label.startswith("Import 3 councils"))
    assert button.disabled
    at.checkbox(key="import_replace").check().run()
    button = next(b for b in at.button if b.label.startswith("Import 3 councils"))
    assert not button.disabled
    button.click().run()
    assert not at.exception, at.exception
    assert any("Replaced the 2015 round" in s.value for s in at.success)


def test_reset_needs_the_word_then_restores_the_demo_rounds(page_db, admin_hash):
    con = db.connect(page_db)
    try:
        ingest.import_file(con, csv_bytes(wide_sheet(con, respondents(con)[:2])), "a.csv", NEW_YEAR)
    finally:
        con.close()
    at = open_page(PAGE)
    at.query_params["section"] = "Reset"
    at = _sign_in(at, PASSWORD)
    button = next(b for b in at.button if b.label == "Reset to the demonstration data")
    assert button.disabled
    at.text_input(key="reset_confirm").input("reset").run()
    assert next(b for b in at.button if b.label == "Reset to the demonstration data").disabled
    at.text_input(key="reset_confirm").input("RESET").run()
    next(b for b in at.button if b.label == "Reset to the demonstration data").click().run()
    assert not at.exception, at.exception
    assert any("reset to the demonstration data" in s.value for s in at.success)
    assert len(list((page_db.parent / "backups").glob("*.duckdb"))) == 1
    con = db.connect(page_db)
    try:
        assert respondents(con, NEW_YEAR) == []
        assert con.execute("SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone() == (
            "administrator (password)", "reset")
    finally:
        con.close()


def test_an_import_is_published_and_the_history_tab_can_go_back(page_db, admin_hash):
    from lib.base.formatting import escape_markdown as md
    from lib.store import versions
    from tests.test_publish import data_hash

    con = db.connect(page_db)
    try:
        sheet = wide_sheet(con, respondents(con)[:3])
    finally:
        con.close()
    at = _sign_in(open_page(PAGE), PASSWORD)
    assert versions.current(page_db).version == 1  # the first page view published the copy
    at.number_input(key="import_year").set_value(NEW_YEAR)
    at.file_uploader[0].upload("answers.csv", csv_bytes(sheet), "text/csv")
    at.run()
    next(b for b in at.button if b.label == f"Import 3 councils into the {NEW_YEAR} round").click().run()
    assert not at.exception, at.exception
    assert any(md("Published as version 2; every page now shows it.") in s.value for s in at.success)
    v2 = versions.current(page_db)
    assert v2.version == 2 and v2.by == "administrator (password)"
    assert data_hash(v2.path) == data_hash(page_db)

    at = open_page(PAGE, section="History")
    at = _sign_in(at, PASSWORD)
    history = next(d.value for d in at.dataframe if "Version" in d.value.columns)
    assert list(history["Version"]) == [2, 1] and list(history["Shown now"]) == ["yes", ""]
    assert history["Why"].iloc[0] == f"import of answers.csv into the {NEW_YEAR} round"
    button = next(b for b in at.button if b.label == "Go back to this version")
    assert button.disabled  # until the box is ticked
    at.selectbox(key="rollback_version").select(1)
    at.checkbox(key="rollback_sure").check().run()
    next(b for b in at.button if b.label == "Go back to this version").click().run()
    assert not at.exception, at.exception
    assert any("Version 1 was published again as version 3; every page now shows it." in s.value
               for s in at.success)
    v3 = versions.current(page_db)
    assert v3.version == 3 and v3.reason == "rollback to version 1"
    con = db.connect(page_db)
    try:
        assert respondents(con, NEW_YEAR) == []
        assert con.execute("SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone() == (
            "administrator (password)", "rollback")
    finally:
        con.close()
    home = open_page()
    assert home.selectbox(key="round_select").options[0] == "2015 (95 councils, synthetic)"  # 2016 is gone


def test_the_history_tab_withholds_a_rounds_answers_and_publishes(page_db, admin_hash):
    from lib.store import versions

    at = _sign_in(open_page(PAGE, section="History"), PASSWORD)
    assert any("No round withholds them now." in m.value for m in at.markdown)
    at.selectbox(key="policy_year").select(2014)
    at.radio(key="policy_choice").set_value("withhold")
    next(b for b in at.button if b.label == "Save and publish").click().run()
    assert not at.exception, at.exception
    assert any("Councils' own answers in the 2014 round are now withheld" in s.value for s in at.success)
    snap = versions.current(page_db)
    assert snap.reason == "councils' answers in the 2014 round withheld" and snap.by == "administrator (password)"
    con = db.connect(snap.path, read_only=True)
    try:
        assert con.execute("SELECT year FROM survey_rounds WHERE NOT published_detail").fetchall() == [(2014,)]
        policies = upkeep.publication_policies(con)  # what the tab lists: newest first
        assert (2014, False) in policies and (2015, True) in policies
        assert [y for y, _ in policies] == sorted((y for y, _ in policies), reverse=True)
    finally:
        con.close()
    assert any("Withheld now: 2014." in m.value for m in at.markdown)
    # Saving the same choice again changes and publishes nothing.
    next(b for b in at.button if b.label == "Save and publish").click().run()
    assert any("Nothing was changed, so nothing new was published" in s.value for s in at.success)
    assert versions.current(page_db) == snap
