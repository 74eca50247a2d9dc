"""Running a survey round in the tool (lib.collection): rounds, links, drafts, tracker, publication.

Every test works on a private copy of the session database (its collection file beside it).
The session database holds the synthetic demonstration rounds 2012-2015; 2016 is new and uses
the councils of 1 April 2016.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from lib import collection
from lib.analysis import whatif
from lib.collection import database as collection_database
from lib.collection import drafts as drafts_module
from lib.collection import invites as invites_module
from lib.collection import publishing as publishing_module
from lib.collection import tables as collection_tables
from lib.reference import schema
from lib.store import db, versions
from tests.fixtures import copy_db

YEAR = 2016


@pytest.fixture()
def working(published_db, tmp_path, collection_url) -> Path:
    """A private copy of the session database, its first publication done; its survey rounds go to
    the SQLite file beside it, or (the test's second run) to a new database on a real PostgreSQL
    server (`collection_url`)."""
    return copy_db(published_db, tmp_path, "work.duckdb", published=True)


def collection_rows(working: Path, table: str) -> list[tuple]:
    """Every row of one table of the collection database, read with SQL of its own."""
    import sqlalchemy as sa

    with collection_database.for_working(working).reading() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{table}"')).fetchall()]  # noqa: S608


def collection_text(working: Path) -> str:
    """Every row of every table of the collection database, as text (what is and is not stored)."""
    return "\n".join(str(r) for table in collection_tables.metadata.tables for r in collection_rows(working, table))


def respondents_2015(path: Path) -> list[str]:
    con = db.connect(path, read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT authority_code FROM responses WHERE round_year = 2015 "
                                          "ORDER BY 1").fetchall()]
    finally:
        con.close()


def non_respondent(path: Path) -> str:
    """A council of the 2016 set with no answers in any round (so nothing to pre-fill)."""
    return non_respondent_codes(path)[0]


def non_respondent_codes(path: Path) -> list[str]:
    """Councils of the 2016 set with no answers in any round, by code."""
    con = db.connect(path, read_only=True)
    try:
        rows = con.execute("SELECT code FROM authorities WHERE (valid_from IS NULL OR valid_from <= DATE '2016-04-01') "
                          "AND (valid_to IS NULL OR valid_to > DATE '2016-04-01') AND code NOT IN "
                          "(SELECT authority_code FROM responses) ORDER BY code").fetchall()
    finally:
        con.close()
    assert len(rows) >= 2, "the demo rounds should leave some councils without answers"
    return [str(r[0]) for r in rows]


def file_text(path: Path) -> str:
    """Every row of every table of a DuckDB file, as text (to prove what is and is not stored)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = []
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                                    "AND table_type = 'BASE TABLE'").fetchall():
            out += [str(r) for r in con.execute(f'SELECT * FROM "{table}"').fetchall()]  # noqa: S608 - catalogue
        return "\n".join(out)
    finally:
        con.close()


def start(working: Path, code: str, **kw) -> tuple[collection.Invitation, collection.Session]:
    inv = collection.invite(working, YEAR, code, **kw)
    assert inv.token is not None
    return inv, collection.resolve(working, inv.token, client="test")


def confirm_all(working: Path, session: collection.Session) -> collection.Draft:
    d = collection.load_draft(working, session)
    return collection.save_answers(working, session, {}, {q: a.version for q, a in d.answers.items()},
                                   confirm=list(d.answers))


