"""A respondent's draft: pre-filled, saved as they go, submitted with a receipt, revised."""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from lib.collection import store, tables
from lib.collection.errors import CollectionError, MissingAnswers, Stale
from lib.collection.invites import Session, check_session
from lib.collection.rounds import CollectionRound
from lib.ingest import CONTROL_CHARACTERS, MAX_CELL_CHARS, _unsafe


@dataclass(frozen=True)
class DraftAnswer:
    question_id: str
    answer: str | None
    providers: tuple[str, ...]
    comment: str | None
    version: int
    prefilled: bool  # last round's answer, not yet confirmed or changed
    saved_at: datetime | None


@dataclass(frozen=True)
class Draft:
    session: Session
    answers: dict[str, DraftAnswer]
    questions: pd.DataFrame  # id, standard, audience, topic, wording, help, answer_set, scored, position
    submitted_at: datetime | None
    revision: int
    reference: str | None
    #: Saved since the last submission (the tracker shows 'revised').
    revised: bool = False
    #: The answer options of the round's answer sets (answer_set, value, label, allows_providers, ...).
    options: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Provider key -> label.
    providers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    reference: str
    submitted_at: datetime
    revision: int
    html: str


def _prefill(working: Path, session: Session, ids: tuple[str, ...]) -> tuple[int | None, dict]:
    """The council's answers in its latest published round before this one, from the version
    (answers and providers where the option allows them; comments are not carried over)."""
    with store.published(working) as con:
        row = con.execute("SELECT max(round_year) FROM responses WHERE authority_code = ? AND round_year < ?",
                          [session.council_code, session.year]).fetchone()
        source = row[0] if row else None
        if source is None:
            return None, {}
        rows = con.execute(
            "SELECT r.question_id, r.answer, CASE WHEN coalesce(o.allows_providers, FALSE) THEN r.providers "
            "ELSE []::VARCHAR[] END FROM responses r JOIN questions q ON q.id = r.question_id "
            "LEFT JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = r.answer "
            "WHERE r.authority_code = ? AND r.round_year = ?", [session.council_code, source]).fetchall()
    wanted = set(ids)
    return int(source), {q: (a, sorted(p or ())) for q, a, p in rows if q in wanted}


_D = tables.drafts
_A = tables.draft_answers


def _has_draft(con: sa.Connection, session: Session) -> bool:
    return con.execute(sa.select(_D.c.invitation_id).where(_D.c.invitation_id == session.invitation_id)).first() \
        is not None


def _start_draft(con: sa.Connection, session: Session) -> None:
    """An empty draft for the session's invitation, unless it has one."""
    store.upsert(con, _D, [{"invitation_id": session.invitation_id, "created_at": store.now(), "submitted_at": None,
                            "revision": 0, "reference": None, "revised": False, "saved_at": None}], replace=False)


def _read(con: sa.Connection, session: Session, found: CollectionRound,
          ref: store.Reference) -> Draft:
    head = con.execute(sa.select(_D.c.submitted_at, _D.c.revision, _D.c.reference, _D.c.revised)
                       .where(_D.c.invitation_id == session.invitation_id)).first()
    submitted_at, revision, reference, revised = tuple(head) if head is not None else (None, 0, None, False)
    rows = con.execute(sa.select(_A.c.question_id, _A.c.answer, _A.c.providers, _A.c.comment, _A.c.version,
                                 _A.c.prefilled, _A.c.saved_at)
                       .where(_A.c.invitation_id == session.invitation_id)).fetchall()
    stored = {r[0]: DraftAnswer(r[0], r[1], tuple(r[2] or ()), r[3], int(r[4]), bool(r[5]), r[6]) for r in rows}
    qs = store.questionnaire(ref, found.questions)
    answers = {q: stored.get(q, DraftAnswer(q, None, (), None, 0, False, None)) for q in qs["id"]}
    options = ref.options[ref.options["answer_set"].isin(set(qs["answer_set"]))].reset_index(drop=True)
    live = Session(session.invitation_id, session.year, session.council_code, session.council_name,
                   found.closes_on, found.editable, session.issue)
    return Draft(live, answers, qs, submitted_at, int(revision), reference, bool(revised), options,
                 dict(ref.providers))


