"""Gap finder: which standards and kinds of support are least met, which councils lack them,
and what changed since the previous round and against the 2015 report's national figures."""

from __future__ import annotations

import streamlit as st

from lib.analysis import gap_tables, gaps, regions
from lib.base import exports
from lib.base.formatting import council_type_text, format_percent
from lib.base.formatting import escape_markdown as md
from lib.charts import gaps as charts
from lib.reports import opendata
from lib.web import data, display, frame, pickers, urlstate

frame.require_frame(__file__)

# Queries run once per published version and arguments, shared by every session (lib.web.data).
cached_regions = data.per_version(regions)
cached_gaps = data.per_version(gaps)
cached_open = data.per_version(opendata)
year = pickers.current_round()
source = pickers.data_source(year)
demo = pickers.is_demo(year)


st.title("Gap finder")
st.markdown(
    "Where support for individual employers and their PAs is missing: which councils fall short "
    "on which standard, which kinds of support are least often in place, which councils lack a "
    "given kind of support, and what changed since the previous round. Filters apply to the "
    "whole page and are kept in the link."
)

# ---- Filters shared by the page --------------------------------------------------------------
region_list = cached_regions.regions(year)
region_names = dict(zip(region_list["region_code"], region_list["region_name"], strict=True))
types = cached_gaps.council_types(year)
standards = cached_gaps.scored_questions(year).drop_duplicates("standard").sort_values("standard")
standard_names = dict(zip(standards["standard"].astype(str), standards["short_name"], strict=True))
sort_labels = {**gaps.SORTS, **{n: f"Standard {n}: {name} (highest first)" for n, name in standard_names.items()}}

f1, f2, f3 = st.columns(3)
with f1:
    region = urlstate.url_choice(
        st.selectbox, "Region", [None, *region_names], key="gap_region", param="region", default=None,
        format_func=lambda c: "All of England" if c is None else region_names[c])
with f2:
    council_type = urlstate.url_choice(
        st.selectbox, "Type of council", [None, *types], key="gap_type", param="type", default=None,
        format_func=lambda t: "All types" if t is None else council_type_text(t))
with f3:
    sort = urlstate.url_choice(
        st.selectbox, "Order councils by", list(sort_labels), key="gap_sort", param="sort", default="overall",
        format_func=sort_labels.get,
        help="Overall score, name, region, or one standard's score (highest first).")

where = " and ".join(filter(None, [region_names.get(region), council_type_text(council_type) if council_type else None]))
where_text = f" ({where})" if where else ""

# ---- 1. Councils x standards -----------------------------------------------------------------
st.header("Councils against the nine standards")
heatmap = cached_gaps.heatmap_frame(year, region=region, council_type=council_type, sort=sort)
n_councils = heatmap["authority_code"].nunique()
if n_councils == 0:
    st.info(f"No council{md(where_text)} responded in {year}. Choose another region or type.")
else:
    st.markdown(
        f"Each row is a council that responded in {year}{md(where_text)}, each column a standard. "
        "The number in a cell is the council's score out of 100: darker blue is lower, yellow is "
        "higher. A \"Don't know\" or unanswered question counts as the worst answer, so a standard "
        "with no known answer scores 0; **Not asked** marks a standard the round did not ask about. Sorted by "
        f"{md(sort_labels[sort][0].lower() + sort_labels[sort][1:])}."
    )
    not_asked = gaps.standards_not_asked(heatmap)
    if not_asked:
        st.markdown(f"The {year} questionnaire did not ask about standards "
                    f"{', '.join(map(str, not_asked))}: those columns say **Not asked**.")
    st.plotly_chart(
        data.chart(charts.score_heatmap, heatmap, source=source,
                             title=f"Standard scores of {n_councils} responding councils{where_text}, {year}"),
        width="stretch", key="gap_heatmap")
    with display.on_demand(f"Table: the same scores with their bands ({n_councils} councils)", key="gaps_heatmap") as opened:
        if opened:
            display.show_table(gap_tables.heatmap_table(heatmap))

# ---- 2. Questions most often unmet -----------------------------------------------------------
st.header("Kinds of support most often missing")
QUESTION_SETS = {"report": "Only questions the 2015 survey asked",
                 "all": "Also the questions the standards add"}
