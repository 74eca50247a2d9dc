"""Scoring as SQL views inside DuckDB: the one place answers become scores, ranks and bands.

Pages, exports and the CLI read these views; nothing re-computes a score in pandas.
The rules themselves (answer scores, weights, bands) come from standards/scoring.toml via
the answer_options, questions, standards, bands and scoring_settings tables.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from lib.base.rounding import SQL_MACROS
from lib.scoring.like_for_like import LIKE_FOR_LIKE_VIEWS
from lib.store import db

# A round's councils are those valid on its council-set day (valid_from <= day < valid_to).
VIEWS = """
CREATE OR REPLACE VIEW round_councils AS
SELECT r.year AS round_year, a.code AS authority_code, a.display_name, a.name, a.region_code,
       a.region_name, a.type,
       EXISTS (SELECT 1 FROM responses x WHERE x.round_year = r.year AND x.authority_code = a.code)
           AS responded
FROM survey_rounds r JOIN authorities a
  ON (a.valid_from IS NULL OR a.valid_from <= r.council_set_on)
 AND (a.valid_to IS NULL OR a.valid_to > r.council_set_on);

-- Each round's hex-map layout: the one named by the day its council set began.
CREATE OR REPLACE VIEW round_layouts AS
SELECT r.year AS round_year, r.council_set_on,
       (SELECT strftime(max(d), '%Y-%m-%d') FROM (
            SELECT valid_from AS d FROM authorities UNION ALL SELECT valid_to FROM authorities) c
        WHERE c.d <= r.council_set_on) AS layout
FROM survey_rounds r;

CREATE OR REPLACE VIEW round_hex_cells AS
SELECT c.round_year, c.authority_code, h.col AS hex_col, h.row AS hex_row
FROM round_councils c
JOIN round_layouts l USING (round_year)
LEFT JOIN hex_cells h ON h.layout = l.layout AND h.code = c.authority_code;

CREATE OR REPLACE VIEW respondents AS
SELECT round_year, authority_code FROM round_councils WHERE responded;

-- Each council appears in three comparison scopes: England, its region, its council type.
CREATE OR REPLACE VIEW council_scopes AS
SELECT round_year, authority_code, responded, 'england' AS scope, 'E92000001' AS scope_code,
       'England' AS scope_name FROM round_councils
UNION ALL
SELECT round_year, authority_code, responded, 'region', region_code, region_name FROM round_councils
UNION ALL
SELECT round_year, authority_code, responded, 'type', type, type FROM round_councils;

CREATE OR REPLACE VIEW scope_coverage AS
SELECT round_year, scope, scope_code, scope_name,
       count(*) AS councils,
       count(*) FILTER (WHERE responded) AS respondents,
       count(*) FILTER (WHERE responded) / count(*) AS coverage
FROM council_scopes GROUP BY ALL;

-- One row per responding council and scored question asked in that round.
-- status: known (a scored answer), unknown (e.g. "Don't know"), missing (no answer).
-- The unknown-answer rule (scoring.toml [unknown_answers]): an unknown or missing answer earns
-- the credit of the question's worst known answer, so it can never help a council. `score` is
-- the credit counted; `best_score` is what the best known answer would earn instead, the top
-- of the range the unknown and missing answers leave open (equal to `score` for a known one).
CREATE OR REPLACE VIEW answer_set_bounds AS
SELECT answer_set, min(score) AS worst_score, max(score) AS best_score
FROM answer_options WHERE NOT is_unknown AND score IS NOT NULL
GROUP BY answer_set;

-- A round's questionnaire: the scored questions of the bank for its year (asked_from) that its
-- respondents were asked, read from their answers (a question some respondent answered, if only
-- "Don't know"). An import's file carries the questions that were asked, and every council in it
-- answers each one; a question the file leaves out altogether was not asked that round, and
-- counts for nobody, rather than as a blank for everybody.
CREATE OR REPLACE VIEW round_questions AS
SELECT q.*, r.year AS round_year
FROM survey_rounds r JOIN questions q ON q.scored AND q.asked_from <= r.year
WHERE EXISTS (SELECT 1 FROM responses x WHERE x.round_year = r.year AND x.question_id = q.id);

