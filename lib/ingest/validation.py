"""Checking a Sheet of answers for one round and turning it into a Report.

The report lists every problem (row, column, value, reason) or, when there is none, the
answer records ready to write. The checks are those of the survey: the council is known and
in the round's council set, every answer is one of its question's options, providers only go
with answers that allow them, and no cell holds formula or script content.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import duckdb

from lib.ingest.cells import Cell, Entry, Part, _Column, long_entries, wide_entries
from lib.ingest.councils import CouncilMatcher
from lib.ingest.fileformat import COMMENT_SUFFIX, PROVIDER_SUFFIX
from lib.ingest.readers import Sheet, Unreadable, checksum, column_letter, read_sheet
from lib.ingest.report import Problem, Record, Report
from lib.reference import geography

PROVIDER_SEPARATORS = re.compile(r"[;,]")
#: Survey years accepted: the first survey (2012) to next year (a round is prepared ahead).
EARLIEST_YEAR = 2012
LATEST_YEAR = date.today().year + 1
_YEAR_TEXT = re.compile(r"[0-9]{4}")

#: Header spellings accepted for the identifying columns (compared case-insensitively).
COUNCIL_HEADERS = {"council", "authority", "authority_code", "council_code", "ons_code", "code"}
NAME_HEADERS = {"council_name", "authority_name", "name"}
ROUND_HEADERS = {"round", "round_year", "year"}
COMMENT_HEADERS = {"comment", "comments"}
IGNORED_HEADERS = {"data_note"}
LONG_QUESTION, LONG_ANSWER, LONG_PROVIDERS = "question", "answer", "providers"

_DATE_TEXT = re.compile(
    r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[- ](jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?:[- ]\d{2,4})?"
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[- ]\d{2,4})$",
    re.IGNORECASE,
)


def _option_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text)).casefold().replace("\u2019", "'")
    t = re.sub(r"[_\-']", " ", t).replace("  ", " ")
    return re.sub(r"\s+", " ", t).strip()


def _wording_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text)).casefold().replace("\u2019", "'")
    return re.sub(r"\s+", " ", t).strip().rstrip("?").strip()


@dataclass(frozen=True)
class QuestionInfo:
    id: str
    scored: bool
    asked_from: int
    answer_set: str
    wording: str


class Questionnaire:
    """Questions, answer options and providers as the database holds them (from the TOML files)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.questions = {
            r[0]: QuestionInfo(r[0], bool(r[1]), int(r[2]), r[3], r[4])
            for r in con.execute("SELECT id, scored, asked_from, answer_set, wording FROM questions "
                                 "ORDER BY (NOT scored), standard NULLS LAST, position").fetchall()
        }
        self.by_wording = {_wording_key(q.wording): q.id for q in self.questions.values()}
        self.options: dict[str, dict[str, str]] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self.allows: dict[tuple[str, str], bool] = {}
        for answer_set, value, label, allows in con.execute(
                "SELECT answer_set, value, label, allows_providers FROM answer_options "
                "ORDER BY answer_set, position").fetchall():
            self.options.setdefault(answer_set, {})[_option_key(value)] = value
            self.options[answer_set].setdefault(_option_key(label), value)
            self.labels.setdefault(answer_set, {})[value] = label
            self.allows[(answer_set, value)] = bool(allows)
        self.provider_sets = {s for (s, _), a in self.allows.items() if a}
        self.providers: dict[str, str] = {}
        self.provider_labels = dict(con.execute("SELECT key, label FROM providers ORDER BY key").fetchall())
        for key, label in self.provider_labels.items():
            self.providers[_option_key(key)] = key
            self.providers.setdefault(_option_key(label), key)

    def find(self, header: str) -> str | None:
        """The question id a header names: its id or its wording (case and '?' ignored)."""
        text = header.strip()
        if text.casefold() in self.questions:
            return text.casefold()
        return self.by_wording.get(_wording_key(text))

    def suggest(self, header: str) -> str:
        ids = difflib.get_close_matches(header.strip().casefold(), list(self.questions), n=3, cutoff=0.6)
        if not ids:
            return ("Use a question id from the template (for example emp_payroll) or the question's "
                    "wording exactly.")
        return "Did you mean " + " or ".join(ids) + "?"

    def allowed_text(self, answer_set: str) -> str:
        return "; ".join(f"{label} ({value})" for value, label in self.labels.get(answer_set, {}).items())

    def answer(self, answer_set: str, text: str) -> str | None:
        return self.options.get(answer_set, {}).get(_option_key(text))

    def provider(self, text: str) -> str | None:
        return self.providers.get(_option_key(text))


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

