"""Shared test set-up: one database built from the repository's files for the whole session.

The app and CLI find the database through $PA_BENCHMARK_DB, so tests point it at a
temporary file and never touch data/pa_benchmark.duckdb.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from lib.paths import DB_ENV_VAR

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="pa-benchmark-tests-"))
os.environ[DB_ENV_VAR] = str(_SESSION_DIR / "session.duckdb")


@pytest.fixture(scope="session")
def repo_db_path() -> Path:
    """The session database, built once from the repo's standards, reference data and demo rounds."""
    from lib.build import build_database

    path = Path(os.environ[DB_ENV_VAR])
    if not path.exists():
        build_database(path)
    return path


@pytest.fixture()
def repo_con(repo_db_path):
    """A connection to the session database (same settings as the app's, so DuckDB shares one instance)."""
    from lib import db

    con = db.connect(repo_db_path)
    yield con
    con.close()


@pytest.fixture(scope="session")
def latest_year(repo_db_path) -> int:
    """The newest survey round in the session database: the round every page opens on."""
    from lib import db

    con = db.connect(repo_db_path)
    try:
        return int(con.execute("SELECT max(year) FROM survey_rounds").fetchone()[0])
    finally:
        con.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, one per test module (tests.browser.launch_browser)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_browser

    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()
