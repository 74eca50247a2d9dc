"""What validation hands back: the Report of a file, its Problems and the Records to write.

A problem is located as the user sees it in a spreadsheet (row, column header, cell such as
C7, the value); the report keeps at most MAX_PROBLEMS of them and counts the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import pandas as pd

from lib.base.formatting import DASH, shorten

#: At most this many problems are listed; the report says how many more there were.
MAX_PROBLEMS = 500


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, located the way the user sees it in a spreadsheet."""

    row: int | None
    column: str | None
    value: str | None
    reason: str
    cell: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        if self.cell:
            where.append(f"cell {self.cell}")
        value = f" {shorten(self.value)!r}:" if self.value not in (None, "") else ""
        place = ", ".join(where) or "file"
        return f"{place[0].upper()}{place[1:]}:{value} {self.reason}"


@dataclass(frozen=True)
class Record:
    """One answer ready to write into `responses`."""

    authority_code: str
    question_id: str
    answer: str
    providers: tuple[str, ...] = ()
    comment: str | None = None


@dataclass
class Report:
    """What validation found: problems (nothing may be written) or the records to write."""

    file_name: str
    checksum: str
    size: int
    year: int | None = None
    #: The round's council-set day: the answers were checked against the councils valid on it.
    council_set_on: date | None = None
    file_type: str | None = None
    sheet: str | None = None
    layout: Literal["wide", "long"] | None = None
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    warnings: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    council_comments: dict[str, str] = field(default_factory=dict)
    councils: list[str] = field(default_factory=list)
    #: council -> the first row of the file holding its answers; the council column (header, letter)
    council_rows: dict[str, int] = field(default_factory=dict)
    council_column: tuple[str, str] | None = None
    #: Checked as a council update (lib.ingest.council_update): one council's answers in a loaded round.
    council_update: bool = False
    questions: list[str] = field(default_factory=list)
    skipped_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more_problems

    @property
    def source(self) -> str:
        """The file name, and for a workbook the sheet read: "answers.xlsx (sheet 'responses')"."""
        return f"{self.file_name} (sheet '{self.sheet}')" if self.sheet else self.file_name

    def summary(self) -> str:
        """One plain-English sentence on the outcome."""
        if self.problems:
            n = self.problem_count
            return (f"{self.source}: {n} problem{'s' if n != 1 else ''} found, so nothing can be "
                    "imported. Correct the file and try again.")
        if self.council_update and len(self.councils) == 1:
            return (f"{self.source}: {len(self.records)} answers from one council for the {self.year} round, "
                    "ready to import as a council update.")
        return (f"{self.source}: {len(self.councils)} council{'s' if len(self.councils) != 1 else ''} "
                f"and {len(self.records)} answers for the {self.year} round, ready to import.")

    def problem_table(self) -> pd.DataFrame:
        """The problems as text for a table (Row, Column, Cell, Value, Problem), no blanks."""
        rows = [{
            "Row": str(p.row) if p.row is not None else DASH,
            "Column": p.column or DASH,
            "Cell": p.cell or DASH,
            "Value": shorten(p.value) if p.value not in (None, "") else DASH,
            "Problem": p.reason,
        } for p in sorted(self.problems, key=lambda p: -1 if p.row is None else p.row)]
        return pd.DataFrame(rows, columns=["Row", "Column", "Cell", "Value", "Problem"])

    def lines(self) -> list[str]:
        """The report as text lines for the command line."""
        out = [self.summary()]
        out += [f"  - {p}" for p in self.problems]
        if self.more_problems:
            out.append(f"  ... and {self.more_problems} more problems")
        out += [f"  note: {w}" for w in self.warnings]
        return out