CREATE OR REPLACE VIEW question_scores AS
SELECT p.round_year, p.authority_code, q.id AS question_id, q.standard, q.weight, q.audience,
       r.answer, o.label AS answer_label, coalesce(r.providers, []::VARCHAR[]) AS providers,
       CASE WHEN r.answer IS NULL THEN 'missing'
            WHEN o.is_unknown THEN 'unknown'
            ELSE 'known' END AS status,
       CASE WHEN r.answer IS NOT NULL AND NOT o.is_unknown THEN o.score ELSE b.worst_score END AS score,
       CASE WHEN r.answer IS NOT NULL AND NOT o.is_unknown THEN o.score ELSE b.best_score END AS best_score
FROM respondents p
JOIN round_questions q ON q.round_year = p.round_year
JOIN answer_set_bounds b ON b.answer_set = q.answer_set
LEFT JOIN responses r
       ON r.round_year = p.round_year AND r.authority_code = p.authority_code AND r.question_id = q.id
LEFT JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = r.answer;

-- The display rule (scoring.toml [display]): a score is shown rounded half up, and its band
-- and ranks follow the number shown. `score` in the views below is that shown number;
-- `score_unrounded` keeps the exact mean for exports and for the overall score.
CREATE OR REPLACE MACRO shown(x) AS
    shown_score(x, (SELECT CAST(value AS INTEGER) FROM scoring_settings WHERE key = 'score_decimals'));

CREATE OR REPLACE MACRO band_for(s) AS
    (SELECT b.key FROM bands b WHERE shown(s) >= b.min_score ORDER BY b.min_score DESC LIMIT 1);

-- A standard's score: the weighted mean credit of every scored question the round asked about
-- it, x 100, with unknown and missing answers at their question's worst credit. A standard the
-- round asked about always has a score; one it did not ask about has none (asked = false).
-- evidence: at least one known answer stands behind the score. score_high: the score if every
-- unknown and missing answer had been the best answer; the score itself is the low end.
CREATE OR REPLACE VIEW standard_scores AS
WITH agg AS (
    SELECT p.round_year, p.authority_code, s.number AS standard, s.short_name, s.weight AS standard_weight,
           count(qs.question_id) AS questions,
           count(qs.answer) AS answered,
           count(*) FILTER (WHERE qs.status = 'unknown') AS unknown,
           count(*) FILTER (WHERE qs.status = 'missing') AS missing,
           count(*) FILTER (WHERE qs.status = 'known') > 0 AS evidence,
           count(qs.question_id) > 0 AS asked,
           100 * sum(qs.weight * qs.score) / nullif(sum(qs.weight), 0) AS raw_score,
           100 * sum(qs.weight * qs.best_score) / nullif(sum(qs.weight), 0) AS raw_high
    FROM respondents p
    CROSS JOIN standards s
    LEFT JOIN question_scores qs
           ON qs.round_year = p.round_year AND qs.authority_code = p.authority_code
          AND qs.standard = s.number
    GROUP BY ALL
)
SELECT round_year, authority_code, standard, short_name, standard_weight, questions, answered,
       unknown, missing, evidence, asked, score,
       CASE WHEN asked THEN band_for(raw_score) END AS band,
       CASE WHEN asked THEN raw_score END AS score_unrounded,
       score AS score_low, score_high,
       CASE WHEN asked THEN raw_high END AS score_high_unrounded
FROM (SELECT *, CASE WHEN asked THEN shown(raw_score) END AS score,
             CASE WHEN asked THEN shown(raw_high) END AS score_high
      FROM agg);

-- How many standards a council must have answered to be ranked: min_standards_for_rank, or
-- every standard asked about if the round asked about fewer (the 2012-2014 surveys covered
-- four of the nine). A standard counts as answered with any answer, "Don't know" included, so
-- a "Don't know" never takes a council out of the ranking.
CREATE OR REPLACE VIEW round_rank_rule AS
SELECT r.year AS round_year,
       count(DISTINCT q.standard) AS standards_asked,
       least(count(DISTINCT q.standard),
             (SELECT CAST(value AS INTEGER) FROM scoring_settings WHERE key = 'min_standards_for_rank'))
           AS min_standards
FROM survey_rounds r JOIN round_questions q ON q.round_year = r.year
GROUP BY r.year;

