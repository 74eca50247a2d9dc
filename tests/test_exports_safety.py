"""CSV exports of user text: every text field quoted, formula starts neutralised, numbers left numeric."""

from __future__ import annotations

import csv
import io

import duckdb
import pandas as pd

from lib.base import exports
from tests.fixtures import copy_db
from tests.test_cli_safety import run, table_hash

DDE = "x;=1+cmd|' /C calc'!A0"


def test_csv_quotes_every_text_field_and_keeps_numbers_numeric():
    df = pd.DataFrame({"council": ["E06000001", "E06000002"], "comment": [DDE, "=HYPERLINK(\"x\")"],
                       "note": ["-5 councils", "\tTab"], "score": [50.0, None], "rank": [1, 2]})
    text = exports.to_csv_bytes(df).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == '"council","comment","note","score","rank"'
    assert lines[1] == f'"E06000001","{DDE}","\'-5 councils",50.0,1'
    assert lines[2] == '"E06000002","\'=HYPERLINK(""x"")","\'\tTab","",2'
    back = pd.read_csv(io.StringIO(text))
    assert back["rank"].dtype.kind == "i" and back["score"].dtype.kind == "f"
    # The separator inside the comment is inside quotes, so it cannot start a new (formula) cell.
    assert list(csv.reader(io.StringIO(lines[1])))[0][1] == DDE


def test_cli_export_and_scores_quote_user_text(repo_db_path, tmp_path):
    path = copy_db(repo_db_path, tmp_path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE responses SET comment = ? WHERE round_year = 2015 AND authority_code = "
                "(SELECT min(authority_code) FROM responses WHERE round_year = 2015) AND question_id = "
                "'emp_payroll'", [DDE])
    con.close()
    before = table_hash(path)
    out = tmp_path / "responses.csv"
    code, stdout, err = run("--db", str(path), "export", "responses", "--format", "csv", "--out", str(out))
    assert code == 0 and stdout.startswith("Wrote ") and err == ""
    text = out.read_text(encoding="utf-8-sig")
    assert f'"{DDE}"' in text
    row = next(line for line in text.splitlines() if DDE in line)
    assert row.startswith("2015,") and ",\"emp_payroll\"," in row  # round_year stays a number
    code, stdout, _ = run("--db", str(path), "scores", "--round", "2015")
    assert code == 0
    first = stdout.splitlines()[1]
    # Numbers unquoted (the round, the score), text quoted (the council-set day, the code).
    assert first.startswith('2015,"2015-04-01","E') and pd.read_csv(io.StringIO(stdout))["score"].dtype.kind in "if"
    assert table_hash(path) == before
