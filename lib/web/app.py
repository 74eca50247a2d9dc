"""Streamlit glue shared by every page: the cached connection, the round picker, the URL state.

This is the only module in lib/ that imports Streamlit. Pages call these helpers and the
query functions in lib/, and place the figures built by lib.charts.
"""

from __future__ import annotations

import copy
import importlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from lib.base.formatting import shorten
from lib.base.paths import ROOT, default_db_path
from lib.reference import schema
from lib.scoring import views as scoring
from lib.store import db, publish, versions
from lib.store.errors import storage_problem
from lib.store.store import Store

# --------------------------------------------------------------------------------------------
# Navigation and the frame every page runs in
# --------------------------------------------------------------------------------------------

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


def run_app() -> None:
    """The whole app: page set-up, navigation, the sidebar every page shares, the chosen page."""
    configure_page()
    st.html(ROOT / "lib" / "assets" / "app.css")  # style only: takes no space on the page
    pages = navigation_pages()
    page = st.navigation({**pages, "Survey": hidden_pages()}, position="hidden")
    if page.url_path == RESPOND_PAGE:
        # A respondent's questionnaire: no public menu, round picker or demonstration banner.
        try:
            _frame.version = _resolve_version()
        except DatabaseUnavailable as exc:
            st.error(f"**The survey cannot be shown just now.** {echo_plain(str(exc))}", icon=":material/error:")
            st.stop()
        try:
            run_in_frame(page)
        finally:
            _frame.version = None
        return
    st.sidebar.markdown("### PA Support Benchmark")
    sidebar_navigation(pages)
    st.sidebar.divider()
    try:
        _frame.version = _resolve_version()
    except DatabaseUnavailable as exc:
        st.error(f"**The data cannot be shown just now.** {echo_plain(str(exc))}", icon=":material/error:")
        st.stop()
    try:
        # Nothing below the round picker: at 1366x900 a longer sidebar scrolls, and a scrolling
        # region without keyboard access fails axe-core (scrollable-region-focusable, serious).
        year = select_round()
        demo_banner(year)
        run_in_frame(page)
    finally:
        _frame.version = None


DEMO_BANNER = (
    "**Synthetic demonstration data.** No council's real answers are published, so the "
    "answers shown here were generated to match the national picture in the 2015 report. "
    "They describe no real council: use them to explore the tool, not to judge a council."
)


# --------------------------------------------------------------------------------------------
# The data: a published version per page run, and the working database for writes
# --------------------------------------------------------------------------------------------

class DatabaseUnavailable(Exception):
    """The published data cannot be opened; the message says why and what to do."""


def base_url() -> str:
    """This server's address as the browser sees it, for the survey links (scheme, host, port)."""
    try:
        url = str(st.context.url or "")
    except Exception:  # noqa: BLE001 - outside a browser session (AppTest) there is none
        url = ""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "http://localhost:8501"


def api_link(text: str, endpoint: str, **filters: object) -> None:
    """A caption linking to the API address that serves the same data as the page shows."""
    from lib.reports import opendata

    path = opendata.permalink(endpoint, **filters)
    csv_path = opendata.permalink(endpoint, **filters, format="csv")
    st.caption(f"{text} from the open-data API: [`{path}`]({path}) (JSON) or [CSV]({csv_path}), with the "
               "column names the Download page's files use.")


def client_address() -> str:
    """Who is asking, to slow down repeated bad survey links: the client's address, or, where the
    server cannot see it (a local or same-host proxy), this browser session, so that one client's
    bad links never slow everyone else down."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - outside a browser session (AppTest) there is none
        address = None
    if address:
        return str(address)
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id}" if ctx is not None else "session:unknown"


def working_path() -> Path:
    """The working database every write goes to (data/pa_benchmark.duckdb or $PA_BENCHMARK_DB)."""
    return default_db_path()


def store() -> Store:
    """The Store of the working database: every connection the dashboard opens comes from it."""
    return schema.store(working_path())


@st.cache_resource(show_spinner=False, max_entries=4)
def _version_connection(path: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published version file, shared by every session.

    A version file is never rewritten, so its connection never goes stale; when a newer
    version is published the next run opens that one, and this entry ages out.
    """
    return store().connect(path, read_only=True)


