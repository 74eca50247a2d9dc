"""Data that cannot be lost or misplaced: the command line refuses what would destroy or misfile data.

Every case checks the exact message, the exit status, and a hash of every table before and after
(tests.test_ingest.db_checksum), read through a plain DuckDB connection so the check itself
changes nothing.
"""

from __future__ import annotations

import errno
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from lib import ingest
from lib.cli import shared as cli_shared
from lib.ingest import commit
from lib.reference.schema import DEFINITIONS
from lib.scoring import views as scoring
from lib.store import db, locks, upkeep, versions
from tests.fixtures import copy_db, copy_imported, import_new_round, run_cli
from tests.test_ingest import (
    NEW_YEAR,
    db_checksum,
    respondents,
    wide_sheet,
    write_answers_csv,
)

run = run_cli


def table_hash(path: Path) -> str:
    """db_checksum of the file through a read-only plain DuckDB connection (no schema check, no writes)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return db_checksum(con)
    finally:
        con.close()


@pytest.fixture()
def dbfile(repo_db_path, tmp_path):
    return copy_db(repo_db_path, tmp_path)


@pytest.fixture(scope="module")
def imported_template(repo_db_path, tmp_path_factory):
    """A copy with a real (non-demo) 2016 round of four councils imported from answers.csv.
    Built once for the module; each test gets its own copy (`imported`)."""
    folder = tmp_path_factory.mktemp("imported")
    return import_new_round(copy_db(repo_db_path, folder), folder)


@pytest.fixture()
def imported(imported_template, tmp_path):
    return copy_imported(imported_template, tmp_path)


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and "duckdb." not in err


# ---- 1. build refuses to lose imported rounds; refresh keeps them ---------------------------------

def test_build_refuses_a_database_with_imported_rounds(imported):
    before = table_hash(imported)
    code, out, err = run("--db", str(imported), "build")
    assert code == 2 and out == ""
    assert (f"error: {imported} holds data a rebuild would lose: round {NEW_YEAR} (4 councils, imported). "
            "Nothing was changed. Use `refresh`") in err
    assert "`build --force` to rebuild anyway (a backup of the database is kept first)" in err
    assert table_hash(imported) == before
    assert not upkeep.backup_dir(imported).exists()


def test_build_force_keeps_a_backup_with_the_imported_round(imported):
    before = table_hash(imported)
    code, out, err = run("--db", str(imported), "build", "--force")
    assert code == 0, err
    snaps = sorted(upkeep.backup_dir(imported).glob("*.duckdb"))
    assert len(snaps) == 1 and f"Saved the previous database as {snaps[0]}" in out
    assert table_hash(snaps[0]) == before  # the backup is exactly the database as it was
    con = duckdb.connect(str(imported), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM survey_rounds WHERE NOT is_demo").fetchone() == (0,)
    finally:
        con.close()


def test_build_of_a_demo_only_database_needs_no_force(dbfile):
    code, out, err = run("--db", str(dbfile), "build")
    assert code == 0, err and "round 2015: 95 responding councils" in out
    assert not upkeep.backup_dir(dbfile).exists()


KEPT = ("survey_rounds", "responses", "submissions", "responses_archive", "council_comments")


def _tables(path: Path, names: tuple[str, ...]) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in names}  # noqa: S608
    finally:
        con.close()


def test_refresh_reloads_rules_and_views_and_keeps_every_round(imported):
    kept = _tables(imported, KEPT + ("audit_log",))
    con = duckdb.connect(str(imported))
    councils = con.execute("SELECT count(*) FROM authorities").fetchone()[0]
    con.execute("UPDATE bands SET label = 'tampered'")
    con.execute("DELETE FROM authorities WHERE code NOT IN (SELECT authority_code FROM responses)")
    con.execute("DROP VIEW overall_summary")
    con.close()
    code, out, err = run("--db", str(imported), "refresh", "--by", "Jo")
    assert code == 0, err
    assert out.startswith(f"Refreshed {imported}: standards, questions, scoring rules and reference data "
                          "reloaded; rounds, answers, submissions, archive and audit log kept")
    after = _tables(imported, KEPT + ("audit_log",))
    assert {t: after[t] for t in KEPT} == {t: kept[t] for t in KEPT}
    assert after["audit_log"][: len(kept["audit_log"])] == kept["audit_log"]
    assert after["audit_log"][-1][2:4] == ("Jo", "refresh")
    con = db.connect(imported, read_only=True)
    try:
        assert "tampered" not in {r[0] for r in con.execute("SELECT label FROM bands").fetchall()}
        assert con.execute("SELECT count(*) FROM authorities").fetchone()[0] == councils
        assert set(scoring.VIEW_NAMES) <= set(db.view_names(con))
        assert con.execute("SELECT count(*) FROM overall_summary WHERE round_year = ?", [NEW_YEAR]).fetchone()[0]
    finally:
        con.close()


def test_refresh_refuses_when_stored_answers_would_lose_their_question(imported):
    con = duckdb.connect(str(imported))
    con.execute("UPDATE responses SET question_id = 'emp_gone' WHERE round_year = ? AND question_id = "
                "'emp_payroll'", [NEW_YEAR])
    con.close()
    before = table_hash(imported)
    code, out, err = run("--db", str(imported), "refresh")
    assert code == 2 and out == ""
    assert ("error: the repository's files no longer hold some questions or councils that stored answers use, so "
            "nothing was changed: responses: question emp_gone (4 answers). Restore them") in err
    assert table_hash(imported) == before


# ---- 2 and 12. --out is never the database, a folder or a full device ---------------------------

def test_export_onto_the_database_file_is_refused(dbfile, tmp_path, monkeypatch):
    before = table_hash(dbfile)
    code, out, err = run("--db", str(dbfile), "export", "standards", "--format", "csv", "--out", str(dbfile))
    assert code == 2 and out == ""
    assert f"error: --out {dbfile} is the database file itself: writing there would destroy the database" in err
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "link.duckdb"
    link.symlink_to(dbfile)
    for target in ("copy.duckdb", "./sub/../copy.duckdb", str(link), "copy.duckdb.wal"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        code, _, err = run("--db", str(dbfile), "export", "standards", "--format", "parquet", "--out", target)
        assert code == 2 and "is the database file itself" in err, target
    code, _, err = run("--db", str(dbfile), "template", "--format", "csv", "--out", str(link))
    assert code == 2 and "is the database file itself" in err
    assert table_hash(dbfile) == before


def test_out_pointing_at_a_folder_is_a_clear_message(dbfile, tmp_path):
    before = table_hash(dbfile)
    for command in (["export", "standards", "--format", "csv"], ["template", "--format", "xlsx"]):
        code, out, err = run("--db", str(dbfile), *command, "--out", str(tmp_path))
        assert code == 2 and out == ""
        assert f"error: --out {tmp_path} is a folder: give a file name inside it" in err
        no_traceback(err)
    assert table_hash(dbfile) == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_out_on_a_full_device_is_a_clear_message(dbfile):
    before = table_hash(dbfile)
    for command in (["export", "responses", "--format", "csv"], ["template", "--format", "csv"]):
        code, out, err = run("--db", str(dbfile), *command, "--out", "/dev/full")
        assert code == 2 and out == ""
        assert "error: could not write /dev/full: the disk is full (no space left on the device)" in err
        no_traceback(err)
    assert table_hash(dbfile) == before


# ---- 3. schema version and view SQL are checked at open -----------------------------------------

@pytest.mark.parametrize(("value", "message"), [
    ("99", "the database was written by a newer version of the app (schema 99; this version understands up "
           f"to schema {db.SCHEMA_VERSION}). Nothing was changed."),
    ("two", f"the database has an unknown schema version ('two'); this version of the app uses schema "
            f"{db.SCHEMA_VERSION}. Nothing was changed."),
])
def test_a_database_from_a_newer_or_unknown_schema_is_refused(dbfile, value, message):
    con = duckdb.connect(str(dbfile))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [value])
    con.close()
    before = table_hash(dbfile)
    for command in (["rounds"], ["scores", "--round", "2015"], ["refresh"], ["reset-demo", "--yes"], ["build"]):
        code, out, err = run("--db", str(dbfile), *command)
        assert code == 2 and out == "", command
        assert f"error: {dbfile}: {message}" in err, command
    assert table_hash(dbfile) == before
    with pytest.raises(db.SchemaError, match="Nothing was changed"):
        db.connect(dbfile, definitions=DEFINITIONS)


def test_views_made_by_other_code_are_recreated_on_a_writable_open(dbfile):
    con = duckdb.connect(str(dbfile))
    con.execute("CREATE OR REPLACE VIEW overall_summary AS SELECT 1 AS stale")
    con.execute("UPDATE meta SET value = 'old' WHERE key = 'views_hash'")
    con.close()
    before = table_hash(dbfile)
    # Read-only: nothing can change, so the stale views are refused rather than used.
    with pytest.raises(db.SchemaError, match="older scoring views"):
        db.connect(dbfile, read_only=True, definitions=DEFINITIONS)
    assert table_hash(dbfile) == before
    con = db.connect(dbfile, definitions=DEFINITIONS)
    try:
        assert "respondents" in con.execute("SELECT * FROM overall_summary LIMIT 0").df().columns
        assert con.execute("SELECT value FROM meta WHERE key = 'views_hash'").fetchone() == (scoring.DEFINITION.hash,)
    finally:
        con.close()


def test_views_hash_is_stored_by_build(repo_db_path):
    con = duckdb.connect(str(repo_db_path), read_only=True)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'views_hash'").fetchone() == (scoring.DEFINITION.hash,)
    finally:
        con.close()


# ---- 4. a full disk is reported as such; a failed backup leaves no partial file ----------------

def test_disk_full_during_an_import_is_reported_as_disk_full(dbfile, tmp_path, monkeypatch):
    path, sheet = write_answers_csv(dbfile, tmp_path, 3)

    def full(*args, **kwargs):
        raise duckdb.IOException('IO Error: Could not write file "copy.duckdb.wal": No space left on device')

    monkeypatch.setattr(commit, "_insert_records", full)
    before = table_hash(dbfile)
    code, out, err = run("--db", str(dbfile), "import", str(path), "--round", str(NEW_YEAR))
    assert code == 2 and out == ""
    assert ("error: Nothing was imported: the disk is full (no space left on the device). Free some space and "
            "try again.") in err
    assert "same moment" not in err
    assert table_hash(dbfile) == before


@pytest.fixture()
def small_disk(tmp_path):
    """A real file system of a few hundred KB more than a database needs (tmpfs, mounted here),
    so a write fills it for real. Skipped, saying why, where this process may not mount one."""
    folder = tmp_path / "small-disk"
    folder.mkdir()

    def mount(size: int) -> Path:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'mount failed'}); "
                        "the disk-full stand-in test above still runs")
        return folder

    yield mount
    subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_real_full_disk_during_an_import_is_reported_as_disk_full(dbfile, tmp_path, small_disk):
    # The database on a file system with 256 KB to spare; 40 councils' answers, each comment 5,000
    # characters, need far more, so the commit's write-ahead log fills the disk: DuckDB reports it
    # at COMMIT as a TransactionException, which used to be told as "saved at the same moment".
    answers, sheet = write_answers_csv(dbfile, tmp_path, 40)
    sheet.assign(comment="x" * 5_000).to_csv(answers, index=False)
    disk = small_disk(dbfile.stat().st_size + 256 * 1024)
    path = disk / dbfile.name
    path.write_bytes(dbfile.read_bytes())
    before = table_hash(path)
    code, out, err = run("--db", str(path), "import", str(answers), "--round", str(NEW_YEAR))
    assert code == 2 and out == "", err
    assert ("error: Nothing was imported: the disk is full (no space left on the device). Free some space and "
            "try again.") in err
    assert "same moment" not in err
    assert table_hash(path) == before


def test_a_backup_that_fails_leaves_no_partial_file(imported, monkeypatch):
    def half_written(con, target):
        Path(target).write_bytes(b"half a database")
        Path(f"{target}.wal").write_bytes(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(upkeep, "_copy_into", half_written)
    before = table_hash(imported)
    for command in (["reset-demo", "--yes"], ["build", "--force"]):
        code, out, err = run("--db", str(imported), *command)
        assert code == 2 and out == "", command
        assert "could not be written: the disk is full (no space left on the device)" in err
        assert "Nothing was changed and no partial copy was left." in err
        assert list(upkeep.backup_dir(imported).iterdir()) == []
    assert table_hash(imported) == before


# ---- 8. the round is a whole year in a sane range ----------------------------------------------

@pytest.mark.parametrize(("value", "message"), [
    ("inf", "argument --round: 'inf' is not a year: give the survey year as four digits, e.g. 2016"),
    ("2016.9", "argument --round: '2016.9' is not a year"),
    ("\u00b2\u00b2\u00b2\u00b2", "is not a year"),
    ("2061", f"argument --round: 2061 is outside the survey years 2012 to {ingest.LATEST_YEAR}: check the year"),
    ("2011", "argument --round: 2011 is outside the survey years"),
])
def test_round_argument_must_be_a_whole_plausible_year(imported, tmp_path, value, message):
    path = tmp_path / "answers.csv"
    before = table_hash(imported)
    for command in (["import", str(path)], ["validate", str(path)], ["scores"], ["template", "--format", "csv",
                                                                                  "--out", str(tmp_path / "t.csv")]):
        code, out, err = run("--db", str(imported), *command, "--round", value)
        assert code == 2 and out == "" and message in err, command
        no_traceback(err)
    assert table_hash(imported) == before
    assert not (tmp_path / "t.csv").exists()


# ---- 11. another program's lock: a short wait, then exit 2 with a message ------------------------

def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    code = textwrap.dedent(f"""
        import sys, time, duckdb
        con = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        time.sleep({seconds})
        con.close()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_every_write_meeting_a_lock_exits_2_with_a_message(imported, tmp_path, monkeypatch):
    monkeypatch.setattr(locks, "LOCK_PAUSE_SECONDS", 0.05)
    path = tmp_path / "answers.csv"
    commands = [["import", str(path), "--round", "2017"], ["reset-demo", "--yes"], ["refresh"], ["build"],
                ["build", "--force"], ["publish"],
                ["export", "audit_log", "--working", "--format", "csv", "--out", str(tmp_path / "a.csv")]]
    before, published = table_hash(imported), versions.current(imported)
    proc = _hold_lock(imported, 60)
    try:
        for command in commands:
            code, out, err = run("--db", str(imported), *command)
            assert code == 2 and out == "", command
            assert (f"error: the database {imported} is in use by another program (another command, or a change "
                    "being saved from the dashboard); waited") in err, command
            assert "Nothing was changed." in err
            no_traceback(err)
    finally:
        proc.kill()
        proc.wait()
    assert table_hash(imported) == before
    assert versions.current(imported) == published  # nothing new was published either
    assert not (tmp_path / "a.csv").exists()


