"""A council update: replace one council's answers in a round already loaded, nothing else.

A whole-round import (lib.ingest.commit.import_file) makes the file the round: a file with one
council, imported that way with replace, leaves a round of one council. A council update is the
import mode for that one-council file (the self-assessment page's download, a late or corrected
return): the file must hold exactly one council of the round's council set; that council's
answers, its general comment and its providers are replaced by the file's, and every other
council's answers in the round are left exactly as they are.

    validate_council_update  the normal checks (lib.ingest.validate) plus the council-update
                             rules: the round exists, one council, every scored question the
                             round asks of its other councils answered
    council_preview          before/after scores of that council, scored on a private copy of
                             the round by the scoring views (the database is only read)
    import_council_update    one transaction, state re-checked inside it: a submission row, the
                             council's old answers archived (recoverable), the new ones written,
                             the round's provenance and an audit_log entry
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from lib.analysis import whatif
from lib.ingest import commit
from lib.ingest.commit import (
    ImportRefused,
    ImportResult,
    write_refusals,
)
from lib.ingest.report import Problem, Record, Report
from lib.ingest.sheet import checksum
from lib.ingest.validation import validate
from lib.reference import geography
from lib.scoring import views as scoring
from lib.store import db

#: The command-line flag and the Data page's name for the mode, used in messages.
FLAG = "--council-update"


def _round_exists(con: duckdb.DuckDBPyConnection, year: int) -> bool:
    return bool(con.execute("SELECT year FROM survey_rounds WHERE year = ?", [year]).fetchall())


def _council_name(con: duckdb.DuckDBPyConnection, year: int, code: str) -> str:
    row = con.execute("SELECT display_name FROM round_councils WHERE round_year = ? AND authority_code = ?",
                      [year, code]).fetchone()
    return f"{row[0]} ({code})" if row else code


def _council_problem(report: Report, code: str | None, reason: str) -> Problem:
    """A problem on the council column, at the council's row when there is one."""
    header, letter = report.council_column or (None, None)
    row = report.council_rows.get(code) if code else None
    return Problem(row, header, code, reason, f"{letter}{row}" if letter and row else None)


