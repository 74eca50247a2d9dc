"""The council-update import mode (issue 14, item 5): one council's answers replaced in a loaded
round, every other council's answers untouched; validated, archived, audited, all or nothing."""

from __future__ import annotations

import errno

import pandas as pd
import pytest

from lib import ingest
from lib.analysis import whatif
from lib.base import exports
from lib.ingest import commit
from lib.store import db, upkeep
from tests.fixtures import copy_db, run_cli
from tests.test_ingest import csv_bytes, db_checksum, stored_rows, wide_sheet
from tests.test_whatif import flip_candidate

YEAR = 2015  # a demo round in the session database


@pytest.fixture()
def dbfile(repo_db_path, tmp_path):
    return copy_db(repo_db_path, tmp_path)


@pytest.fixture()
def con(dbfile):
    c = db.connect(dbfile)
    yield c
    c.close()


def _edited_sheet(con, code: str, qid: str) -> tuple[pd.DataFrame, whatif.Answers]:
    """The self-assessment page's download for `code` with `qid` changed to 'available'."""
    answers = whatif.stored_answers(con, code, YEAR)
    answers[qid] = whatif.Answer("available", ("support_org",))
    return whatif.import_ready(whatif.questionnaire(con, YEAR), code, YEAR, answers, demo=True), answers


def _others(rows: set[tuple], code: str) -> set[tuple]:
    return {r for r in rows if r[0] != code}


def _scores(con, year: int) -> pd.DataFrame:
    return con.execute("SELECT authority_code, standard, score, band, evidence FROM standard_scores "
                       "WHERE round_year = ? ORDER BY authority_code, standard", [year]).df()


def test_only_the_named_council_is_replaced_archived_and_audited(con):
    code, qid, _ = flip_candidate(con, YEAR)
    sheet, answers = _edited_sheet(con, code, qid)
    sheet["comment"] = "Corrected return after the self-assessment"
    before_rows = stored_rows(con, YEAR)
    old_own = {r for r in before_rows if r[0] == code}

    result = ingest.import_council_update(con, csv_bytes(sheet), "hartlepool.csv", YEAR, by="Jo Admin")

    assert result.status == "updated" and result.councils == 1
    after_rows = stored_rows(con, YEAR)
    assert _others(after_rows, code) == _others(before_rows, code)  # nobody else's answers moved
    assert {r for r in after_rows if r[0] == code} == {
        (code, q, a.value, a.providers, None) for q, a in answers.items()}
    sid = result.submission_id
    archived = {(a, q, ans, tuple(sorted(p)), c) for a, q, ans, p, c in con.execute(
        "SELECT authority_code, question_id, answer, providers, comment FROM responses_archive "
        "WHERE replaced_by = ?", [sid]).fetchall()}
    assert archived == old_own  # the council's previous answers are recoverable, nobody else's were moved
    sub = con.execute("SELECT councils, rows, submitted_by, status FROM submissions WHERE id = ?", [sid]).fetchone()
    assert sub == (1, len(answers), "Jo Admin", "current")
    action, detail = con.execute("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    name = con.execute("SELECT display_name FROM round_councils WHERE round_year = ? AND authority_code = ?",
                       [YEAR, code]).fetchone()[0]
    assert action == "council update" and f"Round 2015: only {name} ({code})'s answers replaced" in detail
    assert "every other council's answers unchanged" in detail
    assert con.execute("SELECT comment FROM council_comments WHERE submission_id = ?", [sid]).fetchone() == (
        "Corrected return after the self-assessment",)
    # The demo round stays labelled synthetic: 94 of its councils are still synthetic.
    is_demo, provenance = con.execute("SELECT is_demo, provenance FROM survey_rounds WHERE year = ?", [YEAR]).fetchone()
    assert is_demo and f"{code}'s answers replaced from hartlepool.csv" in provenance

    # The same file again changes nothing and says so.
    before = db_checksum(con)
    again = ingest.import_council_update(con, csv_bytes(sheet), "hartlepool.csv", YEAR)
    assert again.status == "unchanged" and "nothing was changed" in again.message
    assert db_checksum(con) == before


