"""The scorecard's downloads, now built only when a button is pressed, are the same files the
page used to build on every run: same bytes for the same council and round. (The briefing is
compared byte for byte through a real server in test_browser.py.)"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from lib.analysis import scorecard
from lib.base import exports
from lib.reports import scorecard_files


def _councils(con, year: int) -> list[str]:
    """The top-ranked council, the lowest-ranked and one that did not rank."""
    rows = con.execute(
        "SELECT authority_code FROM overall_scores WHERE round_year = ? ORDER BY ranked DESC, rank", [year]
    ).fetchall()
    unranked = con.execute(
        "SELECT authority_code FROM overall_scores WHERE round_year = ? AND NOT ranked LIMIT 1", [year]
    ).fetchall()
    return [rows[0][0], rows[-1][0]] + [r[0] for r in unranked]


def _old_frames(con, code: str, year: int, demo: bool) -> dict:
    """What the page built on every run before: every export frame, labelled."""
    return {k: exports.label_demo(v, demo) for k, v in scorecard_files.export_frames(con, code, year).items()}


def _xlsx_parts(data: bytes) -> dict[str, bytes]:
    """A workbook's parts, with the creation and modification times (the clock) blanked."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["docProps/core.xml"] = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"",
                                        parts["docProps/core.xml"])
    return parts


@pytest.mark.parametrize("year", [2015, 2012])
def test_csv_download_is_byte_identical(repo_con, year):
    for code in _councils(repo_con, year):
        old = exports.to_csv_bytes(_old_frames(repo_con, code, year, True)["questions"])
        assert scorecard_files.answers_csv(repo_con, code, year, is_demo=True) == old
        assert scorecard_files.answers_csv(repo_con, code, year, is_demo=False) == \
            exports.to_csv_bytes(_old_frames(repo_con, code, year, False)["questions"])


@pytest.mark.parametrize("year", [2015, 2012])
def test_xlsx_download_has_the_same_sheets(repo_con, year):
    for code in _councils(repo_con, year):
        old = exports.to_xlsx_bytes(_old_frames(repo_con, code, year, True))
        new = scorecard_files.data_xlsx(repo_con, code, year, is_demo=True)
        assert _xlsx_parts(new) == _xlsx_parts(old)


def test_gaps_from_profile_is_gaps(repo_con):
    for code in _councils(repo_con, 2015):
        profile = scorecard.standard_profile(repo_con, code, 2015)
        assert scorecard.gaps_from_profile(repo_con, profile, 2015).equals(scorecard.gaps(repo_con, code, 2015))
