"""Home: the national picture for the chosen survey round."""

from __future__ import annotations

import streamlit as st

from lib.analysis import national
from lib.base.formatting import DASH, format_percent, format_score
from lib.base.formatting import escape_markdown as md
from lib.charts import national as charts
from lib.reference import hexmap
from lib.web import data, display, frame, pickers

frame.require_frame(__file__)

# Queries run once per published version and arguments, shared by every session (lib.web.data).
cached_national = data.per_version(national)
year = pickers.current_round()
source = pickers.data_source(year)

st.title("Support for individual employers and PAs in England")
st.markdown(
    "How English councils measure up to the nine minimum standards of support for people who "
    "employ their own personal assistants (PAs), and for the PAs they employ. Pick a survey "
    "round in the sidebar; open **Council scorecard** for one council."
)

summary = cached_national.response_summary(year)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Responding councils", summary.respondents,
          delta=(summary.respondents - summary.previous_respondents) if summary.previous_respondents else None,
          help=f"Compared with {summary.previous_year}" if summary.previous_year else None)
c2.metric("Response rate", format_percent(summary.rate), help=f"{summary.respondents} of {summary.councils} councils")
ranked = cached_national.overall_distribution(year)
england = cached_national.overall_median(year)
c3.metric("Median overall score", format_score(england), help="Median of the ranked councils' overall scores (0-100).")
medians = cached_national.standard_medians(year)
weakest = medians.dropna(subset=["median_score"]).sort_values("median_score").head(1)
c4.metric("Least met standard", f"Standard {int(weakest['standard'].iloc[0])}" if len(weakest) else DASH,
          help="The standard with the lowest national median score.")
if len(weakest):
    c4.caption(f"{md(weakest['short_name'].iloc[0])}: median {format_score(weakest['median_score'].iloc[0])}")
st.caption(f"Response rate: {summary.respondents} of {summary.councils} councils. " + summary.footnote
           # The 2015 report's rounds (2012-2015) count 151 councils, leaving out the Isles of Scilly.
           + (f" On the report's base of {national.REPORT_COUNCIL_TOTAL} the rate is {format_percent(summary.report_rate)}." if year <= 2015 else ""))

st.header("How councils do on each standard")
bands = cached_national.standards_by_band(year)
st.plotly_chart(data.chart(charts.standards_band_bar, bands, source=source), width="stretch")
with display.on_demand("Table: councils in each band, by standard", key="home_bands") as opened:
    if opened:
        table = bands.pivot_table(index=["standard", "short_name"], columns="band_label", values="councils",
                                  aggfunc="sum", sort=False).reset_index()
        table = table.merge(medians[["standard", "median_score"]], on="standard")
        table["median_score"] = [format_score(v) for v in table["median_score"]]
        display.show_table(table.rename(columns={"standard": "Standard", "short_name": "Name",
                                             "median_score": "Median score"}))

left, right = st.columns([3, 2])
with left:
    st.header("Spread of overall scores")
    st.plotly_chart(data.chart(charts.score_histogram, ranked, source=source), width="stretch")
    st.caption(f"{len(ranked)} councils ranked. Councils that answered questions on too few standards are not ranked.")
with right:
    st.header("Map of overall scores")
    cells = cached_national.map_values(year)
    st.plotly_chart(data.chart(hexmap.hex_map_figure, cells, title="", colour_label="Overall score", height=420),
                    width="stretch")
    st.caption("One hexagon per council, arranged to resemble England. Grey: no response this round.")
    st.page_link("pages/regions.py", label="Full map and regional comparison", icon=":material/map:")
with display.on_demand("Table: every ranked council's overall score and band", key="home_ranking") as opened:
    if opened:
        display.show_table(national.ranking_table(ranked))

change = cached_national.change_since_previous(year)
st.header("What changed since the previous round")
if change.empty:
    st.write("This is the first round in the database, so there is nothing to compare with.")
else:
    prev = int(change["previous_year"].iloc[0])
    st.markdown(
        f"Median standard scores and the share of councils meeting each standard, {year} against "
        f"{prev}, **like for like**: both rounds scored on the questions they both asked. The two "
        "rounds had different respondents, so this compares national pictures rather than the "
        "same councils."
    )
    note = national.questions_change_note(change)
    if note:
        st.caption(md(note))
    display.show_table(national.change_table(change, year))
