"""The header row of a sheet: its layout, what each column holds, and the round the file is for.

A column is the council, its name, the round, a comment, a question (by id or wording) with its
providers and comment columns, or in the long layout question, answer and providers. The round
comes from the caller or from the round column, and must be one survey year.
"""

from __future__ import annotations

import re
from datetime import date

from lib.ingest.cell_rules import _Checks, _unsafe
from lib.ingest.cells import _Column
from lib.ingest.fileformat import COMMENT_SUFFIX, COUNCIL_HEADERS, PROVIDER_SUFFIX
from lib.ingest.report import Problem
from lib.ingest.sheet import column_letter

#: Survey years accepted: the first survey (2012) to next year (a round is prepared ahead).
EARLIEST_YEAR = 2012
LATEST_YEAR = date.today().year + 1
_YEAR_TEXT = re.compile(r"[0-9]{4}")

#: Header spellings accepted for the identifying columns (compared case-insensitively).
NAME_HEADERS = {"council_name", "authority_name", "name"}
ROUND_HEADERS = {"round", "round_year", "year"}
COMMENT_HEADERS = {"comment", "comments"}
IGNORED_HEADERS = {"data_note"}
LONG_QUESTION, LONG_ANSWER, LONG_PROVIDERS = "question", "answer", "providers"