def load_draft(working: Path, session: Session) -> Draft:
    """The session's draft. The first load pre-fills every question from the council's latest
    published round before this one (prefilled=True until confirmed or changed); questions with
    nothing to pre-fill have answer None and version 0."""
    ref = store.reference(working)
    with store.reading(working) as con:
        found = check_session(con, session)
        if _has_draft(con, session):
            return _read(con, session, found, ref)
    source, prefill = _prefill(working, session, found.questions)
    with store.transaction(working) as con:
        found = check_session(con, session, lock=True)
        if not _has_draft(con, session):
            _start_draft(con, session)
            store.upsert(con, _A, [{"invitation_id": session.invitation_id, "question_id": qid, "answer": answer,
                                    "providers": list(providers), "comment": None, "version": 1, "prefilled": True,
                                    "saved_at": None} for qid, (answer, providers) in prefill.items()],
                         replace=False)
            store.event(con, session.year, session.invitation_id, "draft started",
                        f"{len(prefill)} answers pre-filled from the {source} round." if source
                        else "Nothing to pre-fill.")
        return _read(con, session, found, ref)


@dataclass(frozen=True)
class _Options:
    """One answer set's options, as a save checks them."""

    values: tuple[str, ...]
    labels: tuple[str, ...]
    with_providers: tuple[str, ...]  # the values that allow providers, in order


@dataclass(frozen=True)
class _Rules:
    """What a save checks answers against: worked out once per version and round (_rules_for),
    not per save or per answer."""

    questions: dict[str, dict[str, Any]]  # id -> its questionnaire row
    options: dict[str, _Options]  # answer set -> its options

    @classmethod
    def of(cls, ref: store.Reference, qs: pd.DataFrame) -> _Rules:
        rows = {str(r["id"]): r for r in qs.to_dict("records")}
        sets = {str(s): _Options(tuple(map(str, g["value"])), tuple(map(str, g["label"])),
                                 tuple(map(str, g.loc[g["allows_providers"].astype(bool), "value"])))
                for s, g in ref.options.groupby("answer_set")}
        return cls(rows, sets)


_rules: dict[tuple[str, tuple[str, ...]], _Rules] = {}


def _rules_for(ref: store.Reference, found: CollectionRound, qs: pd.DataFrame) -> _Rules:
    key = (ref.key, tuple(found.questions))
    rules = _rules.get(key)
    if rules is None:
        if len(_rules) > 32:
            _rules.clear()
        rules = _rules[key] = _Rules.of(ref, qs)
    return rules


def _check(ref: store.Reference, rules: _Rules, qid: str, answer: str | None, providers: list[str],
           comment: str | None) -> tuple[str | None, list[str], str | None]:
    if qid not in rules.questions:
        raise CollectionError(f"{qid!r} is not a question of this round")
    q = rules.questions[qid]
    opts = rules.options.get(str(q["answer_set"]), _Options((), (), ()))
    answer = None if answer is None or not str(answer).strip() else str(answer).strip()
    providers = sorted({str(p).strip() for p in providers or [] if str(p).strip()})
    comment = None if comment is None or not str(comment).strip() else str(comment).strip()
    if answer is not None and answer not in opts.values:
        allowed = ", ".join(f"{v} ({lab})" for v, lab in zip(opts.values, opts.labels, strict=True))
        raise CollectionError(f"{q['topic']} ({qid}): {answer[:60]!r} is not one of its answers. Allowed: {allowed}.")
    if providers:
        if answer not in opts.with_providers:
            with_p = ", ".join(opts.with_providers) or "none of its answers"
            raise CollectionError(f"{q['topic']} ({qid}): who provides it can only be given with the answers "
                                  f"{with_p}.")
        unknown = [p for p in providers if p not in ref.providers]
        if unknown:
            raise CollectionError(f"{q['topic']} ({qid}): unknown provider {', '.join(unknown)}. Allowed: "
                                  + ", ".join(ref.providers) + ".")
    if comment is not None:
        if len(comment) > MAX_CELL_CHARS:
            raise CollectionError(f"{q['topic']} ({qid}): the comment is longer than {MAX_CELL_CHARS} characters")
        hidden = CONTROL_CHARACTERS.search(comment)
        if hidden:
            # Publication reads the answers back as a CSV file, which refuses such a character: one
            # comment would stop the whole round from being published.
            raise CollectionError(f"{q['topic']} ({qid}): the comment holds a character that cannot be seen "
                                  f"(\\x{ord(hidden.group(0)):02x}), perhaps pasted in with the text. Retype the "
                                  "comment, or delete the character, and save again.")
        problem = _unsafe(comment)
        if problem:
            raise CollectionError(f"{q['topic']} ({qid}): the comment cannot be stored: {problem}")
    return answer, providers, comment