question_set = urlstate.url_choice(
    st.radio, "Questions to rank", list(QUESTION_SETS), key="gap_question_set", param="questions",
    default="report", absent_means_default=True, format_func=QUESTION_SETS.get, horizontal=True,
    help="The standards ask for some evidence the 2015 survey never collected (apprenticeships, "
         "the enhanced offer, networks, the workforce data set). The report has no figure for them.")
england = cached_gaps.unmet_questions(year)
scoped = cached_gaps.unmet_questions(year, "region", region) if region else england
england = gap_tables.only_report_questions(england, question_set == "report")
scoped = gap_tables.only_report_questions(scoped, question_set == "report")
if question_set == "all" and demo and not england["from_report"].all():
    st.caption("Questions marked “not in the 2015 survey” have no published figure to calibrate "
               "the demonstration data to: their synthetic answers follow one assumed national "
               "split (see Methodology), so their place in this ranking is invented.")
if scoped.empty:
    st.info(f"No council in {md(region_names.get(region, 'England'))} responded in {year}.")
else:
    cov = cached_gaps.coverage(year, "region", region) if region else cached_gaps.coverage(year)
    scope_name = region_names.get(region, "England")
    st.markdown(
        f"For each scored question, the share of responding councils in {md(scope_name)} that do not "
        "have the support in place, split by their answer. Worst first."
        + (" The black diamond marks the share for England as a whole." if region else "")
    )
    st.caption(f"n = {cov['respondents']} responding councils of {cov['councils']} in "
               f"{md(scope_name)} ({format_percent(cov['coverage'])} coverage), {year}. Council type filter does "
               "not apply here.")
    st.plotly_chart(
        data.chart(charts.unmet_bars, scoped, source=source, england=england if region else None,
                          title=f"Share of councils without each kind of support, {scope_name}, {year}"),
        width="stretch", key="gap_unmet")
    with display.on_demand("Table: share of responding councils by answer (%)", key="gaps_unmet") as opened:
        if opened:
            display.show_table(gap_tables.unmet_table(scoped, england if region else None))

# ---- 3. Which councils lack X ----------------------------------------------------------------
st.header("Which councils lack a kind of support")
questions = cached_gaps.scored_questions(year)
by_id = questions.set_index("question_id")
ordered = list(england["question_id"]) + [q for q in questions["question_id"] if q not in set(england["question_id"])]
question_id = urlstate.url_choice(
    st.selectbox, "Kind of support", ordered, key="gap_question", param="question", default=ordered[0] if ordered else None,
    format_func=lambda q: (f"{gap_tables.question_label(by_id.loc[q, 'topic'], by_id.loc[q, 'from_report'])} "
                           f"(standard {by_id.loc[q, 'standard']})"),
    help="Listed from the most often missing nationally to the least.")
if question_id is not None:
    question = by_id.loc[question_id].copy()
    question["question_id"] = question_id
    lacking = cached_gaps.councils_lacking(year, question_id, region=region, council_type=council_type)
    total = heatmap["authority_code"].nunique()
    st.markdown(f"*{md(question['wording'])}*")
    counts = lacking["answer_label"].value_counts(sort=False)
    breakdown = "; ".join(f"{md(label)}: {n}" for label, n in counts.items())
    having = " or ".join(f"“{md(label)}”" for label in cached_gaps.support_labels(question_id))
    st.markdown(
        f"**{len(lacking)} of {total} responding councils**{md(where_text)} do not have this support "
        f"in place in {year}: they gave an answer other than {having}"
        + (f" ({breakdown})." if len(lacking) else ".")
    )
    if len(lacking):
        shown = lacking.assign(type=lacking["type"].map(council_type_text))[
            ["display_name", "region_name", "type", "answer_label", "providers"]]
        shown.columns = ["Council", "Region", "Type", "Answer", "Who is developing it"]
        if not (shown["Who is developing it"] != "").any():
            shown = shown.drop(columns="Who is developing it")
        display.show_table(shown)
        export = exports.label_demo(gaps.lacking_export(lacking, question, year), demo)
        st.download_button(
            "Download this list (CSV)", lambda table=export: exports.to_csv_bytes(table),  # built when pressed
            file_name=f"councils-without-{question_id}-{year}.csv", mime="text/csv",
            icon=":material/download:", key="gap_download")
        if year not in cached_open.withheld_rounds():
            display.api_link("Every responding council's answer to this question", "answers", round=year,
                         question=question_id, region=region, type=council_type)
        display.api_link("Each question's shares of councils, nationally, by region and by type", "summary",
                     round=year)
    missing = cached_gaps.non_respondents(year, region=region, council_type=council_type)
    if len(missing):
        with st.expander(f"{len(missing)} councils{where_text} did not respond in {year}: nothing is known about them"):
            st.markdown(", ".join(md(n) for n in missing["display_name"]) + ".")
    st.page_link("pages/good_practice.py", label=f"Good-practice examples for standard {question['standard']}",
                 icon=":material/lightbulb:",
                 query_params={"standard": str(question["standard"]), "round": str(year)})

