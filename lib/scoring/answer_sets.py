"""The answer sets of the scoring rules (standards/scoring.toml, loaded into the database): each
set's options, and the providers an answer may name.

One query for each, shared by the self-assessment and the planner (lib.analysis), the answer
template (lib.ingest) and the survey round's questionnaire (lib.collection).
"""

from __future__ import annotations

import duckdb
import pandas as pd


def answer_options(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every answer set's options in questionnaire order, with whether providers may be named."""
    return con.execute(
        "SELECT answer_set, value, label, score, is_unknown, allows_providers, position "
        "FROM answer_options ORDER BY answer_set, position"
    ).df()


def provider_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Provider key -> label, by key."""
    return dict(con.execute("SELECT key, label FROM providers ORDER BY key").fetchall())
