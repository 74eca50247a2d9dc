"""Self-assessment: answer the questionnaire for one council and see the projected scores and rank.

Nothing is written to the database: projections run on a private in-memory copy of the round
(lib.analysis.whatif.Projector) with the same scoring views as the real scores.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.analysis import whatif
from lib.base import exports
from lib.charts import whatif as charts
from lib.scoring import answer_sets
from lib.scoring import views as scoring
from lib.scoring.config import AUDIENCE_LABELS
from lib.web import data, frame, pickers, urlstate

frame.require_frame(__file__)

con = data.cursor()
year = pickers.current_round()
source = pickers.data_source(year)
md = whatif.escape_markdown

ANSWER_KEY = "wi_a_{}"
PROVIDER_KEY = "wi_p_{}"


@st.cache_resource(show_spinner="Preparing a private copy of the round...", max_entries=6)
def _projector(data_key: str, round_year: int, version: str) -> whatif.Projector:
    """One private in-memory copy per round of a published version, shared by every session."""
    return whatif.Projector(data.cursor(), round_year)


st.title("Self-assessment: what if?")
st.markdown(
    "Answer the survey questions for one council and see at once how its scores against the "
    "nine standards, its band and its rank would change. Nothing you enter here is saved or "
    "published; you can download your answers as a file ready for import."
)

# ---- Council -------------------------------------------------------------------------------
councils = whatif.councils(con, year)
names = {r.authority_code: f"{r.display_name} ({r.authority_code})" for r in councils.itertuples()}
codes = list(names)
wanted = urlstate.query_param("authority")
code = urlstate.url_choice(
    st.selectbox, "Council", codes, key="wi_council", param="authority", default=None,
    format_func=names.get, index=None, placeholder="Type a council's name or ONS code",
    help=f"Every council with adult social services duties in the {year} round's council set.",
)
if wanted and wanted not in codes:
    st.warning(f"There is no council with the code {urlstate.echo(wanted)} in the {year} round. Choose one from the list.")
if code is None:
    st.info("Choose a council to start. Its latest answers fill in the questionnaire, and you can "
            "change any of them to see the effect on its scores.")
    st.stop()

council = councils[councils["authority_code"] == code].iloc[0]
council_name = str(council["display_name"])
prefill_round = whatif.latest_round(con, code, year)
stored = whatif.stored_answers(con, code, prefill_round) if prefill_round is not None else {}

questions = whatif.questionnaire(con, year)
options = answer_sets.answer_options(con)
provider_names = answer_sets.provider_labels(con)
band_names = scoring.band_labels(con)
labels_by_set = {s: list(g["label"]) for s, g in options.groupby("answer_set", sort=False)}
value_of = {(r.answer_set, r.label): r.value for r in options.itertuples()}
label_of = {(r.answer_set, r.value): r.label for r in options.itertuples()}
allows_providers = {(r.answer_set, r.value): bool(r.allows_providers) for r in options.itertuples()}


def _seed(answers: whatif.Answers) -> None:
    """Put a sheet of answers into the form's widgets (used on load and by the reset button)."""
    values, providers = {}, {}
    for q in questions.itertuples():
        a = answers.get(q.id)
        label = label_of.get((q.answer_set, a.value)) if a else None
        values[q.id] = label or whatif.NOT_ANSWERED
        providers[q.id] = list(a.providers) if a else []
        st.session_state[ANSWER_KEY.format(q.id)] = values[q.id]
        st.session_state[PROVIDER_KEY.format(q.id)] = providers[q.id]
    st.session_state["wi_values"] = values
    st.session_state["wi_providers"] = providers


form_id = f"{code}|{prefill_round}|{year}"
if st.session_state.get("wi_form") != form_id:
    _seed(stored)
    st.session_state["wi_form"] = form_id

# ---- Where the answers come from -----------------------------------------------------------
if prefill_round is None:
    st.info(f"{md(council_name)} has not responded to any survey round up to {year}, so the form starts "
            "blank (every question not answered). Its projected rank is where it would rank among "
            f"the councils that responded in {year}.", icon=":material/edit_note:")
elif prefill_round == year:
    st.caption(f"The form is filled in with {md(council_name)}'s answers from the {year} round.")
else:
    st.info(f"{md(council_name)} did not respond in {year}. The form is filled in with its answers from "
            f"the {prefill_round} round, and the comparison is with those answers scored against the "
            f"{year} respondents.", icon=":material/history:")

# The projection comes first, at full width; it is drawn once the answers below are read.
summary = st.container()
by_standard = st.container()
st.button(
    "Reset to the council's answers" if stored else "Clear all answers",
    on_click=_seed, args=(stored,), icon=":material/restart_alt:",
    help="Undo every change and go back to the answers the form started with.",
)

form_col, result_col = st.columns(2, gap="large")

