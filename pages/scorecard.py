"""Council scorecard: how one council does on each standard, where it ranks, its gaps and who
does it well. The director of adult social services' page; every number comes from lib.analysis.scorecard
(this round) and lib.analysis.scorecard_trend (across rounds)."""

from __future__ import annotations

import streamlit as st

from lib.analysis import methodology, national, scorecard, scorecard_trend
from lib.base.formatting import council_type_text
from lib.base.formatting import escape_markdown as md
from lib.charts import scorecard as charts
from lib.reports import briefing_html, scorecard_files
from lib.scoring import views as scoring
from lib.web import data, display, frame, pickers, urlstate

frame.require_frame(__file__)

# Queries run once per published version and arguments, shared by every session (lib.web.data).
cached_methodology = data.per_version(methodology)
cached_national = data.per_version(national)
cached_scoring = data.per_version(scoring)
cached_scorecard = data.per_version(scorecard)
cached_trend = data.per_version(scorecard_trend)
year = pickers.current_round()
source = pickers.data_source(year)
EXAMPLES_SHOWN = 4  # per gap; the Good practice page lists them all

st.title("Council scorecard")
st.markdown(
    "How one council measures up to the nine minimum standards of support for people who employ "
    "their own personal assistants (PAs): its score and rank, each standard against others, the "
    "answers behind them, its gaps with what to do, and its change across rounds."
)

code = pickers.council_picker(year, key="scorecard_council")
if code is None:
    st.info(
        "Choose a council above: type part of its name or its ONS code (for example E10000023). "
        "The scorecard then shows:\n\n"
        "- its overall score out of 100, its band and its rank in England and in its region;\n"
        "- its score on each of the nine standards against the England, regional and same-type medians;\n"
        "- every survey answer behind those scores, and who provides each kind of support;\n"
        "- its gaps, weakest first, with actions, the 2015 report's recommendations and good-practice examples;\n"
        "- its scores in every survey round;\n"
        "- a two-page briefing (HTML) to print or forward, with an optional appendix, and the council's data (CSV, Excel) to download.\n\n"
        "The link in your browser's address bar reopens the same view, so you can share it.",
        icon=":material/assignment:",
    )
    st.stop()

me = cached_scorecard.council(code, year)
name = str(me["display_name"])
st.header(md(name), anchor=False)
st.caption(f"{md(council_type_text(me['type'], 'council'))} · {md(me['region_name'])} · ONS code "
           f"{md(code)} · {year} survey round")

head = cached_scorecard.headline(code, year)


# ---- A council that did not answer this round ------------------------------------------------
if head is None:
    answered = cached_scorecard.response_rounds(code)
    nearest = cached_scorecard.nearest_response_round(code, year)
    if nearest is None:
        st.warning(f"**{md(name)} did not respond to the {year} survey**, and it has not responded to any "
                   "survey round held in this database, so there is no scorecard for it.",
                   icon=":material/block:")
    else:
        if len(answered) == 1:
            when = f"It did respond in {nearest}."
        else:
            listed = ", ".join(str(r) for r in answered[:-1]) + f" and {answered[-1]}"
            when = f"It responded in {listed}; the nearest of those rounds is {nearest}."
        st.warning(f"**{md(name)} did not respond to the {year} survey**, so it has no scores for {year}. "
                   + when, icon=":material/event_busy:")
        st.button(f"Show {md(name)}'s {nearest} scorecard", type="primary", on_click=pickers.switch_round,
                  args=(nearest,), icon=":material/history:")
    st.markdown("**What you can do now**")
    with st.container(horizontal=True, gap="medium"):
        st.page_link("pages/what_if.py", label=f"Self-assess {md(name)} against the standards",
                     query_params={"authority": code}, icon=":material/tune:")
        st.page_link("pages/peers.py", label=f"See how similar councils did in {year}",
                     query_params={"authority": code, "round": str(year)}, icon=":material/compare_arrows:")
        st.page_link("pages/good_practice.py", label="Browse good practice", icon=":material/lightbulb:")
    st.stop()

