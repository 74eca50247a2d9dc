"""Importing real answers (lib.ingest): formats, council matching, all-or-nothing writes, history.

Every test works on a copy of the session database; helpers here are shared with the other
import test files (bad inputs, template, CLI, page).
"""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from lib import ingest
from lib.analysis import whatif
from lib.reference import build
from lib.scoring import views as scoring
from lib.store import db, upkeep
from tests.fixtures import copy_db

NEW_YEAR = 2016  # not in the demo database; uses the 2015 council set


# --------------------------------------------------------------------------------------------
# Helpers shared by the import tests
# --------------------------------------------------------------------------------------------

def db_checksum(con: duckdb.DuckDBPyConnection) -> str:
    """sha256 over a full export of every base table, rows sorted: equal means unchanged."""
    digest = hashlib.sha256()
    for table in db.table_names(con):
        rows = con.execute(
            f"SELECT CAST(t AS VARCHAR) AS r FROM {table} t ORDER BY r"  # noqa: S608 - catalogue names
        ).fetchall()
        digest.update(f"{table}:{len(rows)}\n".encode())
        for (row,) in rows:
            digest.update(row.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def respondents(con: duckdb.DuckDBPyConnection, year: int = 2015) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT authority_code FROM responses WHERE round_year = ? ORDER BY 1", [year]).fetchall()]


def provider_question_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT id FROM questions q WHERE EXISTS (SELECT 1 FROM answer_options o "
        "WHERE o.answer_set = q.answer_set AND o.allows_providers) ORDER BY id").fetchall()]


def write_answers_csv(dbfile: Path, folder: Path, councils: int) -> tuple[Path, pd.DataFrame]:
    """A wide answers file for the first `councils` 2015 respondents, as answers.csv in `folder`."""
    con = db.connect(dbfile)
    try:
        sheet = wide_sheet(con, respondents(con)[:councils])
    finally:
        con.close()
    path = folder / "answers.csv"
    sheet.to_csv(path, index=False)
    return path, sheet


def wide_sheet(con: duckdb.DuckDBPyConnection, codes: list[str], year: int = NEW_YEAR,
               source_year: int = 2015) -> pd.DataFrame:
    """A valid wide answer sheet (lib.analysis.whatif.to_wide rows) for `codes`, using their demo answers."""
    questions = whatif.questionnaire(con, year)
    ids = list(questions["id"])
    pids = [q for q in provider_question_ids(con) if q in ids]
    frames = [whatif.to_wide(code, year, whatif.stored_answers(con, code, source_year), ids, pids)
              for code in codes]
    return pd.concat(frames, ignore_index=True)


def csv_bytes(df: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return df.to_csv(index=False).encode(encoding)


def xlsx_bytes(df: pd.DataFrame, sheet: str = "responses") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name=sheet, index=False)
    return buf.getvalue()


def parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def stored_rows(con: duckdb.DuckDBPyConnection, year: int) -> set[tuple]:
    return {(a, q, ans, tuple(sorted(p)), c) for a, q, ans, p, c in con.execute(
        "SELECT authority_code, question_id, answer, providers, comment FROM responses WHERE round_year = ?",
        [year]).fetchall()}


