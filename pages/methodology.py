"""Methodology: the standards, the questions behind them, the scoring rules (read from the
database, never typed in here), where the data comes from and how far it can be trusted."""

from __future__ import annotations

import streamlit as st

from lib.analysis import methodology as meth
from lib.base.formatting import escape_markdown as md
from lib.base.formatting import format_percent
from lib.web import data, display, frame, pickers

frame.require_frame(__file__)

# Queries run once per published version and arguments, shared by every session (lib.web.data).
cached_meth = data.per_version(meth)


def and_list(items: list[str]) -> str:
    """'2012, 2013 and 2014'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


year = pickers.current_round()

st.title("Methodology")
st.markdown(
    "How the dashboard turns councils' survey answers into scores against the nine minimum "
    "standards, where its data comes from, and what to bear in mind when reading it. Every rule "
    "on this page is read from the database, which is loaded from the files in `standards/`."
)

# ---- The nine standards ----------------------------------------------------------------------
standards = cached_meth.standards()
questions = cached_meth.questions()
st.header("The nine standards")
st.markdown(
    "The advice note sets nine minimum standards of support that councils should offer people "
    "who employ their own personal assistants, and the PAs they employ. In short:"
)
for s in standards.itertuples():
    st.markdown(f"**{s.number}. {md(s.short_name)}.** {md(s.statement)}  \n*Source: {md(s.source)}.*")

# ---- Questions behind each standard -----------------------------------------------------------
st.header("Which questions evidence each standard")
st.markdown(
    "Each standard is evidenced by a few survey questions. Most come from the 2015 survey (the "
    "report's figures are cited); questions marked **new** were not asked in the 2015 survey "
    "and were added because the standards ask for evidence it did not collect. *Asked from* is "
    "the first survey round that included the question."
)
columns = {"id": "Question id", "wording": "Question", "audience_label": "About support for",
           "answers": "Answers offered", "weight": "Weight in its standard", "role": "Scored or context",
           "origin": "Where it comes from", "asked_from": "Asked from"}
for s in standards.itertuples():
    qs = questions[questions["standard"] == s.number]
    with display.on_demand(f"Standard {s.number}: {s.short_name} ({len(qs)} questions)", key=f"method_standard_{s.number}") as opened:
        if opened:
            st.markdown(f"**What meeting it looks like:** {md(s.looks_like)}")
            display.show_table(qs[list(columns)].rename(columns=columns),
                           column_config={"Weight in its standard": st.column_config.NumberColumn(format="%g"),
                                          "Asked from": st.column_config.NumberColumn(format="%d")})
context = questions[~questions["scored"]]
if len(context):
    with display.on_demand(f"Context questions, not scored ({len(context)})", key="method_context") as opened:
        if opened:
            st.markdown("Recorded and reported alongside the scores, but they earn no credit.")
            display.show_table(context[list(columns)].rename(columns=columns),
                           column_config={"Weight in its standard": None,
                                          "Asked from": st.column_config.NumberColumn(format="%d")})

# ---- Scoring rules -----------------------------------------------------------------------------
st.header("How scores are made")
options = cached_meth.scored_answer_options()
bands = cached_meth.bands()
settings = cached_meth.settings()
min_rank = int(settings.get("min_standards_for_rank", 0))

st.subheader("1. Each answer earns credit")
st.markdown(
    "Every answer option carries a credit from 0 to 1. **Don't know** earns no credit and is also "
    "counted as an unknown answer. Where the council names who provides a kind of support, that "
    "is recorded but does not change the credit."
)
sets = [(name, group) for name, group in options.groupby("answer_set", sort=False)]
sets.sort(key=lambda item: -int(item[1]["scored_questions"].iloc[0]))


def answer_set_table(group) -> None:
    """One answer set: each answer's credit and what else it means."""
    n = int(group["scored_questions"].iloc[0])
    st.markdown(f"**{n} scored question{'s' if n != 1 else ''}** answered with: "
                + md(" / ".join(group["label"])))
    notes = [("Counts as unknown" if u else "") + ("; " if u and p else "")
             + ("Council also names who provides it" if p else "")
             for u, p in zip(group["is_unknown"], group["allows_providers"], strict=True)]
    display.show_table(group.assign(note=notes)[["label", "score", "outcome_label", "note"]].rename(
        columns={"label": "Answer", "score": "Credit (0 to 1)", "outcome_label": "Counts as",
                 "note": "Notes"}),
        column_config={"Credit (0 to 1)": st.column_config.NumberColumn(format="%g")})


