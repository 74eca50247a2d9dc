"""Checking a Sheet of answers for one round and turning it into a Report.

The report lists every problem (row, column, value, reason) or, when there is none, the
answer records ready to write. The checks are those of the survey: the council is known and
in the round's council set, every answer is one of its question's options, providers only go
with answers that allow them, and no cell holds formula or script content.

The rules live in lib.ingest.cell_rules and the header's in lib.ingest.header; here they are
driven over a sheet: the header first, then every entry of the sheet, then what is missing.
"""

from __future__ import annotations

from datetime import date

import duckdb

from lib.ingest.cell_rules import Cache
from lib.ingest.cells import Cell, Entry, _Column, long_entries, wide_entries
from lib.ingest.councils import CouncilMatcher
from lib.ingest.header import IGNORED_HEADERS, _Header
from lib.ingest.readers import read_sheet
from lib.ingest.report import Problem, Record, Report
from lib.ingest.sheet import Unreadable, checksum
from lib.reference import geography

_MISSING = {
    "wide": "missing required answer: {} is a scored question in this file, so every council must answer it "
            "('Don't know' is an answer).",
    "long": "missing required answer: {} is a scored question, so it needs an answer ('Don't know' is an answer).",
}


class _Validator(_Header):
    """Turns a Sheet into a Report for one round; one instance per file.

    Both layouts reach the rules as one stream of entries (lib.ingest.cells): only the header
    checks and the making of the stream depend on the layout.
    """

    def body(self, cols: list[_Column], year: int, day: date) -> None:
        """Check every entry and answer cell of the sheet, then the answers missing altogether;
        councils against those valid on `day` (the round's council-set day)."""
        self.year, self.matcher = year, CouncilMatcher(self.con, year, day)
        self.cache: Cache = {}
        self.first_row: dict[str, int] = {}  # council -> first row accepted for it
        self.seen: dict[tuple[str, str], int] = {}  # (council, question) -> row answering it
        self.per_council = self.report.layout == "wide"  # one row per council, or one per answer
        if self.per_council:
            self.wide_columns(cols, year)
            self.questions = [c.qid for c in cols if c.kind == "answer" and self.asked(c.qid, year)]
            entries = wide_entries(self.sheet, cols, lambda qid: self.asked(qid, year))
        else:
            self.questions = []  # the file's questionnaire: those its rows name
            entries = long_entries(self.sheet, cols)
        for entry in entries:
            self.entry(entry)
        council_col = next(c for c in cols if c.kind == "council")
        required = [q for q in self.questions if self.q.questions[q].scored]
        for code, number in self.first_row.items():
            for qid in required:
                if (code, qid) not in self.seen:
                    self.problem(number, council_col, code, f"missing required answer: no row answers {qid} "
                                 "for this council, though the file asks it of other councils.")
        self.report.councils = list(self.first_row)
        self.report.council_rows = dict(self.first_row)
        self.report.council_column = (council_col.header, council_col.letter)
        self.report.questions = self.questions

    def entry(self, entry: Entry) -> None:
        """One sheet row: whose it is, then each of its answer cells, then the council's comment."""
        row, council = entry.row, entry.council
        code = self.council(self.matcher, row, council, self.cache)
        if code is not None and entry.name is not None:
            code = self.council_name(self.matcher, row, council, entry.name, code, self.cache)
        if entry.blank:
            # "Did not respond" only for a row whose council is known and every answer blank.
            if code is not None:
                self.report.skipped_rows += 1
            return
        if code is not None and self.per_council and code in self.first_row:
            self.problem(row, council.column, council.text, f"duplicate council: {self.matcher.label(code)} is "
                         f"already on row {self.first_row[code]}. One row per council.")
            code = None
        if code is not None:
            self.first_row.setdefault(code, row)
        records = [r for r in (self.cell(cell, code) for cell in entry.cells) if r is not None]
        note = self.comment(row, entry.comment)
        if code is not None:
            self.report.records.extend(records)
            if note:
                self.report.council_comments[code] = note

    def cell(self, cell: Cell, code: str | None) -> Record | None:
        """One answer cell: its question, its answer, providers and comment; a Record if all is well."""
        row, qid = cell.row, cell.question_id
        if cell.question is not None:
            qid = self.question(row, cell.question, self.year)
            if qid is not None and qid not in self.questions:
                self.questions.append(qid)
        if qid is None:
            return None
        if code is not None and (code, qid) in self.seen:
            place = cell.question or cell.answer
            self.problem(row, place.column, place.text, f"duplicate answer: {self.matcher.label(code)} already "
                         f"answered {qid} on row {self.seen[(code, qid)]}.")
            return None
        if code is not None:
            self.seen[(code, qid)] = row
        if not cell.answer.text:
            if self.q.questions[qid].scored:
                self.problem(row, cell.answer.column, None, _MISSING[self.report.layout or "wide"].format(qid))
            if cell.providers is not None and cell.providers.text:
                self.problem(row, cell.providers.column, cell.providers.text, "providers given for a question "
                             "that is not answered. Give the answer too, or clear the providers.")
            return None
        value = self.answer(row, cell.answer, qid)
        chosen = self.providers(row, cell.providers, qid, value)
        note = self.comment(row, cell.comment)
        if code is None or value is None or chosen is None:
            return None
        return Record(code, qid, value, chosen, note)

    def finish(self, year: int) -> None:
        if self.report.problems:
            self.report.records.clear()
            self.report.council_comments.clear()
            return
        if not self.report.records:
            self.report.add(Problem(None, None, None, "no answers in the file: every council row is blank "
                                    "apart from the council. Fill in the answers and try again."))
            return
        if self.report.skipped_rows:
            n = self.report.skipped_rows
            self.report.warnings.append(f"{n} row{'s' if n != 1 else ''} with a council but no answers "
                                        f"{'were' if n != 1 else 'was'} skipped (taken as not responding).")
        note_cols = [i for i, h in enumerate(self.sheet.header) if h.strip().casefold() in IGNORED_HEADERS]
        if any("synthetic" in cells[i].casefold() for i in note_cols for _, cells in self.sheet.rows):
            self.report.warnings.append("The file's data_note column says it is based on synthetic demonstration "
                                        "data. Import it only if these are a council's real answers.")
        missing = [q.id for q in self.q.questions.values()
                   if q.scored and q.asked_from <= year and q.id not in self.report.questions]
        if missing:
            self.report.warnings.append(
                f"{len(missing)} scored question{'s' if len(missing) != 1 else ''} of the {year} question bank "
                f"{'are' if len(missing) != 1 else 'is'} not in the file ({', '.join(missing)}); standards "
                "with no answered question will show 'no evidence'.")