-- Overall: weighted mean of the (unrounded) scores of every standard the round asked about,
-- shown rounded. Ranks follow the shown score, so councils shown at the same score share a
-- rank. The range: score_high is the overall score with every unknown and missing answer at
-- its best; rank_best is the rank that score would earn against everyone else's shown score,
-- rank_worst the rank the council has (its score is already the low end).
CREATE OR REPLACE VIEW overall_scores AS
WITH agg AS (
    SELECT round_year, authority_code,
           sum(standard_weight * score_unrounded) FILTER (WHERE asked)
               / nullif(sum(standard_weight) FILTER (WHERE asked), 0) AS score,
           sum(standard_weight * score_high_unrounded) FILTER (WHERE asked)
               / nullif(sum(standard_weight) FILTER (WHERE asked), 0) AS high,
           count(*) FILTER (WHERE evidence) AS standards_evidenced,
           count(*) FILTER (WHERE asked) AS standards_asked,
           count(*) FILTER (WHERE answered > 0) AS standards_answered,
           count(*) AS standards_total,
           sum(unknown) AS unknown_answers,
           sum(missing) AS missing_answers,
           sum(questions) AS scored_questions
    FROM standard_scores GROUP BY ALL
), eligible AS (
    SELECT a.*, c.region_code, c.region_name, c.type, c.display_name, c.name,
           a.standards_answered >= rr.min_standards AS ranked,
           shown(a.score) AS shown_score, shown(a.high) AS shown_high
    FROM agg a JOIN round_councils c USING (round_year, authority_code)
    JOIN round_rank_rule rr USING (round_year)
), ranked AS (
    SELECT *,
           CASE WHEN ranked THEN rank() OVER (PARTITION BY round_year, ranked ORDER BY shown_score DESC) END
               AS rank,
           CASE WHEN ranked THEN rank() OVER (PARTITION BY round_year, region_code, ranked
                                              ORDER BY shown_score DESC) END AS region_rank
    FROM eligible
), round_ranked AS (
    -- Every ranked council's shown score, per round: what a council's best case is ranked against.
    SELECT round_year, list(shown_score) FILTER (WHERE ranked) AS scores FROM eligible GROUP BY round_year
)
SELECT r.round_year, r.authority_code, r.display_name, r.name, r.region_code, r.region_name, r.type,
       r.shown_score AS score, band_for(r.score) AS band, r.standards_evidenced, r.standards_total,
       r.unknown_answers, r.missing_answers, r.scored_questions, r.ranked, r.rank,
       count(*) FILTER (WHERE r.ranked) OVER (PARTITION BY r.round_year) AS n_ranked,
       r.region_rank,
       count(*) FILTER (WHERE r.ranked) OVER (PARTITION BY r.round_year, r.region_code) AS region_n_ranked,
       r.score AS score_unrounded,
       r.standards_asked, r.standards_answered,
       r.shown_score AS score_low, r.shown_high AS score_high,
       -- Its own shown score is never above its own best case, so only others are counted.
       CASE WHEN r.ranked THEN 1 + len(list_filter(rr.scores, lambda x: x > r.shown_high)) END AS rank_best,
       r.rank AS rank_worst
FROM ranked r JOIN round_ranked rr USING (round_year);

-- Share of responding councils giving each answer, per question and scope.
CREATE OR REPLACE VIEW answer_shares AS
WITH asked AS (
    SELECT s.round_year, s.scope, s.scope_code, s.scope_name, s.authority_code,
           q.id AS question_id, q.answer_set
    FROM council_scopes s JOIN questions q ON q.asked_from <= s.round_year
    WHERE s.responded
)
SELECT a.round_year, a.scope, a.scope_code, a.scope_name, a.question_id,
       o.value AS answer, o.label AS answer_label, o.position,
       count(*) FILTER (WHERE r.answer = o.value) AS councils,
       count(*) AS respondents,
       count(*) FILTER (WHERE r.answer = o.value) / count(*) AS share
FROM asked a
JOIN answer_options o ON o.answer_set = a.answer_set
LEFT JOIN responses r
       ON r.round_year = a.round_year AND r.authority_code = a.authority_code
      AND r.question_id = a.question_id
GROUP BY ALL;

-- Share of responding councils naming each provider, per question and scope.
CREATE OR REPLACE VIEW provider_shares AS
WITH asked AS (
    SELECT s.round_year, s.scope, s.scope_code, s.scope_name, s.authority_code, q.id AS question_id
    FROM council_scopes s
    JOIN questions q ON q.asked_from <= s.round_year
    JOIN (SELECT DISTINCT answer_set FROM answer_options WHERE allows_providers) ps
      ON ps.answer_set = q.answer_set
    WHERE s.responded
)
SELECT a.round_year, a.scope, a.scope_code, a.scope_name, a.question_id,
       p.key AS provider, p.label AS provider_label,
       count(*) FILTER (WHERE list_contains(r.providers, p.key)) AS councils,
       count(*) AS respondents,
       count(*) FILTER (WHERE list_contains(r.providers, p.key)) / count(*) AS share
