"""A council's overall result in a round, as the scorecard's headline shows it: score, band, ranks,
the ranges its unknown answers leave, and why it is not ranked when it is not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from lib.analysis.comparison import (
    COMPARE_HIGHER,
    COMPARE_LOWER,
    COMPARE_SIMILAR,
    COMPARE_UNSURE,
    compare_with,
)
from lib.base.formatting import (
    NO_EVIDENCE,
    format_score,
    is_missing,
    rank_range,
    rank_text,
    score_range,
    score_with_range,
)


@dataclass(frozen=True)
class Headline:
    """The council's overall result in a round, with the rank rule that applied."""

    overall: dict[str, Any]
    band_label: str
    standards_asked: int
    min_standards: int
    standards_total: int

    @property
    def score_text(self) -> str:
        """'48', or '48 (48–61)' when unknown or missing answers leave a range."""
        return score_with_range(self.overall.get("score"), self.overall.get("score_low"),
                                self.overall.get("score_high"))

    @property
    def rank_text(self) -> str:
        """'12 of 95' among ranked councils in England, or 'Not ranked' (with its range, as score_text)."""
        return rank_text(self.overall)

    @property
    def score_alone(self) -> str:
        """'62': the score without its range, for a page that shows the range under it."""
        return format_score(self.overall.get("score"))

    @property
    def rank_alone(self) -> str:
        """'44 of 95' (or 'Not ranked') without its range."""
        return rank_text(self.overall, with_range=False)

    def against_england(self, median: Any) -> str:
        """A sentence comparing the overall score with England's median overall score, allowing for
        the range: higher or lower only when the whole range is; 'cannot tell' otherwise."""
        o = self.overall
        verdict = compare_with(o.get("score_low"), o.get("score_high"), median)
        if verdict is None:
            return ""
        england = f"England's median overall score, {format_score(median)}"
        if verdict == COMPARE_UNSURE:
            return (f"Against {england}: cannot tell. Its \"Don't know\" and unanswered questions leave it "
                    f"between {format_score(o.get('score_low'))} and {format_score(o.get('score_high'))}, "
                    "on either side of the median.")
        words = {COMPARE_HIGHER: "higher", COMPARE_LOWER: "lower", COMPARE_SIMILAR: "level with it"}[verdict]
        return f"Against {england}: {words}" + (
            ", whatever its unknown answers were." if score_range(o.get("score_low"), o.get("score_high")) else ".")

    def ranges(self) -> tuple[str, str]:
        """The score's and the rank's ranges on their own ('62–70', '35th–44th'), for a page that
        shows them under the figures; empty where every answer is known."""
        o = self.overall
        return (score_range(o.get("score_low"), o.get("score_high")),
                rank_range(o.get("rank_best"), o.get("rank_worst")) if self.ranked else "")

    @property
    def region_rank_text(self) -> str:
        if not self.overall.get("ranked") or is_missing(self.overall.get("region_rank")):
            return "Not ranked"
        return f"{int(self.overall['region_rank'])} of {int(self.overall['region_n_ranked'])}"

    @property
    def evidenced(self) -> int:
        return int(self.overall.get("standards_evidenced") or 0)

    @property
    def unknown_answers(self) -> int:
        return int(self.overall.get("unknown_answers") or 0)

    @property
    def missing_answers(self) -> int:
        return int(self.overall.get("missing_answers") or 0)

    @property
    def ranked(self) -> bool:
        return bool(self.overall.get("ranked"))

    def coverage_note(self, year: int) -> str:
        """Say when the round's questionnaire could only evidence some standards."""
        if self.standards_asked >= self.standards_total:
            return ""
        return (f"The {year} questionnaire covered only {self.standards_asked} of the "
                f"{self.standards_total} standards, so the other {self.standards_total - self.standards_asked} "
                "were not asked about that year and are left out of every council's score.")

    def not_ranked_reason(self, year: int) -> str:
        """Plain-English reason a responding council has no rank (empty when it is ranked)."""
        if self.ranked:
            return ""
        if self.min_standards >= self.standards_asked:
            rule = f"answers on every one of the {self.standards_asked} standards the {year} questionnaire asked about"
        else:
            rule = f"answers on at least {self.min_standards} of the {self.standards_asked} standards asked about in {year}"
        answered = int(self.overall.get("standards_answered") or 0)
        return (f"Not ranked: it answered questions on {answered} standard{'s' if answered != 1 else ''}, "
                f"and a council needs {rule} (\"Don't know\" counts as an answer; a question left blank "
                "does not).")


def headline(con: duckdb.DuckDBPyConnection, code: str, year: int) -> Headline | None:
    """Overall score, band, ranks and completeness; None when the council did not respond."""
    row = con.execute(
        """
        SELECT o.*, coalesce(b.label, ?) AS band_label, rr.standards_asked, rr.min_standards
        FROM overall_scores o
        LEFT JOIN bands b ON b.key = o.band
        JOIN round_rank_rule rr USING (round_year)
        WHERE o.round_year = ? AND o.authority_code = ?
        """,
        [NO_EVIDENCE, year, code],
    ).df()
    if row.empty:
        return None
    overall = row.iloc[0].to_dict()
    return Headline(
        overall=overall, band_label=str(overall["band_label"]),
        standards_asked=int(overall["standards_asked"]), min_standards=int(overall["min_standards"]),
        standards_total=int(overall["standards_total"]),
    )
