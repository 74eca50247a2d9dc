"""Load and validate the standards, question bank and scoring rules kept in standards/*.toml.

The TOML files are meant to be edited by analysts, so every inconsistency is reported with
the file, the entry and the field it concerns, and all problems are reported at once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.paths import STANDARDS_DIR

STANDARD_NUMBERS = tuple(range(1, 10))
RECOMMENDATION_NUMBERS = tuple(range(1, 12))
AUDIENCES = ("employers", "pas", "council")
AUDIENCE_LABELS = {"employers": "Employers", "pas": "Personal assistants", "council": "Council"}
MAX_WEIGHT = 5.0
FIRST_ROUND = 2012
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


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
    unknown: bool = False


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

    def standard(self, number: int) -> Standard:
        return next(s for s in self.standards if s.number == number)

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def questions_for(self, number: int) -> list[Question]:
        return [q for q in self.questions if q.standard == number]

    def band_for(self, score: float | None) -> Band | None:
        """The band a 0-100 score falls in (bands are kept highest first)."""
        if score is None:
            return None
        return next((b for b in self.bands if score >= b.min), self.bands[-1])


def _read_toml(path: Path, problems: list[Problem]) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.append(Problem(path.name, "(file)", "-", "file is missing"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(path.name, "(file)", "-", f"not valid TOML: {exc}"))
    return {}


class _Checker:
    """Small helper that reads typed fields and records a Problem for each bad one."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def add(self, entry: str, fld: str, message: str) -> None:
        self.problems.append(Problem(self.file, entry, fld, message))

    def text(self, table: dict[str, Any], entry: str, fld: str, required: bool = True) -> str:
        value = table.get(fld)
        if value is None:
            if required:
                self.add(entry, fld, "is missing")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(entry, fld, "must be non-empty text")
            return ""
        return value.strip()

    def number(
        self, table: dict[str, Any], entry: str, fld: str, lo: float, hi: float,
        default: float | None = None, lo_inclusive: bool = True,
    ) -> float | None:
        value = table.get(fld, default)
        if value is None:
            self.add(entry, fld, "is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(entry, fld, f"must be a number, got {value!r}")
            return None
        below = value < lo if lo_inclusive else value <= lo
        if below or value > hi:
            bracket = "[" if lo_inclusive else "("
            self.add(entry, fld, f"{value} is out of range {bracket}{lo}, {hi}]")
            return None
        return float(value)

    def integer(self, table: dict[str, Any], entry: str, fld: str, allowed: tuple[int, ...]) -> int | None:
        value = table.get(fld)
        if value is None:
            self.add(entry, fld, "is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(entry, fld, f"must be a whole number, got {value!r}")
            return None
        if value not in allowed:
            self.add(entry, fld, f"{value} is not one of {allowed[0]}..{allowed[-1]}")
            return None
        return value


def _load_scoring(path: Path, problems: list[Problem]) -> tuple[dict[str, AnswerSet], tuple[Band, ...], dict[str, str], dict[int, float], int]:
    raw = _read_toml(path, problems)
    c = _Checker(path.name, problems)
    answer_sets: dict[str, AnswerSet] = {}
    for key, table in (raw.get("answer_sets") or {}).items():
        entry = f"answer set '{key}'"
        options: list[AnswerOption] = []
        seen: set[str] = set()
        for i, opt in enumerate(table.get("options") or []):
            value = c.text(opt, f"{entry} option {i + 1}", "value")
            oentry = f"{entry} option '{value or i + 1}'"
            if value in seen:
                c.add(oentry, "value", "duplicate option value")
            seen.add(value)
            score = None
            if "score" in opt:
                score = c.number(opt, oentry, "score", 0.0, 1.0)
            options.append(AnswerOption(value, c.text(opt, oentry, "label"), score, bool(opt.get("unknown", False))))
        if not options:
            c.add(entry, "options", "has no options")
        provider_options = tuple(table.get("provider_options") or ())
        for value in provider_options:
            if value not in seen:
                c.add(entry, "provider_options", f"'{value}' is not an option of this set")
        answer_sets[key] = AnswerSet(
            key, str(table.get("label", key)), tuple(options), bool(table.get("providers", False)), provider_options
        )

    bands: list[Band] = []
    for i, table in enumerate((raw.get("bands") or {}).get("band") or []):
        key = c.text(table, f"band {i + 1}", "key")
        entry = f"band '{key or i + 1}'"
        lo = c.number(table, entry, "min", 0.0, 100.0)
        bands.append(Band(key, c.text(table, entry, "label"), lo if lo is not None else 0.0,
                          c.text(table, entry, "description", required=False)))
    if not bands:
        c.add("bands", "band", "at least one band is needed")
    else:
        mins = [b.min for b in bands]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            c.add("bands", "min", "bands must be listed from the highest minimum to the lowest, with no repeats")
        if bands[-1].min != 0.0:
            c.add(f"band '{bands[-1].key}'", "min", "the last band must start at 0 so every score has a band")

    providers = {str(k): str(v) for k, v in (raw.get("providers") or {}).items()}
    if not providers:
        c.add("providers", "-", "no providers are defined")

    weights: dict[int, float] = {}
    for key, value in (raw.get("standard_weights") or {}).items():
        entry = f"standard_weights '{key}'"
        if not str(key).isdigit() or int(key) not in STANDARD_NUMBERS:
            c.add(entry, "key", "unknown standard (must be 1..9)")
            continue
        w = c.number({"weight": value}, entry, "weight", 0.0, MAX_WEIGHT, lo_inclusive=False)
        if w is not None:
            weights[int(key)] = w

    overall = raw.get("overall") or {}
    min_rank = overall.get("min_standards_for_rank", 1)
    if isinstance(min_rank, bool) or not isinstance(min_rank, int) or not 1 <= min_rank <= 9:
        c.add("overall", "min_standards_for_rank", f"{min_rank!r} must be a whole number from 1 to 9")
        min_rank = 1
    return answer_sets, tuple(bands), providers, weights, min_rank


def _load_standards(path: Path, problems: list[Problem], weights: dict[int, float]) -> tuple[Standard, ...]:
    raw = _read_toml(path, problems)
    c = _Checker(path.name, problems)
    standards: list[Standard] = []
    seen: set[int] = set()
    for i, table in enumerate(raw.get("standard") or []):
        number = c.integer(table, f"standard entry {i + 1}", "number", STANDARD_NUMBERS)
        entry = f"standard {number if number is not None else f'entry {i + 1}'}"
        if number is not None and number in seen:
            c.add(entry, "number", "duplicate standard number")
        recs = table.get("recommendations", [])
        bad = [r for r in recs if isinstance(r, bool) or not isinstance(r, int) or r not in RECOMMENDATION_NUMBERS]
        if bad:
            c.add(entry, "recommendations", f"{bad} are not recommendation numbers 1..11")
        actions = table.get("actions", [])
        if not isinstance(actions, list) or not all(isinstance(a, str) and a.strip() for a in actions):
            c.add(entry, "actions", "must be a list of non-empty texts")
            actions = []
        standard = Standard(
            number=number or 0,
            short_name=c.text(table, entry, "short_name"),
            statement=c.text(table, entry, "statement"),
            looks_like=c.text(table, entry, "looks_like"),
            source=c.text(table, entry, "source"),
            recommendations=tuple(r for r in recs if r not in bad),
            actions=tuple(a.strip() for a in actions),
            weight=weights.get(number or 0, 1.0),
        )
        if number is not None:
            seen.add(number)
            standards.append(standard)
    for number in STANDARD_NUMBERS:
        if number not in seen:
            c.add(f"standard {number}", "number", "standard is missing (all nine are needed)")
    return tuple(sorted(standards, key=lambda s: s.number))


def _load_questions(
    path: Path, problems: list[Problem], answer_sets: dict[str, AnswerSet], standard_numbers: set[int]
) -> tuple[Question, ...]:
    raw = _read_toml(path, problems)
    c = _Checker(path.name, problems)
    questions: list[Question] = []
    seen: set[str] = set()
    for i, table in enumerate(raw.get("question") or []):
        qid = c.text(table, f"question entry {i + 1}", "id")
        entry = f"question '{qid}'" if qid else f"question entry {i + 1}"
        if qid and not ID_PATTERN.match(qid):
            c.add(entry, "id", "must be lower-case letters, digits and underscores, starting with a letter")
        if qid in seen:
            c.add(entry, "id", "duplicate id")
        seen.add(qid)
        scored = table.get("scored")
        if not isinstance(scored, bool):
            c.add(entry, "scored", "must be true or false")
            scored = False
        standard = table.get("standard")
        if standard is None:
            if scored:
                c.add(entry, "standard", "a scored question must name the standard it evidences")
        elif isinstance(standard, bool) or not isinstance(standard, int) or standard not in standard_numbers:
            c.add(entry, "standard", f"unknown standard {standard!r}")
            standard = None
        audience = c.text(table, entry, "audience")
        if audience and audience not in AUDIENCES:
            c.add(entry, "audience", f"'{audience}' is not one of {', '.join(AUDIENCES)}")
        set_key = c.text(table, entry, "answer_set")
        answer_set = answer_sets.get(set_key)
        if set_key and answer_set is None:
            c.add(entry, "answer_set", f"unknown answer set '{set_key}' (not in scoring.toml)")
        if scored and answer_set is not None:
            for opt in answer_set.options:
                if opt.score is None:
                    c.add(entry, "answer_set", f"option '{opt.value}' of set '{set_key}' has no score, so the question cannot be scored")
        weight = c.number(table, entry, "weight", 0.0, MAX_WEIGHT, default=1.0, lo_inclusive=False)
        asked_from = table.get("asked_from", FIRST_ROUND)
        if isinstance(asked_from, bool) or not isinstance(asked_from, int) or not FIRST_ROUND <= asked_from <= 2100:
            c.add(entry, "asked_from", f"{asked_from!r} must be a survey year from {FIRST_ROUND}")
            asked_from = FIRST_ROUND
        questions.append(Question(
            id=qid, standard=standard, audience=audience, topic=c.text(table, entry, "topic"),
            wording=c.text(table, entry, "wording"), help=c.text(table, entry, "help", required=False),
            answer_set=set_key, scored=scored, weight=weight if weight is not None else 1.0,
            report_ref=c.text(table, entry, "report_ref"), asked_from=asked_from, position=i,
        ))
    if not questions:
        c.add("(file)", "question", "no questions defined")
    return tuple(questions)


def load_config(directory: Path = STANDARDS_DIR) -> StandardsConfig:
    """Read standards.toml, questions.toml and scoring.toml; raise StandardsConfigError listing all problems."""
    problems: list[Problem] = []
    answer_sets, bands, providers, weights, min_rank = _load_scoring(directory / "scoring.toml", problems)
    standards = _load_standards(directory / "standards.toml", problems, weights)
    questions = _load_questions(directory / "questions.toml", problems, answer_sets, {s.number for s in standards})
    scored_standards = {q.standard for q in questions if q.scored}
    for s in standards:
        if s.number not in scored_standards:
            problems.append(Problem("questions.toml", f"standard {s.number}", "standard",
                                    "no scored question evidences this standard"))
    if problems:
        raise StandardsConfigError(problems)
    return StandardsConfig(standards, questions, answer_sets, bands, providers, min_rank, directory)
