"""The answer template (lib.ingest.template): built from the database's question bank, and importable as filled in."""

from __future__ import annotations

import io
import random
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from lib import ingest
from lib.ingest import template
from lib.reference import geography
from lib.store import db
from tests.fixtures import copy_db
from tests.test_ingest import NEW_YEAR, overall_table, score_table


@pytest.fixture()
def con(repo_db_path, tmp_path):
    c = db.connect(copy_db(repo_db_path, tmp_path))
    yield c
    c.close()


def _asked(con, year: int) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT id FROM questions WHERE asked_from <= ? ORDER BY (NOT scored), standard NULLS LAST, position",
        [year]).fetchall()]


def _provider_questions(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT DISTINCT q.id FROM questions q JOIN answer_options o USING (answer_set) WHERE o.allows_providers"
    ).fetchall()}


@pytest.mark.parametrize("year", [2014, 2015, 2024])
def test_csv_template_has_a_column_per_question_asked_and_a_row_per_council(con, year):
    df = pd.read_csv(io.BytesIO(template.to_csv_bytes(con, year)), dtype=str, keep_default_na=False,
                     encoding="utf-8-sig")
    asked = _asked(con, year)
    providers = _provider_questions(con)
    assert [c for c in df.columns if c in asked] == asked
    assert {c[: -len("__providers")] for c in df.columns if c.endswith("__providers")} == providers & set(asked)
    assert list(df.columns[:3]) == ["council", "council_name", "round"] and df.columns[-1] == "comment"
    assert sorted(df["council"]) == sorted(geography.round_members(con, year)["code"])
    assert set(df["round"]) == {str(year)}
    assert (df[asked] == "").all().all()


def test_template_follows_the_question_bank(con):
    """A question added to the database appears in the template: template and scoring share one source."""
    con.execute("INSERT INTO questions VALUES ('emp_new_thing', 1, 'employers', 'New thing', 'Is the new thing "
                "available?', 'Help.', 'availability', TRUE, 1.0, 'new', 2015, 99)")
    assert "emp_new_thing" in template.columns(con, 2016)
    assert "emp_new_thing__providers" in template.columns(con, 2016)
    assert "emp_new_thing" not in template.columns(con, 2014)


def test_xlsx_template_has_drop_downs_of_the_answer_labels_and_a_guide(con):
    wb = openpyxl.load_workbook(io.BytesIO(template.to_xlsx_bytes(con, 2015)))
    assert wb.sheetnames == ["responses", "questions", "answer lists"]
    ws = wb["responses"]
    header = [c.value for c in ws[1]]
    assert header == template.columns(con, 2015)
    lists = wb["answer lists"]
    labels_by_set: dict[str, list[str]] = {}
    for col in lists.iter_cols(values_only=True):
        labels_by_set[col[0]] = [v for v in col[1:] if v is not None]
    expected = {s: list(g["label"]) for s, g in con.execute(
        "SELECT answer_set, label, position FROM answer_options ORDER BY answer_set, position").df().groupby("answer_set")}
    assert labels_by_set == expected

    answer_set = dict(con.execute("SELECT id, answer_set FROM questions").fetchall())
    covered: dict[str, str] = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        sheet_ref, cells = dv.formula1.lstrip("=").split("!")
        col_letter = "".join(ch for ch in cells.split(":")[0] if ch.isalpha())
        set_name = lists[f"{col_letter}1"].value
        assert sheet_ref == "'answer lists'"
        for rng in str(dv.sqref).split():
            letter = "".join(ch for ch in rng.split(":")[0] if ch.isalpha())
            covered[header[openpyxl.utils.column_index_from_string(letter) - 1]] = set_name
    assert covered == {q: answer_set[q] for q in _asked(con, 2015)}

    guide = pd.DataFrame(list(wb["questions"].values)[1:], columns=list(wb["questions"].values)[0])
    assert list(guide["column"]) == header
    payroll = guide.set_index("column").loc["emp_payroll"]
    wording = con.execute("SELECT wording FROM questions WHERE id = 'emp_payroll'").fetchone()[0]
    assert payroll["question"] == wording
    assert "not_available = Not available" in payroll["allowed values"]