def _resolve_version() -> versions.Version:
    """The current published version: one stat of its pointer file, publishing first on a fresh
    database (or after an update of the app changed the schema or the scoring views)."""
    working = store()
    snap = working.current()
    if snap is None or not working.usable(snap):
        snap = _publish_first(working)
    _forget_older_versions(snap.key)
    return snap


def _publish_first(working: Store) -> versions.Version:
    try:
        with st.spinner("Preparing the database (first run only)..."):
            return working.ensure_published()
    except publish.PublishError as exc:
        text = str(exc)
        raise DatabaseUnavailable(text[:1].upper() + text[1:]) from None
    except db.SchemaError as exc:
        raise DatabaseUnavailable(f"The database {working.working} cannot be used: {exc}") from None
    except (duckdb.Error, OSError) as exc:
        raise DatabaseUnavailable(f"The database {working.working} cannot be opened: {ingest_problem(exc)}") from None


#: Results kept per server process: every query and figure of a published version is a pure
#: function of (version, arguments). The bound keeps memory in check (a scorecard's results are
#: tens of kilobytes; the largest figures a few hundred).
CACHE_ENTRIES = 2048
_seen = {"key": ""}
_seen_lock = threading.Lock()


def _forget_older_versions(key: str) -> None:
    """When this process first meets a newer published version, drop everything cached for the
    older ones: no cached value outlives the version it was computed from."""
    with _seen_lock:
        if _seen["key"] == key:
            return
        had_one = bool(_seen["key"])
        _seen["key"] = key
    if had_one:
        _cached_call.clear()
        _cached_chart.clear()


