"""The API served by a real `streamlit run dashboard.py`: the st.App that dashboard.py assigns
puts /api/v1/ in the same server as the dashboard."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from lib.reports import opendata
from tests.browser import skip_without_chromium, streamlit_process
from tests.fixtures import copy_db

pytestmark = [pytest.mark.browser, skip_without_chromium()]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_streamlit_run_serves_the_dashboard_and_the_api(repo_db_path, tmp_path):
    # Its own server on a never-published copy (not the shared server): the health request is the
    # first, so the API's own publication on first use is what it checks.
    db_path = copy_db(repo_db_path, tmp_path)
    with streamlit_process(db_path) as (url, _proc):
        status, headers, body = _get(f"{url}/api/v1/health")
        assert status == 200 and headers["content-type"].startswith("application/json")
        health = json.loads(body)
        assert health["status"] == "ok" and health["published"]["version"] >= 1

        status, headers, body = _get(f"{url}/api/v1/scores?round=2015")
        assert status == 200
        scores = json.loads(body)
        assert scores["count"] > 0 and {r["round_year"] for r in scores["rows"]} == {2015}
        assert scores["synthetic"] is True and scores["rows"][0]["data_note"] == opendata.DEMO_NOTE
        status, _, _ = _get(f"{url}/api/v1/scores?round=2015", {"If-None-Match": headers["etag"]})
        assert status == 304

        status, _, body = _get(f"{url}/api/v1/scores?round=1066")
        assert status == 400 and json.loads(body)["parameter"] == "round"

        status, headers, body = _get(f"{url}/downloads")  # the dashboard itself is still served
        assert status == 200 and headers["content-type"].startswith("text/html")