def scored_ids(path: Path, year: int) -> set[str]:
    con = db.connect(path, read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT id FROM questions WHERE asked_from <= ? AND scored", [year]).fetchall()}
    finally:
        con.close()


def asked_ids(path: Path, year: int) -> set[str]:
    con = db.connect(path, read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT id FROM questions WHERE asked_from <= ?", [year]).fetchall()}
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Rounds
# --------------------------------------------------------------------------------------------

def test_collection_path_is_beside_the_working_database():
    assert collection.collection_path(Path("data/pa_benchmark.duckdb")) == Path("data/pa_benchmark.collection.sqlite")


def test_the_question_bank_lists_every_question_in_its_order(working):
    con = db.connect(working, read_only=True)
    try:
        bank = collection.question_bank(con)
        ordered = [q for (q,) in con.execute("SELECT id FROM questions ORDER BY position").fetchall()]
    finally:
        con.close()
    assert [q for q, _, _ in bank] == ordered
    assert {q for q, _, asked in bank if asked <= YEAR} == asked_ids(working, YEAR)
    assert all(topic for _, topic, _ in bank)


def test_open_round_defaults_and_keeps_the_round_private(working):
    r = collection.open_round(working, YEAR, by="tester")
    assert r.status == "collecting" and r.council_set_on == date(2016, 4, 1) and r.closes_on is None
    assert set(r.questions) == asked_ids(working, YEAR) and len(r.questions) == len(set(r.questions))
    assert not r.provisional and r.published_at is None
    # Kept in the SQLite file beside the working database, unless PA_COLLECTION_URL names another.
    assert collection.collection_path(working).is_file() == (collection_database.configured_url() is None)
    assert collection.get_round(working, YEAR) == r and collection.list_rounds(working) == [r]
    # Nothing of the collecting round is in the working database or its published version.
    snap = versions.current(working)
    assert snap is not None
    for path in (working, snap.path):
        con = db.connect(path, read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM survey_rounds WHERE year = ?", [YEAR]).fetchone() == (0,)
        finally:
            con.close()


def test_open_round_refusals(working):
    with pytest.raises(collection.CollectionError, match="in the past"):
        collection.open_round(working, YEAR, closes_on=date.today() - timedelta(days=1))
    with pytest.raises(collection.CollectionError, match="no_such_question, also_missing"):
        collection.open_round(working, YEAR, questions=["emp_payroll", "no_such_question", "also_missing"])
    with pytest.raises(collection.CollectionError, match="emp_pensions"):  # asked from 2015 only
        collection.open_round(working, 2014, questions=["emp_payroll", "emp_pensions"])
    assert collection.list_rounds(working) == []  # every refusal wrote nothing
    collection.open_round(working, YEAR, questions=["emp_payroll"], closes_on=date.today())
    with pytest.raises(collection.CollectionError, match="already open for collection"):
        collection.open_round(working, YEAR)


def test_open_round_refuses_a_year_imported_and_accepts_a_demo_year(working):
    from lib import ingest
    from tests.test_ingest import csv_bytes, wide_sheet

    codes = respondents_2015(working)[:2]
    with schema.store(working).writer() as con:
        data = csv_bytes(wide_sheet(con, codes, year=2017))
        ingest.import_file(con, data, "answers.csv", 2017)
        schema.store(working).publish(con, "test import", "tester")
    with pytest.raises(collection.CollectionError, match="already published"):
        collection.open_round(working, 2017)
    demo = collection.open_round(working, 2015)  # the demo round may be collected for real
    assert demo.council_set_on == date(2015, 4, 1)  # kept from the stored round


# --------------------------------------------------------------------------------------------
# Invitations and tokens
# --------------------------------------------------------------------------------------------

def test_token_is_256_bits_and_only_its_hash_is_stored(working):
    collection.open_round(working, YEAR)
    inv = collection.invite(working, YEAR, "Hartlepool", contact_name="Ann Lee", contact_email="ann@example.org")
    assert inv.council_code == "E06000001" and inv.token is not None
    assert len(base64.urlsafe_b64decode(inv.token + "=")) == 32  # 43 characters = 32 bytes = 256 bits
    stored = collection_text(working)
    assert inv.token not in stored
    assert hashlib.sha256(inv.token.encode()).hexdigest() in stored  # the hash, in invitations only
    listed = collection.invitations(working, YEAR)
    assert list(listed.columns) == ["id", "council_code", "council_name", "contact_name", "contact_email", "status",
                                    "issued_at"]
    assert listed.iloc[0]["contact_email"] == "ann@example.org"
    assert inv.token not in listed.to_csv() and collection.token_hash(inv.token) not in listed.to_csv()
    events = "\n".join(str(r) for r in collection_rows(working, "events"))
    assert "invited" in events and inv.token not in events and collection.token_hash(inv.token) not in events


def test_reissue_revoke_and_one_message_for_every_bad_link(working):
    collection.open_round(working, YEAR)
    first = collection.invite(working, YEAR, "E06000001")
    second = collection.invite(working, YEAR, "E06000001", contact_name="New Person")
    assert first.id == second.id and first.token != second.token
    messages = []
    for token in (first.token, "not-a-real-token", "", None, "x" * 500):
        with pytest.raises(collection.BadToken) as caught:
            collection.resolve(working, token)
        messages.append(str(caught.value))
    s = collection.resolve(working, second.token)
    assert s.council_code == "E06000001" and s.editable
    collection.revoke(working, YEAR, "E06000001")
    with pytest.raises(collection.BadToken) as caught:
        collection.resolve(working, second.token)
    messages.append(str(caught.value))
    with pytest.raises(collection.BadToken):  # the session from before the revocation is over too
        collection.load_draft(working, s)
    assert set(messages) == {collection.BAD_TOKEN_MESSAGE}
    assert "E06000001" not in collection.BAD_TOKEN_MESSAGE and "Hartlepool" not in collection.BAD_TOKEN_MESSAGE


def test_invite_refuses_unknown_councils_and_bad_emails(working):
    collection.open_round(working, YEAR)
    with pytest.raises(collection.CollectionError, match="unknown council"):
        collection.invite(working, YEAR, "Nowhere Borough Council")
    with pytest.raises(collection.CollectionError, match="region"):
        collection.invite(working, YEAR, "London")
    with pytest.raises(collection.CollectionError, match="e-mail"):
        collection.invite(working, YEAR, "E06000001", contact_email="not an address")
    assert collection.invitations(working, YEAR).empty


def test_repeated_bad_tokens_are_slowed(working, monkeypatch):
    collection.open_round(working, YEAR)
    now = [1000.0]
    slept: list[float] = []
    monkeypatch.setattr(invites_module, "_clock", lambda: now[0])
    monkeypatch.setattr(invites_module, "_sleep", slept.append)
    for _ in range(5):  # failures 1-5 are answered at once
        with pytest.raises(collection.BadToken):
            collection.resolve(working, "wrong", client="10.0.0.9")
    assert slept == []
    for _ in range(5):  # then 0.25 s doubling: 0.25, 0.5, 1, 2, 2 (the cap)
        with pytest.raises(collection.BadToken):
            collection.resolve(working, "wrong", client="10.0.0.9")
    assert slept == [0.25, 0.5, 1.0, 2.0, 2.0]
    with pytest.raises(collection.BadToken):  # another client is not slowed
        collection.resolve(working, "wrong", client="10.0.0.10")
    assert len(slept) == 5
    now[0] += 601  # ten minutes on, the failures are forgotten
    with pytest.raises(collection.BadToken):
        collection.resolve(working, "wrong", client="10.0.0.9")
    assert len(slept) == 5


# --------------------------------------------------------------------------------------------
# Drafts
# --------------------------------------------------------------------------------------------

def test_prefill_from_the_2015_answers(working):
    collection.open_round(working, YEAR)
    code = respondents_2015(working)[0]
    _, s = start(working, code)
    d = collection.load_draft(working, s)
    con = db.connect(working, read_only=True)
    try:
        last = whatif.stored_answers(con, code, 2015)
    finally:
        con.close()
    assert set(d.answers) == asked_ids(working, YEAR)
    for qid, a in d.answers.items():
        if qid in last:
            assert (a.answer, a.providers, a.prefilled, a.version) == (last[qid].value, last[qid].providers, True, 1)
        else:
            assert (a.answer, a.version, a.prefilled) == (None, 0, False)
    assert list(d.questions.columns) == ["id", "standard", "audience", "topic", "wording", "help", "answer_set",
                                         "scored", "position"]
    sections = list(dict.fromkeys(d.questions["audience"]))
    assert sections == ["employers", "pas", "council"]
    # Nothing to pre-fill for a council that never answered.
    _, other = start(working, non_respondent(working))
    fresh = collection.load_draft(working, other)
    assert all(a.answer is None and a.version == 0 for a in fresh.answers.values())


def test_save_and_resume_through_the_same_link(working):
    collection.open_round(working, YEAR)
    inv, s = start(working, non_respondent(working))
    d = collection.load_draft(working, s)
    d = collection.save_answers(working, s, {"emp_payroll": ("in_development", [], "From April")}, {"emp_payroll": 0})
    assert d.answers["emp_payroll"].version == 1
    again = collection.resolve(working, inv.token)
    d2 = collection.load_draft(working, again)
    a = d2.answers["emp_payroll"]
    assert (a.answer, a.comment, a.version, a.prefilled) == ("in_development", "From April", 1, False)
    assert a.saved_at is not None


def test_a_save_before_the_first_load_starts_the_draft(working):
    collection.open_round(working, YEAR)
    _, s = start(working, respondents_2015(working)[0])
    collection.save_answers(working, s, {"emp_payroll": ("dont_know", [], None)}, {})
    d = collection.load_draft(working, s)
    assert (d.answers["emp_payroll"].answer, d.answers["emp_payroll"].version) == ("dont_know", 1)
    t = collection.tracker(working, YEAR)
    assert t.loc[t["council_code"] == s.council_code, "status"].iloc[0] == "in progress"


_HOLDER = """
import sys, time
from pathlib import Path
from lib.collection import database, tables
with database.for_working(Path(sys.argv[1])).transaction() as conn:
    rounds = tables.rounds
    conn.execute(rounds.update().where(rounds.c.year == int(sys.argv[2])).values(opened_by="holder"))
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_write_waits_for_another_process_then_says_busy_and_reads_go_on(working, monkeypatch):
    import subprocess
    import sys
    import time

    collection.open_round(working, YEAR)
    monkeypatch.setattr(collection_database, "BUSY_TIMEOUT_SECONDS", 0.5)
    collection_database.close_all()  # engines made from here on wait 0.5 s
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(working), str(YEAR)], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(collection.CollectionBusy, match="busy with other changes.*Nothing was changed"):
            collection.close_round(working, YEAR)
        assert time.monotonic() - started < 10
        # A reader is not held up by the other process's write, and sees the state before it.
        r = collection.get_round(working, YEAR)
        assert r is not None and r.status == "collecting"
    finally:
        holder.kill()
        holder.wait()
    assert collection.close_round(working, YEAR).status == "closed"  # free once the other process has gone


def test_confirming_and_unchanged_answers(working):
    collection.open_round(working, YEAR)
    _, s = start(working, respondents_2015(working)[0])
    d = collection.load_draft(working, s)
    qid, a = next((q, a) for q, a in d.answers.items() if a.prefilled)
    # Sending the pre-filled value back unchanged is not a confirmation ...
    d2 = collection.save_answers(working, s, {qid: (a.answer, list(a.providers), None)}, {qid: 1})
    assert d2.answers[qid].prefilled and d2.answers[qid].version == 1
    # ... confirming is.
    d3 = collection.save_answers(working, s, {}, {qid: 1}, confirm=[qid])
    assert not d3.answers[qid].prefilled and d3.answers[qid].version == 2 and d3.answers[qid].answer == a.answer


def test_stale_page_is_told_and_nothing_is_written(working):
    collection.open_round(working, YEAR)
    inv, s1 = start(working, non_respondent(working))
    s2 = collection.resolve(working, inv.token)
    collection.load_draft(working, s1)
    collection.save_answers(working, s1, {"emp_payroll": ("available", [], None)}, {"emp_payroll": 0})
    with pytest.raises(collection.Stale) as caught:  # the second page still shows version 0
        collection.save_answers(working, s2, {"emp_payroll": ("not_available", [], None),
                                              "emp_dbs": ("available", [], None)}, {"emp_payroll": 0, "emp_dbs": 0})
    assert caught.value.questions == ["emp_payroll"] and "emp_payroll" in str(caught.value)
    d = collection.load_draft(working, s2)
    assert d.answers["emp_payroll"].answer == "available" and d.answers["emp_dbs"].answer is None


def test_invalid_answers_are_refused_naming_the_allowed_values(working):
    collection.open_round(working, YEAR)
    _, s = start(working, non_respondent(working))
    collection.load_draft(working, s)
    with pytest.raises(collection.CollectionError) as caught:
        collection.save_answers(working, s, {"emp_payroll": ("maybe", [], None)}, {})
    text = str(caught.value)
    assert "emp_payroll" in text and "'maybe'" in text
    for value in ("available", "in_development", "not_available", "dont_know"):
        assert value in text
    providers_q = next(q for q in collection.load_draft(working, s).questions.itertuples()
                       if q.answer_set == "availability")
    with pytest.raises(collection.CollectionError, match="who provides it"):
        collection.save_answers(working, s, {providers_q.id: ("not_available", ["la"], None)}, {})
    with pytest.raises(collection.CollectionError, match="formula"):
        collection.save_answers(working, s, {"emp_payroll": ("available", [], "=HYPERLINK(1)")}, {})
    # A character nobody can see would stop the round's publication (its CSV refuses it): named here.
    with pytest.raises(collection.CollectionError, match=r"emp_payroll\): the comment holds a character that "
                                                         r"cannot be seen \(\\x00\)"):
        collection.save_answers(working, s, {"emp_payroll": ("available", [], "Our forum\x00 meets monthly")}, {})
    with pytest.raises(collection.CollectionError, match="not a question of this round"):
        collection.save_answers(working, s, {"nope": ("available", [], None)}, {})
    assert all(a.version == 0 for a in collection.load_draft(working, s).answers.values())


def test_a_save_failing_half_way_leaves_the_previous_state(working, monkeypatch):
    collection.open_round(working, YEAR)
    _, s = start(working, non_respondent(working))
    collection.load_draft(working, s)
    collection.save_answers(working, s, {"emp_payroll": ("available", [], None)}, {})
    before = collection.load_draft(working, s).answers
    real_write, real_event = drafts_module._write_answers, drafts_module.store.event
    calls = []

    def writes(*args, **kwargs):
        calls.append("answers written")
        return real_write(*args, **kwargs)

    def crash(*args, **kwargs):
        calls.append("crash")
        raise OSError("simulated crash after the answers were written, before the save's end")

    monkeypatch.setattr(drafts_module, "_write_answers", writes)
    monkeypatch.setattr(drafts_module.store, "event", crash)
    with pytest.raises(OSError, match="simulated"):
        collection.save_answers(working, s, {"emp_payroll": ("not_available", [], None),
                                             "emp_dbs": ("available", [], None)}, {"emp_payroll": 1, "emp_dbs": 0})
    assert calls == ["answers written", "crash"]
    monkeypatch.setattr(drafts_module, "_write_answers", real_write)
    monkeypatch.setattr(drafts_module.store, "event", real_event)
    assert collection.load_draft(working, s).answers == before  # both answers' writes were rolled back


def test_a_session_reaches_only_its_own_council(working):
    collection.open_round(working, YEAR)
    codes = respondents_2015(working)[:2]
    _, mine = start(working, codes[0])
    _, theirs = start(working, codes[1])
    collection.load_draft(working, theirs)
    their_before = collection.load_draft(working, theirs).answers
    forged = [
        collection.Session(mine.invitation_id, YEAR, codes[1], "x", None, True, mine.issue),  # other council
        collection.Session(theirs.invitation_id, YEAR, codes[0], "x", None, True, theirs.issue),  # other id
        collection.Session(mine.invitation_id, 2015, codes[0], "x", None, True, mine.issue),  # other round
        collection.Session(mine.invitation_id, YEAR, codes[0], "x", None, True, mine.issue + 1),  # other issue
    ]
    for session in forged:
        with pytest.raises(collection.BadToken):
            collection.load_draft(working, session)
        with pytest.raises(collection.BadToken):
            collection.save_answers(working, session, {"emp_payroll": ("dont_know", [], None)}, {"emp_payroll": 9})
        with pytest.raises(collection.BadToken):
            collection.submit(working, session)
    assert collection.load_draft(working, theirs).answers == their_before


def test_concurrent_saves_in_one_process_queue_up_and_none_is_lost(working):
    import threading

    collection.open_round(working, YEAR)
    _, s = start(working, non_respondent(working))
    d = collection.load_draft(working, s)
    ids = list(d.questions["id"])[:12]
    errors: list[BaseException] = []

    def save(qid: str) -> None:
        try:
            collection.save_answers(working, s, {qid: ("dont_know", [], None)}, {qid: 0})
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(q,)) for q in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    after = collection.load_draft(working, s).answers
    assert [after[q].answer for q in ids] == ["dont_know"] * 12  # 12 saves, 12 answers kept


# --------------------------------------------------------------------------------------------
# Submitting, revising, closing
# --------------------------------------------------------------------------------------------

def test_submit_lists_missing_and_unconfirmed_answers(working):
    collection.open_round(working, YEAR)
    _, s = start(working, respondents_2015(working)[0])
    d = collection.load_draft(working, s)
    scored = [q for q, sc in zip(d.questions["id"], d.questions["scored"], strict=True) if sc]
    with pytest.raises(collection.MissingAnswers) as caught:
        collection.submit(working, s)  # everything pre-filled, nothing confirmed
    assert sorted(caught.value.questions) == sorted(scored)
    collection.save_answers(working, s, {}, {q: 1 for q in scored[1:]}, confirm=scored[1:])
    with pytest.raises(collection.MissingAnswers) as caught:
        collection.submit(working, s)
    assert caught.value.questions == [scored[0]]


def test_receipt_holds_every_answer_escaped(working):
    collection.open_round(working, YEAR)
    _, s = start(working, respondents_2015(working)[0])
    d = confirm_all(working, s)
    collection.save_answers(working, s, {"emp_payroll": ("available", [], "Fees < 5% & rising")},
                            {"emp_payroll": d.answers["emp_payroll"].version})
    receipt = collection.submit(working, s)
    assert receipt.revision == 1 and receipt.reference.startswith(f"{YEAR}-{s.council_code}-1-")
    assert receipt.reference in receipt.html and s.council_name in receipt.html
    assert "Fees &lt; 5% &amp; rising" in receipt.html and "Fees < 5%" not in receipt.html
    assert f"{receipt.submitted_at:%d %B %Y at %H:%M}" in receipt.html
    for wording in d.questions["wording"]:
        assert str(wording).replace("'", "&#x27;").replace('"', "&quot;") in receipt.html


def test_revising_after_submission_shows_in_the_tracker(working):
    collection.open_round(working, YEAR)
    code = respondents_2015(working)[0]
    _, s = start(working, code)

    def status() -> str:
        t = collection.tracker(working, YEAR)
        return str(t.loc[t["council_code"] == code, "status"].iloc[0])

    assert status() == "opened"
    confirm_all(working, s)
    assert status() == "in progress"
    collection.submit(working, s)
    assert status() == "submitted"
    v = collection.load_draft(working, s).answers["emp_payroll"].version
    collection.save_answers(working, s, {"emp_payroll": ("dont_know", [], None)}, {"emp_payroll": v})
    assert status() == "revised"
    assert collection.submit(working, s).revision == 2
    assert status() == "submitted"


def test_close_stops_edits_and_reopen_allows_them(working):
    collection.open_round(working, YEAR)
    inv, s = start(working, non_respondent(working))
    collection.load_draft(working, s)
    collection.close_round(working, YEAR)
    # An expired link says only what a wrong one says; a page opened before the close cannot save.
    with pytest.raises(collection.BadToken) as closed_link:
        collection.resolve(working, inv.token)
    assert str(closed_link.value) == collection.BAD_TOKEN_MESSAGE
    assert not collection.load_draft(working, s).session.editable
    with pytest.raises(collection.CollectionError, match="closed"):
        collection.save_answers(working, s, {"emp_payroll": ("available", [], None)}, {})
    with pytest.raises(collection.CollectionError, match="closed"):
        collection.submit(working, s)
    collection.reopen_round(working, YEAR)
    assert collection.resolve(working, inv.token).editable


def test_tracker_columns_rates_and_csv(working):
    collection.open_round(working, YEAR)
    codes = respondents_2015(working)[:2]
    _, s = start(working, codes[0], contact_name="Ann", contact_email="ann@example.org")
    confirm_all(working, s)
    collection.submit(working, s)
    collection.invite(working, YEAR, codes[1])
    t = collection.tracker(working, YEAR)
    assert list(t.columns) == ["council_code", "council_name", "region_name", "council_type", "status", "answered",
                               "questions", "last_activity"]
    row = t[t["council_code"] == codes[0]].iloc[0]
    # The round's required (scored) questions, as the respondent's progress bar counts them.
    assert row["status"] == "submitted" and row["answered"] == row["questions"] == len(scored_ids(working, YEAR))
    # Revoking the link after the submission keeps the council counted (its answers are published).
    collection.revoke(working, YEAR, codes[0])
    assert collection.tracker(working, YEAR).set_index("council_code").loc[codes[0], "status"] == "submitted"
    assert t[t["council_code"] == codes[1]].iloc[0]["status"] == "invited"
    assert (t["status"] == "not invited").sum() == len(t) - 2
    rates = collection.response_rates(t)
    england = rates[rates["scope"] == "england"].iloc[0]
    assert (england["councils"], england["submitted"]) == (len(t), 1)
    assert england["rate"] == pytest.approx(1 / len(t))
    csv = collection.tracker_csv(t).decode("utf-8")
    assert csv.splitlines()[0] == "council_code,council_name,status,answered,questions,last_activity"
    assert len(csv.splitlines()) == len(t) + 1
    chase = collection.chase_list_csv(working, YEAR).decode("utf-8")
    assert codes[0] not in chase and codes[1] in chase  # the submitted council needs no chasing


def test_response_rates_hand_worked():
    t = pd.DataFrame({"council_code": list("ABCD"), "council_name": list("ABCD"),
                      "region_name": ["North", "North", "North", "South"],
                      "council_type": ["county", "unitary", "unitary", "unitary"],
                      "status": ["submitted", "revised", "in progress", "invited"]})
    rates = collection.response_rates(t).set_index(["scope", "name"])
    # England: 2 of 4 submitted (revised counts: it was submitted) = 0.5; North 2 of 3; South 0 of 1;
    # county 1 of 1; unitary 1 of 3.
    assert rates.loc[("england", "England"), "rate"] == 0.5
    assert rates.loc[("region", "North"), "rate"] == pytest.approx(2 / 3)
    assert rates.loc[("region", "South"), "rate"] == 0.0
    assert rates.loc[("type", "county"), "rate"] == 1.0
    assert rates.loc[("type", "unitary"), ["councils", "submitted"]].tolist() == [3, 1]


# --------------------------------------------------------------------------------------------
# Publication
# --------------------------------------------------------------------------------------------

def _responses(path: Path, year: int) -> dict[str, dict[str, str]]:
    con = db.connect(path, read_only=True)
    try:
        out: dict[str, dict[str, str]] = {}
        for code, qid, answer in con.execute("SELECT authority_code, question_id, answer FROM responses "
                                             "WHERE round_year = ?", [year]).fetchall():
            out.setdefault(code, {})[qid] = answer
        return out
    finally:
        con.close()


def test_publish_final_puts_only_submitted_answers_in_the_round(working):
    collection.open_round(working, YEAR)
    a, b, c = respondents_2015(working)[:3]
    inv_a, sa = start(working, a, contact_name="Ann", contact_email="ann@example.org")
    inv_b, sb = start(working, b)
    _, sc = start(working, c)
    da = confirm_all(working, sa)
    collection.save_answers(working, sa, {"emp_payroll": ("not_available", [], None)},
                            {"emp_payroll": da.answers["emp_payroll"].version})
    collection.submit(working, sa)
    db_ = confirm_all(working, sb)
    collection.submit(working, sb)
    # b edits after submitting and does not submit again: the edit is not published.
    edit = "dont_know" if db_.answers["emp_dbs"].answer != "dont_know" else "available"
    collection.save_answers(working, sb, {"emp_dbs": (edit, [], None)}, {"emp_dbs": db_.answers["emp_dbs"].version})
    confirm_all(working, sc)  # c never submits
    with pytest.raises(collection.CollectionError, match="close"):
        collection.publish_round(working, YEAR)
    before = versions.current(working)
    assert before is not None
    collection.close_round(working, YEAR)
    message = collection.publish_round(working, YEAR, by="tester")
    assert "2 councils" in message
    got = _responses(working, YEAR)
    assert set(got) == {a, b}
    assert got[a]["emp_payroll"] == "not_available"
    assert got[b]["emp_dbs"] == db_.answers["emp_dbs"].answer != edit
    assert len(got[a]) == len(asked_ids(working, YEAR))
    snap = versions.current(working)
    assert snap is not None and snap.version > before.version
    assert (YEAR, 2, False) in snap.rounds
    con = db.connect(snap.path, read_only=True)
    try:
        scored = con.execute("SELECT count(*) FROM overall_scores WHERE round_year = ? AND authority_code IN (?, ?)",
                             [YEAR, a, b]).fetchone()
        audit = con.execute("SELECT actor, action, detail FROM audit_log WHERE action = 'import'").fetchall()
    finally:
        con.close()
    assert scored == (2,)
    assert any(actor == "tester" and f"Round {YEAR} imported" in detail for actor, _, detail in audit)
    r = collection.get_round(working, YEAR)
    assert r is not None and r.status == "published" and not r.provisional and r.published_at is not None
    # events: id, year, invitation_id, action, ... (tables.events)
    actions = [row[3] for row in collection_rows(working, "events") if row[2] is None]
    assert "published final" in actions
    # Published final: links stop working, the round cannot be opened or published again.
    with pytest.raises(collection.BadToken):
        collection.resolve(working, inv_a.token)
    with pytest.raises(collection.CollectionError):
        collection.open_round(working, YEAR)
    with pytest.raises(collection.CollectionError):
        collection.publish_round(working, YEAR)
    # Tokens appear nowhere: working database, its published version, the collection file, the lists.
    chase = collection.chase_list_csv(working, YEAR)
    tracked = collection.tracker_csv(collection.tracker(working, YEAR))
    listed = collection.invitations(working, YEAR).to_csv()
    for token in (inv_a.token, inv_b.token):
        assert token is not None
        digest = collection.token_hash(token)
        for text in (file_text(working), file_text(snap.path), chase.decode(), tracked.decode(), listed):
            assert token not in text
        for text in (file_text(working), file_text(snap.path), chase.decode(), tracked.decode(), listed):
            assert digest not in text
        assert token not in collection_text(working)
    # Archiving deletes contact details.
    assert "ann@example.org" in collection_text(working)
    collection.archive_round(working, YEAR)
    assert "ann@example.org" not in collection_text(working)
    assert collection.invitations(working, YEAR)["contact_email"].isna().all()


def test_provisional_then_final_publication(working):
    collection.open_round(working, YEAR)
    a, b = respondents_2015(working)[:2]
    _, sa = start(working, a)
    _, sb = start(working, b)
    confirm_all(working, sa)
    collection.submit(working, sa)
    with pytest.raises(collection.CollectionError, match="no 2017 round is being collected"):
        collection.close_round(working, 2017)  # not a round being collected
    collection.publish_round(working, YEAR, provisional=True)
    assert set(_responses(working, YEAR)) == {a}
    r = collection.get_round(working, YEAR)
    assert r is not None and r.provisional and r.status == "collecting"
    confirm_all(working, sb)  # still collecting: b can answer after the provisional publication
    collection.submit(working, sb)
    collection.close_round(working, YEAR)
    collection.publish_round(working, YEAR)
    assert set(_responses(working, YEAR)) == {a, b}
    con = db.connect(working, read_only=True)
    try:
        subs = con.execute("SELECT status FROM submissions WHERE round_year = ? ORDER BY id", [YEAR]).fetchall()
        actions = [x[0] for x in con.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
    finally:
        con.close()
    assert subs == [("replaced",), ("current",)]
    assert actions[-2:] == ["import", "replace"]
    r = collection.get_round(working, YEAR)
    assert r is not None and not r.provisional and r.status == "published"


def test_publish_refuses_without_submissions_and_passes_on_import_refusals(working, monkeypatch):
    collection.open_round(working, YEAR)
    with pytest.raises(collection.CollectionError, match="no council has submitted"):
        collection.publish_round(working, YEAR, provisional=True)
    monkeypatch.setattr(publishing_module, "answer_file",
                        lambda w, y: (b"council,question,answer,round\nE99999999,emp_payroll,available,2016\n", 1))
    with pytest.raises(collection.CollectionError, match="unknown council"):
        collection.publish_round(working, YEAR, provisional=True)
    assert _responses(working, YEAR) == {}


_WRITER = """
import json, sys
from pathlib import Path
from lib import collection
working, token, question, wanted, tag = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
session = collection.resolve(working, token, client=tag)
draft = collection.load_draft(working, session)
answer_set = draft.questions.set_index("id").loc[question, "answer_set"]
values = list(draft.options.loc[draft.options["answer_set"] == answer_set, "value"])
saved = stale = 0
while saved < wanted:
    try:  # each save's comment differs, so each is a change
        draft = collection.save_answers(working, session, {question: (values[saved % 2], [], f"{tag} {saved}")},
                                        {question: draft.answers[question].version})
        saved += 1
    except collection.Stale:  # the other process saved first: reload, as the page tells a person to
        stale += 1
        draft = collection.load_draft(working, session)
print(json.dumps({"saved": saved, "stale": stale}), flush=True)
"""


def test_processes_saving_at_once_lose_no_answer(working):
    """Three processes save at the same moment: two on the same question of one council, one on
    another council. Every save either lands or is refused as stale (and is retried after a
    reload, as a person would); none is lost: the question's version counts every save that
    landed, and so does the event log."""
    import json
    import subprocess
    import sys

    collection.open_round(working, YEAR)
    first, second = [non_respondent_codes(working)[i] for i in (0, 1)]
    inv_a, session_a = start(working, first)
    inv_b, session_b = start(working, second)
    for session in (session_a, session_b):
        collection.load_draft(working, session)
    wanted = 8
    runs = [(inv_a, "one"), (inv_a, "two"), (inv_b, "three")]
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(working), inv.token or "", "emp_payroll",
                               str(wanted), tag], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1]) for inv, tag in runs]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["saved"] for r in results] == [wanted] * 3
    a = collection.load_draft(working, session_a).answers["emp_payroll"]
    b = collection.load_draft(working, session_b).answers["emp_payroll"]
    assert a.version == 2 * wanted and b.version == wanted  # every landed save counted once
    # events: id, year, invitation_id, action, ... (tables.events)
    saves = [row for row in collection_rows(working, "events") if row[3] == "saved"]
    assert sum(row[2] == session_a.invitation_id for row in saves) == 2 * wanted
    assert sum(row[2] == session_b.invitation_id for row in saves) == wanted
    assert b.comment == f"three {wanted - 1}"  # the other council never saw a conflict's effect


_SAVER = """
import sys, time
from pathlib import Path
from lib import collection
working, token = Path(sys.argv[1]), sys.argv[2]
session = collection.resolve(working, token, client="saver")
draft = collection.load_draft(working, session)
employers = [q for q in draft.questions.itertuples() if q.audience == "employers"]
values = {q.id: list(draft.options.loc[draft.options["answer_set"] == q.answer_set, "value"]) for q in employers}
n = 0
while True:
    # Every answer of the section gets the same option index: a half-done save would mix them.
    changes = {q: (opts[n % 2], [], f"save {n}") for q, opts in values.items()}
    draft = collection.save_answers(working, session, changes, {q: draft.answers[q].version for q in values})
    n += 1
    print(n, flush=True)
"""


def test_kill_9_during_saves_leaves_the_last_whole_save(working):
    """A respondent's server process killed with SIGKILL in the middle of saving: the file opens,
    and the section holds one whole save (every answer from the same save, comment included),
    never a mix of two."""
    import signal
    import subprocess
    import sys

    collection.open_round(working, YEAR)
    inv, session = start(working, non_respondent(working))
    saver = subprocess.Popen([sys.executable, "-c", _SAVER, str(working), inv.token or ""], stdout=subprocess.PIPE,
                             text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert saver.stdout is not None
        for _ in range(8):  # let it complete a few saves, then kill it mid-stream
            assert saver.stdout.readline().strip()
        saver.send_signal(signal.SIGKILL)
        saver.wait(timeout=30)
    finally:
        if saver.poll() is None:
            saver.kill()
    assert saver.returncode == -signal.SIGKILL
    draft = collection.load_draft(working, session)
    employers = [q for q in draft.questions.itertuples() if q.audience == "employers"]
    comments = {draft.answers[q.id].comment for q in employers}
    assert len(comments) == 1 and next(iter(comments)).startswith("save ")  # one save, whole
    n = int(next(iter(comments)).split()[1])
    assert n >= 7  # at least the saves it reported before the kill
    values = {q.id: list(draft.options.loc[draft.options["answer_set"] == q.answer_set, "value"]) for q in employers}
    assert all(draft.answers[q].answer == opts[n % 2] for q, opts in values.items())
