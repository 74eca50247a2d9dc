"""The pages' source keeps to what .streamlit/config.toml assumes of it.

Magic is off (`runner.magicEnabled = false`), so a bare expression on a line of its own would
silently draw nothing. Every expression statement in pages/ and dashboard.py must therefore be a
call (st.write(...), st.plotly_chart(...)) or a docstring.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "dashboard.py"]


def _docstrings(tree: ast.AST) -> set[int]:
    nodes = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {id(n.body[0]) for n in ast.walk(tree) if isinstance(n, nodes) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def bare_expressions(source: str) -> list[int]:
    """Line numbers of expression statements magic would have drawn (not calls, not docstrings)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Expr) and id(n) not in docs
            and not isinstance(n.value, ast.Call | ast.Await | ast.Yield | ast.YieldFrom)]


def test_magic_is_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["magicEnabled"] is False


def test_the_check_finds_what_magic_would_draw():
    # A bare name, a bare string after the docstring and a bare f-string would each have been
    # drawn by magic; the docstrings and the call would not.
    source = '"""Doc."""\nimport x\nx\n"text"\nf"{x}"\nx.call()\ndef f():\n    """Doc."""\n'
    assert bare_expressions(source) == [3, 4, 5]


def test_no_page_relies_on_magic():
    found = {path.name: lines for path in SCRIPTS if (lines := bare_expressions(path.read_text()))}
    assert not found, f"bare expressions that draw nothing with magic off (file: lines): {found}"


#: Methods that run SQL on a DuckDB connection or cursor.
SQL_METHODS = {"execute", "executemany", "sql", "query", "fetchall", "fetchone", "fetchdf"}


def sql_calls(source: str) -> list[int]:
    """Line numbers where a script calls a SQL method itself (pages ask lib/ for their data)."""
    return [n.lineno for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in SQL_METHODS]


def test_the_check_finds_sql_run_by_a_page():
    source = 'from lib.web import data\ncon = data.cursor()\ncon.execute("SELECT 1").fetchall()\ndata.rows(con)\n'
    assert sql_calls(source) == [3, 3]


def test_pages_run_no_sql_themselves():
    found = {path.name: lines for path in SCRIPTS if (lines := sql_calls(path.read_text(encoding="utf-8")))}
    assert found == {}
