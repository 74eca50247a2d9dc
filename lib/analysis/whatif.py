"""Self-assessment ("what if?"): project a council's scores from edited answers, without writing.

The projection never re-implements scoring. A `Projector` keeps a private in-memory DuckDB
holding the schema, the scoring rules, the councils and one round's responses copied from
the app's database, with the scoring views of lib.scoring.views on top. Projecting an answer sheet
replaces that council's rows inside a transaction, reads standard_scores / overall_scores and
rolls back, so the projection is produced by exactly the SQL that produces the real scores
and the app's database is never touched.

The answer sheet downloads in the wide import format (one row: council, round, one column
per question holding the option value, `<id>__providers` holding provider keys joined by ";").
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from lib.base import exports
from lib.base.formatting import (  # noqa: F401 - re-exported for the page and tests
    DASH,
    NO_EVIDENCE,
    NOT_ASKED,
    band_text,
    escape_markdown,
    format_change,
    format_score,
    is_missing,
    rank_text,
)
from lib.scoring import views as scoring

NOT_ANSWERED = "Not answered"
PROVIDER_SUFFIX = "__providers"
PROVIDER_SEPARATOR = ";"
WIDE_ID_COLUMNS = ("council", "round")

@dataclass(frozen=True)
class Answer:
    """One answer on the sheet: an answer-option value and, where allowed, who provides it."""

    value: str
    providers: tuple[str, ...] = ()


#: question id -> answer. Unanswered questions are simply absent.
Answers = dict[str, Answer]


@dataclass(frozen=True)
class Scores:
    """A council's standard scores and overall result, as the scoring views give them."""

    standards: pd.DataFrame
    overall: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Reading the questionnaire and a council's answers from the app's database
# --------------------------------------------------------------------------------------------