class _Header(_Checks):
    """The header row: the layout, what each column holds, and the round the file is for."""

    def columns(self) -> list[_Column] | None:
        header = self.sheet.header
        keys = [h.strip().casefold() for h in header]
        long = LONG_QUESTION in keys and LONG_ANSWER in keys
        self.report.layout = "long" if long else "wide"
        cols: list[_Column] = []
        seen: dict[tuple[str, str | None], _Column] = {}
        hr = self.sheet.header_row
        for i, text in enumerate(header):
            col = _Column(i, text or f"(no header, column {column_letter(i)})", "")
            key = keys[i]
            if not text:
                if any(cells[i] for _, cells in self.sheet.rows):
                    self.problem(hr, col, None, "column with no header: it holds values but no question "
                                 "id. Add the question id in the header row or delete the column.")
                continue
            reason = _unsafe(text)
            if reason:
                self.problem(hr, col, text, reason)
                continue
            if key in COUNCIL_HEADERS:
                col.kind = "council"
            elif key in NAME_HEADERS:
                col.kind = "name"
            elif key in ROUND_HEADERS:
                col.kind = "round"
            elif key in IGNORED_HEADERS:
                col.kind = "ignore"
            elif long and key in (LONG_QUESTION, LONG_ANSWER, LONG_PROVIDERS):
                col.kind = f"long_{key}"
            elif key in COMMENT_HEADERS:
                col.kind = "comment"
            elif not long and key.endswith(PROVIDER_SUFFIX) and self.q.find(text[: -len(PROVIDER_SUFFIX)]):
                col.kind, col.question = "providers", self.q.find(text[: -len(PROVIDER_SUFFIX)])
            elif not long and key.endswith(COMMENT_SUFFIX) and self.q.find(text[: -len(COMMENT_SUFFIX)]):
                col.kind, col.question = "qcomment", self.q.find(text[: -len(COMMENT_SUFFIX)])
            elif not long and self.q.find(text):
                col.kind, col.question = "answer", self.q.find(text)
            else:
                hint = (self.q.suggest(text.split("__")[0]) if not long else
                        "A long-format file has the columns council, question, answer, providers and "
                        "comment.")
                self.problem(hr, col, text, f"unknown question (column): this header is not a question "
                             f"id, a question's wording or a known column. {hint}")
                continue
            ident = (col.kind, col.question)
            if ident in seen:
                first = seen[ident]
                what = f"question {col.question}" if col.question else f"the {col.kind} column"
                self.problem(hr, col, text, f"duplicate column: column {first.letter} ({first.header}) "
                             f"already holds {what}. Keep one of the two.")
                continue
            seen[ident] = col
            cols.append(col)
        kinds = {c.kind for c in cols}
        if "council" not in kinds:
            self.report.add(Problem(hr, None, None, "no council column: add a column headed 'council' "
                                    "holding each council's ONS code or name."))
            return None
        if long and not {"long_question", "long_answer"} <= kinds:
            return None
        if not long and "answer" not in kinds:
            self.report.add(Problem(hr, None, None, "no question columns: the header row must name the "
                                    "questions (ids such as emp_payroll, or their wording)."))
            return None
        return cols

    def wide_columns(self, cols: list[_Column], year: int) -> None:
        """Header problems only a wide sheet can have: providers or comments for a question with
        no column, and a column for a question not asked in `year` that holds answers."""
        by_q = {c.qid for c in cols if c.kind == "answer"}
        extras = [c for c in cols if c.kind == "providers"] + [c for c in cols if c.kind == "qcomment"]
        for col in extras:
            if col.qid not in by_q:
                self.problem(self.sheet.header_row, col, col.header, f"unknown question (column): there is "
                             f"no {col.qid} column for these {'providers' if col.kind == 'providers' else 'comments'}.")
        for col in cols:
            if (col.kind == "answer" and not self.asked(col.qid, year)
                    and any(cells[col.index] for _, cells in self.sheet.rows)):
                self.problem(self.sheet.header_row, col, col.header, self.not_asked(col.qid, year))

    def round_year(self, cols: list[_Column], year: int | None) -> int | None:
        col = next((c for c in cols if c.kind == "round"), None)
        values: dict[int, list[int]] = {}
        problems_before = self.report.problem_count
        if col is not None:
            for number, cells in self.sheet.rows:
                text = cells[col.index]
                if not text or not any(cells):
                    continue
                if not self.checked(number, col, text, dates_ok=False):
                    continue
                if not _YEAR_TEXT.fullmatch(text):
                    self.problem(number, col, text, "wrong round year: the round must be a whole year of four "
                                 "digits, such as 2016.")
                elif not EARLIEST_YEAR <= int(text) <= LATEST_YEAR:
                    self.problem(number, col, text, f"wrong round year: {text} is outside the survey years "
                                 f"{EARLIEST_YEAR} to {LATEST_YEAR}. Correct the round column.")
                else:
                    values.setdefault(int(text), []).append(number)
        if year is None and self.report.problem_count > problems_before:
            return None
        if year is None:
            if len(values) == 1:
                year = next(iter(values))
            elif not values:
                self.report.add(Problem(None, None, None, "the survey round is not given: choose the round "
                                        "(--round YEAR) or add a 'round' column."))
                return None
            else:
                self.report.add(Problem(None, col.header if col else None, None,
                                        "the round column holds several years ("
                                        + ", ".join(str(y) for y in sorted(values))
                                        + "); one file holds one round."))
                return None
        if isinstance(year, bool) or not isinstance(year, int) or not EARLIEST_YEAR <= year <= LATEST_YEAR:
            self.report.add(Problem(None, None, str(year), f"wrong round year: {year} is not a survey year; "
                                    f"choose a whole year from {EARLIEST_YEAR} to {LATEST_YEAR}."))
            return None
        if len(values) == 1 and year not in values:
            # One year throughout, just not the one chosen: one problem, not one per row.
            assert col is not None  # values are only read from the round column
            other, rows = next(iter(values.items()))
            self.report.add(Problem(None, col.header, str(other), f"wrong round year: every row of the file says "
                                    f"{other}, but it is being imported as the {year} round. Choose the "
                                    f"{other} round, or correct the round column."))
            return year
        for other, rows in sorted(values.items()):
            if other != year:
                for number in rows:
                    self.problem(number, col, str(other), f"wrong round year: this file is being imported "
                                 f"as the {year} round, but the row says {other}.")
        return year