# ---- Headline -------------------------------------------------------------------------------
top = st.columns(3)
score_span, rank_span = head.ranges()
top[0].metric("Overall score (out of 100)", head.score_alone, border=True,
              delta=f"Range {score_span}" if score_span else None, delta_color="off", delta_arrow="off",
              help="The mean of the scores of the standards the round asked about. \"Don't know\" and "
                   "unanswered questions count as the worst answer; the range under it runs from this "
                   "score to the score known answers could give at best.")
top[1].metric("Band", md(head.band_label), border=True, help="The band the overall score falls in.")
top[2].metric("Rank in England", head.rank_alone, border=True,
              delta=f"Range {rank_span}" if rank_span else None, delta_color="off", delta_arrow="off",
              help=f"Among the councils ranked in the {year} round (1 = highest overall score). The range "
                   "under it runs from the best rank known answers to its \"Don't know\" and unanswered "
                   "questions could give, everyone else as they are, to the rank it has.")
more = st.columns(3)
more[0].metric(f"Rank in {md(me['region_name'])}", head.region_rank_text, border=True,
               help="Among the ranked councils in the region.")
more[1].metric("Standards with evidence", f"{head.evidenced} of {head.standards_total}", border=True,
               help="Standards with at least one answer other than \"Don't know\".")
more[2].metric("Don't know or not answered", str(head.unknown_answers + head.missing_answers), border=True,
               help=f"Scored questions: {head.unknown_answers} answered \"Don't know\", "
                    f"{head.missing_answers} not answered.")
against = head.against_england(cached_national.overall_median(year))
if against:
    st.caption(md(against))
if not head.ranked:
    st.info(md(head.not_ranked_reason(year)), icon=":material/info:")
if head.coverage_note(year):
    st.caption(md(head.coverage_note(year)))

# ---- Downloads ------------------------------------------------------------------------------
demo = pickers.is_demo(year)
stem = scorecard_files.file_stem(name, year)
downloads = st.container(horizontal=True)  # each file is built only when its button is pressed
base = urlstate.base_url()  # for the briefing's link back to this scorecard
downloads.download_button(
    "Download briefing (HTML)",
    data.deferred(lambda c: briefing_html.briefing_html(c, code, year, is_demo=demo, base_url=base).encode("utf-8")),
    file_name=f"{stem}-briefing.html", mime="text/html", icon=":material/description:", on_click="ignore",
    help="Two A4 pages to print or forward: headline, standards at a glance, the three biggest gaps with one "
         "good-practice example each, and a link back to this scorecard.",
)
downloads.download_button(
    "Briefing with appendix (HTML)",
    data.deferred(lambda c: briefing_html.briefing_html(c, code, year, is_demo=demo, base_url=base,
                                                  appendix=True).encode("utf-8")),
    file_name=f"{stem}-briefing-with-appendix.html", mime="text/html", icon=":material/description:",
    on_click="ignore",
    help="The same two pages, then an appendix on pages of its own: every gap with the answers behind it, all actions, "
         "the 2015 report's recommendations and every good-practice example in full.",
)
downloads.download_button(
    "Download answers (CSV)", data.deferred(lambda c: scorecard_files.answers_csv(c, code, year, is_demo=demo)),
    file_name=f"{stem}-answers.csv",
    mime="text/csv", icon=":material/download:", on_click="ignore",
    help="Every question asked in the round with the council's answer and who provides it.",
)
downloads.download_button(
    "Download data (Excel)", data.deferred(lambda c: scorecard_files.data_xlsx(c, code, year, is_demo=demo)),
    file_name=f"{stem}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:",
    on_click="ignore", help="Sheets: standards, questions and gaps.",
)
display.api_link("This council's overall and standard scores", "scores", round=year, council=code)
if demo:
    st.caption("Downloads are marked as synthetic demonstration data.")

# ---- Standard by standard -------------------------------------------------------------------
st.subheader("Standard by standard", anchor=False)
profile = cached_scorecard.standard_profile(code, year)
bands = cached_scoring.band_scale()
type_group = council_type_text(me["type"], "group")
st.markdown(md(scorecard.profile_summary(profile)))
st.plotly_chart(
    data.chart(charts.standard_profile_chart, profile, source=source, council_name=name, region_name=str(me["region_name"]),
                                  type_name=type_group, bands=bands),
    width="stretch",
)
st.caption(f"Black diamond: {md(name)}. Blue circle: England median; orange square: {md(me['region_name'])} "
           f"median; green triangle: median of {md(type_group.lower())}. Medians are of the councils that "
           "responded this round. A \"Don't know\" or unanswered question counts as the worst answer; "
           "the range in brackets in the table shows what known answers could give.")
