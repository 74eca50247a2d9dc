"""PA Support Benchmark: entry point. Builds the navigation and the controls every page shares."""

from __future__ import annotations

import streamlit as st

from lib import app
from lib.paths import ROOT

# A local image: a Material icon here would make the browser fetch it from Google's servers.
st.set_page_config(
    page_title="PA Support Benchmark",
    page_icon=str(ROOT / "lib" / "assets" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = {
    "National picture": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/gaps.py", title="Gap finder", icon=":material/search_insights:", url_path="gaps"),
    ],
    "Your council": [
        st.Page("pages/scorecard.py", title="Council scorecard", icon=":material/assignment:", url_path="scorecard"),
        st.Page("pages/what_if.py", title="Self-assessment", icon=":material/tune:", url_path="what-if"),
    ],
    "Compare": [
        st.Page("pages/regions.py", title="Regional comparison", icon=":material/map:", url_path="regions"),
        st.Page("pages/peers.py", title="Peer comparison", icon=":material/compare_arrows:", url_path="peers"),
    ],
    "Learn": [
        st.Page("pages/good_practice.py", title="Good practice", icon=":material/lightbulb:", url_path="good-practice"),
        st.Page("pages/methodology.py", title="Methodology", icon=":material/menu_book:", url_path="methodology"),
    ],
    "Administration": [
        st.Page("pages/data.py", title="Data management", icon=":material/database:", url_path="data"),
    ],
}

page = st.navigation(PAGES)
st.sidebar.markdown("**PA Support Benchmark**")
year = app.select_round()
st.sidebar.caption(
    "Scores councils against the nine minimum standards of support for individual "
    "employers and personal assistants."
)
app.demo_banner(year)
page.run()