if sets:
    answer_set_table(sets[0][1])
if len(sets) > 1:
    with display.on_demand(f"The other {len(sets) - 1} sets of answers", key="method_answer_sets") as opened:
        if opened:
            for _, group in sets[1:]:
                answer_set_table(group)

st.subheader("2. A standard's score")
st.markdown(
    "A standard's score is the weighted average of the credits for every scored question the round "
    "asked about it, times 100, so it runs from 0 to 100. The weights are shown in the question "
    "tables above.\n\n"
    "**\"Don't know\" and unanswered questions count as the worst answer** (no credit), and they stay "
    "in the average. This is the one rule under which a council can never raise its score, or its "
    "rank, by not knowing or by leaving a question blank. Beside each score whose answers include "
    "some of these, the page shows the **range** known answers could give: from the score itself "
    "(each unknown answer at its worst) up to the score with each unknown answer at its best.\n\n"
    "*A worked example (made-up answers).* A standard asks two questions, weighted 1 and 3. A "
    "council answers the first \"Don't know\" and the second \"Available\" (credit 1). Its score is "
    "(0 x 1 + 1 x 3) / 4 = 75, shown as **75 (75–100)**: had it known the first answer was "
    "\"Available\", it would be (1 x 1 + 1 x 3) / 4 = 100. Leaving the \"Don't know\" out of the "
    "average instead would give 3 / 3 = 100, more than the 75 that an honest \"Not available\" earns, "
    "which is why it is not done. A standard where every answer is unknown scores 0, with the "
    "range 0–100. A standard the round did not ask about has no score at all, and is shown as "
    "\"Not asked this round\"."
)

st.subheader("3. The overall score and rank")
weights = standards[["number", "short_name", "weight"]].rename(
    columns={"number": "Standard", "short_name": "Name", "weight": "Weight in the overall score"})
equal = weights["Weight in the overall score"].nunique() == 1
st.markdown(
    "The overall score is the weighted average of the scores of the standards the round asked about"
    + (" (all nine weigh the same)" if equal else " (weights below)")
    + f". A council is ranked only if it answered questions on at least **{min_rank}** standards "
    "(\"Don't know\" counts as an answer, a blank does not); in a round whose questionnaire asks "
    "about fewer standards than that, answers on every standard it asks about are enough. Councils "
    "with the same score share a rank. The rank's range runs from the rank the council would have "
    "with every unknown answer at its best (everyone else as they are) to the rank it has."
)
rule = cached_meth.rank_rule()
display.show_table(rule.assign(standards=rule["standards"].map(lambda s: ", ".join(map(str, s))))[
    ["round_year", "standards_asked", "standards", "min_standards"]].rename(columns={
        "round_year": "Round", "standards_asked": "Standards asked about",
        "standards": "Which standards", "min_standards": "Standards needed to be ranked"}),
    column_config={"Round": st.column_config.NumberColumn(format="%d")})
with display.on_demand("Weights of the nine standards in the overall score", key="method_weights") as opened:
    if opened:
        display.show_table(weights, column_config={
            "Weight in the overall score": st.column_config.NumberColumn(format="%g")})

st.subheader("4. Bands")
st.markdown("Each standard score, and the overall score, falls in one band:")
display.show_table(
    bands.assign(range=[meth.band_range_text(lo, hi) for lo, hi in zip(bands["min_score"], bands["below"], strict=True)])[
        ["label", "min_score", "range", "description"]].rename(columns={
            "label": "Band", "min_score": "Minimum score", "range": "Scores", "description": "What it means"}),
    column_config={"Minimum score": st.column_config.NumberColumn(format="%g")})
st.caption("A score is placed in the highest band whose minimum its shown (whole-number) score "
           "reaches.")

st.subheader("5. One rounding rule, everywhere")
examples = ", ".join(f"{exact:g} is shown as {shown}" for exact, shown in meth.rounding_examples())
st.markdown(
    "Scores are shown as **whole numbers, rounded half up** (" + examples + "). The band and the "
    "ranks, in England and in the region, follow the number shown: a council shown at 75 is in "
    "the band that starts at 75, and councils shown at the same score share a rank. Every page, "
    "the briefing, every download and the command line use this rule; downloads also carry the "
    "exact score in a column named `score_unrounded`. The overall score is worked out from the "
    "exact standard scores and then rounded. Shares of councils are shown as whole percentages, "
    "rounded the same way."
)