def test_round_trip_from_the_page_download_matches_the_projection(dbfile, tmp_path):
    con = db.connect(dbfile)
    try:
        code, qid, _ = flip_candidate(con, YEAR)
        sheet, answers = _edited_sheet(con, code, qid)
        projector = whatif.Projector(con, YEAR)
        try:
            projected = projector.project(code, answers)
        finally:
            projector.close()
        scores_before = _scores(con, YEAR)
        overall_before = whatif.actual_scores(con, code, YEAR).overall
    finally:
        con.close()
    assert projected.overall["score"] > overall_before["score"]  # the edit must change something to test
    path = tmp_path / f"{whatif.file_stem('Council', YEAR)}.csv"
    path.write_bytes(exports.to_csv_bytes(sheet))  # exactly the page's CSV download bytes

    status, out, err = run_cli("--db", str(dbfile), "import", str(path), "--round", str(YEAR), "--council-update",
                               "--by", "Jo Admin")
    assert status == 0, err
    assert "every other council's answers are unchanged" in out
    status, out, _ = run_cli("--db", str(dbfile), "rounds")
    assert status == 0 and f"1 council update, the latest from {path.name} by Jo Admin" in out

    con = db.connect(dbfile)
    try:
        after = whatif.actual_scores(con, code, YEAR)
        pd.testing.assert_frame_equal(
            projected.standards[["standard", "score", "band", "evidence"]],
            after.standards[["standard", "score", "band", "evidence"]], check_exact=False, rtol=0, atol=1e-9)
        for key in ("score", "band", "rank", "n_ranked", "ranked"):
            assert after.overall[key] == pytest.approx(projected.overall[key]), key  # rank too: others still there
        scores_after = _scores(con, YEAR)
        keep = scores_before["authority_code"] != code
        pd.testing.assert_frame_equal(scores_before[keep].reset_index(drop=True),
                                      scores_after[scores_after["authority_code"] != code].reset_index(drop=True))
        assert ingest.round_state(con, YEAR).respondents == 95  # the round was not cut to one council
    finally:
        con.close()


def _bad(con, sheet: pd.DataFrame, year: int = YEAR) -> ingest.Report:
    """Check the sheet as a council update, try to import it, and confirm nothing was written."""
    before = db_checksum(con)
    report = ingest.validate_council_update(con, csv_bytes(sheet), "bad.csv", year)
    assert not report.ok and not report.records
    with pytest.raises(ingest.ImportRefused):
        ingest.import_council_update(con, csv_bytes(sheet), "bad.csv", year)
    assert db_checksum(con) == before
    return report


def test_two_councils_in_the_file_are_refused_naming_the_second_row(con):
    codes = [r[0] for r in con.execute("SELECT DISTINCT authority_code FROM responses WHERE round_year = ? "
                                       "ORDER BY 1 LIMIT 2", [YEAR]).fetchall()]
    report = _bad(con, wide_sheet(con, codes, year=YEAR))
    (problem,) = report.problems
    assert problem.row == 3 and problem.column == "council" and problem.cell == "A3" and problem.value == codes[1]
    assert "more than one council" in problem.reason and "Keep one council's row" in problem.reason
    assert f"{codes[0]} (row 2)" in problem.reason


def test_council_not_in_the_rounds_council_set_is_refused(con):
    # North Yorkshire's 2023 unitary (E06000065) did not exist in 2015: the 2015 set holds the county.
    sheet = wide_sheet(con, ["E10000023"], year=YEAR)
    sheet["council"] = "E06000065"
    report = _bad(con, sheet)
    assert any(p.row == 2 and p.column == "council" and "2015" in p.reason for p in report.problems), report.lines()


def test_unknown_code_is_refused(con):
    sheet = wide_sheet(con, ["E06000001"], year=YEAR)
    sheet["council"] = "E06999999"
    report = _bad(con, sheet)
    assert any(p.row == 2 and p.column == "council" and p.value == "E06999999" for p in report.problems), report.lines()


