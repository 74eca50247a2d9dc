"""The improvement planner's search: for a council and a target (lib.analysis.plan), the
smallest sets of answer upgrades that reach it, cheapest first.

Candidate sheets are scored by the SQL of the scoring views (lib.analysis.plan_scoring). Every
plan returned is then checked once more through `whatif.Projector`, the self-assessment's
projection, which also gives its rank.

The search is exhaustive for each number of changes while the number of sheets it needs stays
within a budget; past that it keeps the questions whose single change raises the target score
most (measured by the SQL) and says that the search was bounded.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import duckdb
import pandas as pd

from lib.analysis import peers, whatif
from lib.analysis.plan import (
    DEFAULT_PEER_MODE,
    MET,
    NO_RESPONSE,
    PEER_MODES,
    PLANNED,
    UNREACHABLE,
    Change,
    Plan,
    PlanResult,
    Target,
    make_target,
    target_met,
)
from lib.analysis.plan_scoring import BATCH, SheetScorer
from lib.scoring import answer_sets
from lib.scoring import views as scoring

#: Plans returned at most (alternatives of the same, smallest, size).
MAX_PLANS = 3
#: Candidate sheets scored by SQL at most per request (keeps one request to a few seconds).
SHEET_BUDGET = 4000


# --------------------------------------------------------------------------------------------
# The planner: a private copy of the round, shared by every request for that round
# --------------------------------------------------------------------------------------------

class Planner:
    """Finds improvement plans for any council of one round (built once per round, cached)."""

    def __init__(self, source: duckdb.DuckDBPyConnection, year: int) -> None:
        self.year = int(year)
        self.scorer = SheetScorer(source, self.year)
        self.con = self.scorer.con  # the round's copy, for the questionnaire, peers and answers
        self.projector = whatif.Projector(source, self.year)

    def close(self) -> None:
        self.scorer.close()
        self.projector.close()

    def score_sheets(self, code: str, base: whatif.Answers, sheets: list[dict[str, str]],
                     standard: int | None) -> list[tuple[float | None, float | None]]:
        return self.scorer.score_sheets(code, base, sheets, standard)

    # ---- candidate changes -----------------------------------------------------------------

    def peer_group(self, code: str, mode: str, k: int = peers.K_DEFAULT) -> pd.DataFrame:
        """The responding similar councils (lib.analysis.peers' notion for `mode`): code and name."""
        group = peers.peer_codes(self.con, self.year, code, mode, k=k)
        named = self.con.execute(
            "SELECT c.authority_code, c.display_name FROM respondents r "
            "JOIN round_councils c USING (round_year, authority_code) "
            "WHERE r.round_year = ? AND list_contains(?, r.authority_code) ORDER BY c.display_name",
            [self.year, list(group["authority_code"])]).df()
        order = {c: i for i, c in enumerate(group["authority_code"])}
        return named.assign(_o=named["authority_code"].map(order)).sort_values("_o").drop(columns="_o")

    def candidates(self, code: str, answers: whatif.Answers, standard: int | None,
                   peer_codes: list[str]) -> dict[str, list[Change]]:
        """Per question, the upgrades open to the council, lowest credit first.

        An upgrade is an answer whose credit is above the current answer's (an unanswered or
        "don't know" question counts as credit 0); among options with the same credit the first
        in questionnaire order stands for them. Only scored questions of the target's standard
        (every standard for the overall target) count.
        """
        qs = whatif.questionnaire(self.con, self.year)
        qs = qs[qs["scored"] & qs["standard"].notna()]
        if standard is not None:
            qs = qs[qs["standard"] == standard]
        options = answer_sets.answer_options(self.con)
        options = options[options["score"].notna()]
        # How many peers give each question an answer with at least each credit (known answers).
        peer_scores = self.con.execute(
            "SELECT question_id, score FROM question_scores WHERE round_year = ? AND status = 'known' "
            "AND list_contains(?, authority_code)", [self.year, list(peer_codes)]).fetchall()
        by_question: dict[str, list[float]] = {}
        for qid, score in peer_scores:
            by_question.setdefault(qid, []).append(float(score))
        out: dict[str, list[Change]] = {}
        for q in qs.itertuples():
            opts = options[options["answer_set"] == q.answer_set].sort_values("position")
            current = answers.get(q.id)
            row = opts[opts["value"] == current.value] if current else opts.iloc[0:0]
            known = len(row) and not bool(row.iloc[0]["is_unknown"])
            credit_now = float(row.iloc[0]["score"]) if known else 0.0
            label_now = str(row.iloc[0]["label"]) if len(row) else whatif.NOT_ANSWERED
            levels: list[Change] = []
            for credit in sorted({float(s) for s in opts["score"] if float(s) > credit_now}):
                o = opts[(opts["score"] == credit) & ~opts["is_unknown"]].iloc[0]
                levels.append(Change(
                    q.id, int(q.standard), str(q.short_name), str(q.topic), str(q.wording),
                    current.value if current else None, label_now, str(o["value"]), str(o["label"]),
                    credit, sum(1 for s in by_question.get(q.id, []) if s >= credit), len(peer_codes)))
            if levels:
                out[str(q.id)] = levels
        return out

    # ---- the search --------------------------------------------------------------------------

    def plan(self, code: str, target_standard: int | None, *, peer_mode: str = DEFAULT_PEER_MODE,
             max_changes: int | None = None, max_plans: int = MAX_PLANS,
             budget: int = SHEET_BUDGET) -> PlanResult:
        """Plans for the council to reach the next band on `target_standard` (None: overall)."""
        councils = whatif.councils(self.con, self.year)
        found = councils[councils["authority_code"] == code]
        if found.empty:
            raise ValueError(f"there is no council with the code {code!r} in the {self.year} round")
        name = str(found.iloc[0]["display_name"])
        actual = whatif.actual_scores(self.con, code, self.year)
        if actual is None:
            return PlanResult(NO_RESPONSE, code, name, self.year, None, peer_mode=peer_mode,
                              message=f"{name} did not respond in {self.year}, so there are no answers to "
                                      "build a plan from. Fill in the questionnaire on the Self-assessment page.")
        target = make_target(self.con, actual, target_standard)
        if target_met(target, target.current_score):
            return PlanResult(MET, code, name, self.year, target, peer_mode=peer_mode,
                              message=f"{name} is already in the top band, {target.band_label}, "
                                      + ("overall." if target_standard is None else f"on standard {target_standard}."))
        answers = whatif.stored_answers(self.con, code, self.year)
        group = self.peer_group(code, peer_mode)
        per_question = self.candidates(code, answers, target_standard, list(group["authority_code"]))
        search = _Search(self, code, answers, target, per_question, budget)
        plans = search.run(max_changes, max_plans)
        verified = [p for p in (self._verify(code, answers, target, plan) for plan in plans) if p is not None]
        common: dict[str, Any] = {"peer_mode": peer_mode, "peer_names": list(group["display_name"]),
                                  "bounded": search.bounded, "sheets_scored": search.sheets,
                                  "max_changes": max_changes}
        if not verified:
            within = f" with at most {max_changes} changes" if max_changes else ""
            why = ("even the best answer to every question of "
                   + ("the questionnaire" if target_standard is None else f"standard {target_standard}")
                   + " would not reach it") if search.unreachable else "no set of changes searched reaches it"
            return PlanResult(UNREACHABLE, code, name, self.year, target, fewest_proven=search.proven,
                              message=f"{target.description} cannot be reached{within}: {why}.", **common)
        return PlanResult(PLANNED, code, name, self.year, target, verified,
                          fewest_proven=search.proven, **common)

    def _verify(self, code: str, answers: whatif.Answers, target: Target,
                plan: tuple[tuple[Change, ...], float, float]) -> Plan | None:
        """The plan re-scored through the self-assessment's Projector; None if it misses."""
        changes = plan[0]
        sheet = dict(answers) | {c.question_id: whatif.Answer(c.proposed_value) for c in changes}
        scores = self.projector.project(code, sheet)
        if scores is None:
            return None
        if target.standard is None:
            score, band = scores.overall.get("score"), scores.overall.get("band")
        else:
            row = scores.standards.set_index("standard").loc[target.standard]
            score, band = row["score"], row["band"]
        if score is None or not target_met(target, score):
            return None
        labels = scoring.band_labels(self.con)
        return Plan(changes, float(score), float(plan[2]), str(band), labels.get(str(band), str(band)),
                    scores.overall.get("score"), labels.get(str(scores.overall.get("band")), ""),
                    whatif.rank_text(scores.overall))


class _Search:
    """Smallest sets first: for k = 1, 2, ... changes, which k questions at their best answer
    reach the target (a lower answer never scores more), then the cheapest answer levels."""

    def __init__(self, planner: Planner, code: str, answers: whatif.Answers, target: Target,
                 per_question: dict[str, list[Change]], budget: int) -> None:
        self.planner, self.code, self.answers, self.target = planner, code, answers, target
        self.per_question = per_question
        self.order = {q: i for i, q in enumerate(per_question)}  # questionnaire order
        self.budget = budget
        self.sheets = 0
        self.bounded = False
        self.unreachable = False
        self.proven = True  # every smaller k searched exhaustively so far

    def _score(self, sheets: list[dict[str, str]]) -> list[tuple[float | None, float | None]]:
        self.sheets += len(sheets)
        return self.planner.score_sheets(self.code, self.answers, sheets, self.target.standard)

    def run(self, max_changes: int | None, max_plans: int) -> list[tuple[tuple[Change, ...], float, float]]:
        questions = list(self.per_question)
        if not questions:
            self.unreachable = True
            return []
        best = {q: levels[-1] for q, levels in self.per_question.items()}
        # Everything at its best: if that misses, nothing reaches the target.
        (everything,) = self._score([{q: c.proposed_value for q, c in best.items()}])
        if not target_met(self.target, everything[0]):
            self.unreachable = True
            return []
        # Single changes at their best, measured by the SQL: used to order questions when a
        # number of changes has too many combinations to try them all.
        singles = self._score([{q: best[q].proposed_value} for q in questions])
        single = dict(zip(questions, singles, strict=True))
        gain = {q: (s[1] if s[1] is not None else -math.inf) for q, s in single.items()}
        ranked = sorted(questions, key=lambda q: (-gain[q], best[q].cost, q))
        limit = len(questions) if max_changes is None else min(max_changes, len(questions))
        for k in range(1, limit + 1):
            # Past the budget, each further k tries only the k questions that gain most (greedy),
            # so a reachable target is always reached: every question at its best reaches it.
            allowed = max(self.budget - self.sheets, 0) // 2
            pool = ranked
            while k > 1 and math.comb(len(pool), k) > allowed and len(pool) > k:
                pool = pool[:-1]
            if len(pool) < len(ranked):
                self.bounded = True
            subsets = [tuple(sorted(s, key=ranked.index)) for s in itertools.combinations(pool, k)]
            if k == 1:
                scored = [single[s[0]] for s in subsets]
            else:
                scored = self._score([{q: best[q].proposed_value for q in s} for s in subsets])
            reaching = [s for s, r in zip(subsets, scored, strict=True) if target_met(self.target, r[0])]
            if reaching:
                return self._cheapest_levels(reaching, max_plans)
            if len(pool) < len(ranked):
                self.proven = False
        return []

    def _cheapest_levels(self, reaching: list[tuple[str, ...]],
                         max_plans: int) -> list[tuple[tuple[Change, ...], float, float]]:
        """Among the answer levels of the reaching sets, the cheapest that still reach, in order."""
        variants: list[tuple[Change, ...]] = []
        for subset in reaching:
            variants += list(itertools.product(*(self.per_question[q] for q in subset)))
        variants.sort(key=lambda v: (round(sum(c.cost for c in v), 9), -sum(c.credit for c in v),
                                     sorted(c.question_id for c in v)))
        found: list[tuple[tuple[Change, ...], float, float]] = []
        start = 0
        while start < len(variants) and len(found) < max_plans:
            room = max(self.budget - self.sheets, BATCH // 4)
            chunk = variants[start:start + min(BATCH, room)]
            start += len(chunk)
            scored = self._score([{c.question_id: c.proposed_value for c in v} for v in chunk])
            for v, (shown, unrounded) in zip(chunk, scored, strict=True):
                if target_met(self.target, shown) and len(found) < max_plans:
                    found.append((self._ordered(v), float(shown or 0), float(unrounded or 0)))
            if self.sheets >= self.budget and start < len(variants):
                self.bounded = True
                break
        if not found:
            # Out of budget before any cheaper level reached: the reaching sets at their best
            # answers reach by construction; re-score the cheapest of them.
            tops = sorted((tuple(self.per_question[q][-1] for q in subset) for subset in reaching),
                          key=lambda v: (round(sum(c.cost for c in v), 9), sorted(c.question_id for c in v)))
            tops = tops[:max_plans]
            best = self._score([{c.question_id: c.proposed_value for c in v} for v in tops])
            found = [(self._ordered(v), float(shown or 0), float(unrounded or 0))
                     for v, (shown, unrounded) in zip(tops, best, strict=True) if target_met(self.target, shown)]
        return found

    def _ordered(self, changes: tuple[Change, ...]) -> tuple[Change, ...]:
        """A plan's changes in questionnaire order."""
        return tuple(sorted(changes, key=lambda c: (c.standard, self.order[c.question_id])))


def plan_for(con: duckdb.DuckDBPyConnection, code: str, year: int, standard: int | None,
             peer_mode: str = DEFAULT_PEER_MODE) -> PlanResult:
    """One request end to end (the page caches it per published version): a Planner for the
    round, the plans, and the private copies closed again."""
    planner = Planner(con, year)
    try:
        return planner.plan(code, standard, peer_mode=peer_mode if peer_mode in PEER_MODES else DEFAULT_PEER_MODE)
    finally:
        planner.close()