st.subheader("6. Comparing one round with the one before")
st.markdown(
    "A change between rounds is the difference of the two numbers shown, so 68 → 77 is +9. Where "
    "a standard gained or lost questions between the rounds (2015 asked more about some standards "
    "than 2014 did), both rounds are scored again on the **questions asked in both**, by the same "
    "rules, and the page says so. A standard that the earlier round did not ask about at all is "
    "not compared."
)

# ---- Data provenance ---------------------------------------------------------------------------
st.header("Where the data comes from")
published = data.current_version()
st.markdown(f"Every page shows **version {published.version}** of the data, published "
            f"{published.published_at:%-d %B %Y at %H:%M}. A published version never changes: a new "
            "import makes a new version, and an administrator can go back to an earlier one.")
rounds = cached_meth.rounds()
quality = cached_meth.answer_quality()
shown = rounds.assign(
    kind=rounds["is_demo"].map({True: "Synthetic demonstration data", False: "Survey responses"}),
    loaded=rounds["loaded_at"].dt.strftime("%-d %B %Y %H:%M"),
    response=[f"{int(r)} of {int(c)} ({format_percent(v)})" for r, c, v in
              zip(rounds["respondents"], rounds["councils"], rounds["coverage"], strict=True)],
)
display.show_table(
    shown[["year", "label", "kind", "council_set", "response", "loaded"]].rename(columns={
        "year": "Round", "label": "Label", "kind": "Data", "council_set": "Council set",
        "response": "Responding councils", "loaded": "Loaded into this database"}),
    column_config={"Round": st.column_config.NumberColumn(format="%d", width="small")})
for provenance, group in rounds.groupby("provenance", sort=False):
    st.markdown(f"**Provenance of {md(and_list([str(y) for y in group['year']]))}:** {md(provenance)}")
st.subheader("Which councils each round covers")
st.markdown(
    "Each round is held against the councils that existed on one day, its **council-set day** "
    "(the table above). Unless an administrator chose another day when importing the round, it "
    "is 1 April of the round's "
    "year, the day on which reorganisations take effect, so a round run in 2027 covers the councils "
    "of April 2027. Response rates, ranks, peers, maps, templates and the checks on imported "
    "answers all use that round's councils, so the 2012 round lists Gateshead and Northumberland "
    "under the codes they had before April 2013.")
st.markdown(
    "**When councils are reorganised**, the reference data gains the new councils with the day "
    "they start, the old ones get the day they end, and the lineage records which council became "
    "which (merged, split, or a new code for the same council). Earlier rounds keep the councils "
    "they were run with, so no answer or score changes or disappears. Each council set has its "
    "own hex map, placed from the councils' centres and kept close to the other sets' maps. A "
    "council's trend follows the lineage: a new council shows the rounds of the council(s) it "
    "came from, each point named; after a split each new council shows the old county's history, "
    "marked as shared; after a merger the history of each former council is shown.")

if rounds["is_demo"].any():
    demo_years = and_list([str(y) for y in rounds.loc[rounds["is_demo"], "year"]])
    st.warning(
        f"**The data for {demo_years} is synthetic.** No council's own survey answers are published, so "
        "these answers were generated by a program from a fixed seed (the same answers every "
        "time), with each round's number of responding councils as the report gives it, and "
        "tuned so that the national percentages match those the 2015 report publishes. They "
        "describe no real council: a council's score, rank or gap in these rounds says nothing "
        "about that council. An administrator can replace them with real responses on the Data "
        "management page.", icon=":material/science:")

    st.subheader("How the demonstration data is made")
    st.markdown(
        "A seeded program (`lib/demo/generator.py`) picks which councils answer each round, gives each "
        "council a general readiness that carries across questions and rounds, and hands out "
        "each answer in exact numbers of councils so that the national shares match the "
        "figures the 2015 report publishes, including who provides each kind of support. It "
        "then checks its draft against the scoring rules above and swaps answers between "
        "councils (leaving every national share as it was) until its rules hold. These "
        "patterns are the program's assumptions, not findings:")
    st.markdown("\n".join(f"- {md(a)}" for a in meth.demo_assumptions()))
    effects = cached_meth.demo_effects()
    with display.on_demand("Regional and council-type effects in the demonstration data", key="method_demo_effects") as opened:
        if opened:
            display.show_table(effects.rename(columns={
                "kind": "Effect of", "group": "Group", "effect": "Effect on readiness (standard deviations)",
                "mean_score": f"Average overall score, {demo_years.split(' and ')[-1]}"}),
                column_config={"Effect on readiness (standard deviations)": st.column_config.NumberColumn(format="%+.2f")})

