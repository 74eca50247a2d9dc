"""Peer comparison: one council beside councils like it, standard by standard."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.analysis import peers, regions, scorecard
from lib.base.formatting import (
    DASH,
    band_text,
    council_type_text,
    format_score,
    rank_range,
    score_range,
)
from lib.base.formatting import escape_markdown as md
from lib.charts import band_cell_styles
from lib.charts import peers as charts
from lib.reports import opendata_files
from lib.scoring import views as scoring
from lib.web import data, display, frame, pickers, urlstate

frame.require_frame(__file__)

# Queries run once per published version and arguments, shared by every session (lib.web.data).
cached_scoring = data.per_version(scoring)
cached_scorecard = data.per_version(scorecard)
cached_regions = data.per_version(regions)
cached_peers = data.per_version(peers)
year = pickers.current_round()
source = pickers.data_source(year)
demo = pickers.is_demo(year)


st.title("Peer comparison")
st.markdown(
    "Set one council beside councils like it: those in the same region, of the same type, with "
    "the most similar survey answers, or a list you choose. The table and chart show each "
    "council's score (0 to 100) and band on the nine standards, and the peer group's median. "
    "The choices are kept in the page's link."
)

code = pickers.council_picker(year, key="peers_council")
if code is None:
    st.info("Choose a council to compare. Type part of its name or its ONS code.",
            icon=":material/compare_arrows:")
    st.stop()

me = cached_scorecard.council(code, year)
name = str(me["display_name"])
region_name = str(me["region_name"])
type_text = council_type_text(me["type"])
type_plural = council_type_text(me["type"], "plural")
responded = bool(me["responded"])
nearest = None if responded else cached_peers.nearest_responded_round(code, year)

# ---- Peer group ------------------------------------------------------------------------------
mode_labels = {
    "region": f"Same region ({region_name})",
    "type": f"Same type ({type_text})",
    "similar": "Most similar answers",
    "custom": "Councils I choose",
}
mode = urlstate.url_choice(st.radio, "Compare with", list(peers.MODES), key="peers_mode", param="peers",
                  default=peers.DEFAULT_MODE, format_func=mode_labels.get, horizontal=True,
                  help="Which councils make up the peer group.")

custom: list[str] = []
k = peers.K_DEFAULT
if mode == "similar":
    wanted_k = peers.parse_k(urlstate.query_param("k"))
    if st.session_state.get("peers_k") is None or st.session_state.get("peers_k__url") != wanted_k:
        st.session_state["peers_k"] = wanted_k
    k = st.slider("Number of peers", peers.K_MIN, peers.K_MAX, key="peers_k",
                  help="How many of the most similar councils to show.")
    st.session_state["peers_k__url"] = k
    urlstate.set_query_params(k=k, custom=None)
    st.caption(md(cached_peers.similarity_method()))
elif mode == "custom":
    councils = pickers.round_councils(year)
    options = [c for c in councils["authority_code"] if c != code]
    labels = dict(zip(councils["authority_code"], councils["display_name"], strict=True))
    raw = urlstate.query_param("custom")
    parsed = peers.parse_custom(raw, councils["authority_code"], exclude=code)
    if parsed.message:
        st.warning(urlstate.echo(parsed.message, limit=300), icon=":material/warning:")
    if st.session_state.get("peers_custom__url") != raw or "peers_custom" not in st.session_state:
        st.session_state["peers_custom"] = parsed.codes
    custom = st.multiselect("Councils to compare with", options, key="peers_custom", format_func=labels.get,
                            placeholder="Type councils' names", help="Choose up to 30 councils.",
                            max_selections=30)
    kept = ",".join(custom) or None
    st.session_state["peers_custom__url"] = kept
    urlstate.set_query_params(custom=kept, k=None)
else:
    urlstate.set_query_params(k=None, custom=None)

# ---- A council that did not respond ---------------------------------------------------------
if not responded:
    text = f"{md(name)} did not respond in {year}, so it has no scores this round."
    if mode == "similar":
        text += " Its answers cannot be compared with other councils' in this round."
    else:
        text += " Its peers are shown below without it."
    if nearest is not None:
        text += f" It responded in {nearest}."
    else:
        text += " It has not responded in any round in the database."
    st.warning(text, icon=":material/info:")
    if nearest is not None:
        st.button(f"Compare in the {nearest} round instead", on_click=pickers.switch_round, args=(nearest,),
                  icon=":material/history:")
    if mode == "similar":
        st.stop()

group = cached_peers.peer_codes(year, code, mode, k=k, custom=custom)
if group.empty:
    if mode == "custom":
        st.info("Choose at least one council to compare with.")
    else:
        st.info(f"No councils found for this peer group in {year}.")
    st.stop()

codes = [code, *group["authority_code"]]
long = cached_regions.council_scores_long(year, codes=codes)
medians = cached_peers.peer_medians(year, list(group["authority_code"]))
table, table_bands = peers.side_by_side(code, group, long, medians, year)
peer_respondents = int(long[long["authority_code"] != code].drop_duplicates("authority_code")["responded"].sum())

# ---- Headline --------------------------------------------------------------------------------
group_words = {
    "region": f"the other councils in {md(region_name)}",
    "type": f"the other {md(type_plural)}",
    "similar": f"the {len(group)} councils whose answers are most like {md(name)}'s",
    "custom": "the councils you chose",
}[mode]
overall_median = medians.loc[medians["standard"] == 0, "median_score"]
st.markdown(
    f"**{md(name)}** ({md(region_name)}, {md(council_type_text(me['type'], 'singular'))}) "
    f"compared with {group_words}: {len(group)} peer{'s' if len(group) != 1 else ''}, of which "
    f"{peer_respondents} responded in {year}."
)
if responded:
    mine = long[long["authority_code"] == code].iloc[0]
    c1, c2, c3 = st.columns(3)
    score_span = score_range(mine["overall_score_low"], mine["overall_score_high"])
    c1.metric("Overall score", format_score(mine["overall_score"]),
              delta=f"Range {score_span}" if score_span else None, delta_color="off", delta_arrow="off",
              help=f"Band: {band_text(mine['overall_band_label'], {})}. The range under it is what its "
                   "\"Don't know\" and unanswered questions leave open.")
    c2.metric("Peer median overall score",
              format_score(overall_median.iloc[0]) if len(overall_median) else DASH,
              help="Median of the ranked peers' overall scores.")
    rank_span = "" if pd.isna(mine["rank"]) else rank_range(mine["rank_best"], mine["rank_worst"])
    c3.metric("Rank in England", DASH if pd.isna(mine["rank"]) else f"{int(mine['rank'])} of {int(mine['n_ranked'])}",
              delta=f"Range {rank_span}" if rank_span else None, delta_color="off", delta_arrow="off")

# ---- Side-by-side table ----------------------------------------------------------------------
st.subheader("Side by side")
st.markdown(
    (f"The first row is **{md(name)}**, the second the **peer median**" if responded
     else "The first row is the **peer median**")
    + " (the middle peer on each standard; overall, over ranked peers), "
    "then each peer"
    + (" from the most similar" if mode == "similar" else ", best overall first")
    + ". Each cell shows the score and its band; cells are tinted by band as well."
)


def _highlight(rows: pd.DataFrame) -> pd.DataFrame:
    """Band tints, plus bold text for the chosen council's row and the median row."""
    styles = band_cell_styles(table_bands.drop(columns=["code"]))
    for i, kind in enumerate(rows["Row"]):
        if kind == peers.ROW_COUNCIL:
            styles.iloc[i] = [s + ("; " if s else "") + "font-weight: bold" for s in styles.iloc[i]]
            styles.iloc[i, 0] = "background-color: #1B1B1B; color: #FFFFFF; font-weight: bold"
        elif kind == peers.ROW_MEDIAN:
            styles.iloc[i, 0] = "background-color: #DCEFE8; color: #1B1B1B; font-weight: bold"
    return styles