FROM asked a CROSS JOIN providers p
LEFT JOIN responses r
       ON r.round_year = a.round_year AND r.authority_code = a.authority_code
      AND r.question_id = a.question_id
GROUP BY ALL;

-- Per question and scope: the availability picture, with n and response coverage.
CREATE OR REPLACE VIEW question_summary AS
SELECT s.round_year, s.scope, s.scope_code, s.scope_name, s.question_id,
       q.standard, q.audience, q.topic, q.scored,
       max(s.respondents) AS respondents,
       sum(s.councils) AS answered,
       max(s.respondents) - sum(s.councils) AS missing,
       sum(s.councils) FILTER (WHERE o.is_unknown) AS unknown,
       sum(s.share) FILTER (WHERE o.outcome = 'has') AS share_available,
       sum(s.share) FILTER (WHERE o.outcome = 'partly') AS share_in_development,
       sum(s.share) FILTER (WHERE o.outcome = 'lacks') AS share_not_available,
       sum(s.share) FILTER (WHERE o.outcome = 'unknown') AS share_dont_know,
       avg(qs_mean.mean_score) AS mean_score,
       max(c.councils) AS councils_in_scope,
       max(c.coverage) AS coverage
FROM answer_shares s
JOIN questions q ON q.id = s.question_id
JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = s.answer
JOIN scope_coverage c USING (round_year, scope, scope_code)
LEFT JOIN (
    SELECT cs.round_year, cs.scope, cs.scope_code, qs.question_id, avg(qs.score) AS mean_score
    FROM question_scores qs
    JOIN council_scopes cs USING (round_year, authority_code)
    WHERE qs.answer IS NOT NULL
    GROUP BY ALL
) qs_mean USING (round_year, scope, scope_code, question_id)
GROUP BY ALL;

-- Per standard and scope: distribution of council scores and share in each band.
CREATE OR REPLACE VIEW standard_summary AS
SELECT ss.round_year, cs.scope, cs.scope_code, cs.scope_name, ss.standard, ss.short_name,
       count(*) AS respondents,
       count(ss.score) AS scored,
       count(*) FILTER (WHERE ss.evidence) AS evidenced,
       median(ss.score) AS median_score,
       quantile_cont(ss.score, 0.25) AS q1_score,
       quantile_cont(ss.score, 0.75) AS q3_score,
       avg(ss.score) AS mean_score,
       count(*) FILTER (WHERE ss.band = (SELECT key FROM bands ORDER BY min_score DESC LIMIT 1))
           / nullif(count(ss.score), 0) AS share_meeting,
       max(c.councils) AS councils_in_scope,
       max(c.coverage) AS coverage
FROM standard_scores ss
JOIN council_scopes cs USING (round_year, authority_code)
JOIN scope_coverage c ON c.round_year = cs.round_year AND c.scope = cs.scope AND c.scope_code = cs.scope_code
GROUP BY ALL;

CREATE OR REPLACE VIEW overall_summary AS
SELECT o.round_year, cs.scope, cs.scope_code, cs.scope_name,
       count(*) AS respondents,
       count(*) FILTER (WHERE o.ranked) AS ranked,
       median(o.score) FILTER (WHERE o.ranked) AS median_score,
       quantile_cont(o.score, 0.25) FILTER (WHERE o.ranked) AS q1_score,
       quantile_cont(o.score, 0.75) FILTER (WHERE o.ranked) AS q3_score,
       max(c.councils) AS councils_in_scope,
       max(c.coverage) AS coverage
FROM overall_scores o
JOIN council_scopes cs USING (round_year, authority_code)
JOIN scope_coverage c ON c.round_year = cs.round_year AND c.scope = cs.scope AND c.scope_code = cs.scope_code
GROUP BY ALL;
"""

# The like-for-like views (lib/scoring/like_for_like.py) read the views above.
VIEWS += LIKE_FOR_LIKE_VIEWS

VIEW_NAMES = (
    "round_councils", "round_layouts", "round_hex_cells", "respondents", "council_scopes", "scope_coverage",
    "round_questions", "answer_set_bounds", "question_scores", "standard_scores", "round_rank_rule", "overall_scores", "answer_shares", "provider_shares",
    "question_summary", "standard_summary", "overall_summary", "round_pairs", "like_for_like_basis",
    "like_for_like_standard_scores", "like_for_like_overall", "like_for_like_summary",
)


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create every scoring view (and the rounding macros they use)."""
    con.execute(SQL_MACROS)
    con.execute(VIEWS)