# ---- 4. Change since the previous round, and the published figures -------------------------
st.header("What changed since the previous round")
change = cached_gaps.change_since_previous(year)
if change.empty:
    st.info("This is the first round in the database, so there is no earlier round to compare with.")
else:
    prev = int(change["previous_year"].iloc[0])
    st.markdown(
        f"For each question asked in both {prev} and {year}, the share of responding councils in "
        f"England with the support in place or partly (in development, on request and the like). {int(change['previous_respondents'].iloc[0])} "
        f"councils responded in {prev} and {int(change['respondents'].iloc[0])} in {year}; they are not all "
        "the same councils, so this compares two national pictures rather than tracking each council."
    )
    st.plotly_chart(data.chart(charts.change_dots, change, source=source, year=year, previous_year=prev),
                    width="stretch", key="gap_change")
    with display.on_demand("Table: change in points, question by question", key="gaps_change") as opened:
        if opened:
            table = gap_tables.change_table(change, year, prev)
            display.show_table(table, column_config={
                c: st.column_config.NumberColumn(c, format="%+d" if "points" in c else "%d%%")
                for c in table.columns[2:]})

st.subheader("Against the 2015 report's national figures")
published = cached_gaps.published_comparison(year)
report_years = cached_gaps.report_years()
if published.empty:
    st.info(f"The 2015 report publishes national figures for {' and '.join(map(str, report_years))} only "
            f"(the {report_years[0]} ones through the changes it reports), so there is nothing to set "
            f"the {year} round against." if report_years else "The database holds no published figures.")
else:
    far = published[published["difference"].abs() > 3]
    implied = published["basis"].str.startswith("Implied").all()
    st.markdown(
        (f"The report gives no {year} percentages directly, but {len(published)} of its {year + 1} "
         f"figures come with the change since {year}, which implies the {year} level. "
         if implied else
         f"The report states {len(published)} national percentages for {year} that match a question here. ")
        + "Each is set against the same share of this database's responding councils; the difference "
        "is published minus this database, in percentage points."
    )
    if demo:
        st.markdown(
            "**This round is synthetic demonstration data, which was generated to reproduce these "
            "published figures, so the two agree by construction** (within a point or two, from "
            "rounding whole councils). With real survey answers loaded, the same comparison shows "
            "how that year's respondents differ from the picture the report published."
        )
    else:
        st.markdown(
            "These are real survey answers: a difference shows how this round's respondents differ "
            "from the picture the report published (with the demonstration data the two would agree "
            "by construction)."
        )
    if len(far):
        st.markdown("More than 3 points apart: " + "; ".join(
            f"{md(r.topic)} ({md(r.answer.lower())}): {r.difference:+.0f}" for r in far.itertuples()) + ".")
    st.plotly_chart(data.chart(charts.published_dots, published, source=source, year=year), width="stretch",
                    key="gap_published")
    with display.on_demand(f"Table: {len(published)} published figures and this database's shares", key="gaps_published") as opened:
        if opened:
            display.show_table(gap_tables.published_table(published))

changes = cached_gaps.published_changes(year)
if len(changes):
    prev_text = (f"this database's change from {int(changes['previous_year'].iloc[0])}"
                 if changes["previous_year"].notna().any() else "no earlier round in this database")
    st.markdown(
        f"The report also gives {len(changes)} changes since the year before, in percentage points, "
        f"for the share with the support in place or partly. Set against {prev_text}:"
    )
    display.show_table(gap_tables.published_changes_table(changes))
    if demo:
        st.caption("Where the report gives a change but no level for the later year, the demonstration "
                   "data could not be calibrated to it, so the two may differ.")
