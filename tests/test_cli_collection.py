"""`python -m lib.cli collection ...`: open, invite, revoke, tracker, close, publish, on a copy of
the session database. Exit status 0 done, 1 refused (with the reason), 2 unusable arguments."""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
from pathlib import Path

import pytest

from lib import collection
from lib.cli import main as cli
from lib.store import db, versions

YEAR = "2016"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def working(repo_db_path, tmp_path) -> Path:
    target = tmp_path / "work.duckdb"
    shutil.copy(repo_db_path, target)
    return target


def c(working: Path, *args: str) -> tuple[int, str, str]:
    return run("--db", str(working), "collection", *args)


def test_open_invite_respond_tracker_close_publish(working, tmp_path):
    code, out, err = c(working, "open", "--round", YEAR, "--closes", "2099-01-31", "--by", "tester")
    assert code == 0, err
    assert "Round 2016: collecting" in out and "31 January 2099" in out
    code, out, err = c(working, "invite", "--round", YEAR, "--council", "Hartlepool", "--contact-email",
                       "ann@example.org", "--base-url", "https://pa.example.org/")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Hartlepool (E06000001)"
    assert lines[1].startswith("https://pa.example.org/respond?token=")
    token = lines[1].split("token=", 1)[1]
    session = collection.resolve(working, token)
    assert session.council_code == "E06000001"
    # The respondent answers everything (pre-filled from 2015, confirmed) and submits.
    d = collection.load_draft(working, session)
    collection.save_answers(working, session, {}, {q: a.version for q, a in d.answers.items()}, confirm=list(d.answers))
    collection.submit(working, session)

    code, out, err = c(working, "tracker", "--round", YEAR)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == "council_code,council_name,status,answered,questions,last_activity"
    hart = next(r for r in rows if r["council_code"] == "E06000001")
    required = int(d.questions["scored"].sum())  # the tracker counts required questions, as the page does
    assert hart["status"] == "submitted" and hart["answered"] == hart["questions"] == str(required)
    assert sum(r["status"] == "not invited" for r in rows) == len(rows) - 1
    assert token not in out

    code, out, err = c(working, "publish", "--round", YEAR)
    assert code == 1 and "close the 2016 round" in err and "Traceback" not in err
    assert c(working, "close", "--round", YEAR)[0] == 0
    before = versions.current(working)
    code, out, err = c(working, "publish", "--round", YEAR, "--by", "tester")
    assert code == 0, err
    assert "1 councils" in out
    after = versions.current(working)
    assert after is not None and before is not None and after.version > before.version
    con = db.connect(after.path, read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT authority_code) FROM responses WHERE round_year = 2016").fetchone() == (1,)
    finally:
        con.close()


def test_invite_all_writes_the_mail_merge_csv_and_revoke(working, tmp_path):
    assert c(working, "open", "--round", YEAR)[0] == 0
    out_file = tmp_path / "links.csv"
    code, out, err = c(working, "invite", "--round", YEAR, "--all", "--out", str(out_file))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == ["council_code", "council_name", "contact_name", "contact_email", "link"]
    tracked = collection.tracker(working, 2016)
    assert len(rows) == len(tracked) and f"Invited {len(rows)} councils" in out
    first = rows[0]
    assert first["link"].startswith("http://localhost:8501/respond?token=")
    token = first["link"].split("token=", 1)[1]
    assert collection.resolve(working, token).council_code == first["council_code"]
    # --all again: nobody new to invite, nobody reissued.
    code, out, _ = c(working, "invite", "--round", YEAR, "--all", "--out", str(tmp_path / "again.csv"))
    assert code == 0 and "Invited 0 councils" in out
    assert collection.resolve(working, token).council_code == first["council_code"]
    code, out, err = c(working, "revoke", "--round", YEAR, "--council", first["council_code"])
    assert code == 0, err
    with pytest.raises(collection.BadToken):
        collection.resolve(working, token)


def test_refusals_are_messages_with_exit_status(working, tmp_path):
    code, _, err = c(working, "tracker", "--round", YEAR)
    assert code == 1 and "no 2016 round is being collected" in err and "Traceback" not in err
    assert c(working, "open", "--round", YEAR)[0] == 0
    code, _, err = c(working, "open", "--round", YEAR)
    assert code == 1 and "already open" in err
    code, _, err = c(working, "invite", "--round", YEAR, "--council", "Nowhere Borough Council")
    assert code == 1 and "unknown council" in err
    code, _, err = c(working, "invite", "--round", YEAR)
    assert code == 2 and "--council" in err
    code, _, err = c(working, "invite", "--round", YEAR, "--all")
    assert code == 2 and "--out" in err
    code, _, err = c(working, "revoke", "--round", YEAR, "--council", "E06000001")
    assert code == 1 and "no invitation" in err
    with pytest.raises(SystemExit) as exited:  # argparse: a bad date
        c(working, "open", "--round", "2017", "--closes", "31/01/2099")
    assert exited.value.code == 2
    code, _, err = run("--db", str(tmp_path / "missing.duckdb"), "collection", "open", "--round", YEAR)
    assert code == 2 and "no database" in err


def test_open_with_chosen_questions_and_an_unknown_one(working):
    code, out, err = c(working, "open", "--round", YEAR, "--questions", "emp_payroll,emp_dbs")
    assert code == 0, err
    assert collection.get_round(working, int(YEAR)).questions == ("emp_payroll", "emp_dbs")
    code, _, err = c(working, "open", "--round", str(int(YEAR) + 1), "--questions", "emp_payroll,nope")
    assert code == 1 and "nope" in err