#: HTML markup: '<' directly followed by a letter, '/', '!' or '?' (a tag, a comment, a declaration).
_MARKUP = re.compile(r"<\s*[a-z!/?]", re.IGNORECASE)
#: Addresses a browser runs as code, compared after HTML entities, spaces and controls are removed.
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html", "data:image/svg", "data:application/")
_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f\u00ad\u200b-\u200f\u2060\ufeff]+")


def _unsafe(text: str) -> str | None:
    """Why a text cell must not be stored (it could run in a spreadsheet or a browser), or None.

    One policy for every text cell and header: refused are formula starts (= + - @ tab CR), HTML
    markup (any '<' followed by a letter, '/', '!' or '?': <script>, <img onerror>, <svg onload>,
    <iframe>, <!-- -->), and script addresses (javascript:, vbscript:, livescript:, data:text/html,
    data:image/svg…), also when written with HTML entities (&#106;avascript:), mixed case, or
    spaces and invisible characters inside. A lone '<' (as in "< 5 councils") is fine.
    """
    if not text:
        return None
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        return ("formula content: the cell starts with '" + text[0].replace("\t", "\\t").replace("\r", "\\r")
                + "', which a spreadsheet would run as a formula. Remove the leading character.")
    decoded = text
    for _ in range(3):  # &amp;#106; decodes in two steps
        step = html.unescape(decoded)
        if step == decoded:
            break
        decoded = step
    squashed = _INVISIBLE.sub("", decoded).casefold()
    if _MARKUP.search(decoded) or _MARKUP.search(squashed):
        return ("script content: the cell contains HTML markup (a '<' followed by a tag name, such as <script>, "
                "<img>, <svg> or <iframe>), which a browser could run. Remove the angle brackets.")
    scheme = next((s for s in _SCRIPT_SCHEMES if s in squashed), None)
    if scheme:
        return (f"script content: the cell contains the script address '{scheme}', which a browser could run. "
                "Remove it.")
    return None


Cache = dict[str, tuple[str | None, str | None]]