with display.on_demand("Table: score on each standard against the medians", key="scorecard_profile") as opened:
    if opened:
        display.show_table(scorecard.profile_table(profile, str(me["region_name"]), str(me["type"])))

# ---- Answer by answer -----------------------------------------------------------------------
st.subheader("The answers behind the scores", anchor=False)
questions = cached_scorecard.question_answers(code, year)
labels = {None: "All standards", **{int(r.standard): r.standard_label for r in profile.itertuples()}}
chosen = urlstate.url_choice(st.selectbox, "Show answers for", list(labels), key="scorecard_standard",
                        param="standard", default=None, format_func=labels.get, absent_means_default=True,
                        help="Pick one standard to see only the questions behind its score.")
if chosen:
    row = profile[profile["standard"] == chosen].iloc[0]
    shown = questions[questions["standard"] == chosen]
    st.markdown(f"**Standard {chosen}: {md(row['short_name'])}** — score {md(row['score_text'])}"
                + (f" ({md(row['band_text'])})" if row["asked"] else "")
                + f". England median {md(row['england_median_text'])}.")
else:
    shown = questions
st.caption("Scored questions by standard, then context questions (recorded, not scored). A standard's score is "
           f"the weighted mean of its answers ({md(cached_methodology.credit_summary())}) × 100. The England share "
           "is of councils that responded this round; \"Stands out\" flags where this council differs from most.")
display.show_table(scorecard.questions_table(shown, with_standard=not chosen),
               height="content" if chosen else 560,
               column_config={
                   "Standard": st.column_config.TextColumn(width="small"),
                   "Question": st.column_config.TextColumn(width="medium"),
                   "Who provides it": st.column_config.TextColumn(width="medium"),
                   "Weight": st.column_config.TextColumn(width="small",
                                                         help="How much the question counts within its standard."),
                   "England: top answer": st.column_config.TextColumn(
                       width="small", help="Share of councils responding this round that gave the top answer "
                                           "(Available, Yes or equivalent)."),
                   "Stands out": st.column_config.TextColumn(width="medium"),
               })

# ---- Gaps -----------------------------------------------------------------------------------
st.subheader("Gaps, and who does it well", anchor=False)
gap_rows = cached_scorecard.gaps(code, year)
if gap_rows.empty:
    st.success(f"{md(name)} is in the top band on every standard.", icon=":material/check_circle:")
else:
    st.markdown(f"{len(gap_rows)} of {len(profile)} standards are not in the top band or have no evidence, "
                "weakest first. Each lists the answers behind the gap, actions to consider, the 2015 report's "
                f"recommendations and good-practice examples, those from {md(me['region_name'])} first.")
    st.page_link("pages/plan.py", label="Improvement plan: the fewest answer changes to the next band",
                 query_params={"authority": code, "round": str(year)}, icon=":material/flag:")
