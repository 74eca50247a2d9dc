"""Opening a page of the app in Streamlit's AppTest the way a link opens it."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from lib.base.paths import ROOT
from lib.web.display import ON_DEMAND


def open_page(page: str | None = None, *, opened: bool = False, **params: str) -> AppTest:
    """Open `page` (e.g. "pages/gaps.py"; None is Home) with `params` in the URL, as a link to it
    does, and check that nothing raised.

    The page and the parameters are set before the session's first run, as when a link is
    opened: the session's first run is that page's (the shared round picker reads ?round= from
    the URL on a session's first run only). Before the first run AppTest knows a page by its
    file name, which is also its url_path in lib.web.frame's navigation.

    `opened=True` then opens every expander whose content is built on demand (lib.web.display.on_demand:
    the chart tables and reference lists), as a person opening each one would, and reruns.
    """
    at = AppTest.from_file(ROOT / "dashboard.py", default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    if page is not None:
        at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    if opened:
        open_on_demand(at)
    return at


def open_on_demand(at: AppTest) -> list[str]:
    """Open every on-demand expander on the page (lib.web.display.on_demand) and rerun; returns their keys."""
    keys = [k for k in at.session_state if str(k).startswith(ON_DEMAND)]
    assert keys, "the page has no on-demand expander"
    for key in keys:
        at.session_state[key] = True
    at.run()
    assert not at.exception, at.exception
    return keys


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first dataframe on the page having all these columns."""
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with columns {columns}")


def chart_specs(at: AppTest) -> list[dict]:
    """The page's plotly figures, as the JSON sent to the browser."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
