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
    assert lines[1] == '"E06000001","x;\'=1+cmd|\' /C calc\'!A0","\'-5 councils",50.0,1'
    assert lines[2] == '"E06000002","\'=HYPERLINK(""x"")","\'\tTab","",2'
    back = pd.read_csv(io.StringIO(text))
    assert back["rank"].dtype.kind == "i" and back["score"].dtype.kind == "f"
    # The separator inside the comment is inside quotes, so it cannot start a new (formula) cell,
    # and the formula after it is neutralised too (for a spreadsheet that splits on ";").
    assert list(csv.reader(io.StringIO(lines[1])))[0][1] == "x;'=1+cmd|' /C calc'!A0"


FORMULA_CHARS = ("=", "+", "-", "@")


def test_no_cell_starts_a_formula_whatever_the_separator_a_spreadsheet_splits_on():
    # A comma file opened where ";" or a tab separates cells (continental Excel, a paste): each
    # cell any such split makes must not start with = + - @.
    df = pd.DataFrame({"code": ["E06000001", "E06000002", "E06000003"],
                       "comment": ["we run a forum;=HYPERLINK(\"http://x\")", "a,+1\n@SUM(A1)", "ok\t-2+3"],
                       "score": [1.5, 2.0, None]})
    text = exports.to_csv_bytes(df).decode("utf-8-sig")
    for separator in (",", ";", "\t"):
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter=separator) for cell in row]
        assert not [c for c in cells if c.startswith(FORMULA_CHARS)], separator
    back = pd.read_csv(io.StringIO(text))
    assert back["comment"].tolist() == ["we run a forum;'=HYPERLINK(\"http://x\")", "a,'+1\n'@SUM(A1)", "ok\t'-2+3"]


def test_xlsx_cells_are_neutralised_after_separators_too():
    import openpyxl

    df = pd.DataFrame({"comment": ["x;=cmd", "=cmd", "plain, text - fine"]})
    ws = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes({"s": df}))).active
    assert [c.value for c in ws["A"]][1:] == ["x;'=cmd", "'=cmd", "plain, text - fine"]


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
    shown = exports.neutralise_text(DDE)  # x;'=1+cmd|' /C calc'!A0
    assert shown == "x;'=1+cmd|' /C calc'!A0" and f'"{shown}"' in text
    row = next(line for line in text.splitlines() if shown in line)
    assert row.startswith("2015,") and ",\"emp_payroll\"," in row  # round_year stays a number
    code, stdout, _ = run("--db", str(path), "scores", "--round", "2015")
    assert code == 0
    first = stdout.splitlines()[1]
    # Numbers unquoted (the round, the score), text quoted (the council-set day, the code).
    assert first.startswith('2015,"2015-04-01","E') and pd.read_csv(io.StringIO(stdout))["score"].dtype.kind in "if"
    assert table_hash(path) == before
