"""Improvement plan: the fewest answer changes that would lift a council to its next band.

For a council, a round and a target (the next band on one standard, or the next overall band)
the planner looks for the smallest sets of single answer upgrades that reach the target,
cheapest first. A change is cheaper the more of the council's similar councils (lib.analysis.peers:
most similar answers, same type or same region) already give that answer or a better one:
cost = 1 - that share, and a plan costs the sum of its changes' costs.

This module says what a plan is (its target, its changes, the result of a search), how the
target is chosen and checked, and how a plan is shown. lib.analysis.plan_search searches for
plans; lib.analysis.plan_scoring scores its candidate answer sheets on a private copy of the round.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from lib.analysis import peers, whatif
from lib.scoring import views as scoring

PEER_MODES = {mode: peers.MODES[mode] for mode in ("similar", "type", "region")}
DEFAULT_PEER_MODE = "similar"

MET, PLANNED, UNREACHABLE, NO_RESPONSE = "met", "planned", "unreachable", "no_response"


@dataclass(frozen=True)
class Target:
    """What the plan must reach: a band on one standard (standard = n) or overall (None)."""

    standard: int | None
    standard_name: str
    band: str
    band_label: str
    min_score: float
    current_band: str | None
    current_band_label: str
    current_score: float | None

    @property
    def key(self) -> str:
        return "overall" if self.standard is None else str(self.standard)

    @property
    def description(self) -> str:
        where = "overall" if self.standard is None else f"on standard {self.standard} ({self.standard_name})"
        return f"{self.band_label} {where}: a score of at least {self.min_score:g}"


@dataclass(frozen=True)
class Change:
    """One answer upgraded, with how many similar councils already give that answer or better."""

    question_id: str
    standard: int
    standard_name: str
    topic: str
    wording: str
    current_value: str | None
    current_label: str
    proposed_value: str
    proposed_label: str
    credit: float
    peers_with: int
    peers_total: int

    @property
    def share(self) -> float:
        return self.peers_with / self.peers_total if self.peers_total else 0.0

    @property
    def cost(self) -> float:
        return 1.0 - self.share

    def good_practice_params(self, year: int) -> dict[str, str]:
        """Query parameters of the Good practice page filtered to this change's standard."""
        return {"standard": str(self.standard), "round": str(year)}


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    score: float
    score_unrounded: float
    band: str
    band_label: str
    overall_score: float | None = None
    overall_band_label: str = ""
    rank: str = ""

    @property
    def cost(self) -> float:
        return sum(c.cost for c in self.changes)


@dataclass(frozen=True)
class PlanResult:
    status: str
    code: str
    council_name: str
    year: int
    target: Target | None
    plans: list[Plan] = field(default_factory=list)
    peer_mode: str = DEFAULT_PEER_MODE
    peer_names: list[str] = field(default_factory=list)
    #: True when some numbers of changes were not searched exhaustively.
    bounded: bool = False
    #: Every smaller number of changes was searched exhaustively and none reached the target.
    fewest_proven: bool = False
    sheets_scored: int = 0
    max_changes: int | None = None
    message: str = ""


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------

def _bands_low_to_high(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, float]]:
    return list(reversed(scoring.band_scale(con)))


def next_band(con: duckdb.DuckDBPyConnection, band: str | None) -> tuple[str, str, float] | None:
    """The band above `band` (key, label, minimum), None if `band` is the top one.

    No band at all (a standard without evidence) counts as below the lowest band, so the next
    band is the one above the lowest: any answer would already put it in the lowest.
    """
    bands = _bands_low_to_high(con)
    keys = [b[0] for b in bands]
    position = keys.index(band) if band in keys else 0
    return bands[position + 1] if position + 1 < len(bands) else None


def make_target(con: duckdb.DuckDBPyConnection, scores: whatif.Scores, standard: int | None) -> Target:
    """The next band above the council's current one, on `standard` (or overall when None).

    When the council is already in the top band the target is that band (and is met)."""
    labels = scoring.band_labels(con)
    if standard is None:
        band, score, name = scores.overall.get("band"), scores.overall.get("score"), "Overall"
    else:
        rows = scores.standards[scores.standards["standard"] == standard]
        if rows.empty:
            raise ValueError(f"there is no standard {standard}")
        row = rows.iloc[0]
        band = row["band"] if bool(row["asked"]) else None
        score = row["score"] if bool(row["asked"]) else None
        name = str(row["short_name"])
    band = None if band is None or whatif.is_missing(band) else str(band)
    score = None if score is None or whatif.is_missing(score) else float(score)
    up = next_band(con, band)
    top = scoring.top_band(con)
    key, label, minimum = up if up is not None else top
    return Target(standard, name, key, label, float(minimum), band,
                  labels.get(band, whatif.NO_EVIDENCE) if band else whatif.NO_EVIDENCE, score)


def target_met(target: Target, score: float | None) -> bool:
    """The shown score reaches the target band's minimum (bands follow the shown score)."""
    return score is not None and not whatif.is_missing(score) and float(score) >= target.min_score


# --------------------------------------------------------------------------------------------
# Tables for the page and the download
# --------------------------------------------------------------------------------------------


def page_table(plan: Plan) -> pd.DataFrame:
    """The changes as the page's table shows them (st.table renders Markdown): three columns so it
    reads on a phone, the standard in bold before its question, data text escaped."""
    md = whatif.escape_markdown
    return pd.DataFrame([{
        "Question": f"**{c.standard}\\. {md(c.standard_name)}** · {md(c.wording)}",
        "Change": md(f"{c.current_label} → {c.proposed_label}"),
        "Similar councils already there": f"{c.peers_with} of {c.peers_total}" if c.peers_total else whatif.DASH,
    } for c in plan.changes])


def target_options(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, str]:
    """Target key -> label: 'overall', then each standard the round asks scored questions about."""
    out = {"overall": "Overall score"}
    for number, name in con.execute(
            "SELECT number, short_name FROM standards WHERE number IN (SELECT standard FROM round_questions "
            "WHERE round_year = ?) ORDER BY number", [int(year)]).fetchall():
        out[str(number)] = f"Standard {number}: {name}"
    return out


def parse_target(value: str | None) -> int | None:
    """'overall' (or nothing) -> None; '3' -> 3."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 2 else None


def target_choices(con: duckdb.DuckDBPyConnection, code: str, year: int) -> dict[str, str]:
    """target_options() labelled with where the council is and the band above it, e.g.
    'Standard 3: Apprenticeships (Does not meet → Partly meets)'."""
    options = target_options(con, year)
    actual = whatif.actual_scores(con, code, year)
    if actual is None:
        return options
    out = {}
    for key, label in options.items():
        target = make_target(con, actual, parse_target(key))
        if target.current_band == target.band:
            out[key] = f"{label} (already {target.band_label})"
        else:
            out[key] = f"{label} ({target.current_band_label} → {target.band_label})"
    return out
