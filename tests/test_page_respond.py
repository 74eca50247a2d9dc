"""AppTest for the survey round run in the tool (issue 12): the respondent's questionnaire at
/respond?token=... and the Data page's Survey round tab, from opening a round to its scores.

Every test runs on a private copy of the session database; the collection database beside it is
created by the test.
"""

from __future__ import annotations

import duckdb
import pytest
import streamlit as st

from lib import collection
from lib.base import passwords
from lib.base.formatting import escape_markdown as md
from lib.base.paths import DB_ENV_VAR
from lib.collection import respond as rs
from lib.store import versions
from lib.web import auth
from tests.apptest import open_page
from tests.fixtures import copy_db
from tests.test_ingest import respondents
from tests.test_page_data import PASSWORD, _sign_in

pytestmark = pytest.mark.usefixtures("app_db")

PAGE = "pages/respond.py"
YEAR = 2016  # no round in the demo database; the councils of 1 April 2016 (the 2015 set)


@pytest.fixture()
def working(repo_db_path, tmp_path, monkeypatch):
    path = copy_db(repo_db_path, tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    monkeypatch.delenv(passwords.HASH_ENV, raising=False)
    monkeypatch.delenv(auth.EMAILS_ENV, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    auth.GUARD.reset()
    yield path
    auth.GUARD.reset()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture()
def invited(working):
    """A 2016 round open for collection, one 2015 respondent invited: (council code, token)."""
    collection.open_round(working, YEAR, by="tester")
    con = duckdb.connect(str(working), read_only=True)
    try:
        code = respondents(con)[0]
    finally:
        con.close()
    invitation = collection.invite(working, YEAR, code, contact_name="A. Contact", by="tester")
    assert invitation.token
    return code, invitation.token


def _save(at, section_title: str):
    next(b for b in at.button if b.label == f"Save {section_title.lower()}").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_respondent_sees_their_council_prefilled_from_last_round(working, invited):
    code, token = invited
    at = open_page(PAGE, token=token)
    name = collection.resolve(working, token).council_name
    assert at.subheader[0].value == f"{name}, {YEAR} survey round"
    draft = collection.load_draft(working, collection.resolve(working, token))
    prefilled = [q for q, a in draft.answers.items() if a.prefilled]
    assert prefilled  # a 2015 respondent: last round's answers are offered
    first = prefilled[0]
    assert at.radio(key=rs.widget_key("answer", collection.resolve(working, token), first)).value == draft.answers[first].answer
    assert any("Answer from the 2015 round (synthetic demonstration data)" in c.value for c in at.caption)
    assert any("synthetic demonstration data" in w.value for w in at.warning)
    # Nothing public changed: the working database has no 2016 round.
    con = duckdb.connect(str(working), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM survey_rounds WHERE year = ?", [YEAR]).fetchone() == (0,)
    finally:
        con.close()


def test_save_resume_submit_and_receipt(working, invited):
    code, token = invited
    at = open_page(PAGE, token=token)
    session = collection.resolve(working, token)
    draft = collection.load_draft(working, session)
    questions = draft.questions
    # Change one employers answer and save that section.
    employers = questions[questions["audience"] == "employers"]
    qid = str(employers["id"].iloc[0])
    values = list(draft.options.loc[draft.options["answer_set"] == employers["answer_set"].iloc[0], "value"])
    new_value = next(v for v in values if v != at.radio(key=rs.widget_key("answer", session, qid)).value)
    at.radio(key=rs.widget_key("answer", session, qid)).set_value(new_value)
    _save(at, "Support for individual employers")
    saved = collection.load_draft(working, session).answers[qid]
    # One save: one version on from what the page showed (the pre-filled answer's).
    assert (saved.answer, saved.prefilled, saved.version) == (new_value, False, draft.answers[qid].version + 1)

    # Leave and come back through the same link: the saved answer is there.
    at = open_page(PAGE, token=token)
    assert at.radio(key=rs.widget_key("answer", session, qid)).value == new_value

    # Submitting before the other sections are confirmed lists what is missing.
    next(b for b in at.button if b.label == "Submit the answers").click()
    at.run()
    assert any("Not submitted" in e.value for e in at.error)
    assert collection.load_draft(working, session).submitted_at is None

    # Answer whatever has no answer, save every section, then submit.
    for q in questions.itertuples():
        radio = at.radio(key=rs.widget_key("answer", session, q.id))
        if radio.value is None:
            radio.set_value(list(draft.options.loc[draft.options["answer_set"] == q.answer_set, "value"])[0])
    for _, title in (("employers", "Support for individual employers"), ("pas", "Support for personal assistants"),
                     ("council", "The council's approach")):
        if any(b.label == f"Save {title.lower()}" for b in at.button):
            _save(at, title)
    next(b for b in at.button if b.label == "Submit the answers").click()
    at.run()
    assert not at.exception, at.exception
    done = collection.load_draft(working, session)
    assert done.submitted_at is not None and done.reference
    assert any(md(done.reference) in s.value for s in at.success), [s.value for s in at.success]
    assert collection.tracker(working, YEAR).set_index("council_code").loc[code, "status"] == "submitted"


def test_a_bad_link_names_nothing(working, invited):
    code, token = invited
    name = collection.resolve(working, token).council_name
    for bad in ("", "not-a-token", token[:-2] + "xx"):
        at = open_page(PAGE, token=bad) if bad else open_page(PAGE)
        assert [e.value for e in at.error] == [collection.BAD_TOKEN_MESSAGE]
        page_text = " ".join(str(getattr(el, "value", "")) for el in at.main)
        assert name not in page_text and code not in page_text
    collection.revoke(working, YEAR, code, by="tester")
    at = open_page(PAGE, token=token)
    assert [e.value for e in at.error] == [collection.BAD_TOKEN_MESSAGE]


def test_a_stale_page_is_told_to_reload_and_saves_nothing(working, invited):
    code, token = invited
    at = open_page(PAGE, token=token)
    session = collection.resolve(working, token)
    draft = collection.load_draft(working, session)
    employers = draft.questions[draft.questions["audience"] == "employers"]
    qid = str(employers["id"].iloc[0])
    values = list(draft.options.loc[draft.options["answer_set"] == employers["answer_set"].iloc[0], "value"])
    # Someone else on the same link saves this answer first.
    other = values[-1]
    collection.save_answers(working, session, {qid: (other, [], None)}, {qid: draft.answers[qid].version})
    mine = next(v for v in values if v not in (other, draft.answers[qid].answer))  # a change on this page
    at.radio(key=rs.widget_key("answer", session, qid)).set_value(mine)
    _save(at, "Support for individual employers")
    assert any("Nothing in this section was saved" in w.value for w in at.warning)
    assert collection.load_draft(working, session).answers[qid].answer == other


def test_the_admin_runs_the_round_from_the_data_page(working, monkeypatch):
    monkeypatch.setenv(passwords.HASH_ENV, passwords.hash_password(PASSWORD, iterations=2_000))
    at = _sign_in(open_page("pages/data.py", section="Survey round"), PASSWORD)
    assert any(e.label == "Open a round for collection" for e in at.expander)
    form_year = next(n for n in at.number_input if n.label == "Survey round (year)")
    form_year.set_value(YEAR)
    next(b for b in at.button if b.label == "Open the round").click()
    at.run()
    assert not at.exception, at.exception
    assert collection.get_round(working, YEAR).status == "collecting"
    assert any(f"The {YEAR} round is open for collection" in s.value for s in at.success)
    # Invite one council by name; its link is shown once.
    next(t for t in at.text_input if t.label == "Council (name or ONS code)").input("St. Helens")
    next(b for b in at.button if b.label == "Invite (or send a new link)").click()
    at.run()
    assert not at.exception, at.exception
    links = [c.value for c in at.code]
    assert len(links) == 1 and "/respond?token=" in links[0]
    board = collection.tracker(working, YEAR).set_index("council_code")
    assert board.loc["E08000013", "status"] == "invited"
    token = links[0].split("token=")[1]
    assert collection.resolve(working, token).council_code == "E08000013"
    # Nothing is published while the round is collected.
    snap = versions.current(working)
    assert snap is not None and YEAR not in {year for year, _, _ in snap.rounds}


def _answer_everything(working, token) -> None:
    """The respondent's part, through the library: confirm last round's answers, answer the
    rest with each question's first option, submit."""
    session = collection.resolve(working, token)
    draft = collection.load_draft(working, session)
    changes, confirm = {}, []
    for q in draft.questions.itertuples():
        current = draft.answers.get(q.id)
        if current is not None and current.answer is not None:
            confirm.append(q.id)
        else:
            first = draft.options.loc[draft.options["answer_set"] == q.answer_set, "value"].iloc[0]
            changes[q.id] = (first, [], None)
    versions = {q: a.version for q, a in draft.answers.items()}
    collection.save_answers(working, session, changes, versions, confirm)
    collection.submit(working, session)


def test_close_and_publish_from_the_data_page_puts_the_scores_live(working, invited, monkeypatch):
    code, token = invited
    _answer_everything(working, token)
    monkeypatch.setenv(passwords.HASH_ENV, passwords.hash_password(PASSWORD, iterations=2_000))
    at = _sign_in(open_page("pages/data.py", section="Survey round"), PASSWORD)
    assert any("1 of 152" in m.value for m in at.metric)  # one council of the 2016 set has submitted
    next(b for b in at.button if b.label.startswith("Close the round")).click()
    at.run()
    assert collection.get_round(working, YEAR).status == "closed"
    next(b for b in at.button if b.label == f"Publish the {YEAR} round").click()
    at.run()
    assert not at.exception, at.exception
    snap = versions.current(working)
    assert (YEAR, 1, False) in snap.rounds
    assert collection.get_round(working, YEAR).status == "published"  # final: the box is unticked once closed
    con = duckdb.connect(str(snap.path), read_only=True)
    try:
        scored = con.execute("SELECT authority_code FROM overall_scores WHERE round_year = ?", [YEAR]).fetchall()
    finally:
        con.close()
    assert scored == [(code,)]
    # Archiving from the page deletes the contact details; the published round stays.
    at = _sign_in(open_page("pages/data.py", section="Survey round"), PASSWORD)
    assert "Archive the round" in [b.label for b in at.button], ([b.label for b in at.button], [e.value for e in at.error])
    next(b for b in at.button if b.label == "Archive the round").click()
    at.run()
    assert not at.exception, at.exception
    assert collection.get_round(working, YEAR).status == "archived"
    assert collection.invitations(working, YEAR)["contact_name"].isna().all()
    assert (YEAR, 1, False) in versions.current(working).rounds
    # The public pages now show the round.
    home = open_page(None, round=str(YEAR))
    assert any("Response rate: 1 of 152 councils" in c.value for c in home.caption)


def test_a_link_shows_its_own_council_whatever_else_the_address_or_session_holds(working):
    """Token A with another council in the address shows A; the same browser session moving on
    to B's link shows B's answers, never the values A's page held."""
    collection.open_round(working, YEAR, by="tester")
    con = duckdb.connect(str(working), read_only=True)
    try:
        a_code, b_code = respondents(con)[:2]
    finally:
        con.close()
    a = collection.invite(working, YEAR, a_code, by="tester")
    b = collection.invite(working, YEAR, b_code, by="tester")
    a_session, b_session = collection.resolve(working, a.token), collection.resolve(working, b.token)
    at = open_page(PAGE, token=a.token, authority=b_code, council=b_code, round="2015")
    assert at.subheader[0].value == f"{a_session.council_name}, {YEAR} survey round"
    assert b_session.council_name not in " ".join(str(getattr(el, "value", "")) for el in at.main)
    # Change an answer on A's page without saving, then open B's link in the same session.
    draft_a = collection.load_draft(working, a_session)
    qid = str(draft_a.questions["id"].iloc[0])
    values = list(draft_a.options.loc[draft_a.options["answer_set"] == draft_a.questions["answer_set"].iloc[0], "value"])
    unsaved = next(v for v in values if v != draft_a.answers[qid].answer)
    at.radio(key=rs.widget_key("answer", a_session, qid)).set_value(unsaved)
    at.query_params["token"] = b.token
    at.run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == f"{b_session.council_name}, {YEAR} survey round"
    draft_b = collection.load_draft(working, b_session)
    assert at.radio(key=rs.widget_key("answer", b_session, qid)).value == draft_b.answers[qid].answer
    # Saving B's first section writes B's draft only; A's draft is as it was.
    _save(at, "Support for individual employers")
    after_b = collection.load_draft(working, b_session).answers
    confirmed = [q for q, ans in draft_b.answers.items() if ans.prefilled and not after_b[q].prefilled]
    assert confirmed  # B's section was saved (its last-round answers confirmed) ...
    assert collection.load_draft(working, a_session).answers == draft_a.answers  # ... and A's untouched


def test_saving_another_section_first_never_lets_a_stale_answer_overwrite(working, invited):
    """Two people on one link (the review's case): B saves employers q1; A, whose page still
    shows the old q1, saves the PAs section, then employers with a change elsewhere. B's q1 is
    kept (A's page did not touch it), and a change A makes to q1 itself is refused as stale
    until A asks for the newer answers."""
    code, token = invited
    at = open_page(PAGE, token=token)  # A's page
    session = collection.resolve(working, token)
    draft = collection.load_draft(working, session)
    employers = draft.questions[draft.questions["audience"] == "employers"]
    q1, q2 = (str(q) for q in employers["id"].iloc[:2])
    values = {q.id: list(draft.options.loc[draft.options["answer_set"] == q.answer_set, "value"])
              for q in employers.itertuples()}
    b_value = next(v for v in values[q1] if v != draft.answers[q1].answer)
    collection.save_answers(working, session, {q1: (b_value, [], None)}, {q1: draft.answers[q1].version})  # B
    _save(at, "Support for personal assistants")  # A saves another section: the page runs again
    a_q2 = next(v for v in values[q2] if v != draft.answers[q2].answer)
    at.radio(key=rs.widget_key("answer", session, q2)).set_value(a_q2)
    _save(at, "Support for individual employers")
    after = collection.load_draft(working, session).answers
    assert after[q1].answer == b_value and after[q2].answer == a_q2, ([w.value for w in at.warning], [e.value for e in at.error], [t.value for t in at.toast])  # both kept
    # Now A changes q1 from what A's page showed: refused, nothing written, until A reloads it.
    at = open_page(PAGE, token=token)
    collection.save_answers(working, session, {q1: (values[q1][-1], [], None)}, {q1: after[q1].version})  # B again
    mine = next(v for v in values[q1] if v not in (values[q1][-1], at.radio(key=rs.widget_key("answer", session, q1)).value))
    at.radio(key=rs.widget_key("answer", session, q1)).set_value(mine)
    _save(at, "Support for individual employers")
    assert any("Nothing in this section was saved" in w.value for w in at.warning)
    assert collection.load_draft(working, session).answers[q1].answer == values[q1][-1]
    reload = next(b for b in at.button if b.label.startswith("Show the newer answers in this section"))
    reload.click()
    at.run()
    assert at.radio(key=rs.widget_key("answer", session, q1)).value == values[q1][-1]


def test_an_older_collection_file_not_yet_moved_is_named_with_the_command_that_moves_it(working, monkeypatch):
    from lib.collection import database

    database.legacy_path(working).write_bytes(b"")  # an earlier release's file, still beside the database
    monkeypatch.setenv(passwords.HASH_ENV, passwords.hash_password(PASSWORD, iterations=2_000))
    at = _sign_in(open_page("pages/data.py", section="Survey round"), PASSWORD)
    assert not at.exception, at.exception
    assert any("collection migrate --from" in e.value.replace("\\", "") for e in at.error), [e.value for e in at.error]
    assert not any(n.label == "Survey round (year)" for n in at.number_input)  # nothing to act on until moved
    assert [t.label for t in at.tabs][2] == "History"  # the rest of the page still works