def _lines(path: Path) -> list[str]:
    return sorted(path.read_text(encoding="utf-8-sig").splitlines())  # a view's rows come in no fixed order


def test_read_commands_work_while_a_writer_holds_the_lock(imported, tmp_path, monkeypatch):
    """They read the published version, which no writer ever holds: same output as without the lock."""
    monkeypatch.setattr(locks, "LOCK_PAUSE_SECONDS", 0.05)
    answers = tmp_path / "answers.csv"
    commands = [["rounds"], ["scores", "--round", str(NEW_YEAR)], ["validate", str(answers), "--round", str(NEW_YEAR)],
                ["export", "overall_scores", "--format", "csv", "--out", str(tmp_path / "s.csv")],
                ["template", "--format", "csv", "--out", str(tmp_path / "t.csv")], ["versions"]]
    free = {}
    for command in commands:
        code, out, err = run("--db", str(imported), *command)
        assert code == 0, (command, err)
        free[tuple(command)] = (out, _lines(tmp_path / "s.csv") if "export" in command else [])
    before = table_hash(imported)
    proc = _hold_lock(imported, 60)
    try:
        for command in commands:
            code, out, err = run("--db", str(imported), *command)
            assert code == 0, (command, err)
            assert (out, _lines(tmp_path / "s.csv") if "export" in command else []) == free[tuple(command)]
    finally:
        proc.kill()
        proc.wait()
    assert table_hash(imported) == before