def _round_questions(con: duckdb.DuckDBPyConnection, year: int, code: str) -> list[str]:
    """Scored questions the round holds answers to from councils other than `code`."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT r.question_id FROM responses r JOIN questions q ON q.id = r.question_id "
        "WHERE q.scored AND r.round_year = ? AND r.authority_code <> ? ORDER BY 1", [year, code]).fetchall()]


def validate_council_update(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, year: int | None = None,
                            limit: int | None = None) -> Report:
    """Check a file as a council update of round `year` (None: the file's round column).

    Every rule of a normal import applies; on top of them the round must already be in the
    database, the file must hold the answers of exactly one council, and that council must answer
    every scored question the round's other councils were asked (otherwise its scores would be
    worked out on fewer questions than theirs). Never raises for a bad file.
    """
    report = validate(con, data, file_name, year, limit)
    report.council_update = True
    if report.year is None:
        return report
    year = report.year
    if not _round_exists(con, year):
        known = ", ".join(str(r[0]) for r in con.execute("SELECT year FROM survey_rounds ORDER BY year").fetchall())
        report.add(Problem(None, None, str(year), f"there is no {year} round in the database (rounds: {known or 'none'}), "
                           f"so there is no council to update. A council update ({FLAG}) replaces one council's "
                           "answers in a round already loaded: choose that round, or import the whole round "
                           "without the council update."))
        report.records.clear()
        return report
    if not report.ok:
        return report
    if len(report.councils) != 1:
        names = ", ".join(f"{c} (row {report.council_rows.get(c, '?')})" for c in report.councils)
        for code in report.councils[1:]:
            report.add(_council_problem(report, code, f"more than one council: a council update holds the answers "
                                        f"of exactly one council, and this file holds {len(report.councils)} "
                                        f"({names}). Keep one council's row and remove the others, or import the "
                                        "whole round without the council update."))
        report.records.clear()
        return report
    code = report.councils[0]
    answered = {r.question_id for r in report.records}
    for qid in _round_questions(con, year, code):
        if qid not in answered:
            report.add(_council_problem(report, code, f"missing required answer: the {year} round asks {qid} of "
                                        f"every council, and this file has no answer to it for {code}. Add a "
                                        f"{qid} column (or a row for it in the long layout) with the council's "
                                        "answer ('Don't know' is an answer)."))
    if not report.ok:
        report.records.clear()
        report.council_comments.clear()
    return report


@dataclass
class CouncilPreview:
    """What a council update would change, for the council it replaces."""

    year: int
    code: str
    name: str
    #: The council's scores now (None: it has no answers in the round) and after the update.
    before: whatif.Scores | None
    after: whatif.Scores | None
    #: Per standard, whatif.comparison(): actual_* is now, projected_* is after the update.
    standards: pd.DataFrame
    answers_now: int
    answers_in_file: int
    answers_changed: int
    other_councils: int
    is_demo: bool
    bands: dict[str, str]

    def headline(self) -> str:
        """The plain sentence the Data page and the command line show above the preview."""
        who = f"{self.name} ({self.code})"
        now = (f"its {self.answers_now} answers held now are archived (they can be recovered) and "
               if self.answers_now else "it has no answers in the round yet; ")
        return (f"This will replace only {who}'s answers in the {self.year} round: {now}the file's "
                f"{self.answers_in_file} answers take their place ({self.answers_changed} "
                f"{'differs' if self.answers_changed == 1 else 'differ'} from what "
                f"is held now). The answers of the other {self.other_councils} councils in the {self.year} "
                "round are not changed; their ranks can move, because ranks compare councils.")

    def overall_table(self) -> pd.DataFrame:
        """Overall score, band and rank now and after, as text (never NaN)."""
        rows = []
        for label, scores in (("Now in the database", self.before), ("After the council update", self.after)):
            o = scores.overall if scores else {}
            rows.append({
                "": label,
                "Overall score": whatif.format_score(o.get("score")) if o else "No response",
                "Band": whatif.band_text(o.get("band"), self.bands) if o else whatif.DASH,
                "Rank in England": whatif.rank_text(o) if o else whatif.DASH,
                "Standards with evidence": f"{int(o.get('standards_evidenced') or 0)} of {int(o.get('standards_total') or 0)}"
                if o else whatif.DASH,
            })
        return pd.DataFrame(rows)

    def standards_table(self) -> pd.DataFrame:
        return self.standards[["standard_label", "actual_text", "projected_text", "change_text"]].rename(columns={
            "standard_label": "Standard", "actual_text": "Now", "projected_text": "After the update",
            "change_text": "Change"})


def _stored(con: duckdb.DuckDBPyConnection, year: int, code: str) -> dict[str, tuple]:
    return {q: (a, tuple(sorted(p or ())), c) for q, a, p, c in con.execute(
        "SELECT question_id, answer, providers, comment FROM responses WHERE round_year = ? AND authority_code = ?",
        [year, code]).fetchall()}


def _incoming(records: list[Record]) -> dict[str, tuple]:
    return {r.question_id: (r.answer, tuple(sorted(r.providers)), r.comment) for r in records}


def _source_submission(con: duckdb.DuckDBPyConnection, year: int, code: str) -> int | None:
    """The submission the council's rows came from (rows and submission share the load time)."""
    row = con.execute(
        "SELECT max(s.id) FROM submissions s WHERE s.round_year = ? AND s.submitted_at = "
        "(SELECT max(submitted_at) FROM responses WHERE round_year = ? AND authority_code = ?)",
        [year, year, code]).fetchone() if "submissions" in db.table_names(con) else None
    return int(row[0]) if row and row[0] is not None else None


def _current_comment(con: duckdb.DuckDBPyConnection, year: int, code: str) -> str | None:
    """The general comment of the submission the council's answers came from: a council update
    without a comment leaves the council with none, not with the whole round's older one."""
    source = _source_submission(con, year, code)
    row = con.execute(
        "SELECT comment FROM council_comments WHERE submission_id = ? AND authority_code = ?",
        [source, code]).fetchone() if source is not None and "council_comments" in db.table_names(con) else None
    return row[0] if row else None


def council_preview(con: duckdb.DuckDBPyConnection, report: Report) -> CouncilPreview:
    """Score the round as it would be after the update, on a private copy (the database is only read)."""
    if not report.ok or report.year is None or not report.council_update or len(report.councils) != 1:
        raise ValueError("only a council-update report without problems can be previewed")

    year, code = report.year, report.councils[0]
    copy = scoring.scoring_copy(con, year)
    try:
        with db.transaction(copy):
            copy.execute("DELETE FROM responses WHERE round_year = ? AND authority_code = ?", [year, code])
            commit._insert_records(copy, report.records, year, "preview", datetime.now().replace(microsecond=0))
        after = whatif.actual_scores(copy, code, year)
    finally:
        copy.close()
    before = whatif.actual_scores(con, code, year)
    bands = scoring.band_labels(con)
    now, new = _stored(con, year, code), _incoming(report.records)
    name_row = con.execute("SELECT display_name FROM round_councils WHERE round_year = ? AND authority_code = ?",
                           [year, code]).fetchone()
    others = con.execute("SELECT count(DISTINCT authority_code) FROM responses WHERE round_year = ? "
                         "AND authority_code <> ?", [year, code]).fetchone()
    demo = con.execute("SELECT is_demo FROM survey_rounds WHERE year = ?", [year]).fetchone()
    p = CouncilPreview(
        year=year, code=code, name=str(name_row[0]) if name_row else code, before=before, after=after,
        standards=whatif.comparison(whatif.standards_list(con), before, after, bands),
        answers_now=len(now), answers_in_file=len(new),
        answers_changed=sum(1 for q in set(now) | set(new) if now.get(q) != new.get(q)),
        other_councils=int(others[0]) if others else 0, is_demo=bool(demo and demo[0]), bands=bands)
    return p