def test_round_not_in_the_database_is_refused(con):
    sheet = wide_sheet(con, ["E06000001"], year=2016)
    report = _bad(con, sheet, year=2016)
    assert any("there is no 2016 round in the database" in p.reason and "import the whole round" in p.reason
               for p in report.problems), report.lines()


def test_a_question_the_round_asks_everyone_must_be_answered(con):
    code, qid, _ = flip_candidate(con, YEAR)
    sheet, _ = _edited_sheet(con, code, qid)
    report = _bad(con, sheet.drop(columns=[qid, f"{qid}__providers"], errors="ignore"))
    (problem,) = report.problems
    assert problem.row == 2 and problem.column == "council" and f"asks {qid} of every council" in problem.reason
    assert f"Add a {qid} column" in problem.reason


def test_importing_the_update_file_as_a_whole_round_is_not_taken_for_the_same_file(con):
    code, qid, _ = flip_candidate(con, YEAR)
    sheet, _ = _edited_sheet(con, code, qid)
    data = csv_bytes(sheet)
    ingest.import_council_update(con, data, "one.csv", YEAR)
    # The round is now 95 councils, one of them from one.csv: that file is not the round.
    assert ingest.round_state(con, YEAR).checksum is None
    before = db_checksum(con)
    with pytest.raises(ingest.ImportRefused, match="already holds"):
        ingest.import_file(con, data, "one.csv", YEAR)
    assert db_checksum(con) == before


def test_preview_says_only_that_council_changes_and_shows_before_and_after(con):
    code, qid, _ = flip_candidate(con, YEAR)
    sheet, answers = _edited_sheet(con, code, qid)
    before = db_checksum(con)
    report = ingest.validate_council_update(con, csv_bytes(sheet), "one.csv", YEAR)
    assert report.ok, report.lines()
    preview = ingest.council_preview(con, report)
    assert db_checksum(con) == before  # the preview only reads
    name = con.execute("SELECT display_name FROM round_councils WHERE round_year = ? AND authority_code = ?",
                       [YEAR, code]).fetchone()[0]
    assert preview.headline().startswith(f"This will replace only {name} ({code})'s answers in the 2015 round")
    assert "The answers of the other 94 councils in the 2015 round are not changed" in preview.headline()
    assert preview.answers_changed == 1  # one question edited (answer and providers)
    actual = whatif.actual_scores(con, code, YEAR)
    overall = preview.overall_table()
    assert list(overall["Overall score"]) == [whatif.format_score(actual.overall["score"]),
                                              whatif.format_score(preview.after.overall["score"])]
    assert preview.after.overall["score"] > actual.overall["score"]
    assert not preview.standards_table().isna().any().any()


def test_cli_refuses_flag_clashes_and_reports_problems(dbfile, tmp_path):
    con = db.connect(dbfile)
    try:
        two = wide_sheet(con, ["E06000001", "E06000002"], year=YEAR)
        one = wide_sheet(con, ["E06000001"], year=YEAR)
        before = db_checksum(con)
    finally:
        con.close()
    two_path, one_path = tmp_path / "two.csv", tmp_path / "one.csv"
    two.to_csv(two_path, index=False)
    one.to_csv(one_path, index=False)
    status, _, err = run_cli("--db", str(dbfile), "import", str(one_path), "--round", str(YEAR), "--council-update",
                             "--replace")
    assert status == 2 and "cannot be used together" in err
    status, _, err = run_cli("--db", str(dbfile), "import", str(one_path), "--round", str(YEAR), "--council-update",
                             "--council-set-on", "2015-04-01")
    assert status == 2 and "keeps the round's own council set" in err
    status, _, err = run_cli("--db", str(dbfile), "import", str(two_path), "--round", str(YEAR), "--council-update")
    assert status == 1 and "Row 3, column council, cell A3: 'E06000002': more than one council" in err
    status, _, err = run_cli("--db", str(dbfile), "import", str(one_path), "--round", "2016", "--council-update")
    assert status == 1 and "there is no 2016 round in the database" in err
    status, out, err = run_cli("--db", str(dbfile), "validate", str(one_path), "--round", str(YEAR),
                               "--council-update")
    assert status == 0, err
    assert "This will replace only Hartlepool (E06000001)'s answers in the 2015 round" in out
    assert "0 differ from what is held now" in out  # the demo answers unchanged
    con = db.connect(dbfile)
    try:
        assert db_checksum(con) == before
    finally:
        con.close()


