"""What the respondent's questionnaire page (pages/respond.py) shows and sends, without Streamlit:
the sections, the answer options, progress, and the changes a saved section makes."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from lib import collection
from lib.base.formatting import escape_markdown as md
from lib.reference import geography
from lib.scoring import answer_sets

#: The questionnaire's sections, in order: whose support the questions are about.
SECTIONS = (("employers", "Support for individual employers"),
            ("pas", "Support for personal assistants"),
            ("council", "The council's approach"))


@dataclass(frozen=True)
class Options:
    """The answer options of every answer set, and the providers, from the scoring rules."""

    table: pd.DataFrame  # lib.scoring.answer_sets.answer_options: answer_set, value, label, position, ...
    providers: dict[str, str]

    def values(self, answer_set: str) -> list[str]:
        rows = self.table[self.table["answer_set"] == answer_set].sort_values("position")
        return [str(v) for v in rows["value"]]

    def label_for(self, answer_set: str) -> Callable[[str], str]:
        rows = self.table[self.table["answer_set"] == answer_set]
        labels = dict(zip(rows["value"].astype(str), rows["label"].astype(str), strict=True))
        return lambda value: labels.get(value, value)

    def asks_providers(self, answer_set: str) -> bool:
        rows = self.table[self.table["answer_set"] == answer_set]
        return bool(rows["allows_providers"].any())

    @property
    def provider_keys(self) -> list[str]:
        return list(self.providers)

    def provider_label(self, key: str) -> str:
        return self.providers.get(key, key)


def questionnaire_options(con: duckdb.DuckDBPyConnection) -> Options:
    """The answer options and providers of the scoring rules, for the questionnaire page."""
    return Options(answer_sets.answer_options(con), answer_sets.provider_labels(con))


@dataclass(frozen=True)
class Progress:
    answered: int
    required: int

    @property
    def share(self) -> float:
        return self.answered / self.required if self.required else 1.0


def _given(answer: collection.DraftAnswer | None) -> bool:
    return answer is not None and answer.answer is not None and not answer.prefilled


def progress(draft: collection.Draft) -> Progress:
    """Required (scored) questions answered and confirmed, of all required ones."""
    required = [str(q) for q in draft.questions.loc[draft.questions["scored"], "id"]]
    return Progress(sum(_given(draft.answers.get(q)) for q in required), len(required))


def intro(session: collection.Session, done: Progress) -> str:
    closes = (f"The round closes on {geography.describe_day(session.closes_on)}."
              if session.closes_on else "The round has no closing date set.")
    return (f"This questionnaire asks how {session.council_name} supports people who employ their own "
            f"personal assistants, and the assistants themselves, against the nine minimum standards. "
            f"{closes} Each section is saved when you press its Save button; you can leave and come back "
            "with the same link. Answers shown as last round's are saved, and so confirmed, with their "
            "section.")


def submitted_note(draft: collection.Draft) -> str:
    assert draft.submitted_at is not None
    return (f"Submitted on {draft.submitted_at:%-d %B %Y at %H:%M} (reference {draft.reference}). "
            "You can still change answers until the round closes; submit again after changing them.")


def index_of(values: list[str], value: str | None) -> int | None:
    return values.index(value) if value in values else None


def widget_key(kind: str, session: collection.Session, name: str) -> str:
    """A widget's key, tied to the invitation: a browser session that opens a second council's
    link never shows or sends the first council's widget values."""
    return f"{kind}_{session.invitation_id}_{session.year}_{name}"


@dataclass(frozen=True)
class Shown:
    """A section as its widgets were last filled from the store: each answer (answer, providers,
    comment), its version, and which answers were last round's. A save sends only what the
    respondent changed from this, checked against these versions, so an answer someone else saved
    meanwhile is never overwritten unseen, and one the respondent did not touch is not sent."""

    answers: dict[str, tuple[str | None, tuple[str, ...], str | None]]
    versions: dict[str, int]
    prefilled: frozenset[str]


def shown_state(draft: collection.Draft, rows: pd.DataFrame) -> Shown:
    answers: dict[str, tuple[str | None, tuple[str, ...], str | None]] = {}
    versions: dict[str, int] = {}
    prefilled = set()
    for qid in rows["id"].astype(str):
        current = draft.answers.get(qid)
        answers[qid] = (current.answer, tuple(current.providers), current.comment) if current else (None, (), None)
        versions[qid] = current.version if current else 0
        if current is not None and current.prefilled:
            prefilled.add(qid)
    return Shown(answers, versions, frozenset(prefilled))


def section_keys(session: collection.Session, rows: pd.DataFrame, section: str) -> list[str]:
    """Every session-state key of a section's widgets and of its Shown record."""
    keys = [widget_key("shown", session, section)]
    for qid in rows["id"].astype(str):
        keys += [widget_key(kind, session, qid) for kind in ("answer", "providers", "comment")]
    return keys


