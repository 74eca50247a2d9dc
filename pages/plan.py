"""Improvement plan: the fewest answer changes that would lift a council to its next band, cheapest
first by what similar councils already do, each linked to the good practice for its standard.

Plans are scored by the scoring views on a private copy of the round and checked through the
self-assessment's projection (lib.analysis.plan_search); nothing is written.
"""

from __future__ import annotations

import streamlit as st

from lib.analysis import plan, plan_search
from lib.base.formatting import escape_markdown as md
from lib.base.formatting import format_percent, format_score
from lib.reports import plan_html
from lib.web import data, frame, pickers, urlstate

frame.require_frame(__file__)

con = data.cursor()
year = pickers.current_round()
cached_plan = data.per_version(plan)
cached_search = data.per_version(plan_search)

st.title("Improvement plan")
st.markdown(
    "For one council and a target (the next band on a standard, or the next overall band), the "
    "smallest sets of answer changes that would reach it, cheapest first. A change counts as cheaper "
    "the more of the council's similar councils already give that answer or better. Each change links "
    "to the good practice for its standard. Nothing here is saved."
)

code = pickers.council_picker(year, key="plan_council")
if code is None:
    st.info("Choose a council above: type part of its name or its ONS code. Then choose a target.",
            icon=":material/flag:")
    st.stop()

choices = cached_plan.target_choices(code, year)
left, right = st.columns(2)
with left:
    target_key = urlstate.url_choice(st.selectbox, "Target", list(choices), key="plan_target", param="target",
                                default="overall", format_func=choices.get,
                                help="The band above the council's current band, overall or on one standard.")
with right:
    peer_mode = urlstate.url_choice(st.selectbox, "Similar councils", list(plan.PEER_MODES), key="plan_peers",
                               param="peers", default=plan.DEFAULT_PEER_MODE, format_func=plan.PEER_MODES.get,
                               help="Whose answers make a change cheaper: the councils with the most similar "
                                    "answers (as on the Peer comparison page), or those of the same type or region.")

with st.spinner("Searching for the fewest changes..."):
    result = cached_search.plan_for(code, year, plan.parse_target(target_key), peer_mode)
name = md(result.council_name)

if result.status == plan.NO_RESPONSE:
    st.warning(md(result.message), icon=":material/event_busy:")
    st.page_link("pages/what_if.py", label=f"Self-assess {name}", query_params={"authority": code},
                 icon=":material/tune:")
    st.stop()

target = result.target
assert target is not None  # every status but NO_RESPONSE has a target
now = f"{format_score(target.current_score)} ({target.current_band_label})" if target.current_score is not None \
    else target.current_band_label
st.markdown(f"**Now:** {md(now)} {'overall' if target.standard is None else f'on standard {target.standard}'}. "
            f"**Target:** {md(target.description)}.")

if result.status == plan.MET:
    st.success(md(result.message), icon=":material/check_circle:")
elif result.status == plan.UNREACHABLE:
    st.warning(md(result.message), icon=":material/block:")
else:
    fewest = len(result.plans[0].changes)
    st.header(f"Plans to reach {md(target.band_label)}", anchor=False)
    st.markdown(f"**{fewest} answer change{'s' if fewest != 1 else ''}** is the fewest that reach the target. "
                f"{len(result.plans)} alternative{'s' if len(result.plans) != 1 else ''} with that many, cheapest first.")
    if result.fewest_proven:
        st.caption("Every smaller set of changes was tried: none reaches the target.")
    if result.bounded:
        st.caption(":material/info: The search was bounded to stay quick: not every combination of "
                   f"{fewest} changes was tried, so a cheaper plan may exist"
                   + ("." if result.fewest_proven else ", or one with fewer changes."))
    for i, p in enumerate(result.plans, start=1):
        with st.container(border=True, key=f"plan_{i}"):
            st.subheader(f"Plan {i}: projected {format_score(p.score)} ({md(p.band_label)})", anchor=False)
            average = 1 - p.cost / len(p.changes)
            st.caption(f"{len(p.changes)} change{'s' if len(p.changes) != 1 else ''} · on average "
                       f"{format_percent(average)} of similar councils already give each answer or better · "
                       f"overall {format_score(p.overall_score)} ({md(p.overall_band_label)}), rank {md(p.rank)}")
            st.table(plan.page_table(p), hide_index=True, border="horizontal")
            with st.container(horizontal=True, gap="medium"):
                for n, change in sorted({c.standard: c for c in p.changes}.items()):
                    st.page_link("pages/good_practice.py", label=f"Good practice for standard {n}",
                                 query_params=change.good_practice_params(year), icon=":material/lightbulb:")

peers = ", ".join(md(n) for n in result.peer_names) or "none that responded"
st.caption(f"Similar councils ({md(plan.PEER_MODES[result.peer_mode].lower())}, {len(result.peer_names)} "
           f"that responded in {year}): {peers}. Every plan is scored by the same calculation as the published "
           "scores and the Self-assessment page.")

demo = pickers.is_demo(year)
stem = f"improvement-plan-{code}-{year}-{target.key}"
st.download_button(
    "Download the plan (HTML, one page)",
    data.deferred(lambda c: plan_html.plan_html(c, result, is_demo=demo).encode("utf-8")),
    file_name=f"{stem}.html", mime="text/html", icon=":material/download:", on_click="ignore",
    help="The target and the plans on one A4 page to print or share.")
if demo:
    st.caption("The download is marked as synthetic demonstration data.")
