"""The dashboard with a database it cannot use, or one being written: a clear message, no traceback,
and pages keep being served from the published version while the command line writes."""

from __future__ import annotations

import duckdb
import pytest
import streamlit as st

from lib.base.formatting import escape_markdown as md
from lib.base.paths import DB_ENV_VAR
from lib.reference import schema
from lib.store import db, locks, versions
from tests.apptest import open_page
from tests.fixtures import copy_db
from tests.test_cli_safety import _hold_lock
from tests.test_ingest import db_checksum

pytestmark = pytest.mark.usefixtures("app_db")


@pytest.fixture()
def working(repo_db_path, tmp_path, monkeypatch):
    path = copy_db(repo_db_path, tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    monkeypatch.setattr(locks, "LOCK_PAUSE_SECONDS", 0.05)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def _hash(path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return db_checksum(con)
    finally:
        con.close()


def test_a_database_from_a_newer_app_is_explained_not_a_traceback(working):
    con = duckdb.connect(str(working))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = _hash(working)
    at = open_page()
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("**The data cannot be shown just now.** The database ")
    assert md(f"was written by a newer version of the app (schema 99; this version understands up to schema "
              f"{db.SCHEMA_VERSION}). "
              "Nothing was changed. Update the app, or use another database file.") in errors[0]
    assert not at.title  # no page is drawn on data it cannot read
    assert _hash(working) == before and versions.current(working) is None


def test_a_never_published_database_locked_by_a_writer_is_explained(working):
    before = _hash(working)
    proc = _hold_lock(working, 60)
    try:
        at = open_page()
    finally:
        proc.kill()
        proc.wait()
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("**The data cannot be shown just now.** " + md(f"The database {working} is in use"))
    assert md("Try again in a moment. Nothing was changed.") in errors[0]
    assert _hash(working) == before and versions.current(working) is None


def test_pages_are_served_while_a_writer_holds_the_working_database(working):
    snap = schema.store(working).ensure_published()
    proc = _hold_lock(working, 60)
    try:
        for page in (None, "pages/gaps.py", "pages/scorecard.py", "pages/regions.py"):
            at = open_page(page)
            assert at.title and not at.error, page
    finally:
        proc.kill()
        proc.wait()
    assert versions.current(working) == snap