# --------------------------------------------------------------------------------------------
# Round trip: the template filled in -> import -> the same scores as inserting the answers directly
# --------------------------------------------------------------------------------------------

def _random_answers(con, codes: list[str], seed: int) -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """Answers (value, providers) for every question asked in 2016, drawn from the options."""
    rng = random.Random(seed)
    options = con.execute("SELECT answer_set, value, allows_providers FROM answer_options ORDER BY position").fetchall()
    sets = dict(con.execute("SELECT id, answer_set FROM questions").fetchall())
    providers = [r[0] for r in con.execute("SELECT key FROM providers ORDER BY key").fetchall()]
    out = {}
    for code in codes:
        sheet = {}
        for q in _asked(con, NEW_YEAR):
            value, allows = rng.choice([(v, a) for s, v, a in options if s == sets[q]])
            chosen = tuple(sorted(rng.sample(providers, rng.randint(0, len(providers))))) if allows else ()
            sheet[q] = (value, chosen)
        out[code] = sheet
    return out


def _direct_scores(repo_db_path, tmp_path, answers) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores from inserting the same answers straight into a fixture database (no import code)."""
    con = db.connect(copy_db(repo_db_path, tmp_path, "direct.duckdb"))
    try:
        con.execute("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) VALUES (?, 'direct', FALSE, DATE '2016-04-01', 'test', now())", [NEW_YEAR])
        con.executemany("INSERT INTO responses VALUES (?, ?, ?, ?, ?, NULL, 'test', now())",
                        [[NEW_YEAR, code, q, v, list(p)] for code, sheet in answers.items()
                         for q, (v, p) in sheet.items()])
        return score_table(con, NEW_YEAR), overall_table(con, NEW_YEAR)
    finally:
        con.close()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_filled_template_imports_to_the_scores_of_the_same_answers(con, repo_db_path, tmp_path, fmt):
    codes = sorted(geography.round_members(con, NEW_YEAR)["code"])[::15][:10]
    answers = _random_answers(con, codes, seed=7)
    labels = {(s, v): lab for s, v, lab in con.execute("SELECT answer_set, value, label FROM answer_options").fetchall()}
    sets = dict(con.execute("SELECT id, answer_set FROM questions").fetchall())
    if fmt == "csv":
        df = template.frame(con, NEW_YEAR)
        for code, sheet in answers.items():
            i = df.index[df["council"] == code][0]
            for n, (q, (value, chosen)) in enumerate(sheet.items()):
                df.loc[i, q] = labels[(sets[q], value)] if n % 2 else value  # labels and values mixed
                if f"{q}__providers" in df:
                    df.loc[i, f"{q}__providers"] = ";".join(chosen)
        data, name = df.to_csv(index=False).encode("utf-8-sig"), "filled.csv"
    else:
        wb = openpyxl.load_workbook(io.BytesIO(template.to_xlsx_bytes(con, NEW_YEAR)))
        ws = wb["responses"]
        header = [c.value for c in ws[1]]
        rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
        for code, sheet in answers.items():
            for q, (value, chosen) in sheet.items():
                ws.cell(row=rows[code], column=header.index(q) + 1, value=labels[(sets[q], value)])
                if f"{q}__providers" in header:
                    ws.cell(row=rows[code], column=header.index(f"{q}__providers") + 1, value=";".join(chosen) or None)
        buf = io.BytesIO()
        wb.save(buf)
        data, name = buf.getvalue(), "filled.xlsx"

    result = ingest.import_file(con, data, name, NEW_YEAR, by="round trip")
    assert result.status == "imported" and result.councils == len(codes)
    skipped = len(geography.round_members(con, NEW_YEAR)) - len(codes)
    report = ingest.validate(con, data, name, None)
    assert report.year == NEW_YEAR and report.skipped_rows == skipped
    expected_standards, expected_overall = _direct_scores(repo_db_path, tmp_path, answers)
    pd.testing.assert_frame_equal(score_table(con, NEW_YEAR), expected_standards, check_exact=False, rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(overall_table(con, NEW_YEAR), expected_overall, check_exact=False, rtol=0, atol=1e-9)


def test_default_year_is_this_year():
    assert template.default_year() == datetime.now().year
