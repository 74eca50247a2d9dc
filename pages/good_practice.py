"""Good-practice library: what good support looks like, from the advice note's examples and the
2015 report's case studies, with the report's recommendations. Filters live in the URL."""

from __future__ import annotations

import re

import streamlit as st

from lib.analysis import good_practice as gp
from lib.analysis import scorecard
from lib.base.formatting import escape_markdown as md
from lib.web import data, display, frame, pickers, urlstate

frame.require_frame(__file__)

# Queries run once per published version and arguments, shared by every session (lib.web.data).
cached_gp = data.per_version(gp)
cached_scorecard = data.per_version(scorecard)
year = pickers.current_round()

_URL_OK = re.compile(r"^https?://[^\s<>()\[\]]+$")


st.title("Good practice")
st.markdown(
    "What good support for individual employers and their PAs looks like in practice: the "
    "examples the advice note gives for each of the nine standards, and the case studies in the "
    "2015 survey report, summarised in our own words. Filter by standard, region, source or a "
    "word; each example links to the council's scorecard and to the Gap finder for its standards."
)

standard_names = cached_gp.standard_names()
regions = cached_gp.region_options()

c1, c2 = st.columns(2)
with c1:
    chosen_standards = urlstate.url_multichoice(
        "Standard", list(standard_names), key="gp_standard", param="standard",
        format_func=lambda n: f"{n}. {standard_names[n]}", placeholder="All nine standards")
with c2:
    chosen_regions = urlstate.url_multichoice(
        "Region of the council", list(regions), key="gp_region", param="region", format_func=regions.get,
        placeholder="All regions",
        help=f"Examples from a group of councils or an unnamed council are under "
             f"'{gp.NO_COUNCIL_LABEL}'.")
c3, c4 = st.columns(2)
with c3:
    text = urlstate.url_text("Search titles, organisations and summaries", key="gp_text", param="q",
                        placeholder="For example: peer, register, apprenticeship",
                        help="Every word must appear. Not case-sensitive.")
with c4:
    chosen_sources = urlstate.url_multichoice("Source document", list(gp.SOURCES), key="gp_source", param="source",
                                         format_func=gp.SOURCES.get, placeholder="Both documents")

examples = cached_gp.find_examples(standards=chosen_standards, regions=chosen_regions, text=text,
                            sources=chosen_sources)
total = len(cached_gp.find_examples())
filtered = bool(chosen_standards or chosen_regions or text.strip() or chosen_sources)

st.header("Examples")
if examples.empty:
    st.info(
        "No example matches every filter you chose. Not every standard has an example in every "
        "region, and a search word must appear in the title, organisation or summary. Remove a "
        "filter or try a shorter word."
    )
else:
    st.markdown(f"**{len(examples)} of {total} examples**" + (" match your filters." if filtered else "."))

councils = pickers.round_councils(year)
in_round = set(councils["authority_code"])
linked = tuple(c for c in examples["authority_code"] if isinstance(c, str) and c in in_round)
links = cached_scorecard.scorecard_links(linked, year) if linked else {}
for ex in examples.itertuples():
    with st.container(border=True, key=f"gp_card_{ex.id}"):
        st.subheader(md(ex.title), anchor=False)
        place = ex.region_name if isinstance(ex.region_name, str) else gp.NO_COUNCIL_LABEL
        st.caption(f"{md(ex.organisation)} · {md(place)} · {md(ex.source_label)}")
        st.markdown("**Standards:** " + md(gp.standards_text(list(ex.standards), list(ex.standard_names))))
        st.markdown(md(ex.summary))
        if isinstance(ex.url, str) and _URL_OK.match(ex.url):
            st.markdown(f"Web address (as given in the source, may no longer work): [{md(ex.url)}]({ex.url})")
        link = links.get(ex.authority_code) if isinstance(ex.authority_code, str) else None
        with st.container(horizontal=True, gap="medium"):
            if link is not None:
                display.council_link(link, ex.council_name)
            for n in ex.standards:
                st.page_link("pages/gaps.py", label=f"Gap finder: standard {n}",
                             icon=":material/search_insights:",
                             query_params={"sort": str(n), "round": str(year)})
        if link is not None:
            display.council_link_note(link)

st.header("The report's recommendations")
recs = cached_gp.recommendations(chosen_standards or None)
st.markdown(
    "The 2015 report ends with eleven recommendations for councils and their partners "
    "(summarised here), grouped by theme with the standards each bears on."
    + ((" Showing the one that bears on the standards you chose." if len(recs) == 1 else
        f" Showing the {len(recs)} that bear on the standards you chose.") if chosen_standards and len(recs) else "")
)
if recs.empty:
    st.info("None of the report's recommendations bears on the standards you chose.")
for theme, group in recs.groupby("theme", sort=False):
    st.subheader(md(theme), anchor=False)
    for r in group.itertuples():
        st.markdown(f"**Recommendation {r.number}.** {md(r.summary)}  \n"
                    f"*Standards:* {md(gp.standards_text(list(r.standards), list(r.standard_names)))}")
st.caption("Source: Skills for Care, Support for individual employers and personal assistants, "
           "2015 survey report, recommendations; examples from the advice note Minimum standards of "
           "support for individual employers and personal assistants (standards 1 to 9) and the "
           "report's chapter 6 case studies.")
