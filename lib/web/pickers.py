"""The survey-round picker in the sidebar and the council picker of the scorecard, peer comparison
and self-assessment pages, with what a page asks about the chosen round (its label, whether its
answers are synthetic, the source line of its charts).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.base.formatting import escape_markdown
from lib.ingest.councils import CouncilMatcher
from lib.reference import geography
from lib.scoring import views as scoring
from lib.web import data
from lib.web.urlstate import echo, query_param, set_query_params, url_choice, url_int

# --------------------------------------------------------------------------------------------
# The survey round every page shows
# --------------------------------------------------------------------------------------------

DEMO_BANNER = (
    "**Synthetic demonstration data.** No council's real answers are published, so the "
    "answers shown here were generated to match the national picture in the 2015 report. "
    "They describe no real council: use them to explore the tool, not to judge a council."
)


# The version's key is an argument of these cached readers only so that it is part of the
# cache key (a parameter whose name starts with "_" would be left out of it). A version never
# changes, so nothing cached for it goes stale: no time limit is needed.
@st.cache_data(show_spinner=False, max_entries=64)
def _rounds(data_key: str) -> pd.DataFrame:
    return scoring.rounds(data.version_connection(data_key).cursor())


def rounds_table() -> pd.DataFrame:
    return _rounds(data.data_key())


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


# --------------------------------------------------------------------------------------------
# Council picker shared by the scorecard, peer comparison and self-assessment pages
# --------------------------------------------------------------------------------------------

#: Session key holding the council last chosen on any page, so it follows the user around.
CHOSEN_COUNCIL = "chosen_council"


@st.cache_data(show_spinner=False, max_entries=64)
def _round_councils(data_key: str, year: int) -> pd.DataFrame:
    return data.version_connection(data_key).cursor().execute(
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
    return _round_councils(data.data_key(), year)


def _resolve_council(text: str, year: int) -> str | None:
    """The council of the round's set that typed text or a link's ?authority= names, with a note
    when it was found through the lineage (a former or newer council) and a warning when nothing
    fits. Uses the importer's matcher, so the picker accepts every name and code it accepts."""
    con = data.cursor()
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