def questionnaire(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Questions asked in the round, scored ones by standard first, then the context questions.

    `standard_weight_total` is the sum of the question weights in that standard, so the page
    can say how much each question counts; `providers` says whether the question's answers
    can name who provides the support. The answer template (lib.ingest.template) has the same columns.
    """
    return con.execute(
        """
        SELECT q.id, q.standard, s.short_name, s.statement, q.audience, q.topic, q.wording, q.help,
               q.answer_set, q.scored, q.weight, q.position, q.asked_from,
               sum(q.weight) FILTER (WHERE q.scored) OVER (PARTITION BY q.standard)
                   AS standard_weight_total,
               EXISTS (SELECT 1 FROM answer_options o WHERE o.answer_set = q.answer_set
                       AND o.allows_providers) AS providers
        FROM questions q LEFT JOIN standards s ON s.number = q.standard
        WHERE q.asked_from <= ?
        ORDER BY (NOT q.scored), q.standard NULLS LAST, q.position
        """,
        [year],
    ).df()


def councils(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Every council in the round's council set, whether it responded, and its latest round.

    latest_round is the latest round at or before `year` in which the council answered (NA if
    it never did); its answers there pre-fill the form.
    """
    return con.execute(
        """
        SELECT c.authority_code, c.display_name, c.name, c.region_name, c.type, c.responded,
               l.latest_round
        FROM round_councils c
        LEFT JOIN (SELECT authority_code, max(round_year) AS latest_round FROM responses
                   WHERE round_year <= ? GROUP BY authority_code) l USING (authority_code)
        WHERE c.round_year = ?
        ORDER BY c.display_name
        """,
        [year, year],
    ).df()


def latest_round(con: duckdb.DuckDBPyConnection, code: str, year: int) -> int | None:
    """The latest round at or before `year` in which the council answered, or None."""
    row = con.execute(
        "SELECT max(round_year) FROM responses WHERE authority_code = ? AND round_year <= ?",
        [code, year],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def stored_answers(con: duckdb.DuckDBPyConnection, code: str, round_year: int) -> Answers:
    """The council's answers in a round, keyed by question id (providers only where allowed)."""
    rows = con.execute(
        """
        SELECT r.question_id, r.answer,
               CASE WHEN coalesce(o.allows_providers, FALSE) THEN r.providers ELSE []::VARCHAR[] END
        FROM responses r
        JOIN questions q ON q.id = r.question_id
        LEFT JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = r.answer
        WHERE r.authority_code = ? AND r.round_year = ?
        """,
        [code, round_year],
    ).fetchall()
    return {qid: Answer(answer, tuple(sorted(providers or ()))) for qid, answer, providers in rows}


def round_version(con: duckdb.DuckDBPyConnection, year: int) -> str:
    """A cheap fingerprint of a round's data, so a cached copy is rebuilt after an import."""
    row = con.execute(
        """
        SELECT (SELECT CAST(loaded_at AS VARCHAR) FROM survey_rounds WHERE year = ?),
               count(*), CAST(max(submitted_at) AS VARCHAR)
        FROM responses WHERE round_year = ?
        """,
        [year, year],
    ).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return "|".join(str(v) for v in row)


# --------------------------------------------------------------------------------------------
# Scores: the same two queries on the app's database (actual) and on the private copy (projected)
# --------------------------------------------------------------------------------------------

_STANDARDS_SQL = """
SELECT s.number AS standard, s.short_name, ss.score, ss.band, coalesce(ss.asked, FALSE) AS asked,
       coalesce(ss.evidence, FALSE) AS evidence,
       ss.questions, ss.answered, ss.unknown, ss.missing
FROM standards s
LEFT JOIN standard_scores ss ON ss.standard = s.number AND ss.round_year = ? AND ss.authority_code = ?
ORDER BY s.number
"""

_OVERALL_SQL = """
SELECT score, band, standards_evidenced, standards_total, ranked, rank, n_ranked,
       region_rank, region_n_ranked, region_name, unknown_answers, missing_answers
FROM overall_scores WHERE round_year = ? AND authority_code = ?
"""

_N_RANKED_SQL = """
SELECT count(*) FILTER (WHERE ranked) FROM overall_scores WHERE round_year = ?
"""


def _read_scores(con: duckdb.DuckDBPyConnection, code: str, year: int) -> Scores | None:
    cur = con.execute(_OVERALL_SQL, [year, code])
    row = cur.fetchone()
    if row is None:
        return None
    overall = dict(zip([d[0] for d in cur.description], row, strict=True))
    return Scores(con.execute(_STANDARDS_SQL, [year, code]).df(), overall)


def actual_scores(con: duckdb.DuckDBPyConnection, code: str, year: int) -> Scores | None:
    """The council's real scores in the round from the app's database (None if it did not respond)."""
    return _read_scores(con, code, year)


def ranked_count(con: duckdb.DuckDBPyConnection, year: int) -> int:
    """How many councils are ranked in the round (the "of N" for a council that did not respond)."""
    row = con.execute(_N_RANKED_SQL, [year]).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return int(row[0])


class Projector:
    """A private in-memory copy of one round, for projecting a council's scores from new answers.

    The copy is built once per round (the page caches it). `project` is safe to call from
    several sessions at once: a lock serialises the projections and each runs in its own
    transaction that is always rolled back, so the copy never changes.
    """

    def __init__(self, source: duckdb.DuckDBPyConnection, year: int) -> None:
        self.year = int(year)
        self._lock = threading.Lock()
        self.con = scoring.scoring_copy(source, self.year)
        self.base_ranked = ranked_count(self.con, self.year)

    def project(self, code: str, answers: Answers) -> Scores | None:
        """The council's scores had it given `answers` in this round (None with no answers at all).

        Its stored rows for the round are replaced by `answers`; everyone else's stay as they are.
        """
        rows = [
            [self.year, code, qid, a.value, list(a.providers), None, "what_if", datetime(2000, 1, 1)]
            for qid, a in sorted(answers.items())
        ]
        with self._lock:
            cur = self.con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    cur.execute("DELETE FROM responses WHERE round_year = ? AND authority_code = ?",
                                [self.year, code])
                    if rows:
                        cur.executemany("INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                    return _read_scores(cur, code, self.year)
                finally:
                    cur.execute("ROLLBACK")
            finally:
                cur.close()

    def close(self) -> None:
        self.con.close()


# --------------------------------------------------------------------------------------------
# Presenting the comparison
# --------------------------------------------------------------------------------------------

def standards_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT number AS standard, short_name FROM standards ORDER BY number").df()


def comparison(standards: pd.DataFrame, actual: Scores | None, projected: Scores | None,
               labels: dict[str, str]) -> pd.DataFrame:
    """Per standard: actual and projected score and band, and the change in points.

    `standards` is standards_list(). Numeric columns (actual_score, projected_score, change) are
    kept for the chart; the *_text columns are what the table shows, never blank or NaN.
    """
    out = standards[["standard", "short_name"]].copy()
    for prefix, scores in (("actual", actual), ("projected", projected)):
        if scores is None:
            out[f"{prefix}_score"] = math.nan
            out[f"{prefix}_band"] = None
            out[f"{prefix}_asked"] = False
        else:
            s = scores.standards.set_index("standard")
            out[f"{prefix}_score"] = out["standard"].map(s["score"]).astype("float64")
            out[f"{prefix}_band"] = out["standard"].map(s["band"])
            out[f"{prefix}_asked"] = out["standard"].map(s["asked"]).fillna(False).astype(bool)
    out["change"] = out["projected_score"] - out["actual_score"]
    out["standard_label"] = [f"{n}. {name}" for n, name in zip(out["standard"], out["short_name"], strict=True)]
    for prefix, scores in (("actual", actual), ("projected", projected)):
        if scores is None:
            out[f"{prefix}_score_text"] = "No response"
            out[f"{prefix}_band_text"] = DASH
            continue
        out[f"{prefix}_score_text"] = [
            format_score(v) if a else NOT_ASKED
            for v, a in zip(out[f"{prefix}_score"], out[f"{prefix}_asked"], strict=True)
        ]
        out[f"{prefix}_band_text"] = [
            band_text(b, labels) if a else NOT_ASKED
            for b, a in zip(out[f"{prefix}_band"], out[f"{prefix}_asked"], strict=True)
        ]
    out["change_text"] = [format_change(p, a) for p, a in zip(out["projected_score"], out["actual_score"], strict=True)]
    for prefix in ("actual", "projected"):
        out[f"{prefix}_text"] = [
            score if score in (NOT_ASKED, "No response") else f"{score} ({band})"
            for score, band in zip(out[f"{prefix}_score_text"], out[f"{prefix}_band_text"], strict=True)
        ]
    return out


def changed_questions(before: Answers, after: Answers) -> list[str]:
    """Question ids whose answer or providers differ between two sheets."""
    return sorted(q for q in set(before) | set(after) if before.get(q) != after.get(q))


# --------------------------------------------------------------------------------------------
# The import-ready file (wide format)
# --------------------------------------------------------------------------------------------

def to_wide(code: str, year: int, answers: Answers, question_ids: list[str],
            provider_question_ids: list[str]) -> pd.DataFrame:
    """One row: council, round, a column per question (option value or blank), and
    `<id>__providers` for each question that can name providers (keys joined by ';' or blank)."""
    row: dict[str, Any] = {"council": code, "round": int(year)}
    provider_ids = set(provider_question_ids)
    for qid in question_ids:
        answer = answers.get(qid)
        row[qid] = answer.value if answer else ""
        if qid in provider_ids:
            row[f"{qid}{PROVIDER_SUFFIX}"] = PROVIDER_SEPARATOR.join(answer.providers) if answer else ""
    df = pd.DataFrame([row])
    df["round"] = df["round"].astype("int64")
    return df


def from_wide(df: pd.DataFrame) -> tuple[str, int, Answers]:
    """Read one row of the wide format back (the inverse of to_wide; data_note is ignored)."""
    if len(df) != 1:
        raise ValueError(f"expected one row, found {len(df)}")
    row = df.iloc[0]
    answers: Answers = {}
    for col in df.columns:
        name = str(col)
        if name in WIDE_ID_COLUMNS or name == "data_note" or name.endswith(PROVIDER_SUFFIX):
            continue
        value = "" if is_missing(row[col]) else str(row[col]).strip()
        if not value:
            continue
        raw = row.get(f"{name}{PROVIDER_SUFFIX}", "")
        raw = "" if is_missing(raw) else str(raw)
        providers = tuple(sorted(p.strip() for p in raw.split(PROVIDER_SEPARATOR) if p.strip()))
        answers[name] = Answer(value, providers)
    return str(row["council"]), int(row["round"]), answers


def import_ready(questions: pd.DataFrame, code: str, year: int, answers: Answers, demo: bool) -> pd.DataFrame:
    """The self-assessment page's download: to_wide over the round's questionnaire (questionnaire()),
    with `<id>__providers` for every question that can name providers, labelled synthetic when
    demonstration data is involved. It imports with `import --council-update` (import_advice)."""
    provider_ids = [str(q) for q in questions.loc[questions["providers"].astype(bool), "id"]]
    return exports.label_demo(to_wide(code, year, answers, [str(q) for q in questions["id"]], provider_ids), demo)


def unanswered_scored(questions: pd.DataFrame, answers: Answers) -> list[str]:
    """Scored questions of the questionnaire (questionnaire()) with no answer on the sheet."""
    return [str(q) for q, scored in zip(questions["id"], questions["scored"], strict=True)
            if bool(scored) and q not in answers]


def import_advice(display_name: str, year: int, file_name: str, demo: bool, unanswered: int = 0) -> str:
    """Markdown for the page: what the download holds and how to import it without replacing the round.

    `unanswered` is how many scored questions are still blank: the import refuses such a file."""
    name = escape_markdown(display_name)
    return (
        f"One row for {name} and the {year} round, in the import format of the Data management page: a column "
        "per question holding the answer code, and for questions about support a column ending in "
        "`__providers` listing who provides it (separated by semicolons)."
        + (" The file is marked as based on synthetic demonstration data." if demo else "")
        + f"\n\n**To load it, import it as a council update.** That replaces only {name}'s answers in the "
        f"{year} round and keeps every other council's. On the Data management page choose *One council's "
        "answers (council update)*; on the command line run "
        f"`uv run python -m lib.cli import {file_name} --round {year} --council-update`. Do not import it as "
        f"a whole round: that would replace the {year} round with this one council."
        + (f"\n\n**{unanswered} scored question{'s are' if unanswered != 1 else ' is'} not answered yet.** The "
           "import refuses a file with a scored question left blank: answer every one first ('Don't know' "
           "is an answer)." if unanswered else "")
    )


def file_stem(display_name: str, year: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-") or "council"
    return f"self-assessment-{slug}-{year}"
