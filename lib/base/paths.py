"""Where the project's own files live, resolved from this file so any working directory works."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STANDARDS_DIR = ROOT / "standards"
DATA_DIR = ROOT / "data"
DEMO_DIR = DATA_DIR / "demo"

#: Environment variable that points the app and CLI at another database file.
DB_ENV_VAR = "PA_BENCHMARK_DB"


def default_db_path() -> Path:
    """The DuckDB file the app and CLI use unless told otherwise."""
    override = os.environ.get(DB_ENV_VAR)
    return Path(override) if override else DATA_DIR / "pa_benchmark.duckdb"