def test_a_read_of_a_never_published_database_meeting_a_lock_exits_2(dbfile, monkeypatch):
    """Publishing the first version needs the write lock: wait, then say so."""
    monkeypatch.setattr(locks, "LOCK_PAUSE_SECONDS", 0.05)
    assert versions.current(dbfile) is None
    proc = _hold_lock(dbfile, 60)
    try:
        code, out, err = run("--db", str(dbfile), "rounds")
    finally:
        proc.kill()
        proc.wait()
    assert code == 2 and out == ""
    assert f"error: the database {dbfile} is in use by another program" in err and "Nothing was changed." in err
    no_traceback(err)
    assert versions.current(dbfile) is None


def test_a_write_waits_for_a_lock_that_is_released_soon(imported):
    before = table_hash(imported)
    proc = _hold_lock(imported, 0.5)
    try:
        code, out, err = run("--db", str(imported), "refresh")
    finally:
        proc.wait()
    assert code == 0, err
    assert out.startswith("Refreshed")
    assert table_hash(imported) != before  # the refresh was written (audit entry) once the lock was free


# ---- 15. terminal escape codes in stored text are never printed raw ----------------------------

def test_rounds_escapes_control_characters_from_stored_text(imported):
    con = duckdb.connect(str(imported))
    con.execute("UPDATE submissions SET file_name = 'evil\x1b[2J\x1b]0;pwned\x07\u202e.csv', "
                "submitted_by = 'Jo\x9b31m'")
    con.close()
    assert run("--db", str(imported), "publish")[0] == 0  # a change made outside the tool shows once published
    before = table_hash(imported)
    code, out, err = run("--db", str(imported), "rounds")
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith(f"{NEW_YEAR}:"))
    assert "imported from evil\\x1b[2J\\x1b]0;pwned\\x07\\u202e.csv by Jo\\x9b31m on" in line
    assert not any(ch in out for ch in "\x1b\x07\u202e\x9b")
    assert table_hash(imported) == before


