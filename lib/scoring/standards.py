"""Load and validate the standards, question bank and scoring rules kept in standards/*.toml.

The TOML files are meant to be edited by analysts, so every inconsistency is reported with
the file, the entry and the field it concerns, and all problems are reported at once. What
load_config returns (StandardsConfig and its parts) is defined in lib.scoring.config.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib.base.paths import STANDARDS_DIR
from lib.scoring.config import (
    AUDIENCES,
    OUTCOMES,
    OVERALL_METHODS,
    ROUNDING_RULES,
    UNKNOWN_ANSWER_RULES,
    AnswerOption,
    AnswerSet,
    Band,
    DisplayRule,
    Problem,
    Question,
    Standard,
    StandardsConfig,
    StandardsConfigError,
)

#: Standards are numbered 1..MAX_STANDARDS; how many there are is read from standards.toml.
MAX_STANDARDS = 20
STANDARD_NUMBERS = tuple(range(1, MAX_STANDARDS + 1))
RECOMMENDATION_NUMBERS = tuple(range(1, 12))
MAX_WEIGHT = 5.0
FIRST_ROUND = 2012
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
#: Analyst-edited keys each kind of entry may hold; anything else is refused by name (a typo
#: such as `scroe` would otherwise be ignored in silence).
ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "scoring.toml": frozenset({"display", "outcomes", "bands", "overall", "standard_weights",
                               "providers", "answer_sets"}),
    "display": frozenset({"decimals", "rounding"}),
    "band": frozenset({"key", "label", "min", "description", "colour", "tint"}),
    "bands": frozenset({"band"}),
    "overall": frozenset({"method", "min_standards_for_rank", "unknown_answers"}),
    "answer_set": frozenset({"label", "providers", "provider_options", "options"}),
    "option": frozenset({"value", "label", "score", "outcome"}),
    "standards.toml": frozenset({"standard"}),
    "standard": frozenset({"number", "short_name", "statement", "looks_like", "source",
                           "recommendations", "actions"}),
    "questions.toml": frozenset({"question"}),
    "question": frozenset({"id", "standard", "audience", "topic", "wording", "help", "answer_set",
                           "scored", "weight", "report_ref", "asked_from"}),
}
COLOUR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")


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

    def keys(self, table: Any, entry: str, kind: str) -> None:
        """Refuse keys this kind of entry does not have, naming each."""
        if not isinstance(table, dict):
            return
        allowed = ALLOWED_KEYS[kind]
        for key in table:
            if key not in allowed:
                self.add(entry, str(key), f"unknown key (allowed: {', '.join(sorted(allowed))})")

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


@dataclass
class _Scoring:
    answer_sets: dict[str, AnswerSet]
    bands: tuple[Band, ...]
    providers: dict[str, str]
    weights: dict[int, float]
    min_rank: int
    display: DisplayRule
    outcomes: dict[str, str]
    method: str


def _load_answer_sets(raw: dict[str, Any], c: _Checker) -> dict[str, AnswerSet]:
    answer_sets: dict[str, AnswerSet] = {}
    for key, table in (raw.get("answer_sets") or {}).items():
        entry = f"answer set '{key}'"
        c.keys(table, entry, "answer_set")
        options: list[AnswerOption] = []
        seen: set[str] = set()
        for i, opt in enumerate(table.get("options") or []):
            value = c.text(opt, f"{entry} option {i + 1}", "value")
            oentry = f"{entry} option '{value or i + 1}'"
            c.keys(opt, oentry, "option")
            if value in seen:
                c.add(oentry, "value", "duplicate option value")
            seen.add(value)
            score = None
            if "score" in opt:
                score = c.number(opt, oentry, "score", 0.0, 1.0)
            outcome = c.text(opt, oentry, "outcome")
            if outcome and outcome not in OUTCOMES:
                c.add(oentry, "outcome", f"'{outcome}' is not one of {', '.join(OUTCOMES)}")
            options.append(AnswerOption(value, c.text(opt, oentry, "label"), score,
                                        outcome if outcome in OUTCOMES else "unknown"))
        if not options:
            c.add(entry, "options", "has no options")
        # The scoring views count an unknown answer as the set's worst known answer; a score
        # written beside "Don't know" must say the same, or the file would state two rules.
        known_scores = [o.score for o in options if not o.unknown and o.score is not None]
        for o in options:
            if o.unknown and o.score is not None and known_scores and o.score != min(known_scores):
                c.add(f"{entry} option '{o.value}'", "score",
                      f"{o.score:g}: an unknown answer counts as the worst known answer "
                      f"([overall] unknown_answers), so its score must be {min(known_scores):g} or left out")
        provider_options = tuple(table.get("provider_options") or ())
        for value in provider_options:
            if value not in seen:
                c.add(entry, "provider_options", f"'{value}' is not an option of this set")
        answer_sets[key] = AnswerSet(
            key, str(table.get("label", key)), tuple(options), bool(table.get("providers", False)), provider_options
        )
    return answer_sets


def _load_bands(raw: dict[str, Any], c: _Checker) -> tuple[Band, ...]:
    c.keys(raw.get("bands") or {}, "bands", "bands")
    bands: list[Band] = []
    for i, table in enumerate((raw.get("bands") or {}).get("band") or []):
        key = c.text(table, f"band {i + 1}", "key")
        entry = f"band '{key or i + 1}'"
        c.keys(table, entry, "band")
        lo = c.number(table, entry, "min", 0.0, 100.0)
        if lo is not None and not float(lo).is_integer():
            c.add(entry, "min", f"{lo:g} must be a whole number: scores are shown as whole numbers "
                                "and the band follows the number shown")
            lo = float(round(lo))
        colours = {}
        for fld in ("colour", "tint"):
            colour = c.text(table, entry, fld)
            if colour and not COLOUR_PATTERN.match(colour):
                c.add(entry, fld, f"'{colour}' must be a colour written #RRGGBB")
            colours[fld] = colour if COLOUR_PATTERN.match(colour or "") else "#BFBFBF"
        bands.append(Band(key, c.text(table, entry, "label"), lo if lo is not None else 0.0,
                          c.text(table, entry, "description", required=False), **colours))
    if not bands:
        c.add("bands", "band", "at least one band is needed")
    else:
        mins = [b.min for b in bands]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            c.add("bands", "min", "bands must be listed from the highest minimum to the lowest, with no repeats")
        if bands[-1].min != 0.0:
            c.add(f"band '{bands[-1].key}'", "min", "the last band must start at 0 so every score has a band")
    return tuple(bands)


def _load_display(raw: dict[str, Any], c: _Checker) -> DisplayRule:
    table = raw.get("display")
    if not isinstance(table, dict):
        c.add("display", "-", "the [display] section (decimals, rounding) is missing")
        return DisplayRule()
    c.keys(table, "display", "display")
    decimals = table.get("decimals")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals != 0:
        c.add("display", "decimals", f"{decimals!r}: scores are shown as whole numbers, so this must be 0")
        decimals = 0
    rounding = table.get("rounding")
    if rounding not in ROUNDING_RULES:
        c.add("display", "rounding", f"{rounding!r} must be one of {', '.join(ROUNDING_RULES)}")
        rounding = ROUNDING_RULES[0]
    return DisplayRule(decimals, rounding)


def _load_outcomes(raw: dict[str, Any], c: _Checker) -> dict[str, str]:
    table = raw.get("outcomes") or {}
    outcomes: dict[str, str] = {}
    for key in table:
        if key not in OUTCOMES:
            c.add("outcomes", str(key), f"unknown outcome (allowed: {', '.join(OUTCOMES)})")
    for key in OUTCOMES:
        label = c.text(table, "outcomes", key)
        outcomes[key] = label or key
    return outcomes


def _load_scoring(path: Path, problems: list[Problem]) -> _Scoring:
    raw = _read_toml(path, problems)
    c = _Checker(path.name, problems)
    c.keys(raw, "(file)", "scoring.toml")
    answer_sets = _load_answer_sets(raw, c)
    bands = _load_bands(raw, c)

    providers = {str(k): str(v) for k, v in (raw.get("providers") or {}).items()}
    if not providers:
        c.add("providers", "-", "no providers are defined")

    weights: dict[int, float] = {}
    for key, value in (raw.get("standard_weights") or {}).items():
        entry = f"standard_weights '{key}'"
        if not re.fullmatch(r"[0-9]{1,2}", str(key)) or int(key) not in STANDARD_NUMBERS:
            c.add(entry, "key", f"unknown standard (must be a standard number 1..{MAX_STANDARDS})")
            continue
        w = c.number({"weight": value}, entry, "weight", 0.0, MAX_WEIGHT, lo_inclusive=False)
        if w is not None:
            weights[int(key)] = w

    overall = raw.get("overall") or {}
    c.keys(overall, "overall", "overall")
    method = overall.get("method")
    if method not in OVERALL_METHODS:
        c.add("overall", "method", f"{method!r} must be one of {', '.join(OVERALL_METHODS)}")
        method = OVERALL_METHODS[0]
    rule = overall.get("unknown_answers")
    if rule not in UNKNOWN_ANSWER_RULES:
        c.add("overall", "unknown_answers", f"{rule!r} must be one of {', '.join(UNKNOWN_ANSWER_RULES)} "
                                            "(the rule the scoring views implement)")
    min_rank = overall.get("min_standards_for_rank", 1)
    if isinstance(min_rank, bool) or not isinstance(min_rank, int) or not 1 <= min_rank <= MAX_STANDARDS:
        c.add("overall", "min_standards_for_rank", f"{min_rank!r} must be a whole number from 1 to the number of standards")
        min_rank = 1
    return _Scoring(answer_sets, bands, providers, weights, min_rank, _load_display(raw, c),
                    _load_outcomes(raw, c), method)


def _load_standards(path: Path, problems: list[Problem], weights: dict[int, float]) -> tuple[Standard, ...]:
    raw = _read_toml(path, problems)
    c = _Checker(path.name, problems)
    c.keys(raw, "(file)", "standards.toml")
    standards: list[Standard] = []
    seen: set[int] = set()
    for i, table in enumerate(raw.get("standard") or []):
        number = c.integer(table, f"standard entry {i + 1}", "number", STANDARD_NUMBERS)
        entry = f"standard {number if number is not None else f'entry {i + 1}'}"
        c.keys(table, entry, "standard")
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
    if not seen:
        c.add("(file)", "standard", "no standards defined")
    for number in range(1, max(seen, default=0) + 1):
        if number not in seen:
            c.add(f"standard {number}", "number",
                  f"standard is missing (standards are numbered 1 to {max(seen)} with no gaps)")
    for number, _ in weights.items():
        if number not in seen:
            c.add(f"standard_weights '{number}'", "key", "there is no such standard in standards.toml")
    return tuple(sorted(standards, key=lambda s: s.number))


def _load_questions(
    path: Path, problems: list[Problem], answer_sets: dict[str, AnswerSet], standard_numbers: set[int]
) -> tuple[Question, ...]:
    raw = _read_toml(path, problems)
    c = _Checker(path.name, problems)
    c.keys(raw, "(file)", "questions.toml")
    questions: list[Question] = []
    seen: set[str] = set()
    for i, table in enumerate(raw.get("question") or []):
        qid = c.text(table, f"question entry {i + 1}", "id")
        entry = f"question '{qid}'" if qid else f"question entry {i + 1}"
        c.keys(table, entry, "question")
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
    sc = _load_scoring(directory / "scoring.toml", problems)
    standards = _load_standards(directory / "standards.toml", problems, sc.weights)
    questions = _load_questions(directory / "questions.toml", problems, sc.answer_sets, {s.number for s in standards})
    if sc.min_rank > len(standards) > 0:
        problems.append(Problem("scoring.toml", "overall", "min_standards_for_rank",
                                f"{sc.min_rank} is more than the {len(standards)} standards there are"))
    scored_standards = {q.standard for q in questions if q.scored}
    for s in standards:
        if s.number not in scored_standards:
            problems.append(Problem("questions.toml", f"standard {s.number}", "standard",
                                    "no scored question evidences this standard"))
    if problems:
        raise StandardsConfigError(problems)
    return StandardsConfig(standards, questions, sc.answer_sets, sc.bands, sc.providers, sc.min_rank,
                           directory, sc.display, sc.outcomes, sc.method)
