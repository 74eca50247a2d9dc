"""The questionnaire a file is checked against: questions, answer options and providers.

Read from the database (loaded from standards/questions.toml and standards/scoring.toml), so a
header or a cell is matched exactly as the scoring will read it: a question by its id or its
wording, an answer by its value or its label, a provider by its key or its label (case, spaces,
dashes and apostrophes ignored).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

import duckdb


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