#: The scoring views as the store checks and installs them (lib.store.db.Views).
DEFINITION = db.Views(sql=SQL_MACROS + VIEWS, create=create_views)


#: Tables the scoring views read besides survey_rounds and responses: the rules and the councils.
RULE_TABLES = ("authorities", "authority_lineage", "hex_cells", "standards", "questions", "answer_options", "providers", "bands",
               "scoring_settings")


def scoring_copy(source: duckdb.DuckDBPyConnection, year: int | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory database holding the source's scoring rules and councils (and, with
    `year`, that round and its responses) under the same scoring views.

    Whatever is scored there (an import's preview, a self-assessment) is scored by exactly the
    SQL that scores the real rounds, and the source is only read. Callers add their own round
    or answers to the copy; the views read them when queried.
    """
    con = db.connect(":memory:")
    db.create_schema(con)
    copies: list[tuple[str, str, list[int]]] = [
        (table, f"SELECT * FROM {table}", []) for table in RULE_TABLES]  # noqa: S608 - fixed names
    if year is not None:
        copies += [("survey_rounds", "SELECT * FROM survey_rounds WHERE year = ?", [int(year)]),
                   ("responses", "SELECT * FROM responses WHERE round_year = ?", [int(year)])]
    with db.transaction(con):
        for table, query, params in copies:
            con.register("_copy_src", source.sql(query, params=params or None).to_arrow_table())
            try:
                con.execute(f"INSERT INTO {table} SELECT * FROM _copy_src")  # noqa: S608 - fixed names
            finally:
                con.unregister("_copy_src")
    create_views(con)
    return con


def rounds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Survey rounds with their respondents, newest first."""
    return con.execute(
        """
        SELECT r.year, r.label, r.is_demo, r.council_set_on, r.provenance,
               (SELECT count(*) FROM respondents p WHERE p.round_year = r.year) AS respondents,
               (SELECT count(*) FROM round_councils c WHERE c.round_year = r.year) AS councils
        FROM survey_rounds r ORDER BY r.year DESC
        """
    ).df()


def standard_scores(con: duckdb.DuckDBPyConnection, round_year: int) -> pd.DataFrame:
    """Every responding council's nine standard scores for a round, with names and bands."""
    return con.execute(
        """
        SELECT s.authority_code, c.display_name, c.name, c.region_code, c.region_name, c.type,
               s.standard, s.short_name, s.score, s.band, s.evidence, s.asked, s.questions, s.answered,
               s.unknown, s.missing
        FROM standard_scores s
        JOIN round_councils c USING (round_year, authority_code)
        WHERE s.round_year = ?
        ORDER BY c.display_name, s.standard
        """,
        [round_year],
    ).df()


def overall_scores(con: duckdb.DuckDBPyConnection, round_year: int) -> pd.DataFrame:
    """Overall score, band and rank of every responding council in a round."""
    return con.execute(
        "SELECT * EXCLUDE (round_year) FROM overall_scores WHERE round_year = ? "
        "ORDER BY rank NULLS LAST, display_name",
        [round_year],
    ).df()


def standards_needed_for_rank(con: duckdb.DuckDBPyConnection, round_year: int) -> tuple[int, int]:
    """(standards a council needs evidence on to be ranked, standards the round asks about)."""
    row = con.execute(
        "SELECT min_standards, standards_asked FROM round_rank_rule WHERE round_year = ?", [round_year]
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


# --------------------------------------------------------------------------------------------
# Bands, as the charts and tables show them
# --------------------------------------------------------------------------------------------

def band_scale(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, float]]:
    """[(band key, label, minimum score)], highest band first (for shading charts)."""
    return [(k, lab, float(m)) for k, lab, m in
            con.execute("SELECT key, label, min_score FROM bands ORDER BY min_score DESC").fetchall()]


def band_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Band key -> the words shown for it ('partly_meets' -> 'Partly meets')."""
    return dict(con.execute("SELECT key, label FROM bands ORDER BY position").fetchall())


def top_band(con: duckdb.DuckDBPyConnection) -> tuple[str, str, float]:
    """(key, label, minimum score) of the highest band: the one that means 'meets the standard'."""
    return band_scale(con)[0]


def lowest_band(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(key, label) of the lowest band: the one that means 'does not meet the standard'."""
    key, label, _ = band_scale(con)[-1]
    return key, label