class _Checks:
    """The rules for single cells, each stated once and applied to a cell of either layout."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sheet: Sheet, report: Report) -> None:
        self.con = con
        self.sheet = sheet
        self.report = report
        self.q = Questionnaire(con)

    def problem(self, row: int | None, col: _Column | None, value: str | None, reason: str) -> None:
        cell = f"{col.letter}{row}" if col is not None and row is not None else None
        self.report.add(Problem(row, col.header if col is not None else None, value, reason, cell))

    def is_date(self, row: int, col: _Column, text: str) -> bool:
        return (row, col.index) in self.sheet.dates or bool(_DATE_TEXT.match(text))

    def checked(self, row: int, col: _Column, text: str, *, dates_ok: bool = False) -> bool:
        """False (with a problem) for formula/script content or a date where text is expected."""
        if not text:
            return True
        reason = _unsafe(text)
        if reason:
            self.problem(row, col, text, reason)
            return False
        if not dates_ok and self.is_date(row, col, text):
            self.problem(row, col, text, "Excel date where text is expected: the cell holds a date, not "
                         "an answer. Excel may have turned the text into a date; format the column as "
                         "Text and type the answer again.")
            return False
        return True

    def council(self, matcher: CouncilMatcher, row: int, part: Part, cache: Cache) -> str | None:
        col, text = part.column, part.text
        if not text:
            self.problem(row, col, None, "missing required answer: every row needs a council (ONS code or name).")
            return None
        if not self.checked(row, col, text):
            return None
        if text not in cache:
            cache[text] = matcher.match(text)
        code, reason = cache[text]
        if code is None:
            self.problem(row, col, text, reason or "unknown council")
        return code

    def council_name(self, matcher: CouncilMatcher, row: int, council: Part, name: Part, code: str,
                     cache: Cache) -> str | None:
        """Check a council_name cell against the council matched from the council cell: when both
        are given they must name the same council (never guess which of the two is right)."""
        text = name.text
        if not text:
            return code
        if not self.checked(row, name.column, text):
            return None
        if text not in cache:
            cache[text] = matcher.match(text)
        named, reason = cache[text]
        if named == code:
            return code
        said = matcher.label(named) if named else f"no single council ({reason})"
        self.problem(row, name.column, text, f"council and council_name disagree: the council column says "
                     f"'{council.text}', which is {matcher.label(code)}, but the council_name column says '{text}', "
                     f"which is {said}. Correct one of the two so they name the same council.")
        return None

    def question(self, row: int, part: Part, year: int) -> str | None:
        """The question a question cell names (long layout), if it is one asked in `year`."""
        col, text = part.column, part.text
        if not text:
            self.problem(row, col, None, "missing required answer: every row needs a question id.")
            return None
        if not self.checked(row, col, text):
            return None
        qid = self.q.find(text)
        if qid is None:
            self.problem(row, col, text, f"unknown question: not a question id or a question's wording. "
                         f"{self.q.suggest(text)}")
            return None
        if not self.asked(qid, year):
            self.problem(row, col, text, self.not_asked(qid, year))
            return None
        return qid

    def answer(self, row: int, part: Part, qid: str) -> str | None:
        info = self.q.questions[qid]
        if not self.checked(row, part.column, part.text):
            return None
        value = self.q.answer(info.answer_set, part.text)
        if value is None:
            self.problem(row, part.column, part.text, f"answer not among the options for {qid}. Allowed: "
                         f"{self.q.allowed_text(info.answer_set)}.")
        return value

    def providers(self, row: int, part: Part | None, qid: str, answer: str | None) -> tuple[str, ...] | None:
        if part is None or not part.text:
            return ()
        col, text = part.column, part.text
        if not self.checked(row, col, text):
            return None
        info = self.q.questions[qid]
        keys: list[str] = []
        bad = False
        for piece in (p.strip() for p in PROVIDER_SEPARATORS.split(text)):
            if not piece:
                continue
            key = self.q.provider(piece)
            if key is None:
                allowed = "; ".join(f"{k} ({v})" for k, v in self.q.provider_labels.items())
                self.problem(row, col, piece, f"unknown provider. Allowed: {allowed}; separate several with ';'.")
                bad = True
            elif key not in keys:
                keys.append(key)
        if bad:
            return None
        if answer is not None and not self.q.allows.get((info.answer_set, answer), False):
            label = self.q.labels.get(info.answer_set, {}).get(answer, answer)
            self.problem(row, col, text, f"provider given with an answer that does not allow providers: "
                         f"the answer to {qid} is '{label}', so no one can be providing it. Clear the "
                         "providers or change the answer.")
            return None
        return tuple(sorted(keys))

    def comment(self, row: int, part: Part | None) -> str | None:
        if part is None or not part.text:
            return None
        return part.text if self.checked(row, part.column, part.text, dates_ok=True) else None

    def asked(self, qid: str, year: int) -> bool:
        return self.q.questions[qid].asked_from <= year

    def not_asked(self, qid: str, year: int) -> str:
        return (f"question not in the {year} questionnaire: {qid} was first asked in "
                f"{self.q.questions[qid].asked_from}. Remove it or leave it blank.")


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