def test_the_replaced_answers_load_back_as_a_council_update(con):
    code, qid, _ = flip_candidate(con, YEAR)
    original = stored_rows(con, YEAR)
    sheet, _ = _edited_sheet(con, code, qid)
    sid = ingest.import_council_update(con, csv_bytes(sheet), "one.csv", YEAR).submission_id
    assert stored_rows(con, YEAR) != original
    old = upkeep.archived_responses(con, sid)  # the History tab's download, in the long layout
    assert set(old["council"]) == {code}
    back = ingest.import_council_update(con, csv_bytes(old), "replaced-by-submission.csv", YEAR)
    assert back.status == "updated"
    assert stored_rows(con, YEAR) == original  # every council's answers exactly as before


def test_a_full_disk_part_way_through_changes_nothing(con, monkeypatch):
    code, qid, _ = flip_candidate(con, YEAR)
    sheet, _ = _edited_sheet(con, code, qid)
    report = ingest.validate_council_update(con, csv_bytes(sheet), "one.csv", YEAR)
    assert report.ok

    def disk_full(*_args, **_kwargs):  # after the archive and the delete, as the new answers go in
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(commit, "_insert_records", disk_full)
    before = db_checksum(con)
    with pytest.raises(ingest.ImportNotStored, match="Nothing was imported: the disk is full"):
        ingest.import_council_update(con, csv_bytes(sheet), "one.csv", YEAR, report=report)
    assert db_checksum(con) == before


def test_a_council_that_had_not_responded_is_added_and_nobody_else_changes(con):
    code = con.execute("SELECT authority_code FROM round_councils WHERE round_year = ? AND NOT responded "
                       "ORDER BY authority_code LIMIT 1", [YEAR]).fetchone()[0]
    donor = con.execute("SELECT min(authority_code) FROM responses WHERE round_year = ?", [YEAR]).fetchone()[0]
    sheet = wide_sheet(con, [donor], year=YEAR, source_year=YEAR)
    sheet["council"] = code  # a full set of answers, given as this council's
    report = ingest.validate_council_update(con, csv_bytes(sheet), "late.csv", YEAR)
    assert report.ok, report.lines()
    preview = ingest.council_preview(con, report)
    assert preview.before is None and preview.answers_now == 0
    assert "it has no answers in the round yet" in preview.headline()
    assert preview.overall_table()["Overall score"].iloc[0] == "No response"
    before_rows = stored_rows(con, YEAR)
    ingest.import_council_update(con, csv_bytes(sheet), "late.csv", YEAR)
    after_rows = stored_rows(con, YEAR)
    assert _others(after_rows, code) == before_rows
    assert ingest.round_state(con, YEAR).respondents == 96  # the demo round had 95 respondents; this one is added


def _whole_round_with_a_comment(con) -> pd.DataFrame:
    """The 2015 round imported as a whole from a file whose first council has a general comment,
    its load time moved an hour back (as if loaded earlier) so each later load is told apart."""
    codes = [r[0] for r in con.execute("SELECT DISTINCT authority_code FROM responses WHERE round_year = ? "
                                       "ORDER BY 1", [YEAR]).fetchall()]
    sheet = wide_sheet(con, codes, year=YEAR, source_year=YEAR)
    sheet["comment"] = ""
    sheet.loc[0, "comment"] = "General comment sent with the whole round"
    ingest.import_file(con, csv_bytes(sheet), "whole.csv", YEAR, replace=True)
    for table in ("responses", "submissions"):
        con.execute(f"UPDATE {table} SET submitted_at = submitted_at - INTERVAL 1 HOUR")  # noqa: S608 - fixed names
    return sheet


