"""Display helpers the pages share: a table, an expander built only when opened, and links to a
council's page and to the API address that serves what a page shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from lib.base.formatting import escape_markdown
from lib.reports import opendata


def show_table(df: pd.DataFrame, **kwargs) -> None:
    st.dataframe(df, hide_index=True, width="stretch", **kwargs)


#: Session-state prefix of the expanders that on_demand draws (tests/apptest opens them by it).
ON_DEMAND = "show_"


@contextmanager
def on_demand(label: str, *, key: str) -> Iterator[bool]:
    """An expander whose content is built only once the person opens it: yields whether it is
    open, and the caller draws the content only then (`with display.on_demand(...) as opened: if
    opened: ...`).

    For the tables that repeat a chart's figures and the long reference lists: most people never
    open them, and building, sending and drawing them on every view cost the server and the
    browser (bench_views: on the Methodology page, half of Chromium's CPU). Opening one reruns
    the page, and it stays open for the rest of the session. `key` is stable (a label may
    carry a count)."""
    with st.expander(label, key=f"{ON_DEMAND}{key}", on_change="rerun") as box:
        yield bool(box.open)


def api_link(text: str, endpoint: str, **filters: object) -> None:
    """A caption linking to the API address that serves the same data as the page shows."""
    path = opendata.permalink(endpoint, **filters)
    csv_path = opendata.permalink(endpoint, **filters, format="csv")
    st.caption(f"{text} from the open-data API: [`{path}`]({path}) (JSON) or [CSV]({csv_path}), with the "
               "column names the Download page's files use.")


def council_link(link: Any, council_name: str) -> None:
    """A link to a council from an example or a gap (a lib.analysis.scorecard.ScorecardLink): its scorecard
    in the round it answered nearest to the one shown (the label names that round when it is
    another), or for a council with no answers at all its self-assessment. Never an empty page.
    The caller shows `link.note` where it fits (council_link_note)."""
    name = escape_markdown(council_name)
    if link.round is not None:
        label = f"{name}'s scorecard" + ("" if not link.note else f" ({link.round})")
        st.page_link("pages/scorecard.py", label=label, icon=":material/assignment:",
                     query_params={"authority": link.code, "round": str(link.round)})
    else:
        st.page_link("pages/what_if.py", label=f"Self-assess {name}", icon=":material/tune:",
                     query_params={"authority": link.code})


def council_link_note(link: Any) -> None:
    """Say why a council link opens another round (or no scorecard), when it does."""
    if link.note:
        st.caption(escape_markdown(link.note))
