"""Repairs of a drawn demo round, checked against the scoring views: answers are swapped between
councils (national counts unchanged) until every cited council is at or above the national
median on the standards it illustrates and no council is below the overall floor.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.demo.model import BUNDLES, OVERALL_FLOOR
from lib.scoring.config import StandardsConfig


class _Scorer:
    """An in-memory database with the repository's rules and councils, to read the scoring views
    (lib/scoring/views.py) on a draft round; scores are never computed here."""

    def __init__(self, config: StandardsConfig, data_dir: Path) -> None:
        from lib.reference import build
        from lib.store import db

        self.con = db.connect(":memory:")
        build.populate(self.con, config, data_dir, demo_dir=None)

    def scores(self, year: int, answers: dict[str, dict[str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
        con = self.con
        con.execute("DELETE FROM responses")
        con.execute("DELETE FROM survey_rounds")
        # Every demo round is drawn from the councils of 1 April 2015 (see _councils).
        con.execute("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) "
                    "VALUES (?, 'draft', TRUE, DATE '2015-04-01', 'draft', now())", [year])
        rows = pd.DataFrame([(year, c, q, a) for q, by_c in answers.items() for c, a in by_c.items()],
                            columns=["round_year", "authority_code", "question_id", "answer"])
        con.register("draft_df", rows)
        con.execute("INSERT INTO responses SELECT round_year, authority_code, question_id, answer, "
                    "[]::VARCHAR[], NULL, 'draft', now() FROM draft_df")
        con.unregister("draft_df")
        standards = con.execute(
            "SELECT authority_code, standard, score, median(score) OVER (PARTITION BY standard) AS median "
            "FROM standard_scores WHERE evidence ORDER BY authority_code, standard").df()
        overall = con.execute("SELECT authority_code, score FROM overall_scores ORDER BY authority_code").df()
        return standards, overall

    def close(self) -> None:
        self.con.close()


def _repair(config: StandardsConfig, scorer: _Scorer, year: int, codes: list[str],
            answers: dict[str, dict[str, str]], providers: dict[str, dict[str, list[str]]],
            protected: dict[str, set[int]]) -> None:
    """Swap answers between councils (national counts unchanged) until every cited council is at or
    above the national median on its standards and no council is below the overall floor."""
    credit = {q.id: {o.value: (o.score or 0.0) for o in config.answer_sets[q.answer_set].options}
              for q in config.questions if q.scored and q.id in answers}
    standard_of = {q.id: q.standard for q in config.questions if q.id in credit}
    for _ in range(200):
        standards, overall = scorer.scores(year, answers)
        low = standards[standards["score"] < standards["median"] - 1e-9]
        wrong = [(r.authority_code, int(r.standard)) for r in low.itertuples()
                 if int(r.standard) in protected.get(r.authority_code, set())]
        floor = [(r.authority_code, None) for r in overall.itertuples() if r.score < OVERALL_FLOOR + 2]
        if not wrong and not floor:
            return
        total = dict(zip(overall["authority_code"], overall["score"], strict=True))
        for code, standard in wrong + floor:
            qids = [q for q in credit if standard is None or standard_of[q] == standard]
            best = None
            for q in qids:
                mine = credit[q][answers[q][code]]
                for donor in codes:
                    if donor == code or standard_of[q] in protected.get(donor, set()):
                        continue
                    gain = credit[q][answers[q][donor]] - mine
                    if gain <= 0 or total[donor] < OVERALL_FLOOR + 25:
                        continue
                    rank = (gain, total[donor], q, donor)
                    if best is None or rank > best:
                        best = rank
            if best is None:
                continue
            _, _, q, donor = best
            for qid in BUNDLES.get(q, (q,)):
                if qid not in answers:
                    continue
                answers[qid][code], answers[qid][donor] = answers[qid][donor], answers[qid][code]
                if qid in providers:
                    mine_p, theirs_p = providers[qid].pop(code, None), providers[qid].pop(donor, None)
                    if theirs_p is not None:
                        providers[qid][code] = theirs_p
                    if mine_p is not None:
                        providers[qid][donor] = mine_p
            total[donor] -= 1.0  # a rough guard so one donor is not drained in one pass
    raise RuntimeError(f"could not place cited councils and the floor in {year}")