def own_copy(value: Any) -> Any:
    """A copy of a cached result that its caller may change without touching the cached one.

    DataFrames and Series are copied shallowly: under pandas 3's copy-on-write a change to the
    copy (a new column, a sorted order, a set cell) copies the data it touches, never writing
    through to the cached object, so the copy costs microseconds where unpickling a stored copy
    (st.cache_data) cost milliseconds. Tuples, lists and dicts are copied item by item; anything
    else mutable is deep-copied, and immutable scalars are returned as they are.
    """
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, tuple):
        items = tuple(own_copy(v) for v in value)
        return type(value)(*items) if hasattr(value, "_fields") else items
    if isinstance(value, list):
        return [own_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: own_copy(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    return copy.deepcopy(value)


# st.cache_resource keeps the one object computed (no pickling on the way in or out); every
# caller gets own_copy of it, so sharing it across sessions is safe.
@st.cache_resource(show_spinner=False, max_entries=CACHE_ENTRIES)
def _cached_call(data_key: str, module: str, name: str, args: tuple, kwargs: tuple) -> Any:
    function = getattr(importlib.import_module(module), name)
    cur = _version_connection(data_key).cursor()
    try:
        return function(cur, *args, **dict(kwargs))
    finally:
        cur.close()


def cached(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """function(cursor, *args, **kwargs) on this run's published version, computed once per
    version and arguments in this server process and shared by every session.

    `function` is a module-level function of lib/ whose first parameter is a DuckDB connection
    and whose result depends only on the data and the arguments. Each caller gets its own copy.
    """
    return own_copy(_cached_call(data_key(), function.__module__, function.__qualname__, args,
                                 tuple(sorted(kwargs.items()))))


class _Cached:
    """A lib module seen through `cached`: `per_version(scorecard).headline(code, year)` is
    `scorecard.headline(cursor, code, year)`, cached on the published version."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Callable[..., Any]:
        function = getattr(self._module, name)
        return lambda *args, **kwargs: cached(function, *args, **kwargs)


def per_version(module: Any) -> Any:
    """The module's query functions, without the connection argument, cached on the version."""
    return _Cached(module)


@st.cache_resource(show_spinner=False, max_entries=CACHE_ENTRIES // 4)
def _cached_chart(data_key: str, module: str, name: str, args: tuple, kwargs: tuple) -> dict:
    """The figure's plain description (validated once, when the chart function built it)."""
    return getattr(importlib.import_module(module), name)(*args, **dict(kwargs)).to_dict()


def chart(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A figure from a pure chart function of lib.charts, built once per version and arguments
    (the DataFrames among the arguments are hashed by value) and shared by every session.

    Each caller gets a figure of its own, rebuilt from the cached description without plotly's
    validation (it was validated when first built): about a fifth of the cost of validating it
    again, which is what unpickling a cached figure did.
    """
    spec = _cached_chart(data_key(), function.__module__, function.__qualname__, args,
                         tuple(sorted(kwargs.items())))
    return go.Figure(spec, _validate=False)


def ingest_problem(exc: BaseException) -> str:
    return storage_problem(exc) or shorten(str(exc), 300)


def current_version() -> versions.Version:
    """The version this page run reads: fixed at the start of the run, so that one page never
    mixes two published versions even when a new one appears while it runs."""
    pinned = getattr(_frame, "version", None)
    return pinned if pinned is not None else _resolve_version()


def data_key() -> str:
    """A cache key for anything computed from the data: the version's file, never rewritten."""
    return current_version().key


def _connection() -> duckdb.DuckDBPyConnection:
    return _version_connection(current_version().key)


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for this rerun: cheap, and safe to use beside other sessions' cursors."""
    return _connection().cursor()


def deferred(build: Callable[[duckdb.DuckDBPyConnection], bytes]) -> Callable[[], bytes]:
    """Data for st.download_button built only when the button is pressed.

    Streamlit (1.67+) calls a callable `data` on its own thread when the user clicks, not on
    every run of the page. The callable gets a cursor of its own on this run's version, so the
    file matches the page it was downloaded from even if a newer version was published since.
    """
    connection = _connection()

    def build_on_click() -> bytes:
        cur = connection.cursor()
        try:
            return build(cur)
        finally:
            cur.close()

    return build_on_click


@contextmanager
def working_database() -> Iterator[duckdb.DuckDBPyConnection]:
    """The working database opened for writing (or for the administrator's exact view of it) for
    one block, then closed so that the command line can write too. Waits briefly for another
    writer, then raises publish.DatabaseBusy."""
    with store().writer() as con:
        yield con


def publish_now(con: duckdb.DuckDBPyConnection, reason: str, by: str) -> versions.Version:
    """Publish the working database (open for writing as `con`) as the version every page shows."""
    return store().publish(con, reason, by)


def council_link(link: Any, council_name: str) -> None:
    """A link to a council from an example or a gap (a lib.analysis.scorecard.ScorecardLink): its scorecard
    in the round it answered nearest to the one shown (the label names that round when it is
    another), or for a council with no answers at all its self-assessment. Never an empty page.
    The caller shows `link.note` where it fits (council_link_note)."""
    from lib.base.formatting import escape_markdown

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
    from lib.base.formatting import escape_markdown

    if link.note:
        st.caption(escape_markdown(link.note))


def query_param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value if value else None


#: Longest text from the address that is shown back on a page.
ECHO_LIMIT = 60
_URL_INT = re.compile(r"[0-9]{1,6}")


def url_int(value: str | None) -> int | None:
    """A whole number from the address: ASCII digits only (str.isdigit would accept '²' or '٣'),
    at most six of them (a 5,000-digit value is refused before int() sees it); else None."""
    text = (value or "").strip()
    return int(text) if _URL_INT.fullmatch(text) else None


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """Text from the address (or other untrusted text) made inert for Streamlit's Markdown: cut to
    `limit` characters, and every character other than a letter, digit or space written as an HTML
    character reference, so nothing in it is formatting, HTML or a link ("www.x.org", "http://",
    "a@b" are not made into links)."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(ch if (ch.isascii() and ch.isalnum()) or ch == " " else f"&#{ord(ch)};" for ch in text)


def echo_plain(text: str) -> str:
    """A message that may hold paths and program output, made inert for Markdown (no formatting,
    no links) but readable: only Markdown's special characters are escaped."""
    from lib.base.formatting import escape_markdown

    return escape_markdown(text)


def set_query_params(**values: str | int | list[str] | None) -> None:
    """Write view state into the URL so a link reproduces the view; None removes a key."""
    for key, value in values.items():
        if value is None or value == "" or value == []:
            if key in st.query_params:
                del st.query_params[key]
        elif isinstance(value, list):
            st.query_params[key] = ",".join(str(v) for v in value)
        else:
            st.query_params[key] = str(value)


def url_choice(widget: Callable[..., Any], label: str, options: list, *, key: str, param: str,
               default: Any = None, format_func: Callable[[Any], str] = str,
               url_value: str | None = None, absent_means_default: bool = False,
               **kwargs: Any) -> Any:
    """A selectbox or radio whose choice lives in the URL (?param=), so a link reproduces the view.

    The widget follows the URL when a link changed ?param= since the widget last wrote it, and
    writes its choice back (None removes the parameter). `url_value` stands in for the URL's
    value when the caller has translated it first (the council picker maps old codes). With
    `absent_means_default`, a link without ?param= also puts the widget back to `default` (for a
    default that is written as no parameter at all). Other keyword arguments go to `widget`.
    """
    raw = query_param(param) if url_value is None else url_value
    wanted = next((o for o in options if o is not None and str(o) == raw), None) if raw else None
    target = default if wanted is None and absent_means_default else wanted
    url_key = f"{key}__url"
    if st.session_state.get(key) not in options or (
        (wanted is not None or absent_means_default) and st.session_state.get(url_key) != target
    ):
        st.session_state[key] = wanted if wanted is not None else default
    value = widget(label, options, key=key, format_func=format_func, **kwargs)
    st.session_state[url_key] = value
    set_query_params(**{param: None if value is None else str(value)})
    return value


def url_multichoice(label: str, options: list, *, key: str, param: str,
                    format_func: Callable[[Any], str] = str, **kwargs: Any) -> list:
    """A multiselect whose choices live in the URL as ?param=a,b (the good-practice filters).

    A link that brings a different ?param= replaces the choices; choices are written back in
    the order picked. Other keyword arguments go to st.multiselect.
    """
    raw = query_param(param)
    url_key = f"{key}__url"
    if key not in st.session_state or (raw and st.session_state.get(url_key) != raw):
        picked = raw.split(",") if raw else []
        st.session_state[key] = [o for o in options if str(o) in picked]
    value = st.multiselect(label, options, key=key, format_func=format_func, **kwargs)
    written = ",".join(str(v) for v in value) or None
    st.session_state[url_key] = written
    set_query_params(**{param: written})
    return value


def url_text(label: str, *, key: str, param: str, **kwargs: Any) -> str:
    """A text box whose words live in the URL as ?param= (trimmed; empty removes it)."""
    raw = query_param(param)
    url_key = f"{key}__url"
    if key not in st.session_state or (raw and st.session_state.get(url_key) != raw):
        st.session_state[key] = raw or ""
    value = st.text_input(label, key=key, **kwargs)
    written = value.strip() or None
    st.session_state[url_key] = written
    set_query_params(**{param: written})
    return value


# The version's key is an argument of these cached readers only so that it is part of the
# cache key (a parameter whose name starts with "_" would be left out of it). A version never
# changes, so nothing cached for it goes stale: no time limit is needed.
@st.cache_data(show_spinner=False, max_entries=64)
def _rounds(data_key: str) -> pd.DataFrame:
    return scoring.rounds(_version_connection(data_key).cursor())


def rounds_table() -> pd.DataFrame:
    return _rounds(data_key())


def round_label(row: pd.Series) -> str:
    return f"{row['year']} ({row['respondents']} councils{', synthetic' if row['is_demo'] else ''})"


def select_round() -> int:
    """Sidebar control shared by all pages: which survey round to show (default: latest)."""
    rounds = rounds_table()
    years = [int(y) for y in rounds["year"]]
    if not years:
        st.error("The database has no survey rounds. An administrator can load one on the Data page.")
        st.stop()
    wanted = url_int(query_param("round"))
    default = wanted if wanted in years else years[0]
    if st.session_state.get("round_select") not in years:
        st.session_state["round_select"] = default
    elif wanted in years and wanted != st.session_state.get("round_written"):
        # A link (or an edited address) asks for another round than the picker last wrote: follow
        # it, so that "open this council's 2014 scorecard" opens 2014 within the same session.
        st.session_state["round_select"] = wanted
    labels = {int(r["year"]): round_label(r) for _, r in rounds.iterrows()}
    # Every option is a key of `labels` (same rows), and the widget's value is always an option.
    year = st.sidebar.selectbox("Survey round", years, key="round_select", format_func=labels.__getitem__,
                                help="Every page shows this survey round. The latest is chosen by default.")
    set_query_params(round=year)
    st.session_state["round_written"] = year
    assert year is not None  # options are not empty and index is not None, so there is a choice
    return int(year)


def switch_round(year: int) -> None:
    """Button callback: show another survey round. It runs before the rerun draws the sidebar
    picker (a widget's value cannot change once it is drawn in a run)."""
    st.session_state["round_select"] = int(year)
    st.query_params["round"] = str(year)


def current_round() -> int:
    """The round chosen in the sidebar this rerun."""
    return int(st.session_state.get("round_select") or rounds_table()["year"].max())


def round_info(year: int) -> pd.Series:
    rounds = rounds_table()
    return rounds[rounds["year"] == year].iloc[0]


def is_demo(year: int) -> bool:
    return bool(round_info(year)["is_demo"])


def demo_banner(year: int) -> None:
    if is_demo(year):
        st.warning(DEMO_BANNER, icon=":material/science:")


def data_source(year: int) -> str:
    """Source line for charts and downloads."""
    kind = "synthetic demonstration data" if is_demo(year) else "survey responses"
    return f"PA Support Benchmark, {year} round ({kind})"


#: Session-state prefix of the expanders that on_demand draws (tests/apptest opens them by it).
ON_DEMAND = "show_"


@contextmanager
def on_demand(label: str, *, key: str) -> Iterator[bool]:
    """An expander whose content is built only once the person opens it: yields whether it is
    open, and the caller draws the content only then (`with app.on_demand(...) as opened: if
    opened: ...`).

    For the tables that repeat a chart's figures and the long reference lists: most people never
    open them, and building, sending and drawing them on every view cost the server and the
    browser (bench_views: on the Methodology page, half of Chromium's CPU). Opening one reruns
    the page, and it stays open for the rest of the session. `key` is stable (a label may
    carry a count)."""
    with st.expander(label, key=f"{ON_DEMAND}{key}", on_change="rerun") as box:
        yield bool(box.open)


def show_table(df: pd.DataFrame, **kwargs) -> None:
    st.dataframe(df, hide_index=True, width="stretch", **kwargs)


# --------------------------------------------------------------------------------------------
# Council picker shared by the scorecard, peer comparison and self-assessment pages
# --------------------------------------------------------------------------------------------

#: Session key holding the council last chosen on any page, so it follows the user around.
CHOSEN_COUNCIL = "chosen_council"


@st.cache_data(show_spinner=False, max_entries=64)
def _round_councils(data_key: str, year: int) -> pd.DataFrame:
    return _version_connection(data_key).cursor().execute(
        "SELECT authority_code, display_name, name, region_code, region_name, type, responded "
        "FROM round_councils WHERE round_year = ? ORDER BY display_name",
        [year],
    ).df()


def chosen_council_region(year: int) -> str | None:
    """The region code of the council last chosen on any page in this session, if it is in the
    round's council set."""
    code = st.session_state.get(CHOSEN_COUNCIL)
    if not code:
        return None
    councils = round_councils(year)
    found = councils.loc[councils["authority_code"] == code, "region_code"]
    return str(found.iloc[0]) if len(found) else None


def round_councils(year: int) -> pd.DataFrame:
    """Every council in the round's council set (code, names, region, type, responded)."""
    return _round_councils(data_key(), year)


def _resolve_council(text: str, year: int) -> str | None:
    """The council of the round's set that typed text or a link's ?authority= names, with a note
    when it was found through the lineage (a former or newer council) and a warning when nothing
    fits. Uses the importer's matcher, so the picker accepts every name and code it accepts."""
    from lib.base.formatting import escape_markdown
    from lib.ingest.councils import CouncilMatcher
    from lib.reference import geography

    con = cursor()
    found = CouncilMatcher(con, year).pick(text)
    named = found.named
    if len(found.codes) == 1 and named is not None and found.codes != [named]:
        st.info(f"{escape_markdown(geography.label(con, named))} ({named}) was not a council in the {year} "
                f"round's council set; showing {escape_markdown(geography.label(con, found.codes[0]))} "
                f"({found.codes[0]}), which covered its area then.", icon=":material/history:")
    elif len(found.codes) > 1:
        listed = ", ".join(escape_markdown(geography.label(con, c)) for c in found.codes)
        st.info(f"{escape_markdown(geography.label(con, named or found.codes[0]))} covers the area of several "
                f"councils in the {year} round: {listed}. Choose one.", icon=":material/call_split:")
        return None
    elif not found.codes:
        st.warning(f"No council in the {year} round matches {echo(text)}: {escape_markdown(found.reason or '')} "
                   "Choose one from the list.")
        return None
    return found.codes[0]


def council_picker(year: int, *, key: str, label: str = "Council",
                   help: str | None = None) -> str | None:
    """A searchable council picker (type a name or an ONS code), kept in the URL as ?authority=.

    The choice is remembered across pages. A code in the URL that belongs to another council
    set (a council since merged, split or recoded) is mapped through the lineage with a note.
    Returns the chosen ONS code, or None while nothing is chosen.
    """

    councils = round_councils(year)
    # Labels carry no round-specific text: the widget keeps its value when the round changes.
    names = {r.authority_code: f"{r.display_name} ({r.authority_code})" for r in councils.itertuples()}
    codes = list(names)  # url_choice keeps the widget's value among these, so names[code] always exists
    typed = st.session_state.get(key)
    wanted = str(typed) if typed is not None and typed not in codes else query_param("authority")
    if wanted and wanted not in codes:
        wanted = _resolve_council(wanted, year)
        if typed is not None and typed not in codes:
            st.session_state[key] = wanted  # url_choice then shows the council the text found
            set_query_params(authority=wanted)
    remembered = st.session_state.get(CHOSEN_COUNCIL)
    code = url_choice(st.selectbox, label, codes, key=key, param="authority",
                      default=remembered if remembered in codes else None,
                      format_func=lambda c: names.get(c, str(c)), accept_new_options=True,
                      url_value=wanted, index=None,
                      placeholder="Type a council's name or ONS code, then pick it or press Enter",
                      help=help or f"Every council with adult social services duties in the {year} "
                                   "round's council set.")
    if code is not None:
        st.session_state[CHOSEN_COUNCIL] = code
    return code
