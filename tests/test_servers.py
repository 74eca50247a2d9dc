"""Real `streamlit run` servers beside the command line: one writer, many readers.

Two server processes read one published version at once; a server keeps serving while the
CLI imports, rolls back, refreshes and rebuilds, and shows each new version on its next page view.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lib.reference import schema
from lib.store import versions
from tests.browser import (
    ROOT,
    VIEWPORT,
    skip_without_chromium,
    streamlit_process,
    wait_for_app,
)
from tests.fixtures import copy_db
from tests.test_ingest import NEW_YEAR, write_answers_csv

pytestmark = [pytest.mark.browser, skip_without_chromium()]

ROUND_PICKER = '[data-testid="stSidebar"] [data-testid="stSelectbox"]'


def _cli(db_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lib.cli", "--db", str(db_path), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _shown_round(page, url: str) -> str:
    """Open Home in a new session (so the latest round is chosen) and read the round picker."""
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text() != ""
    return page.locator(f"{ROUND_PICKER} input").first.input_value()


def _open_versions(pid: int, folder: Path) -> set[str]:
    """The published files a process has open (from /proc)."""
    names = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)) and target.endswith(".duckdb"):
            names.add(Path(target).name)
    return names


def test_two_server_processes_read_one_version_at_once(repo_db_path, tmp_path, browser):
    working = copy_db(repo_db_path, tmp_path)
    first = schema.store(working).ensure_published()
    answers, _ = write_answers_csv(working, tmp_path, 4)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        with streamlit_process(working) as (url_a, proc_a), streamlit_process(working) as (url_b, proc_b):
            assert "2015 (95 councils, synthetic)" in _shown_round(page, url_a)
            assert "2015 (95 councils, synthetic)" in _shown_round(page, url_b)
            folder = versions.folder_for(working)
            assert _open_versions(proc_a.pid, folder) == {first.path.name}
            assert _open_versions(proc_b.pid, folder) == {first.path.name}
            # Neither server holds the working database, so the command line can write while both run.
            cli = _cli(working, "import", str(answers), "--round", str(NEW_YEAR), "--by", "test")
            out, err = cli.communicate(timeout=120)
            assert cli.returncode == 0, err
            assert "Published as version 2" in out
            assert f"{NEW_YEAR} (4 councils)" in _shown_round(page, url_a)
            assert f"{NEW_YEAR} (4 councils)" in _shown_round(page, url_b)
            second = versions.current(working)
            assert second.path.name in _open_versions(proc_a.pid, folder)
            assert second.path.name in _open_versions(proc_b.pid, folder)
    finally:
        context.close()


def test_a_server_keeps_serving_while_the_command_line_writes(repo_db_path, tmp_path, browser):
    working = copy_db(repo_db_path, tmp_path)
    answers, _ = write_answers_csv(working, tmp_path, 4)
    steps = [
        (["import", str(answers), "--round", str(NEW_YEAR)], f"{NEW_YEAR} (4 councils)"),
        (["rollback"], "2015 (95 councils, synthetic)"),  # back to the demo only
        (["rollback"], f"{NEW_YEAR} (4 councils)"),       # and the rollback undone
        (["refresh"], f"{NEW_YEAR} (4 councils)"),
        (["build", "--force"], "2015 (95 councils, synthetic)"),
    ]
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        with streamlit_process(working) as (url, _proc):
            assert "2015 (95 councils, synthetic)" in _shown_round(page, url)
            for args, expected in steps:
                cli = _cli(working, *args)
                served = 0
                while cli.poll() is None:  # page views while the command runs
                    _shown_round(page, url)
                    served += 1
                    # A short pause between views, as a reader's would be, so the browser and the
                    # server do not take both cores from the command they are checking.
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        cli.wait(timeout=0.5)
                out, err = cli.communicate(timeout=120)
                assert cli.returncode == 0, (args, err)
                assert served >= 1, args  # at least one page was served, in full, during the command
                assert "Published" in out, args
                assert expected in _shown_round(page, url), args
            kept = [s.version for s in versions.versions(working)]
            assert kept == [1, 2, 3, 4, 5, 6]
    finally:
        context.close()
