"""The rules for single cells, each stated once and applied to a cell of either layout.

A cell is refused for formula or script content (`_unsafe`, the one policy for every text the
tool stores), for a date where text is expected, or for a value that is not what its column
holds: an unknown council, question, answer or provider, or providers with an answer that does
not allow them. Each refusal is a Problem naming the cell.
"""

from __future__ import annotations

import html
import re

import duckdb

from lib.ingest.cells import Part, _Column
from lib.ingest.councils import CouncilMatcher
from lib.ingest.questionnaire import Questionnaire
from lib.ingest.report import Problem, Report
from lib.ingest.sheet import Sheet

PROVIDER_SEPARATORS = re.compile(r"[;,]")

_DATE_TEXT = re.compile(
    r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[- ](jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?:[- ]\d{2,4})?"
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[- ]\d{2,4})$",
    re.IGNORECASE,
)

#: HTML markup: '<' directly followed by a letter, '/', '!' or '?' (a tag, a comment, a declaration).
_MARKUP = re.compile(r"<\s*[a-z!/?]", re.IGNORECASE)
#: Addresses a browser runs as code, compared after HTML entities, spaces and controls are removed.
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html", "data:image/svg", "data:application/")
#: Characters a spreadsheet does not show and the CSV reader refuses in a cell (tab, line feed and
#: carriage return are allowed: a quoted cell may hold them).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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
