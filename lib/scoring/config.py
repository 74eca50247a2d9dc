"""The standards, question bank and scoring rules of standards/*.toml as the rest of the code
sees them: frozen dataclasses, made and checked by lib.scoring.standards.load_config, and the
Problem a check reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lib.base.paths import STANDARDS_DIR
from lib.base.rounding import shown

#: Whom a question asks about (questions.toml `audience`), and how each is named on the pages.
AUDIENCES = ("employers", "pas", "council")
AUDIENCE_LABELS = {"employers": "Employers", "pas": "Personal assistants", "council": "Council"}
#: What an answer means for the support it asks about (scoring.toml [outcomes]).
OUTCOMES = ("has", "partly", "lacks", "unknown")
#: The only ways of making an overall score and of rounding that the scoring views implement.
OVERALL_METHODS = ("weighted_mean_of_standards",)
# How an unknown ("Don't know") or missing answer is scored: as the question's worst known answer.
UNKNOWN_ANSWER_RULES = ("worst_answer",)
ROUNDING_RULES = ("half_up",)


@dataclass(frozen=True)
class Problem:
    """One inconsistency found in a standards file."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}, field '{self.field}': {self.message}"


class StandardsConfigError(ValueError):
    """Raised when standards/*.toml are inconsistent; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the standards files:\n{lines}")


@dataclass(frozen=True)
class AnswerOption:
    value: str
    label: str
    score: float | None
    outcome: str = "unknown"

    @property
    def unknown(self) -> bool:
        return self.outcome == "unknown"


@dataclass(frozen=True)
class AnswerSet:
    key: str
    label: str
    options: tuple[AnswerOption, ...]
    providers: bool = False
    provider_options: tuple[str, ...] = ()

    def option(self, value: str) -> AnswerOption | None:
        return next((o for o in self.options if o.value == value), None)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Standard:
    number: int
    short_name: str
    statement: str
    looks_like: str
    source: str
    recommendations: tuple[int, ...]
    actions: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Question:
    id: str
    standard: int | None
    audience: str
    topic: str
    wording: str
    help: str
    answer_set: str
    scored: bool
    weight: float
    report_ref: str
    asked_from: int
    position: int = 0


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    min: float
    description: str
    colour: str = "#BFBFBF"
    tint: str = "#F2F2F2"


@dataclass(frozen=True)
class DisplayRule:
    """How scores are shown: `decimals` places, rounded half up (scoring.toml [display])."""

    decimals: int = 0
    rounding: str = "half_up"


@dataclass(frozen=True)
class StandardsConfig:
    """Everything in standards/*.toml, validated."""

    standards: tuple[Standard, ...]
    questions: tuple[Question, ...]
    answer_sets: dict[str, AnswerSet]
    bands: tuple[Band, ...]
    providers: dict[str, str]
    min_standards_for_rank: int
    source_dir: Path = field(default=STANDARDS_DIR)
    display: DisplayRule = field(default_factory=DisplayRule)
    outcomes: dict[str, str] = field(default_factory=dict)
    overall_method: str = OVERALL_METHODS[0]

    def standard(self, number: int) -> Standard:
        return next(s for s in self.standards if s.number == number)

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def questions_for(self, number: int) -> list[Question]:
        return [q for q in self.questions if q.standard == number]

    def band_for(self, score: float | None) -> Band | None:
        """The band a 0-100 score falls in, judged on the score as shown (rounded by the display
        rule, so 74.5 is shown as 75 and is in the band that starts at 75)."""
        if score is None:
            return None
        value = shown(score, self.display.decimals)
        assert value is not None, "a NaN score has no band"  # shown() is None only for NaN here
        return next((b for b in self.bands if value >= b.min), self.bands[-1])