def test_safe_keeps_ordinary_text_and_escapes_controls():
    assert cli_shared._safe("Bristol, City of – £5\n") == "Bristol, City of – £5\n"
    assert cli_shared._safe("a\rb\tc\x00") == "a\\x0db\\x09c\\x00"


# ---- 5-10 on the command line: file problems exit 1 with the row named, nothing written -----------

def _bad_files(con) -> dict[str, tuple[str, bytes, str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sheet = wide_sheet(con, respondents(con)[:3])
    text = sheet.to_csv(index=False).splitlines()
    quote = list(text)
    quote[2] = quote[2].replace(",", ',"', 1)
    semicolon = list(text)
    semicolon[3] = semicolon[3].replace(",", ";")
    london = sheet.copy()
    london.loc[1, "council"] = "London"
    named = sheet.assign(council_name=["Middlesbrough", "Middlesbrough", "Redcar and Cleveland"])
    script = sheet.assign(comment=["ok", "<img src=x onerror=alert(1)>", ""])
    years = sheet.assign(round=["2016", "inf", "2016"])
    buf = io.BytesIO()
    pq.write_table(pa.table({"council": ["E" * 9_000] * 40_000}), buf)
    return {
        "open quote": ("a.csv", ("\n".join(quote) + "\n").encode(),
                       "Row 3: row 3 (line 3 of the file): a quote opened on this row is not closed"),
        "other separator": ("a.csv", ("\n".join(semicolon) + "\n").encode(),
                            "Row 4: wrong number of cells: row 4 has 1 cells but the header has"),
        "bare London": ("a.csv", london.to_csv(index=False).encode(),
                        "Row 3, column council, cell A3: 'London': ambiguous council name: 'London' is the name of "
                        "a region"),
        "code and name disagree": ("a.csv", named.to_csv(index=False).encode(),
                                   "council and council_name disagree: the council column says 'E06000001', which is "
                                   "Hartlepool (E06000001), but the council_name column says 'Middlesbrough', which "
                                   "is Middlesbrough (E06000002)"),
        "script": ("a.csv", script.to_csv(index=False).encode(), "script content: the cell contains HTML markup"),
        "round inf": ("a.csv", years.to_csv(index=False).encode(),
                      "Row 3, column round, cell B3: 'inf': wrong round year: the round must be a whole year"),
        "parquet bomb": ("a.parquet", buf.getvalue(), "of text, far more than an answer sheet holds"),
    }


def test_bad_files_exit_1_naming_the_problem_and_change_nothing(dbfile, tmp_path):
    con = db.connect(dbfile, read_only=True, definitions=DEFINITIONS)
    try:
        files = _bad_files(con)
    finally:
        con.close()
    before = table_hash(dbfile)
    for case, (name, data, message) in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        for command in ("validate", "import"):
            code, out, err = run("--db", str(dbfile), command, str(path), "--round", str(NEW_YEAR))
            assert code == 1 and out == "", (case, command, out)
            assert err.startswith(f"{name}: ") and message in err, (case, command, err)
            no_traceback(err)
    assert table_hash(dbfile) == before


def test_a_blank_row_counts_as_not_responding_only_for_a_known_council(dbfile, tmp_path):
    con = db.connect(dbfile, read_only=True, definitions=DEFINITIONS)
    try:
        sheet = wide_sheet(con, respondents(con)[:3])
    finally:
        con.close()
    blank = [c for c in sheet.columns if c not in ("council", "round")]
    path = tmp_path / "answers.csv"
    before = table_hash(dbfile)
    unknown = sheet.astype(object)
    unknown.loc[2, blank] = ""
    unknown.loc[2, "council"] = "Atlantis"
    unknown.to_csv(path, index=False)
    code, out, err = run("--db", str(dbfile), "validate", str(path), "--round", str(NEW_YEAR))
    assert code == 1 and "Row 4, column council, cell A4: 'Atlantis': unknown council" in err
    assert table_hash(dbfile) == before
    known = sheet.astype(object)
    known.loc[2, blank] = ""
    known.to_csv(path, index=False)
    code, out, err = run("--db", str(dbfile), "validate", str(path), "--round", str(NEW_YEAR))
    assert code == 0 and "note: 1 row with a council but no answers was skipped (taken as not responding)." in out
    code, out, err = run("--db", str(dbfile), "import", str(path), "--round", str(NEW_YEAR))
    assert code == 0, err
    assert "Imported the 2016 round: 2 councils" in out


def test_build_over_a_file_that_is_not_a_database_needs_force_and_keeps_a_copy(tmp_path):
    path = tmp_path / "x.duckdb"
    path.write_bytes(b"not a database")
    code, out, err = run("--db", str(path), "build")
    assert code == 2 and out == ""
    assert f"error: the database {path} cannot be opened: " in err and "is not a valid DuckDB database file" in err
    assert "`build --force` rebuilds it (a copy of the file is kept first)" in err
    assert path.read_bytes() == b"not a database"
    code, out, err = run("--db", str(path), "build", "--force")
    assert code == 0, err
    (saved,) = upkeep.backup_dir(path).glob("*-unreadable.duckdb")
    assert saved.read_bytes() == b"not a database" and f"Saved the previous database as {saved}" in out
    assert table_hash(path)  # a real database now


def test_two_imports_of_one_new_round_committing_at_once_are_told_as_a_conflict(dbfile):
    # Two writers add the same new round in overlapping transactions: the second COMMIT fails on
    # the round's key ("duplicate key", no word "conflict"), which is a change saved at the same
    # moment, so the administrator is told to try again, not that the database failed.
    from lib.ingest.commit import write_refusals
    from lib.ingest.report import Report

    con = db.connect(dbfile)
    first, second = con.cursor(), con.cursor()
    insert = ("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) "
              "VALUES (2031, '2031', FALSE, DATE '2031-04-01', 'test', now())")
    try:
        first.execute("BEGIN TRANSACTION")
        second.execute("BEGIN TRANSACTION")
        first.execute(insert)
        second.execute(insert)
        first.execute("COMMIT")
        with pytest.raises(ingest.ImportRefused, match="saved at the same moment, so nothing was imported. Try again"), \
                write_refusals(Report(file_name="a.csv", checksum="", size=0)):
            second.execute("COMMIT")
    finally:
        con.close()