shown = table.drop(columns=["code"])
st.dataframe(
    shown.style.apply(_highlight, axis=None), hide_index=True, width="stretch", height="content",
    column_config={
        "Row": st.column_config.TextColumn("", help="Selected council, peer median or peer", width="medium"),
        "Similarity": st.column_config.TextColumn(help="100 = identical answers; see the method above."),
        "Rank in England": st.column_config.TextColumn(help="Overall rank among ranked councils in England."),
    },
)
st.caption("Scroll the table sideways for every standard. In brackets: the range a council's \"Don't know\" "
           f"and unanswered questions leave open; '–': the council did not respond in {year}.")

# ---- Chart ----------------------------------------------------------------------------------
st.subheader("Standard by standard")
standards = peers.chart_frame(code, long, medians)
bands = cached_scoring.band_scale()
if standards["score"].notna().any():
    fig = data.chart(charts.peer_standards_chart,
        standards, council_name=name, source=source, bands=bands,
        title=f"{name} against its peers, {year}" if responded else f"{name}'s peers, {year}")
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})
    st.caption((f"Black dot (lower line of each standard): {md(name)}. " if responded else "")
               + "Green diamond: the peer median. Grey circles: the peers; a bigger circle is several "
               "peers with the same score. Shaded areas and the words along the top mark the bands.")
    with display.on_demand("Table: the council, the peer median and the range of peers on each standard", key="peers_range") as opened:
        if opened:
            display.show_table(peers.standards_table(standards, name, responded))
else:
    st.info(f"None of these councils has scores in {year}, so there is nothing to chart.")

# ---- Download -------------------------------------------------------------------------------
compared = peers.compared_codes(table)
st.download_button("Download this comparison (CSV)",
                   data.deferred(opendata_files.shown("scores", round=year, council=compared)),
                   file_name=f"peers_{code}_{mode}_{year}.csv", mime="text/csv",
                   icon=":material/download:", on_click="ignore",
                   help="The overall and standard scores of the council and its peers, a row each (level "
                        "says which), in the open data's columns.")
display.api_link("The same rows as the comparison's file", "scores", round=year, council=compared)
