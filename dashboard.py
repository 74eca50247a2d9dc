"""PA Support Benchmark: the entry point, `uv run streamlit run dashboard.py`.

The navigation (pages grouped for the three audiences), the survey-round picker and the
synthetic-data banner every page shares are built by lib.web.frame.run_app.

The same server also serves the read-only open data API under /api/v1/ (lib.api.routes), and
POST /auth/keep, which turns an administrator's sign-in into a cookie (lib.web.sign_in_routes). `streamlit
run` finds the `st.App` assigned to `app` below (it reads this file's source, without running
it), imports this module under its own name and serves that App with uvicorn; the App then runs
this file as the Streamlit script for every page view, as `__main__`. So the App is built only
on import, and the dashboard is drawn only when the file runs as the script.
"""

from __future__ import annotations

import streamlit as st

if __name__ == "__main__":
    from lib.web import frame

    frame.run_app()
else:
    from lib.api import routes as api
    from lib.web import sign_in_routes

    app = st.App(__file__, routes=api.routes() + sign_in_routes.routes())