for i, gap in enumerate(gap_rows.itertuples()):
    n = int(gap.standard)
    score_bit = f"{gap.score_text} ({gap.band_text})" if gap.reason == scorecard.GAP_BELOW else gap.band_text
    with st.expander(f"Standard {n}: {md(gap.short_name)} — {md(score_bit)}", expanded=i == 0):
        st.markdown(md(gap.reason_text))
        left, right = st.columns(2, gap="large")
        with left:
            behind = scorecard.gap_questions(questions, n)
            if len(behind):
                st.markdown("**Answers behind the gap**")
                st.markdown("\n".join(f"- {md(t)}: **{md(a)}**" for t, a in behind[["topic", "answer_text"]].itertuples(index=False)))
            if gap.actions:
                st.markdown("**Actions to consider**")
                st.markdown("\n".join(f"{k}. {md(a)}" for k, a in enumerate(gap.actions, start=1)))
            recs = cached_scorecard.recommendations_for(n)
            if len(recs):
                st.markdown("**2015 report recommendations**")
                st.markdown("\n".join(f"- **Recommendation {int(r.number)}** ({md(r.theme)}): {md(r.summary)}"
                                      for r in recs.itertuples()))
        with right:
            examples = cached_scorecard.good_practice(n, me["region_code"], year)
            st.markdown("**Good practice**")
            if examples.empty:
                st.caption("No examples for this standard in the advice note or the 2015 report.")
            shown = examples.head(EXAMPLES_SHOWN)
            linked = tuple(shown.loc[shown["in_round"] & (shown["authority_code"] != code), "authority_code"])
            links = cached_scorecard.scorecard_links(linked, year) if linked else {}
            for ex in shown.itertuples():
                tag = " · same region" if ex.same_region else ""
                st.markdown(f"**{md(ex.title)}**  \n{md(ex.organisation)}{tag}")
                st.caption(f"{md(ex.summary)}  \nSource: {md(ex.citation)}")
                if ex.authority_code in links:
                    link = links[ex.authority_code]
                    display.council_link(link, ex.council_name)
                    display.council_link_note(link)
            more_text = f" ({len(examples)} examples)" if len(examples) > EXAMPLES_SHOWN else ""
            st.page_link("pages/good_practice.py", label=f"All good practice for standard {n}{more_text}",
                         query_params={"standard": str(n), "round": str(year)}, icon=":material/lightbulb:")

# ---- Trend ----------------------------------------------------------------------------------
st.subheader("Across survey rounds", anchor=False)
overall_trend, standard_trend = cached_trend.trend(code)
coverage = cached_trend.round_standards()
st.info(
    "Each round's questionnaire covered a different set of standards ("
    + md(scorecard_trend.coverage_sentence(coverage, head.standards_total))
    + "), so overall scores from different rounds are not like for like. Compare standard by standard: "
    "that is the honest comparison. Each round also had different respondents, so ranks are out of "
    "different totals.",
    icon=":material/compare_arrows:",
)
notes = sorted({n for n in overall_trend["lineage_note"] if n})
if notes:
    st.caption("Through a reorganisation (open markers): " + "; ".join(md(n) for n in notes) + ".")
if int(overall_trend["responded"].sum()) < 2:
    st.caption(f"{md(name)} has responded in only one round, so there is no change to show yet.")
st.plotly_chart(data.chart(charts.standard_trend_chart, standard_trend, source=source), width="stretch")
st.plotly_chart(data.chart(charts.overall_trend_chart, overall_trend, source=source, bands=bands), width="stretch")
lfl = cached_trend.like_for_like_change(code, year)
previous = cached_trend.previous_round(year)
if previous is not None and not len(lfl) and int(overall_trend["responded"].sum()) >= 2:
    st.caption(f"No change since {previous} to show: {md(name)} did not answer both the {previous} and "
               f"the {year} rounds, and changes are only measured between a round and the one before it.")
if len(lfl):
    prev = int(lfl["previous_year"].iloc[0])
    st.markdown(f"**Change since {prev}, like for like.** Both rounds scored on the questions "
                "they both asked, so a change is a change in the answers, not in the questionnaire.")
    overall_lfl = cached_trend.like_for_like_overall(code, year)
    if overall_lfl is not None:
        st.markdown(md(scorecard_trend.like_for_like_overall_text(overall_lfl, year)))
    gained = lfl[lfl["questions_changed"]]
    if len(gained):
        st.caption("Standard" + ("s " if len(gained) > 1 else " ")
                   + ", ".join(str(int(n)) for n in gained["standard"])
                   + f" gained questions since {prev}: the chart above shows each round's own score, "
                   "the table below the like-for-like one.")
    display.show_table(scorecard_trend.like_for_like_table(lfl, year))
with display.on_demand("Table: scores in each round", key="scorecard_rounds") as opened:
    if opened:
        table = scorecard_trend.trend_table(overall_trend, standard_trend)
        display.show_table(table, column_config={
            f"Standard {int(r.standard)}": st.column_config.TextColumn(help=str(r.short_name))
            for r in profile.itertuples()
        })
        st.caption("\"Not asked\": that round's questionnaire had no questions on the standard. "
                   "A dash: no response that round.")