def validate(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, year: int | None = None,
             limit: int | None = None, council_set_on: date | None = None) -> Report:
    """Read and check a file of answers for a round. Never raises for a bad file: every failure
    is a problem in the report. `year` None takes the round from the file's round column.

    Councils are checked against the round's council set: the councils valid on its stored
    council-set day, or for a new round on `council_set_on` (default 1 April of its year). A
    round that exists keeps its day, so a different `council_set_on` for it is a problem.
    """
    report = Report(file_name=str(file_name), checksum=checksum(data), size=len(data), year=year)
    try:
        sheet = read_sheet(data, file_name, limit)
    except Unreadable as exc:
        if exc.rows:
            for row, reason in exc.rows:
                report.add(Problem(row, None, None, reason))
        else:
            report.add(Problem(None, None, None, f"unreadable file: {exc}" if exc.damaged else str(exc)))
        return report
    report.file_type = sheet.file_type
    report.sheet = sheet.sheet_name
    report.warnings.extend(sheet.notes)
    checker = _Validator(con, sheet, report)
    cols = checker.columns()
    if cols is None:
        return report
    year = checker.round_year(cols, year)
    report.year = year
    if year is None:
        return report
    stored = con.execute("SELECT council_set_on FROM survey_rounds WHERE year = ?", [year]).fetchall()
    if stored and council_set_on is not None and stored[0][0] != council_set_on:
        report.add(Problem(None, None, None,
                           f"wrong council-set day: the {year} round already holds the councils of "
                           f"{geography.describe_day(stored[0][0])}, and a replacement keeps them. Leave "
                           "the council-set day out, or give that day."))
        return report
    report.council_set_on = stored[0][0] if stored else (council_set_on or geography.default_council_set_on(year))
    checker.body(cols, year, report.council_set_on)
    checker.finish(year)
    return report
