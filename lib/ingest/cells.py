"""Both sheet layouts as one stream of answer cells, so the validator has a single path.

A wide sheet has one row per council and one column per question; a long sheet has one row
per answer (council, question, answer, providers, comment). Each is turned here into the same
stream: one `Entry` per non-blank sheet row, naming the council it is for and holding the
answer `Cell`s found on that row (many in a wide row, one in a long row). Every part of a cell
keeps its column, and the entry its row, so a problem names the place exactly as the user sees
it. Nothing is checked here: lib.ingest.validation applies all rules (lib.ingest.cell_rules) to
the stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lib.ingest.sheet import Sheet, column_letter


@dataclass
class _Column:
    index: int
    header: str
    kind: str  # council, name, round, comment, ignore, answer, providers, qcomment, question, long_*
    question: str | None = None

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def qid(self) -> str:
        """The question of an answer, providers or qcomment column (always set for those kinds)."""
        assert self.question is not None, f"column {self.letter} ({self.kind}) has no question"
        return self.question


@dataclass(frozen=True)
class Part:
    """The text of one sheet cell and the column it is in (the row is its entry's)."""

    column: _Column
    text: str


@dataclass(frozen=True)
class Cell:
    """One answer: the question it answers, the answer text, and its providers and comment.

    The question is known from the header in the wide layout (`question_id`); in the long
    layout it is read from the row's question cell (`question`) by the validator.
    """

    row: int
    answer: Part
    question_id: str | None = None
    question: Part | None = None
    providers: Part | None = None
    comment: Part | None = None


@dataclass(frozen=True)
class Entry:
    """One sheet row: the council it is for and the answer cells on it.

    `name` is the council_name cell, checked against the council. `comment` is the council's
    general comment (wide only: in the long layout the comment column belongs to each answer).
    `blank` is True for a row with a council but no answer, provider or comment at all, which
    may be "did not respond"; a long row always holds a question, so it is never blank.
    """

    row: int
    council: Part
    cells: list[Cell]
    name: Part | None = None
    comment: Part | None = None
    blank: bool = False


def _part(col: _Column | None, cells: list[str]) -> Part | None:
    return Part(col, cells[col.index]) if col is not None else None


def _first(cols: list[_Column], kind: str) -> _Column | None:
    return next((c for c in cols if c.kind == kind), None)


def wide_entries(sheet: Sheet, cols: list[_Column], asked: Callable[[str], bool]) -> Iterator[Entry]:
    """Wide layout: every answer column of a question `asked` that year gives a cell per row,
    with the row's `<id>__providers` and `<id>__comment` cells beside it."""
    council = _first(cols, "council")
    assert council is not None  # columns() refuses a sheet without one
    name, general = _first(cols, "name"), _first(cols, "comment")
    answers = [c for c in cols if c.kind == "answer"]
    providers = {c.qid: c for c in cols if c.kind == "providers"}
    qcomments = {c.qid: c for c in cols if c.kind == "qcomment"}
    data = answers + list(providers.values()) + list(qcomments.values()) + ([general] if general else [])
    for number, cells in sheet.rows:
        if not any(cells):
            continue
        row = [Cell(number, Part(col, cells[col.index]), col.qid, None,
                    _part(providers.get(col.qid), cells), _part(qcomments.get(col.qid), cells))
               for col in answers if asked(col.qid)]
        yield Entry(number, Part(council, cells[council.index]), row, _part(name, cells),
                    _part(general, cells), not any(cells[c.index] for c in data))


def long_entries(sheet: Sheet, cols: list[_Column]) -> Iterator[Entry]:
    """Long layout: each row is one answer cell, its question named in the question column; a
    council_name column, when there is one, is checked against the council on every row."""
    col = {c.kind: c for c in cols}
    council, question, answer = col["council"], col["long_question"], col["long_answer"]
    providers, comment, name = col.get("long_providers"), col.get("comment"), col.get("name")
    for number, cells in sheet.rows:
        if not any(cells):
            continue
        cell = Cell(number, Part(answer, cells[answer.index]), None, Part(question, cells[question.index]),
                    _part(providers, cells), _part(comment, cells))
        yield Entry(number, Part(council, cells[council.index]), [cell], _part(name, cells))
