"""CLI smoke tests: build, scores and export end to end, and clear errors for bad arguments."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest

from lib.base import exports
from lib.cli import main as cli
from lib.reports import opendata, opendata_dictionary


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_build_prints_what_it_loaded(tmp_path):
    path = tmp_path / "built.duckdb"
    code, out, _ = run("--db", str(path), "build")
    assert code == 0 and path.exists()
    assert "authorities" in out and "round 2015: 95 responding councils (synthetic demonstration data)" in out


def test_scores_round_2015_is_95_councils_by_9_standards_and_overall(repo_db_path, repo_con):
    code, out, _ = run("--db", str(repo_db_path), "scores", "--round", "2015")
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert list(df.columns) == [c for c, _ in opendata_dictionary.columns(repo_con, "scores")]
    assert df["authority_code"].nunique() == 95
    assert len(df) == 95 * (9 + 1)  # nine standard rows and one overall row per council
    assert set(df["data_note"]) == {"Synthetic demonstration data - not real council responses"}
    assert set(df["band_label"].dropna()) <= {"Meets", "Partly meets", "Does not meet"}
    # The very text the API serves as CSV for the same round (less the BOM for spreadsheets).
    assert out == exports.to_csv_text(opendata.query(repo_con, "scores", {"round": 2015}))


def test_scores_filters_are_the_apis(repo_db_path):
    code, out, _ = run("--db", str(repo_db_path), "scores", "--round", "2015", "--level", "overall",
                       "--council", "E10000023,E06000001")
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert sorted(df["authority_code"]) == ["E06000001", "E10000023"] and set(df["level"]) == {"overall"}
    code, _, err = run("--db", str(repo_db_path), "scores", "--round", "2015", "--council", "E99999999")
    assert code == 2 and "--council" in err and "'E99999999' is not one" in err


def test_scores_unknown_round_is_a_clear_error(repo_db_path):
    code, _, err = run("--db", str(repo_db_path), "scores", "--round", "2016")
    assert code == 2 and "no survey round 2016" in err and "2015" in err


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_table(repo_db_path, tmp_path, fmt):
    out_path = tmp_path / f"standards.{fmt}"
    code, out, _ = run("--db", str(repo_db_path), "export", "standards", "--format", fmt, "--out", str(out_path))
    assert code == 0 and "Wrote 9 rows" in out
    df = pd.read_csv(out_path) if fmt == "csv" else pd.read_parquet(out_path)
    assert len(df) == 9


def test_export_unknown_table_and_bad_format(repo_db_path, tmp_path):
    code, _, err = run("--db", str(repo_db_path), "export", "nope; DROP TABLE x", "--format", "csv",
                       "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "unknown table or view" in err
    with pytest.raises(SystemExit) as info, redirect_stderr(io.StringIO()):
        cli.main(["--db", str(repo_db_path), "export", "standards", "--format", "xml", "--out", "x"])
    assert info.value.code == 2


def test_missing_database_is_a_clear_error(tmp_path):
    code, _, err = run("--db", str(tmp_path / "none.duckdb"), "scores", "--round", "2015")
    assert code == 2 and "run `uv run python -m lib.cli build` first" in err


@pytest.mark.parametrize("day, expected", [("2015-06-01", 152), ("2026-12-01", 153), ("2012-06-01", 152)])
def test_councils_on_a_day_is_csv_of_that_day_set(repo_db_path, day, expected):
    code, out, _ = run("--db", str(repo_db_path), "councils", "--on", day)
    assert code == 0
    assert out.splitlines()[0] == "code,name,region_code,region_name,type"
    df = pd.read_csv(io.StringIO(out), dtype=str)
    assert len(df) == expected and df["code"].is_unique
    # Gateshead: E08000020 until 31 March 2013, E08000037 from 1 April 2013.
    gateshead = set(df.loc[df["name"] == "Gateshead", "code"])
    assert gateshead == ({"E08000020"} if day < "2013-04-01" else {"E08000037"})


def test_councils_with_a_bad_day_says_how_to_write_it(repo_db_path):
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as exit_info:
        cli.main(["--db", str(repo_db_path), "councils", "--on", "1/4/2027"])
    assert exit_info.value.code == 2
    assert "'1/4/2027' is not a date; write it as YYYY-MM-DD" in err.getvalue()


def test_rounds_show_each_round_council_set(repo_db_path):
    code, out, _ = run("--db", str(repo_db_path), "rounds")
    assert code == 0
    assert "2012: 54 of 152 councils responded (synthetic demonstration data; councils of 1 April 2012)" in out
    assert "2015: 95 of 152 councils responded (synthetic demonstration data; councils of 1 April 2015)" in out