# ---- The questionnaire ---------------------------------------------------------------------
values = st.session_state["wi_values"]
providers_kept = st.session_state["wi_providers"]


def _question(q) -> None:
    """One question: wording, help, the answer options and (where allowed) who provides it."""
    key = ANSWER_KEY.format(q.id)
    choices = [whatif.NOT_ANSWERED, *labels_by_set.get(q.answer_set, [])]
    if st.session_state.get(key) not in choices:
        st.session_state[key] = values.get(q.id) if values.get(q.id) in choices else whatif.NOT_ANSWERED
    longest = max(len(c) for c in choices)
    chosen = st.radio(md(q.wording), choices, key=key, horizontal=longest <= 32)
    values[q.id] = chosen
    bits = [AUDIENCE_LABELS.get(q.audience, q.audience)]
    if q.scored and pd.notna(q.standard_weight_total) and q.standard_weight_total > 0:
        bits.append(f"weight {q.weight:g} of {q.standard_weight_total:g} in this standard")
    elif not q.scored:
        bits.append("not scored")
    st.caption(" · ".join(md(b) for b in bits) + (f"  \n{md(q.help)}" if q.help else ""))
    value = None if chosen == whatif.NOT_ANSWERED else value_of[(q.answer_set, chosen)]
    picked: list[str] = []
    if value is not None and allows_providers.get((q.answer_set, value), False):
        pkey = PROVIDER_KEY.format(q.id)
        if pkey not in st.session_state:
            st.session_state[pkey] = [p for p in providers_kept.get(q.id, []) if p in provider_names]
        picked = st.multiselect(f"Who provides it? ({md(q.topic)})", list(provider_names), key=pkey,
                                format_func=provider_names.get, placeholder="Choose providers (optional)")
        providers_kept[q.id] = list(picked)
    before = stored.get(q.id)
    now = whatif.Answer(value, tuple(sorted(picked))) if value is not None else None
    if before != now:
        was = label_of.get((q.answer_set, before.value), before.value) if before else whatif.NOT_ANSWERED
        if before and now and before.value == now.value:
            st.caption(":material/edit: Changed: who provides it.")
        else:
            st.caption(f":material/edit: Changed: the council's answer was {md(was)}.")


# One part of the questionnaire at a time: all 47 questions at once made the page slow to draw.
# Answers to the parts not on screen are kept in session state and still count.
parts = {int(n): f"Standard {int(n)}: {g.iloc[0]['short_name']}"
         for n, g in questions[questions["scored"]].groupby("standard", sort=True)}
if (~questions["scored"]).any():
    parts[0] = "Context questions (not scored)"
with form_col:
    st.subheader("Questionnaire")
    part = urlstate.url_choice(st.selectbox, "Questions about", list(parts), key="wi_part", param="part",
                          default=next(iter(parts)), format_func=parts.get,  # plain text: options are not Markdown
                          help="Answers to the other parts are kept while you move between them.")
    with st.container(height=760, border=True):
        group = questions[questions["standard"] == part] if part else questions[~questions["scored"]]
        if part:
            st.caption(md(group.iloc[0]["statement"]))
        else:
            st.caption("These questions describe how support is arranged. They are recorded but "
                       "do not change any score.")
        for q in group.itertuples():
            _question(q)

# Every answer on the sheet, shown or not.
answers: whatif.Answers = {}
for q in questions.itertuples():
    label = values.get(q.id, whatif.NOT_ANSWERED)
    if label == whatif.NOT_ANSWERED or (q.answer_set, label) not in value_of:
        continue
    value = value_of[(q.answer_set, label)]
    kept = providers_kept.get(q.id, []) if allows_providers.get((q.answer_set, value), False) else []
    answers[q.id] = whatif.Answer(value, tuple(sorted(kept)))

# ---- Projection ------------------------------------------------------------------------------
projector = _projector(data.data_key(), year, whatif.round_version(con, year))
projected = projector.project(code, answers)
if prefill_round == year:
    baseline = whatif.actual_scores(con, code, year)
    baseline_name = f"Actual {year}"
elif prefill_round is not None:
    baseline = projector.project(code, stored)
    baseline_name = f"{prefill_round} answers"
else:
    baseline = None
    baseline_name = f"Actual {year}"
needed, _ = scoring.standards_needed_for_rank(con, year)
compare = whatif.comparison(whatif.standards_list(con), baseline, projected, band_names)
changed = whatif.changed_questions(stored, answers)

