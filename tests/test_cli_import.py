"""CLI commands for the survey administrator: import, validate, template, rounds, reset-demo, admin-hash."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from lib.base import passwords
from lib.store import db
from tests.fixtures import copy_db, run_cli
from tests.test_ingest import (
    NEW_YEAR,
    db_checksum,
    respondents,
    write_answers_csv,
)

run = run_cli


@pytest.fixture()
def dbfile(repo_db_path, tmp_path):
    return copy_db(repo_db_path, tmp_path)


@pytest.fixture()
def answers(dbfile, tmp_path):
    return write_answers_csv(dbfile, tmp_path, 4)


def _checksum(path) -> str:
    con = db.connect(path)
    try:
        return db_checksum(con)
    finally:
        con.close()


def test_import_then_again_then_replace(dbfile, answers, tmp_path):
    path, sheet = answers
    code, out, err = run("--db", str(dbfile), "import", str(path), "--round", str(NEW_YEAR), "--by", "Jo Admin")
    assert code == 0, err
    assert f"Imported the {NEW_YEAR} round: 4 councils" in out
    con = db.connect(dbfile)
    try:
        assert respondents(con, NEW_YEAR) == sorted(sheet["council"])
        assert con.execute("SELECT submitted_by FROM submissions ORDER BY id DESC LIMIT 1").fetchone() == ("Jo Admin",)
    finally:
        con.close()

    code, out, _ = run("--db", str(dbfile), "import", str(path), "--round", str(NEW_YEAR))
    assert code == 0 and "nothing was changed" in out

    changed = tmp_path / "changed.csv"
    sheet.iloc[:2].to_csv(changed, index=False)
    before = _checksum(dbfile)
    code, _, err = run("--db", str(dbfile), "import", str(changed), "--round", str(NEW_YEAR))
    assert code == 1 and "already holds answers from answers.csv" in err and "replace" in err
    assert _checksum(dbfile) == before
    code, out, _ = run("--db", str(dbfile), "import", str(changed), "--round", str(NEW_YEAR), "--replace")
    assert code == 0 and "Replaced" in out

    code, out, _ = run("--db", str(dbfile), "rounds")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith(f"{NEW_YEAR}:"))
    assert "2 of 152 councils responded (survey responses" in line and "changed.csv" in line
    assert "synthetic demonstration data" in next(x for x in out.splitlines() if x.startswith("2015:"))


def test_import_with_problems_lists_them_and_writes_nothing(dbfile, answers, tmp_path):
    _, sheet = answers
    bad = sheet.copy()
    bad.loc[1, "council"] = "Atlantis"
    bad.loc[2, "emp_payroll"] = "sometimes"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    before = _checksum(dbfile)
    code, out, err = run("--db", str(dbfile), "import", str(path), "--round", str(NEW_YEAR))
    assert code == 1 and out == ""
    assert "2 problems found, so nothing can be imported" in err
    assert "Row 3, column council, cell A3: 'Atlantis': unknown council" in err
    assert "Row 4, column emp_payroll" in err and "answer not among the options" in err
    assert _checksum(dbfile) == before


def test_validate_previews_without_writing(dbfile, answers):
    path, _ = answers
    before = _checksum(dbfile)
    code, out, _ = run("--db", str(dbfile), "validate", str(path))  # round taken from the file
    assert code == 0
    assert "4 councils and" in out and f"for the {NEW_YEAR} round" in out
    assert "Preview: 4 responding councils" in out and "Median score" in out
    assert _checksum(dbfile) == before
    code, _, err = run("--db", str(dbfile), "validate", str(path), "--round", "2015")
    assert code == 1 and "wrong round year" in err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_command(dbfile, tmp_path, fmt):
    out_path = tmp_path / f"template.{fmt}"
    code, out, _ = run("--db", str(dbfile), "template", "--format", fmt, "--out", str(out_path), "--round", "2024")
    assert code == 0 and "(153 councils)" in out
    if fmt == "csv":
        df = pd.read_csv(out_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        df = pd.DataFrame(list(openpyxl.load_workbook(out_path)["responses"].values)[1:],
                          columns=list(openpyxl.load_workbook(out_path)["responses"].values)[0])
    assert len(df) == 153 and "emp_payroll" in df.columns


def test_reset_demo_needs_confirmation_then_backs_up(dbfile, answers, tmp_path):
    path, _ = answers
    assert run("--db", str(dbfile), "import", str(path), "--round", str(NEW_YEAR))[0] == 0
    before = _checksum(dbfile)
    code, _, err = run("--db", str(dbfile), "reset-demo")
    assert code == 2 and "--yes" in err and _checksum(dbfile) == before
    code, out, _ = run("--db", str(dbfile), "reset-demo", "--yes", "--by", "Jo")
    assert code == 0 and "Saved the previous database as" in out
    snaps = list((tmp_path / "backups").glob("pa_benchmark-*.duckdb"))
    assert len(snaps) == 1
    con = db.connect(dbfile)
    try:
        assert respondents(con, NEW_YEAR) == []
        assert con.execute("SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone() == ("Jo", "reset")
    finally:
        con.close()
    snap = db.connect(snaps[0], read_only=True)
    try:
        assert len(respondents(snap, NEW_YEAR)) == 4
    finally:
        snap.close()


def test_admin_hash_reads_the_password_twice(monkeypatch):
    typed = iter(["a long enough password", "a long enough password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    code, out, err = run("admin-hash")
    assert code == 0 and passwords.verify_password("a long enough password", out.strip())
    assert passwords.HASH_SECRET in err and passwords.HASH_ENV in err

    typed = iter(["a long enough password", "another password!!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    code, out, err = run("admin-hash")
    assert code == 2 and out == "" and "differ" in err

    typed = iter(["short"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    code, _, err = run("admin-hash")
    assert code == 2 and "at least 12 characters" in err


@pytest.mark.parametrize(("args", "message"), [
    (["import"], "the following arguments are required: file, --round"),
    (["import", "x.csv", "--round", "twenty"], "'twenty' is not a year: give the survey year as four digits"),
    (["template", "--format", "pdf", "--out", "x"], "invalid choice"),
    (["validate"], "the following arguments are required: file"),
])
def test_bad_arguments_exit_with_status_2(dbfile, args, message):
    code, _, err = run("--db", str(dbfile), *args)
    assert code == 2 and message in err


def test_missing_file_folder_or_database_exit_with_status_2(dbfile, tmp_path):
    code, _, err = run("--db", str(dbfile), "import", str(tmp_path / "none.csv"), "--round", "2016")
    assert code == 2 and "no file at" in err
    code, _, err = run("--db", str(dbfile), "template", "--format", "csv", "--out", str(tmp_path / "no" / "t.csv"))
    assert code == 2 and "does not exist" in err
    code, _, err = run("--db", str(tmp_path / "none.duckdb"), "rounds")
    assert code == 2 and "lib.cli build" in err
    code, _, err = run("--db", str(dbfile), "template", "--format", "csv", "--out", str(tmp_path / "t.csv"),
                       "--round", "1066")
    assert code == 2 and "1066 is outside the survey years 2012 to" in err


def test_oversized_file_is_refused_before_reading(dbfile, tmp_path, monkeypatch):
    monkeypatch.setenv("PA_BENCHMARK_MAX_UPLOAD_MB", "0.001")
    path = tmp_path / "big.csv"
    path.write_bytes(b"council,emp_payroll\n" + b"E06000001,available\n" * 200)
    code, _, err = run("--db", str(dbfile), "import", str(path), "--round", "2016")
    assert code == 1 and "big.csv" in err and "the largest accepted is 1 KB" in err