def import_council_update(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, year: int | None, *,
                          by: str = "unknown", limit: int | None = None, report: Report | None = None) -> ImportResult:
    """Replace one council's answers in round `year` with the file's, in one transaction, or
    write nothing and raise ImportRefused.

    The council's answers held now move to responses_archive (replaced_by the new submission),
    so they can be recovered; its general comment is the file's. Every other council's rows are
    not touched. A file giving exactly the answers held now is a no-op that says so.
    """

    file_name = Path(str(file_name)).name or "upload"
    if (report is None or not report.council_update or report.checksum != checksum(data)
            or (year is not None and report.year != year)):
        report = validate_council_update(con, data, file_name, year, limit)
    if not report.ok or report.year is None:
        raise ImportRefused(report.summary(), report)
    year, code = report.year, report.councils[0]
    council = _council_name(con, year, code)
    new = _incoming(report.records)
    comment = report.council_comments.get(code)
    if _stored(con, year, code) == new and _current_comment(con, year, code) == comment:
        return ImportResult("unchanged", year, None, 1, len(report.records),
                            f"{council}'s answers in the {year} round are already those of {file_name}; nothing "
                            "was changed.")
    db.ensure_schema(con)
    now = datetime.now().replace(microsecond=0)
    who = (by or "unknown").strip()[:200] or "unknown"
    with write_refusals(report), db.transaction(con):
        # Read again inside the transaction: what is replaced is exactly what is archived.
        if not _round_exists(con, year):
            raise ImportRefused(f"The {year} round was removed a moment ago, so there is no council to "
                                "update; nothing was changed.", report)
        if geography.council_set_on(con, year) != report.council_set_on:
            raise ImportRefused(f"The {year} round's council set changed while the file was checked; "
                                "check it again and import again.", report)
        missing = [q for q in _round_questions(con, year, code) if q not in new]
        if missing:
            raise ImportRefused(f"The {year} round changed while the file was checked: it now asks "
                                f"{', '.join(missing)} of every council, and {file_name} does not answer "
                                f"{'it' if len(missing) == 1 else 'them'} for {code}. Nothing was changed; "
                                "check the file again and import again.", report)
        held = _stored(con, year, code)
        if held == new and _current_comment(con, year, code) == comment:
            return ImportResult("unchanged", year, None, 1, len(report.records),
                                f"{council}'s answers in the {year} round are already those of {file_name}; "
                                "nothing was changed.")
        replaced = _source_submission(con, year, code)
        inserted = con.execute(
            "INSERT INTO submissions (round_year, file_name, checksum, rows, councils, submitted_by, "
            "submitted_at, status) VALUES (?, ?, ?, ?, 1, ?, ?, 'current') RETURNING id",
            [year, file_name, report.checksum, len(report.records), who, now]).fetchone()
        assert inserted is not None  # RETURNING gives the one row inserted
        sid = int(inserted[0])
        con.execute("INSERT INTO responses_archive SELECT ?, ?, ?, * FROM responses "
                    "WHERE round_year = ? AND authority_code = ?", [replaced, sid, now, year, code])
        con.execute("DELETE FROM responses WHERE round_year = ? AND authority_code = ?", [year, code])
        commit._insert_records(con, report.records, year, "import", now)
        if comment:
            con.execute("INSERT INTO council_comments VALUES (?, ?, ?, ?)", [sid, year, code, comment])
        sentence = (f" {code}'s answers replaced from {file_name} (sha256 {report.checksum[:16]}) by {who} on "
                    f"{now:%d %B %Y %H:%M} (council update, submission {sid}).")
        con.execute("UPDATE survey_rounds SET provenance = provenance || ?, loaded_at = ? WHERE year = ?",
                    [sentence, now, year])
        con.execute(
            "INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (?, ?, 'council update', ?)",
            [now, who, f"Round {year}: only {council}'s answers replaced, as submission {sid} from {file_name} "
                       f"({len(report.records)} answers, sha256 {report.checksum}); its {len(held)} previous "
                       f"answers archived in responses_archive"
                       + (f" (from submission {replaced})" if replaced else "")
                       + "; every other council's answers unchanged."])
    return ImportResult("updated", year, sid, 1, len(report.records),
                        f"Updated {council}'s answers in the {year} round: {len(report.records)} answers (submission "
                        f"{sid}); every other council's answers are unchanged.")
