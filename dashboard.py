"""PA Support Benchmark: the entry point, `uv run streamlit run dashboard.py`.

The navigation (pages grouped for the three audiences), the survey-round picker and the
synthetic-data banner every page shares are built by lib.app.run_app.
"""

from __future__ import annotations

from lib import app

app.run_app()
