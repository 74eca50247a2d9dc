"""CLI smoke tests: build, scores and export end to end, and clear errors for bad arguments."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest

from lib import cli


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


def test_scores_round_2015_is_95_councils_by_9_standards(repo_db_path):
    code, out, _ = run("--db", str(repo_db_path), "scores", "--round", "2015")
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert list(df.columns[:6]) == ["authority_code", "authority_name", "region", "standard", "standard_name", "score"]
    assert df["authority_code"].nunique() == 95
    assert len(df) == 95 * 9
    assert set(df["data_note"]) == {"Synthetic demonstration data - not real council responses"}
    assert set(df["band"]) <= {"Meets", "Partly meets", "Does not meet", "No evidence"}


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