def _write_answers(con: sa.Connection, invitation_id: int,
                   rows: list[tuple[str, str | None, list[str], str | None, int]], when: datetime) -> None:
    """Write (question, answer, providers, comment, version) rows in one statement."""
    store.upsert(con, _A, [{"invitation_id": invitation_id, "question_id": qid, "answer": answer,
                            "providers": list(providers), "comment": comment, "version": version, "prefilled": False,
                            "saved_at": when} for qid, answer, providers, comment, version in rows])


def _editable(found: CollectionRound) -> None:
    if not found.editable:
        raise CollectionError(f"the {found.year} round is closed: answers can no longer be changed")


def save_answers(working: Path, session: Session, changes: dict[str, tuple[str | None, list[str], str | None]],
                 versions: dict[str, int], confirm: list[str] | None = None) -> Draft:
    """Save changed answers (question id -> (answer value or None, provider keys, comment)) and
    confirm pre-filled answers unchanged, in one transaction.

    `versions` are the versions the page showed. If another save has since changed one of the
    questions being written (changed or confirmed), Stale names them and nothing is written;
    a question missing from `versions` counts as version 0. A change equal to what is stored is
    no change (a pre-filled answer stays pre-filled unless confirmed). Each answer must be an
    option of its question's answer set, providers only with the options that allow them.
    After a submission, a save marks the draft revised until it is submitted again.
    """
    ref = store.reference(working)
    confirm = list(dict.fromkeys(confirm or []))
    with store.transaction(working) as con:
        found = check_session(con, session, lock=True)
        _editable(found)
        # A save before the first load starts the draft without pre-filling (pages load first).
        _start_draft(con, session)
        draft = _read(con, session, found, ref)
        qs = draft.questions
        rules = _rules_for(ref, found, qs)
        cleaned = {qid: _check(ref, rules, qid, *value) for qid, value in changes.items()}
        for qid in confirm:
            if qid not in draft.answers:
                raise CollectionError(f"{qid!r} is not a question of this round")
        touched = set(cleaned) | set(confirm)
        stale = sorted(q for q in touched if draft.answers[q].version > int(versions.get(q, 0)))
        if stale:
            topics = dict(zip(qs["id"], qs["topic"], strict=True))
            raise Stale("Someone else saved newer answers to " + "; ".join(f"{topics[q]} ({q})" for q in stale)
                        + " since this page was shown. Reload the page to see them; nothing was saved.", stale)
        when = store.now()
        written: list[str] = []
        rows: list[tuple[str, str | None, list[str], str | None, int]] = []
        for qid, (answer, providers, comment) in cleaned.items():
            old = draft.answers[qid]
            if (answer, tuple(providers), comment) == (old.answer, old.providers, old.comment) and qid not in confirm:
                continue
            rows.append((qid, answer, providers, comment, old.version + 1))
            written.append(qid)
        for qid in confirm:
            old = draft.answers[qid]
            if qid in written or not old.prefilled:
                continue
            rows.append((qid, old.answer, list(old.providers), old.comment, old.version + 1))
            written.append(qid)
        _write_answers(con, session.invitation_id, rows, when)
        if written:
            revised = draft.submitted_at is not None
            con.execute(_D.update().where(_D.c.invitation_id == session.invitation_id)
                        .values(saved_at=when, revised=sa.or_(_D.c.revised, sa.literal(revised))))
            store.event(con, session.year, session.invitation_id, "revised" if revised else "saved",
                        f"{len(written)} answers saved: {', '.join(written)}"[:1000])
        return _read(con, session, found, ref)


