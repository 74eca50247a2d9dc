"""The survey questionnaire a council's nominated respondent reaches from their private link
(/respond?token=...). Outside the public menu; shows one council's draft in one round only.

Answers are saved a section at a time (a save never loses more than one section), each save
one transaction in the collection store (lib.collection), never in the published data.
"""

from __future__ import annotations

import streamlit as st

from lib import collection
from lib.base.formatting import escape_markdown as md
from lib.collection import respond as rs
from lib.web import data, frame, urlstate

frame.require_frame(__file__)

st.title("PA support survey")
token = st.query_params.get("token")
try:
    session = collection.resolve(data.working_path(), token, client=urlstate.client_address())
except collection.BadToken as exc:
    st.error(str(exc), icon=":material/link_off:")
    st.stop()
except collection.CollectionError as exc:
    st.error(md(str(exc)), icon=":material/error:")
    st.stop()

draft = collection.load_draft(data.working_path(), session)
options = rs.questionnaire_options(data.cursor())
progress = rs.progress(draft)
st.subheader(f"{session.council_name}, {session.year} survey round")
st.markdown(md(rs.intro(session, progress)))
st.progress(progress.share, text=f"{progress.answered} of {progress.required} required answers given")
source = rs.prefill_source(data.cursor(), session)
if note := rs.prefill_note(source, session.council_name):
    st.warning(note, icon=":material/science:")
if draft.submitted_at is not None:
    st.success(md(rs.submitted_note(draft)), icon=":material/task_alt:")
if flash := st.session_state.pop("respond_flash", None):
    st.toast(flash, icon=":material/save:")

for section, title in rs.SECTIONS:
    rows = draft.questions[draft.questions["audience"] == section]
    if rows.empty:
        continue
    st.header(title)
    # The section as its widgets were filled from the store (kept until it is saved or the
    # respondent asks for newer answers): a save sends only what changed from it, checked
    # against its versions, so nothing saved meanwhile through the same link is overwritten.
    shown_key = rs.widget_key("shown", session, section)
    if shown_key not in st.session_state:
        for key in rs.section_keys(session, rows, section):
            st.session_state.pop(key, None)
        st.session_state[shown_key] = rs.shown_state(draft, rows)
    shown = st.session_state[shown_key]
    with st.form(key=rs.widget_key("section", session, section), enter_to_submit=False, border=True):
        for q in rows.itertuples():
            answer, providers, comment = shown.answers[str(q.id)]
            # Escaped text after an anchor that the list of missing answers links to.
            st.markdown(rs.question_heading(str(q.id), str(q.wording), bool(q.scored)), unsafe_allow_html=True)
            if q.help:
                st.caption(md(str(q.help)))
            if str(q.id) in shown.prefilled:
                st.caption(f":material/history: Answer from the {source.year if source else 'last'} round"
                           + (" (synthetic demonstration data)" if source and source.is_demo else "")
                           + ": saving this section confirms it, or change it.")
            choice_values = options.values(q.answer_set)
            st.radio("Answer", choice_values, key=rs.widget_key("answer", session, q.id),
                     index=rs.index_of(choice_values, answer),
                     format_func=options.label_for(q.answer_set), disabled=not session.editable,
                     label_visibility="collapsed", horizontal=False)
            if options.asks_providers(q.answer_set):
                st.multiselect("Who provides it (where available or in development)", options.provider_keys,
                               default=list(providers), format_func=options.provider_label,
                               key=rs.widget_key("providers", session, q.id), disabled=not session.editable)
            st.text_input("Comment (optional)", value=comment or "",
                          key=rs.widget_key("comment", session, q.id), max_chars=2000, disabled=not session.editable)
        saved = st.form_submit_button(f"Save {title.lower()}", icon=":material/save:",
                                      disabled=not session.editable)
    if saved:
        changes, confirm = rs.form_changes(st.session_state, rows, shown, session)
        try:
            rs.save_section(data.working_path(), session, changes, shown, confirm)
        except collection.Stale as exc:
            st.warning(rs.stale_message(exc, draft), icon=":material/sync_problem:")
            st.session_state[rs.widget_key("stale", session, section)] = True
        except collection.CollectionError as exc:
            st.error(md(str(exc)), icon=":material/error:")
        else:
            for key in rs.section_keys(session, rows, section):
                st.session_state.pop(key, None)  # refilled from the store on the next run
            st.session_state["respond_flash"] = f"{title} saved."
            st.rerun()
    if st.session_state.get(rs.widget_key("stale", session, section)) and st.button(
            "Show the newer answers in this section (your unsaved changes here are dropped)",
            key=rs.widget_key("reload", session, section), icon=":material/refresh:"):
        for key in rs.section_keys(session, rows, section):
            st.session_state.pop(key, None)
        st.session_state.pop(rs.widget_key("stale", session, section), None)
        st.rerun()

st.header("Submit")
st.markdown("Submitting sends every saved answer to Skills for Care. You can come back with the same link "
            "and change answers until the round closes; each change is recorded.")
if st.button("Submit the answers", type="primary", icon=":material/send:", disabled=not session.editable):
    try:
        receipt = collection.submit(data.working_path(), session)
    except collection.MissingAnswers as exc:
        st.error(rs.missing_message(exc, draft), icon=":material/rule:")
    except collection.CollectionError as exc:
        st.error(md(str(exc)), icon=":material/error:")
    else:
        st.session_state["respond_receipt"] = receipt
        st.rerun()
receipt = st.session_state.get("respond_receipt")
if receipt is not None and receipt.reference == draft.reference:
    st.success(md(f"Submitted at {receipt.submitted_at:%-d %B %Y %H:%M}. Your reference is {receipt.reference}."),
               icon=":material/task_alt:")
    st.download_button("Download a copy of your answers (HTML)", receipt.html.encode("utf-8"),
                       file_name=f"pa-survey-{session.year}-{receipt.reference}.html", mime="text/html",
                       icon=":material/download:")