# ---- Limitations -------------------------------------------------------------------------------
st.header("Limitations: how far to trust the numbers")
lines = []
lineage = cached_meth.reorganisations()
r2015 = rounds[rounds["year"] == 2015]
nonresponse = "; ".join(f"{int(r.respondents)} of {int(r.councils)} in {int(r.year)}" for r in rounds.itertuples())
lines.append(
    f"**Not every council responds.** Responding councils: {nonresponse}. Councils that did not "
    "respond have no scores and are listed separately, never treated as failing. Those that "
    "respond may differ from those that do not."
    + (f" The 2015 report counts {meth.REPORT_BASE} councils because it leaves out the Isles of "
       "Scilly; this dashboard counts every council with adult social services duties."
       if len(r2015) else "")
)
lines.append(
    "**\"Don't know\" and missing answers count as no support.** They earn no credit but still "
    "count in the average, so they pull a score down, and the range beside the score shows how far "
    "known answers could lift it. The table below counts them in each round, and the standard scores "
    "with no known answer behind them at all."
)
asked = cached_meth.rank_rule()
partial = asked[asked["standards_asked"] < len(standards)]
if len(partial):
    years = and_list([str(int(y)) for y in partial["round_year"]])
    which = ", ".join(map(str, partial["standards"].iloc[0]))
    lines.append(
        f"**The questionnaire changed between rounds.** The {years} surveys asked about "
        f"{int(partial['standards_asked'].iloc[0])} of the nine standards (standards {which}), so scores "
        "from those rounds rest on fewer standards and are not directly comparable with later ones."
    )
new, scored = cached_meth.new_question_count()
lines.append(
    f"**Some questions are new.** {new} of the {scored} scored questions were not asked in the 2015 "
    "survey; they were added because the standards ask for evidence the survey did not collect. A "
    "real 2015 import without them scores those questions as unanswered, at 0, with the range "
    "beside the score showing what they could add."
)
lines.append(
    "**Answers are self-reported and describe availability, not quality.** A council saying a "
    "kind of support is available does not show how good it is, how many people use it, or "
    "whether it reaches everyone who needs it."
)
lines.append(
    "**Councils have been reorganised since the earliest round.** Comparisons across rounds follow councils "
    "through these changes and say so on screen. New councils or codes, by year: "
    + md(meth.reorganisation_years(lineage)) + "."
)
st.markdown("\n".join(f"- {line}" for line in lines))
display.show_table(
    quality.assign(no_evidence=[f"{int(n)} of {int(c)}" for n, c in
                                zip(quality["no_evidence"], quality["standard_cells"], strict=True)])[
        ["round_year", "respondents", "expected", "dont_know", "missing", "no_evidence"]].rename(
        columns={"round_year": "Round", "respondents": "Responding councils",
                 "expected": "Scored answers expected", "dont_know": "Don't know answers",
                 "missing": "Missing answers",
                 "no_evidence": "Council standard scores with no known answer"}),
    column_config={"Round": st.column_config.NumberColumn(format="%d"),
                   "Scored answers expected": st.column_config.NumberColumn(format="%d"),
                   "Don't know answers": st.column_config.NumberColumn(format="%d"),
                   "Missing answers": st.column_config.NumberColumn(format="%d")})
with display.on_demand("Council reorganisations since the earliest round's council set", key="method_reorganisations") as opened:
    if opened:
        display.show_table(meth.reorganisation_table(lineage))

# ---- Sources -------------------------------------------------------------------------------------
st.header("Sources")
st.markdown("\n".join(f"- {text}" for text in meth.SOURCES))  # fixed text from lib, not data
st.caption("Facts and figures come from these documents; the wording throughout the dashboard is "
           "its own. Council codes, names, regions and types follow the Office for National "
           "Statistics (Open Government Licence v3.0).")