with summary:
    st.subheader("Projection")
    overall_p = projected.overall if projected else {}
    overall_b = baseline.overall if baseline else {}
    # Two by two: four in a row cut the band's words off at half width (issue 14).
    c1, c2 = st.columns(2)
    c3, c4 = st.columns(2)
    p_score, b_score = overall_p.get("score"), overall_b.get("score")
    delta = None
    if p_score is not None and b_score is not None and pd.notna(p_score) and pd.notna(b_score):
        change = whatif.format_change(p_score, b_score)
        delta = change if change == "No change" else f"{change} points"
    c1.metric("Projected overall score", whatif.format_score(p_score) if overall_p else whatif.DASH,
              delta=delta, delta_color="normal" if delta != "No change" else "off",
              delta_arrow="off" if delta == "No change" else "auto",
              help=f"Out of 100. {baseline_name}: {whatif.format_score(b_score) if overall_b else 'no response'}.")
    c2.metric("Projected band", whatif.band_text(overall_p.get("band"), band_names) if overall_p else whatif.DASH,
              help="The band the overall score falls in.")
    p_rank = whatif.rank_text(overall_p) if overall_p else whatif.DASH
    b_rank = whatif.rank_text(overall_b or None)
    rank_delta = None
    if overall_p.get("ranked") and overall_b.get("ranked"):
        moved = int(overall_b["rank"]) - int(overall_p["rank"])
        rank_delta = f"{'up' if moved > 0 else 'down'} {abs(moved)} place{'s' if abs(moved) != 1 else ''}" if moved else "No change"
        c3.metric("Projected rank in England", p_rank, delta=rank_delta,
                  delta_color="off" if moved == 0 else ("normal" if moved > 0 else "inverse"),
                  delta_arrow="up" if moved > 0 else ("down" if moved < 0 else "off"))
    else:
        c3.metric("Projected rank in England", p_rank)
    evidenced = overall_p.get("standards_evidenced")
    n_standards = len(whatif.standards_list(con))
    c4.metric("Standards with evidence", f"{int(evidenced or 0)} of {n_standards}",
              help="Standards with at least one answer other than 'Don't know'. A council needs answers "
                   f"(a 'Don't know' counts) on {needed} to be ranked in {year}.")
    if projected is None:
        st.write("No answers yet: answer at least one question to see a projection.")
    elif overall_b:
        band_b = whatif.band_text(overall_b.get("band"), band_names)
        band_p = whatif.band_text(overall_p.get("band"), band_names)
        st.markdown(
            f"**Overall score {whatif.format_score(b_score)} → {whatif.format_score(p_score)}** "
            f"({md(band_b)} → {md(band_p)}). **Rank {md(b_rank)} → {md(p_rank)}** among the councils "
            f"that responded in {year}."
        )
    else:
        band_p = whatif.band_text(overall_p.get("band"), band_names)
        st.markdown(
            f"**Projected overall score {whatif.format_score(p_score)}** ({md(band_p)}). "
            f"**Projected rank {md(p_rank)}** among the councils that responded in {year}, "
            "counting this council as one of them."
        )
        if not overall_p.get("ranked"):
            st.caption(f"Not ranked: a council needs evidence on at least {needed} standards to be ranked.")
    st.caption(f"{len(changed)} answer{'s' if len(changed) != 1 else ''} changed from "
               + (f"{md(council_name)}'s {prefill_round} answers." if prefill_round else "the blank form."))

with by_standard:
    st.subheader("Standard by standard")
    table = compare[["standard_label", "actual_text", "projected_text", "change_text"]].rename(columns={
        "standard_label": "Standard",
        "actual_text": baseline_name,
        "projected_text": "Projected",
        "change_text": "Change",
    })
    # A static table: its cells wrap, so every column stays on screen on a phone too.
    st.table(table.map(md), hide_index=True)
    st.caption("Each cell shows the score (0 to 100) and its band; the change is in points. 'No evidence' means "
               "no answer other than 'Don't know' for that standard; it is left out of the overall score rather "
               "than counted as 0.")

with result_col:
    st.subheader("The change, drawn")
    fig = charts.score_change_dots(compare, source=source, actual_name=baseline_name,
                                   projected_name="Projected", bands=scoring.band_scale(con))
    st.plotly_chart(fig, width="stretch")

# ---- Download --------------------------------------------------------------------------------
st.subheader("Download your answers")
demo = pickers.is_demo(year) or (prefill_round is not None and pickers.is_demo(prefill_round))
wide = whatif.import_ready(questions, code, year, answers, demo)
stem = whatif.file_stem(council_name, year)
st.markdown(whatif.import_advice(council_name, year, f"{stem}.csv", demo,
                                 len(whatif.unanswered_scored(questions, answers))))
downloads = st.container(horizontal=True)
# Built when pressed (Streamlit calls `data` on click), from this run's answers: an Excel file
# costs the server about 0.3 s, on every run of a page where most runs are answer edits.
downloads.download_button("Download CSV", lambda sheet=wide: exports.to_csv_bytes(sheet), file_name=f"{stem}.csv",
                          mime="text/csv", icon=":material/download:", on_click="ignore")
downloads.download_button("Download Excel (XLSX)", lambda sheet=wide: exports.to_xlsx_bytes({"responses": sheet}),
                          file_name=f"{stem}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          icon=":material/download:", on_click="ignore")