def _label(options: pd.DataFrame, answer_set: str, value: str | None) -> str:
    if value is None:
        return "Not answered"
    hit = options[(options["answer_set"] == answer_set) & (options["value"] == value)]
    return str(hit.iloc[0]["label"]) if not hit.empty else value


def receipt_html(draft: Draft, reference: str, when: datetime, revision: int) -> str:
    """An HTML copy of every answer with its wording, the time and the reference (all escaped)."""
    e = html.escape
    s = draft.session
    parts = [f"<h1>Receipt: {e(s.council_name)}, {s.year} survey</h1>",
             f"<p>Reference <strong>{e(reference)}</strong>, submitted {when:%d %B %Y at %H:%M}"
             + (f" (revision {revision})" if revision > 1 else "") + ".</p>", "<dl>"]
    for q in draft.questions.itertuples():
        a = draft.answers[q.id]
        text = _label(draft.options, q.answer_set, a.answer)
        if a.providers:
            text += " (provided by " + ", ".join(draft.providers.get(p, p) for p in a.providers) + ")"
        parts.append(f"<dt>{e(str(q.wording))}</dt><dd>{e(text)}</dd>")
        if a.comment:
            parts.append(f"<dd>Comment: {e(a.comment)}</dd>")
    parts.append("</dl>")
    return "\n".join(parts)


def missing(draft: Draft) -> list[str]:
    """Scored questions not answered, or still holding last round's answer unconfirmed."""
    return [q for q, scored in zip(draft.questions["id"], draft.questions["scored"], strict=True)
            if bool(scored) and (draft.answers[q].answer is None or draft.answers[q].prefilled)]


def submit(working: Path, session: Session) -> Receipt:
    """Submit the draft: every scored question of the round must have an answer ("Don't know" is
    one). A pre-filled answer not yet confirmed or changed counts as missing: the respondent must
    confirm it. MissingAnswers lists them. Each submission is a new revision, kept as submitted
    (publication takes the latest); the receipt is an HTML copy of it."""
    ref = store.reference(working)
    with store.transaction(working) as con:
        found = check_session(con, session, lock=True)
        _editable(found)
        draft = _read(con, session, found, ref)
        gaps = missing(draft)
        if gaps:
            topics = dict(zip(draft.questions["id"], draft.questions["topic"], strict=True))
            raise MissingAnswers(f"{len(gaps)} required answers are missing or not yet confirmed: "
                                 + "; ".join(topics[q] for q in gaps) + ".", gaps)
        revision = draft.revision + 1
        when = store.now()
        reference = f"{session.year}-{session.council_code}-{revision}-{secrets.token_hex(3).upper()}"
        _start_draft(con, session)
        con.execute(_D.update().where(_D.c.invitation_id == session.invitation_id)
                    .values(submitted_at=when, revision=revision, reference=reference, revised=False))
        answered = [a for a in draft.answers.values() if a.answer is not None]
        if answered:
            con.execute(tables.submitted_answers.insert(), [
                {"invitation_id": session.invitation_id, "revision": revision, "question_id": a.question_id,
                 "answer": a.answer, "providers": list(a.providers), "comment": a.comment} for a in answered])
        store.event(con, session.year, session.invitation_id, "submitted",
                    f"Submitted revision {revision} ({len(answered)} answers), reference {reference}.")
    return Receipt(reference, when, revision, receipt_html(draft, reference, when, revision))