def score_table(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    return con.execute(
        "SELECT authority_code, standard, score, band, evidence FROM standard_scores WHERE round_year = ? "
        "ORDER BY authority_code, standard", [year]).df()


def overall_table(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    return con.execute(
        "SELECT authority_code, score, band, standards_evidenced, ranked, rank FROM overall_scores "
        "WHERE round_year = ? ORDER BY authority_code", [year]).df()


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

@pytest.fixture()
def con(repo_db_path, tmp_path):
    c = db.connect(copy_db(repo_db_path, tmp_path))
    yield c
    c.close()


@pytest.fixture(scope="module")
def codes(repo_db_path) -> list[str]:
    c = db.connect(repo_db_path, read_only=False)
    try:
        return respondents(c)
    finally:
        c.close()


# --------------------------------------------------------------------------------------------
# Reading every accepted format gives the same records
# --------------------------------------------------------------------------------------------

def _expected(con, codes: list[str], year: int = NEW_YEAR) -> set[tuple]:
    asked = {r[0] for r in con.execute("SELECT id FROM questions WHERE asked_from <= ?", [year]).fetchall()}
    return {(code, q, a.value, a.providers, None)
            for code in codes for q, a in whatif.stored_answers(con, code, 2015).items() if q in asked}


@pytest.mark.parametrize("fmt", ["csv", "csv-bom", "csv-1252", "csv-semicolon", "xlsx", "parquet"])
def test_wide_file_in_every_format_imports_the_same_answers(con, codes, fmt):
    sheet = wide_sheet(con, codes[:4])
    data = {
        "csv": lambda: csv_bytes(sheet),
        "csv-bom": lambda: csv_bytes(sheet, "utf-8-sig"),
        "csv-1252": lambda: csv_bytes(sheet, "cp1252"),
        "csv-semicolon": lambda: sheet.to_csv(index=False, sep=";").encode(),
        "xlsx": lambda: xlsx_bytes(sheet),
        "parquet": lambda: parquet_bytes(sheet),
    }[fmt]()
    name = {"xlsx": "a.xlsx", "parquet": "a.parquet"}.get(fmt, "a.csv")
    result = ingest.import_file(con, data, name, NEW_YEAR, by="tester")
    assert result.status == "imported" and result.councils == 4
    assert stored_rows(con, NEW_YEAR) == _expected(con, codes[:4])


def test_labels_wording_names_and_long_format_are_understood(con, codes):
    """Answers as labels in any case, question wording as headers, council names, long layout."""
    sheet = wide_sheet(con, codes[:3])
    options = con.execute("SELECT q.id, o.value, o.label FROM questions q JOIN answer_options o "
                          "USING (answer_set)").fetchall()
    label = {(q, v): lab for q, v, lab in options}
    wording = dict(con.execute("SELECT id, wording FROM questions").fetchall())
    names = dict(con.execute("SELECT code, name FROM authorities").fetchall())
    relabelled = sheet.copy()
    for q in wording:
        if q in relabelled:
            relabelled[q] = [label[(q, v)].upper() if v else "" for v in relabelled[q]]
    relabelled["council"] = [names[c] for c in relabelled["council"]]
    relabelled = relabelled.rename(columns={q: wording[q] for q in wording if q in relabelled})
    report = ingest.validate(con, csv_bytes(relabelled), "labels.csv", NEW_YEAR)
    assert report.ok, report.lines()
    assert {(r.authority_code, r.question_id, r.answer, r.providers, r.comment) for r in report.records} \
        == _expected(con, codes[:3])

    long = pd.DataFrame(
        [{"council": code, "question": q, "answer": a.value, "providers": ";".join(a.providers),
          "comment": "Checked with the commissioning team" if q == "emp_payroll" else ""}
         for code in codes[:3] for q, a in whatif.stored_answers(con, code, 2015).items()])
    report = ingest.validate(con, csv_bytes(long), "long.csv", NEW_YEAR)
    assert report.ok and report.layout == "long", report.lines()
    comments = {(r.authority_code, r.question_id): r.comment for r in report.records if r.comment}
    assert comments == {(code, "emp_payroll"): "Checked with the commissioning team" for code in codes[:3]}


@pytest.mark.parametrize(("written", "code"), [
    ("Bristol", "E06000023"), ("Bristol, City of", "E06000023"), ("Bristol City Council", "E06000023"),
    ("St Helens", "E08000013"), ("St. Helens", "E08000013"), ("St Helens Council", "E08000013"),
    ("Kingston upon Hull", "E06000010"), ("Hull City Council", "E06000010"),
    ("Herefordshire", "E06000019"), ("County of Herefordshire", "E06000019"),
    ("Herefordshire Council", "E06000019"),
    ("Telford & Wrekin", "E06000020"), ("Brighton & Hove City Council", "E06000043"),
    ("Wirral MBC", "E08000015"), ("Solihull Metropolitan Borough Council", "E08000029"),
    ("London Borough of Barnet", "E09000003"), ("Royal Borough of Kingston upon Thames", "E09000021"),
    ("Royal Borough of Windsor and Maidenhead", "E06000040"), ("Durham County Council", "E06000047"),
    ("stockton-on-tees borough council", "E06000004"), ("e10000023", "E10000023"),
])
def test_council_name_variants_match_one_council(repo_con, written, code):
    matched, reason = ingest.CouncilMatcher(repo_con, 2015).match(written)
    assert (matched, reason) == (code, None)


def test_council_set_follows_the_round(repo_con):
    """Dorset is one name in both sets; each round finds the council of its own set."""
    assert ingest.CouncilMatcher(repo_con, 2015).match("Dorset") == ("E10000009", None)
    assert ingest.CouncilMatcher(repo_con, 2024).match("Dorset") == ("E06000059", None)
    code, reason = ingest.CouncilMatcher(repo_con, 2024).match("Northamptonshire")
    assert code is None and "wrong council set" in reason
    assert "North Northamptonshire (E06000061)" in reason and "West Northamptonshire (E06000062)" in reason


# --------------------------------------------------------------------------------------------
# Writing: submissions, audit, rounds, no-op, replace and recovery
# --------------------------------------------------------------------------------------------

def test_import_records_submission_audit_and_round(con, codes):
    data = csv_bytes(wide_sheet(con, codes[:5]))
    result = ingest.import_file(con, data, "/some/folder/answers 2016.csv", NEW_YEAR, by="Survey admin")
    sub = con.execute("SELECT id, round_year, file_name, checksum, rows, councils, submitted_by, status "
                      "FROM submissions WHERE id = ?", [result.submission_id]).fetchone()
    n_rows = con.execute("SELECT count(*) FROM responses WHERE round_year = ?", [NEW_YEAR]).fetchone()[0]
    assert sub == (result.submission_id, NEW_YEAR, "answers 2016.csv", hashlib.sha256(data).hexdigest(),
                   n_rows, 5, "Survey admin", "current")
    rnd = con.execute("SELECT is_demo, council_set_on, provenance FROM survey_rounds WHERE year = ?", [NEW_YEAR]).fetchone()
    assert rnd[0] is False and rnd[1] == date(NEW_YEAR, 4, 1) and "answers 2016.csv" in rnd[2]
    action, actor, detail = con.execute(
        "SELECT action, actor, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert (action, actor) == ("import", "Survey admin") and f"submission {result.submission_id}" in detail
    # The new round is scored like any other: every council in it has an overall score.
    assert set(overall_table(con, NEW_YEAR)["authority_code"]) == set(codes[:5])
    assert NEW_YEAR in set(scoring.rounds(con)["year"])


def test_same_file_again_is_a_no_op(con, codes):
    data = csv_bytes(wide_sheet(con, codes[:3]))
    first = ingest.import_file(con, data, "a.csv", NEW_YEAR)
    before = db_checksum(con)
    again = ingest.import_file(con, data, "renamed.csv", NEW_YEAR)
    assert again.status == "unchanged" and again.submission_id == first.submission_id
    assert "nothing was changed" in again.message
    assert db_checksum(con) == before


def test_changed_file_needs_replace_and_the_old_version_stays_recoverable(con, codes):
    first_sheet = wide_sheet(con, codes[:3])
    first = ingest.import_file(con, csv_bytes(first_sheet), "first.csv", NEW_YEAR)
    original = stored_rows(con, NEW_YEAR)
    changed = wide_sheet(con, codes[1:5])
    before = db_checksum(con)
    with pytest.raises(ingest.ImportRefused, match="already holds answers from first.csv"):
        ingest.import_file(con, csv_bytes(changed), "second.csv", NEW_YEAR)
    assert db_checksum(con) == before

    second = ingest.import_file(con, csv_bytes(changed), "second.csv", NEW_YEAR, replace=True, by="admin")
    assert second.status == "replaced"
    assert {r[0] for r in stored_rows(con, NEW_YEAR)} == set(codes[1:5])
    assert con.execute("SELECT status FROM submissions WHERE id = ?", [first.submission_id]).fetchone() == ("replaced",)
    assert con.execute("SELECT status FROM submissions WHERE id = ?", [second.submission_id]).fetchone() == ("current",)
    action, detail = con.execute("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert action == "replace" and f"submission {first.submission_id}" in detail

    # The replaced answers come back, in the long import format, exactly as they were ...
    archived = upkeep.archived_responses(con, second.submission_id)
    assert {(r.council, r.question, r.answer, tuple(p for p in r.providers.split(";") if p), None)
            for r in archived.itertuples()} == original
    versions = upkeep.archived_versions(con)
    assert versions.loc[0, "replaced_submission"] == first.submission_id
    # ... and importing them again restores the first version's answers.
    restore = ingest.import_file(con, csv_bytes(archived), "restore.csv", NEW_YEAR, replace=True)
    assert restore.status == "replaced" and stored_rows(con, NEW_YEAR) == original


def test_demo_round_is_replaced_only_with_replace(con, codes):
    demo_rows = stored_rows(con, 2015)
    sheet = wide_sheet(con, codes[:2], year=2015)
    before = db_checksum(con)
    with pytest.raises(ingest.ImportRefused, match="synthetic demonstration data"):
        ingest.import_file(con, csv_bytes(sheet), "real2015.csv", 2015)
    assert db_checksum(con) == before
    result = ingest.import_file(con, csv_bytes(sheet), "real2015.csv", 2015, replace=True)
    assert con.execute("SELECT is_demo FROM survey_rounds WHERE year = 2015").fetchone() == (False,)
    archived = upkeep.archived_responses(con, result.submission_id)
    assert len(archived) == len(demo_rows)
    assert upkeep.archived_versions(con)["was_demo"].tolist() == [True]


def test_preview_gives_the_scores_the_import_produces_without_writing(con, codes):
    data = csv_bytes(wide_sheet(con, codes[:12]))
    report = ingest.validate(con, data, "p.csv", NEW_YEAR)
    before = db_checksum(con)
    preview = ingest.preview(con, report)
    assert db_checksum(con) == before
    ingest.import_file(con, data, "p.csv", NEW_YEAR, report=report)
    after = overall_table(con, NEW_YEAR).set_index("authority_code")
    got = preview.councils.set_index("authority_code").loc[after.index]
    assert (got["score"] - after["score"]).abs().max() < 1e-9
    assert list(got["band"]) == list(after["band"])
    assert list(got["rank"].astype("Int64")) == list(after["rank"].astype("Int64"))
    national = con.execute("SELECT median_score FROM overall_summary WHERE round_year = ? AND scope = 'england'",
                           [NEW_YEAR]).fetchone()[0]
    assert preview.national["median_score"] == pytest.approx(national, abs=1e-9)
    councils, standards = ingest.preview_tables(preview)
    assert not councils.isna().any().any() and not standards.isna().any().any()
    assert len(standards) == 9


# --------------------------------------------------------------------------------------------
# The what-if page's projection equals the scores after importing the same change
# --------------------------------------------------------------------------------------------

def test_a_file_marked_synthetic_gets_a_warning(con, codes):
    from lib.base import exports

    sheet = exports.label_demo(wide_sheet(con, codes[:1]), True)
    report = ingest.validate(con, csv_bytes(sheet), "self-assessment.csv", NEW_YEAR)
    assert report.ok and any("synthetic demonstration data" in w for w in report.warnings)
    assert not any("synthetic" in w for w in ingest.validate(con, csv_bytes(wide_sheet(con, codes[:1])),
                                                            "a.csv", NEW_YEAR).warnings)


def test_what_if_projection_equals_scores_after_import(con):
    year = 2015
    code, qid = con.execute(
        """SELECT r.authority_code, r.question_id FROM responses r JOIN questions q ON q.id = r.question_id
           WHERE r.round_year = ? AND q.scored AND q.answer_set = 'availability' AND r.answer = 'not_available'
           ORDER BY r.authority_code, r.question_id LIMIT 1""", [year]).fetchone()
    answers = whatif.stored_answers(con, code, year)
    answers[qid] = whatif.Answer("available", ("support_org",))
    projector = whatif.Projector(con, year)
    try:
        projected = projector.project(code, answers)
    finally:
        projector.close()
    questions = whatif.questionnaire(con, year)
    pids = [q for q in provider_question_ids(con) if q in set(questions["id"])]
    sheet = whatif.to_wide(code, year, answers, list(questions["id"]), pids)
    result = ingest.import_file(con, csv_bytes(sheet), "what-if.csv", year, replace=True)
    assert result.status == "replaced" and result.councils == 1
    after = whatif.actual_scores(con, code, year)
    pd.testing.assert_frame_equal(
        projected.standards[["standard", "score", "band", "evidence"]],
        after.standards[["standard", "score", "band", "evidence"]], check_exact=False, rtol=0, atol=1e-9)
    assert after.overall["score"] == pytest.approx(projected.overall["score"], rel=0, abs=1e-9)
    assert after.overall["band"] == projected.overall["band"]


# --------------------------------------------------------------------------------------------
# Readers never see half a round
# --------------------------------------------------------------------------------------------

def test_readers_see_no_round_or_the_whole_round_never_half(con, codes):
    extra = [c for c in con.execute(
        "SELECT authority_code FROM round_councils WHERE round_year = 2015 AND NOT responded "
        "ORDER BY authority_code LIMIT 5").fetchall()]
    sheet = wide_sheet(con, codes)
    # Five more councils answering like the first respondent: about 100 councils in all.
    for (code,) in extra:
        row = sheet.iloc[[0]].copy()
        row["council"] = code
        sheet = pd.concat([sheet, row], ignore_index=True)
    data = csv_bytes(sheet)
    report = ingest.validate(con, data, "big.csv", NEW_YEAR)
    assert report.ok and len(report.councils) == len(codes) + len(extra) >= 100
    full = (len(report.records), 1, 1)

    seen: list[tuple] = []
    done = threading.Event()

    def reader() -> None:
        cur = con.cursor()
        try:
            while True:
                finished = done.is_set()
                seen.append(cur.execute(
                    "SELECT (SELECT count(*) FROM responses WHERE round_year = ?), "
                    "(SELECT count(*) FROM survey_rounds WHERE year = ?), "
                    "(SELECT count(*) FROM submissions WHERE round_year = ?)",
                    [NEW_YEAR, NEW_YEAR, NEW_YEAR]).fetchone())
                if finished:
                    break
        finally:
            cur.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        ingest.import_file(con, data, "big.csv", NEW_YEAR, report=report)
    finally:
        done.set()
        thread.join()
    assert seen and set(seen) <= {(0, 0, 0), full}
    assert seen[-1] == full


# --------------------------------------------------------------------------------------------
# Reset, backups and exports
# --------------------------------------------------------------------------------------------

def test_reset_backs_up_then_restores_the_demo_rounds(con, codes, tmp_path, repo_db_path):
    ingest.import_file(con, csv_bytes(wide_sheet(con, codes[:3], year=2015)), "real.csv", 2015, replace=True)
    ingest.import_file(con, csv_bytes(wide_sheet(con, codes[:3])), "new.csv", NEW_YEAR)
    saved = build.reset_to_demo(con, tmp_path / "backups", by="admin")
    assert saved.parent == tmp_path / "backups" and saved.exists()
    with duckdb.connect(str(saved), read_only=True) as old:
        assert respondents(old, NEW_YEAR) == sorted(codes[:3])
    reference = db.connect(repo_db_path, read_only=False)
    try:
        assert stored_rows(con, 2015) == stored_rows(reference, 2015)
        assert db.table_names(con) == db.table_names(reference)
    finally:
        reference.close()
    assert respondents(con, NEW_YEAR) == []
    assert con.execute("SELECT bool_and(is_demo), count(*) FROM survey_rounds").fetchone() == (True, 4)
    actions = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
    assert actions[-1] == "reset" and "import" in actions and "replace" in actions


def test_export_and_database_copy(con, tmp_path):
    data, n = upkeep.export_table(con, "overall_scores", "csv")
    df = pd.read_csv(io.BytesIO(data))
    assert n == len(df) == con.execute("SELECT count(*) FROM overall_scores").fetchone()[0]
    assert set(df["data_note"]) == {"Synthetic demonstration data - not real council responses"}
    with pytest.raises(ValueError, match="unknown table"):
        upkeep.export_table(con, 'responses"; DROP TABLE responses; --', "csv")
    path = tmp_path / "downloaded.duckdb"
    path.write_bytes(upkeep.database_bytes(con, tmp_path))
    assert not list(tmp_path.glob("export-*"))  # the scratch copy is removed
    copy = duckdb.connect(str(path), read_only=True)
    try:
        assert db_checksum(copy) == db_checksum(con)
        assert set(db.view_names(copy)) == set(db.view_names(con))
    finally:
        copy.close()