def test_an_update_without_a_comment_drops_the_old_one_and_the_same_file_again_is_a_no_op(con):
    sheet = _whole_round_with_a_comment(con)
    one = sheet.iloc[[0]].copy()
    one["comment"] = ""  # the same answers, and no general comment any more
    first = ingest.import_council_update(con, csv_bytes(one), "one.csv", YEAR)
    assert first.status == "updated"
    before = db_checksum(con)
    again = ingest.import_council_update(con, csv_bytes(one), "one.csv", YEAR)
    # Before the fix the whole round's comment still counted as the council's, so every re-import
    # of one.csv wrote a new submission, archive rows and an audit entry.
    assert again.status == "unchanged" and "nothing was changed" in again.message
    assert db_checksum(con) == before


def test_a_whole_round_replace_after_an_update_archives_each_row_under_its_own_file(con):
    sheet = _whole_round_with_a_comment(con)
    whole_sid = con.execute("SELECT id FROM submissions WHERE file_name = 'whole.csv'").fetchone()[0]
    code, qid, _ = flip_candidate(con, YEAR)
    edited, _ = _edited_sheet(con, code, qid)
    update_sid = ingest.import_council_update(con, csv_bytes(edited), "one.csv", YEAR).submission_id
    replace_sid = ingest.import_file(con, csv_bytes(sheet), "whole-again.csv", YEAR, replace=True).submission_id
    sources = dict(con.execute(
        "SELECT authority_code = ?, list_distinct(list(replaced_submission)) FROM responses_archive "
        "WHERE replaced_by = ? GROUP BY ALL", [code, replace_sid]).fetchall())
    # The updated council's rows came from one.csv, the other 94 councils' from whole.csv
    # (before the fix all 95 were put down to one.csv, the round's latest submission).
    assert sources == {True: [update_sid], False: [whole_sid]}
    version = upkeep.archived_versions(con).set_index("replaced_by").loc[replace_sid]
    assert version["file_name"] == "whole.csv" and version["councils"] == 95
    detail = con.execute("SELECT detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert f"replaced: submissions {whole_sid} and {update_sid} (95 councils) archived" in detail


def test_a_question_the_round_comes_to_ask_while_the_file_was_checked_is_refused_inside_the_write(con):
    code, qid, _ = flip_candidate(con, YEAR)
    sheet, _ = _edited_sheet(con, code, qid)
    sheet = sheet.drop(columns=[qid, f"{qid}__providers"], errors="ignore")
    # When the file is checked, no other council has answered qid ...
    con.execute("CREATE TEMP TABLE _others_qid AS SELECT * FROM responses WHERE round_year = ? "
                "AND question_id = ? AND authority_code <> ?", [YEAR, qid, code])
    con.execute("DELETE FROM responses WHERE round_year = ? AND question_id = ? AND authority_code <> ?",
                [YEAR, qid, code])
    report = ingest.validate_council_update(con, csv_bytes(sheet), "one.csv", YEAR)
    assert report.ok, report.lines()
    # ... then a whole-round replace (another admin) brings their answers to it back.
    con.execute("INSERT INTO responses SELECT * FROM _others_qid")
    con.execute("DROP TABLE _others_qid")
    before = db_checksum(con)
    with pytest.raises(ingest.ImportRefused, match=f"now asks {qid} of every council"):
        ingest.import_council_update(con, csv_bytes(sheet), "one.csv", YEAR, report=report)
    assert db_checksum(con) == before


def test_a_round_with_a_council_update_is_described_by_its_whole_round_file(con):
    sheet = _whole_round_with_a_comment(con)
    code, qid, _ = flip_candidate(con, YEAR)
    edited, _ = _edited_sheet(con, code, qid)
    ingest.import_council_update(con, csv_bytes(edited), "one.csv", YEAR)
    state = ingest.round_state(con, YEAR)
    # Before, the round was said to hold answers from one.csv for 95 councils (one.csv holds one).
    assert state.file_name == "whole.csv and 1 council update" and state.respondents == 95
    before = db_checksum(con)
    with pytest.raises(ingest.ImportRefused, match="already holds answers from whole.csv and 1 council update"):
        ingest.import_file(con, csv_bytes(sheet), "whole-again.csv", YEAR)
    assert db_checksum(con) == before
