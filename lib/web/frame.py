"""The frame every page runs in: page set-up, the navigation, the sidebar with the round picker,
the demonstration banner, and the published version pinned for the run (dashboard.py runs it).
"""

from __future__ import annotations

import threading

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from lib.base.paths import ROOT
from lib.web import data, pickers
from lib.web.urlstate import echo_plain


def configure_page() -> None:
    """Title, icon and layout. The icon is a local image: a Material icon as favicon makes the
    browser fetch it from Google's servers, which this app never does."""
    st.set_page_config(
        page_title="PA Support Benchmark",
        page_icon=str(ROOT / "lib" / "assets" / "favicon.png"),
        layout="wide",
        # "auto": open on wide screens, closed on phones, so the headline comes first there.
        initial_sidebar_state="auto",
    )


def navigation_pages() -> dict[str, list[StreamlitPage]]:
    """The pages, grouped for the three audiences. url_path equals the file's name so that a
    deep link resolves the same way whichever of Streamlit's page handlers sees it first."""
    return {
        "National picture": [
            st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
            st.Page("pages/gaps.py", title="Gap finder", icon=":material/search_insights:", url_path="gaps"),
        ],
        "Your council": [
            st.Page("pages/scorecard.py", title="Council scorecard", icon=":material/assignment:",
                    url_path="scorecard"),
            st.Page("pages/what_if.py", title="Self-assessment", icon=":material/tune:", url_path="what_if"),
            st.Page("pages/plan.py", title="Improvement plan", icon=":material/flag:", url_path="plan"),
        ],
        "Compare": [
            st.Page("pages/regions.py", title="Regional comparison", icon=":material/map:", url_path="regions"),
            st.Page("pages/peers.py", title="Peer comparison", icon=":material/compare_arrows:",
                    url_path="peers"),
        ],
        "Learn": [
            st.Page("pages/good_practice.py", title="Good practice", icon=":material/lightbulb:",
                    url_path="good_practice"),
            st.Page("pages/methodology.py", title="Methodology", icon=":material/menu_book:",
                    url_path="methodology"),
            st.Page("pages/accessibility.py", title="Accessibility", icon=":material/accessibility:",
                    url_path="accessibility"),
        ],
        "Open data": [
            st.Page("pages/downloads.py", title="Download the data", icon=":material/download:",
                    url_path="downloads"),
        ],
        "Administration": [
            st.Page("pages/data.py", title="Data management", icon=":material/database:", url_path="data"),
        ],
    }


#: Pages reached by a link only, never listed: a council's private survey questionnaire.
RESPOND_PAGE = "respond"


def hidden_pages() -> list[StreamlitPage]:
    return [st.Page("pages/respond.py", title="PA support survey", icon=":material/edit_note:",
                    url_path=RESPOND_PAGE, visibility="hidden")]


def sidebar_navigation(pages: dict[str, list[StreamlitPage]]) -> None:
    """The page list in the sidebar, grouped for the three audiences.

    Drawn with page links rather than st.navigation's own menu: with sections, that menu puts
    <div>s directly inside its <ul>, which screen readers cannot read as a list (axe-core:
    "list" and "listitem", serious).
    """
    with st.sidebar.container(key="site_navigation"):
        for section, entries in pages.items():
            st.markdown(f"**{section}**")
            for entry in entries:
                st.page_link(entry, label=entry.title, icon=entry.icon or None)


#: Whether this script run (per thread: Streamlit runs each session's script on a thread of its
#: own) is drawn inside the frame by dashboard.py.
_frame = threading.local()


def run_in_frame(page: StreamlitPage) -> None:
    """Run the chosen page, marking this script run as framed by dashboard.py."""
    _frame.drawn = True
    try:
        page.run()
    finally:
        _frame.drawn = False


def require_frame(page_file: str) -> None:
    """Make sure a page runs inside the app's frame (navigation, round picker, demo banner).

    Because the project has a pages/ folder, Streamlit's legacy multipage handling runs a page
    file on its own when the first request after a server start is a deep link (AppTest does
    the same on every run). Then draw the frame here, which runs the page the URL names (this
    one) inside it, and stop the outer run. Doing it in the same run keeps a button click or
    form submission that caused the run.
    """
    if getattr(_frame, "drawn", False):
        return
    run_app()
    st.stop()


def _pin_version_or_stop(what: str) -> None:
    """Pin this run to the current published version, or say plainly why `what` cannot be shown
    and end the run."""
    try:
        data.pin_version(data.resolve_version())
    except data.DatabaseUnavailable as exc:
        st.error(f"**{what} cannot be shown just now.** {echo_plain(str(exc))}", icon=":material/error:")
        st.stop()


def run_app() -> None:
    """The whole app: page set-up, navigation, the sidebar every page shares, the chosen page."""
    configure_page()
    st.html(ROOT / "lib" / "assets" / "app.css")  # style only: takes no space on the page
    pages = navigation_pages()
    page = st.navigation({**pages, "Survey": hidden_pages()}, position="hidden")
    if page.url_path == RESPOND_PAGE:
        # A respondent's questionnaire: no public menu, round picker or demonstration banner.
        _pin_version_or_stop("The survey")
        try:
            run_in_frame(page)
        finally:
            data.pin_version(None)
        return
    st.sidebar.markdown("### PA Support Benchmark")
    sidebar_navigation(pages)
    st.sidebar.divider()
    _pin_version_or_stop("The data")
    try:
        # Nothing below the round picker: at 1366x900 a longer sidebar scrolls, and a scrolling
        # region without keyboard access fails axe-core (scrollable-region-focusable, serious).
        year = pickers.select_round()
        pickers.demo_banner(year)
        run_in_frame(page)
    finally:
        data.pin_version(None)
