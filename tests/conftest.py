"""Shared test set-up: what is expensive is built once per test session and copied per test.

Under pytest-xdist each worker is a test session of its own, with its own temporary folder
(`tmp_path_factory`), so each worker builds its own session databases there and no two
workers ever share a file.

- `repo_db_path`: the database built from the repository's standards, reference data and demo
  rounds, never published. Tests read it, or copy it (`tests.fixtures.copy_db`) to write.
- `published_db`: a copy of it with its first publication done (version 1), for tests that
  need a published database but do not check the first publication itself; they copy it with
  `copy_db(..., published=True)` (or ask for `published_copy`).
- `app_db`: points the app (AppTest pages, the API) at `published_db` for one test, through
  $PA_BENCHMARK_DB. Nothing here sets an environment variable at import time: a test or module
  that opens pages asks for this fixture, or sets the variable itself to its own copy. Until one
  does, the variable names a path no database can be made at, so a test that forgot fails.
- `browser` and `shared_server`: one headless Chromium and one `streamlit run` server per
  session, for the browser tests that only read. A browser test that writes (a respondent
  saving answers, the CLI importing while a server runs) starts its own server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.base.paths import DB_ENV_VAR
from lib.collection.database import URL_ENV as COLLECTION_URL_ENV
from lib.reference import schema
from tests import postgres
from tests.fixtures import copy_db

#: Where $PA_BENCHMARK_DB points while no fixture has pointed it at a test database: a path under
#: this file, which no database can be created at. A page, API or CLI test that forgot `app_db`
#: (or its own copy) fails there, naming this path, instead of quietly using, building or
#: publishing into the developer's data/pa_benchmark.duckdb.
_NO_DATABASE = Path(__file__).resolve() / "no-database-ask-for-the-app_db-fixture.duckdb"


@pytest.fixture(scope="session", autouse=True)
def _no_database_unless_asked() -> Iterator[None]:
    """Point $PA_BENCHMARK_DB at `_NO_DATABASE` for the session (set when the session starts, not
    when this file is imported; fixtures that set the variable override it for their test)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DB_ENV_VAR, str(_NO_DATABASE))
        yield


@pytest.fixture(scope="session", autouse=True)
def _collection_beside_the_database() -> Iterator[None]:
    """Survey rounds go to the SQLite file beside each test's database, whatever
    $PA_COLLECTION_URL or .streamlit/secrets.toml say (set but empty: lib.collection.database).
    Tests of PostgreSQL set the variable to a database of their own (`collection_url`)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(COLLECTION_URL_ENV, "")
        yield


@pytest.fixture(scope="session")
def postgresql_admin_url() -> Iterator[str]:
    """A real PostgreSQL server's `postgres` database as its superuser: the one .ci/run started
    ($PA_TEST_POSTGRESQL_URL), or one started for this test session (tests/postgres.py)."""
    reason = postgres.missing_reason()
    if reason:
        pytest.skip(reason)
    given = os.environ.get(postgres.URL_ENV)
    if given:
        yield given
        return
    with postgres.running_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def collection_url(request, monkeypatch) -> Iterator[str]:
    """Each test that asks for this runs twice: on the default SQLite file (the value is "", so
    the file beside the test's working database is used) and on a new database of its own on a
    real PostgreSQL server, given to the code as $PA_COLLECTION_URL."""
    if request.param == "sqlite":
        yield ""
        return
    admin = request.getfixturevalue("postgresql_admin_url")
    with postgres.fresh_database(admin) as url:
        monkeypatch.setenv(COLLECTION_URL_ENV, url)
        yield url


@pytest.fixture(scope="session")
def repo_db_path(tmp_path_factory) -> Path:
    """The session database, built once from the repo's standards, reference data and demo rounds."""
    from lib.reference.build import build_database

    path = tmp_path_factory.mktemp("session") / "session.duckdb"
    build_database(path)
    return path


@pytest.fixture(scope="session")
def published_db(repo_db_path, tmp_path_factory) -> Path:
    """A copy of the session database whose first publication is done: the state every server
    reaches on its first page view. Read it, or copy it with `copy_db(..., published=True)`."""

    working = copy_db(repo_db_path, tmp_path_factory.mktemp("published"), "published.duckdb")
    schema.store(working).ensure_published()
    return working


@pytest.fixture()
def published_copy(published_db, tmp_path) -> Path:
    """A private copy of `published_db`, published folder included, for a test that writes."""
    return copy_db(published_db, tmp_path, published=True)


@pytest.fixture()
def app_db(published_db, monkeypatch) -> Path:
    """Point the app (AppTest pages, the API) at the session's published database for this test."""
    monkeypatch.setenv(DB_ENV_VAR, str(published_db))
    return published_db


@pytest.fixture()
def repo_con(repo_db_path):
    """A connection to the session database (same settings as the app's, so DuckDB shares one instance)."""
    from lib.store import db

    con = db.connect(repo_db_path)
    yield con
    con.close()


@pytest.fixture(scope="session")
def latest_year(repo_db_path) -> int:
    """The newest survey round in the session database: the round every page opens on."""
    from lib.store import db

    con = db.connect(repo_db_path)
    try:
        return int(con.execute("SELECT max(year) FROM survey_rounds").fetchone()[0])
    finally:
        con.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, one per test session (tests.browser.launch_browser). Each
    test opens its own context or page and closes it, so tests share no cookies or storage."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_browser

    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shared_server(published_db, tmp_path_factory) -> Iterator[str]:
    """One `streamlit run dashboard.py` for every browser test that only reads, over its own copy
    of the published database; yields its base URL. Its caches warm up once for all of them."""
    from tests.browser import streamlit_server

    db_path = copy_db(published_db, tmp_path_factory.mktemp("shared-server"), published=True)
    with streamlit_server(db_path) as url:
        yield url


@pytest.fixture(scope="session")
def warm_context(browser):
    """One browser context for the browser tests that only read from `shared_server`: the app's
    front-end files (several MB of JavaScript) are fetched and compiled once per session, not once
    per test, which is about a second of Chromium's time per test. Tests share nothing else
    through it: `fresh_page` gives each a page with no cookies and no stored state."""
    context = browser.new_context(accept_downloads=True)
    yield context
    context.close()


@pytest.fixture()
def fresh_page(warm_context, shared_server):
    """A new page in `warm_context`, sized 1366x900, with the context's cookies cleared and the
    app origin's local and session storage emptied (Streamlit keeps the sidebar's state there), so
    no earlier test's state reaches this one. Closed after the test."""
    from tests.browser import VIEWPORT

    warm_context.clear_cookies()
    page = warm_context.new_page()
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{shared_server}/_stcore/health")  # the app's origin, without opening the app
    page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    yield page
    page.close()