def form_changes(state: Mapping[str, Any], rows: pd.DataFrame, shown: Shown, session: collection.Session
                 ) -> tuple[dict[str, tuple[str | None, list[str], str | None]], list[str]]:
    """What a saved section changes from what it showed, and the last-round answers it confirms
    (shown, and left as they were)."""
    changes: dict[str, tuple[str | None, list[str], str | None]] = {}
    confirm: list[str] = []
    for qid in rows["id"].astype(str):
        answer = state.get(widget_key("answer", session, qid))
        providers = tuple(sorted(state.get(widget_key("providers", session, qid), []) or []))
        comment = (state.get(widget_key("comment", session, qid)) or "").strip() or None
        before_answer, before_providers, before_comment = shown.answers[qid]
        if (answer, providers, comment) != (before_answer, tuple(sorted(before_providers)), before_comment):
            changes[qid] = (answer, list(providers), comment)
        elif qid in shown.prefilled and answer is not None:
            confirm.append(qid)
    return changes, confirm


def save_section(working: Path, session: collection.Session,
                 changes: dict[str, tuple[str | None, list[str], str | None]], shown: Shown,
                 confirm: list[str]) -> collection.Draft:
    """Save a section's changes and confirmations against the versions it showed.

    A last-round answer the section would only confirm, but which someone else has meanwhile
    changed or confirmed through the same link, is left as they saved it (confirming the old
    value would undo their change); the rest of the section is saved. A changed answer that
    someone else changed too raises Stale, and nothing is written.
    """
    try:
        return collection.save_answers(working, session, changes, shown.versions, confirm)
    except collection.Stale as exc:
        moved_confirms = set(exc.questions) - set(changes)
        if not moved_confirms or set(exc.questions) & set(changes):
            raise
        kept = [q for q in confirm if q not in moved_confirms]
        return collection.save_answers(working, session, changes, shown.versions, kept)


def versions(draft: collection.Draft, rows: pd.DataFrame) -> dict[str, int]:
    """The version of each of the section's answers as the page showed it."""
    return {str(q): (draft.answers[str(q)].version if str(q) in draft.answers else 0) for q in rows["id"]}


def _wording(draft: collection.Draft) -> dict[str, str]:
    return dict(zip(draft.questions["id"].astype(str), draft.questions["wording"].astype(str), strict=True))


def anchor_id(qid: str) -> str:
    """The page anchor of a question (ids are the question bank's, checked to be plain)."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", qid):
        raise ValueError(f"question id {qid!r} is not a plain identifier")
    return f"question-{qid.replace('_', '-')}"


def question_heading(qid: str, wording: str, scored: bool) -> str:
    """A question's wording in bold (HTML- and Markdown-escaped) after an empty anchor, so the
    list of missing answers can link to it."""
    # quote=False: an apostrophe stays itself. Escaped as &#x27; its '#' would be Markdown-escaped
    # in turn, and the page would show "PA&#x27;s" (issue 28).
    return (f'<a id="{anchor_id(qid)}"></a>**{md(html.escape(wording, quote=False))}**'
            + ("" if scored else " *(optional)*"))


def stale_message(exc: collection.Stale, draft: collection.Draft) -> str:
    words = _wording(draft)
    listed = "; ".join(f"'{md(words.get(q, q))}'" for q in exc.questions)
    return (f"Nothing in this section was saved: someone else using this council's link changed {listed} "
            "after this page was opened. Use the button below the section to see their answers, then make "
            "your changes again.")


def missing_message(exc: collection.MissingAnswers, draft: collection.Draft) -> str:
    words = _wording(draft)
    sections = dict(SECTIONS)
    audience = dict(zip(draft.questions["id"].astype(str), draft.questions["audience"].astype(str), strict=True))
    lines = [f"- {sections.get(audience.get(q, ''), '')}: [{md(words.get(q, q))}](#{anchor_id(q)})"
             for q in exc.questions]
    return ("Not submitted: these questions still need an answer (\"Don't know\" is an answer), or a "
            "last-round answer still needs saving to confirm it:\n" + "\n".join(lines))


@dataclass(frozen=True)
class PrefillSource:
    """The published round a draft's pre-filled answers come from."""

    year: int
    is_demo: bool


def prefill_source(con: duckdb.DuckDBPyConnection, session: collection.Session) -> PrefillSource | None:
    """The council's latest published round before this one (where lib.collection pre-fills
    from), and whether it is synthetic demonstration data; None when it answered none."""
    row = con.execute(
        "SELECT r.year, r.is_demo FROM survey_rounds r WHERE r.year < ? AND EXISTS (SELECT 1 FROM responses s "
        "WHERE s.round_year = r.year AND s.authority_code = ?) ORDER BY r.year DESC LIMIT 1",
        [session.year, session.council_code]).fetchone()
    return PrefillSource(int(row[0]), bool(row[1])) if row else None


def prefill_note(source: PrefillSource | None, council_name: str) -> str | None:
    """A warning for the top of the page when pre-filled answers are synthetic."""
    if source is None or not source.is_demo:
        return None
    return (f"**The answers filled in below are synthetic demonstration data**, taken from this database's "
            f"{source.year} round, not {md(council_name)}'s real answers. Check and change every one.")
