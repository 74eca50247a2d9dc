"""The like-for-like scoring views: a round against the round before it, on what both asked.

Part of the scoring views (lib.scoring.views adds them after its own, which they read). When a
later round asks more (2015 asked about nine standards where 2012-2014 asked about four, and two
more questions about standard 2 than 2014), comparing the two rounds' own scores would mix a
change in practice with a change in the questionnaire, so both are scored again here on the
questions both rounds asked, by the same rules (the unknown-answer rule included).
"""

LIKE_FOR_LIKE_VIEWS = """
-- Like-for-like comparison between a round and the round before it. Where a later round adds
-- questions to a standard (2015 asked two more about standard 2 than 2014), comparing the
-- two rounds' scores would mix a change in practice with a change in the questionnaire. So
-- both rounds are re-scored here on the questions asked in both, by the same rules.
CREATE OR REPLACE VIEW round_pairs AS
SELECT r.year AS round_year, max(p.year) AS compare_year
FROM survey_rounds r JOIN survey_rounds p ON p.year < r.year
GROUP BY r.year;

-- Per pair and standard: how many scored questions each round asked and how many both asked.
CREATE OR REPLACE VIEW like_for_like_basis AS
SELECT *, questions_now <> questions_common OR questions_before <> questions_common AS questions_changed
FROM (
    SELECT rp.round_year, rp.compare_year, s.number AS standard, s.short_name,
           (SELECT count(*) FROM round_questions q
            WHERE q.round_year = rp.round_year AND q.standard = s.number) AS questions_now,
           (SELECT count(*) FROM round_questions q
            WHERE q.round_year = rp.compare_year AND q.standard = s.number) AS questions_before,
           (SELECT count(*) FROM round_questions q JOIN round_questions p ON p.id = q.id
            WHERE q.round_year = rp.round_year AND p.round_year = rp.compare_year AND q.standard = s.number)
               AS questions_common
    FROM round_pairs rp CROSS JOIN standards s
);

-- Each responding council of either round of a pair, scored on the questions both rounds asked
-- (by the same unknown-answer rule as standard_scores).
-- side: 'now' (round_year) or 'before' (compare_year).
CREATE OR REPLACE VIEW like_for_like_standard_scores AS
WITH sides AS (
    SELECT round_year, compare_year, 'now' AS side, round_year AS scored_year, compare_year AS other_year
    FROM round_pairs
    UNION ALL
    SELECT round_year, compare_year, 'before', compare_year, round_year FROM round_pairs
), agg AS (
    SELECT sd.round_year, sd.compare_year, sd.side, sd.scored_year, qs.authority_code, qs.standard,
           count(*) FILTER (WHERE qs.status = 'known') > 0 AS evidence,
           100 * sum(qs.weight * qs.score) / nullif(sum(qs.weight), 0) AS raw_score
    FROM sides sd
    JOIN question_scores qs ON qs.round_year = sd.scored_year
    JOIN round_questions q ON q.id = qs.question_id AND q.round_year = sd.other_year
    GROUP BY ALL
)
SELECT round_year, compare_year, side, scored_year, authority_code, standard, evidence,
       shown(raw_score) AS score, band_for(raw_score) AS band, raw_score AS score_unrounded
FROM agg;

-- Each responding council of either round of a pair, its overall score on the standards both
-- rounds asked about (each scored on the questions both asked, as above), weighted as the overall
-- score is. Where the questionnaire changed (2012-2014 asked about four standards, 2015 about
-- nine), comparing the two rounds' own overall scores would compare different things; this is
-- the like-for-like overall. standards: the standards it covers.
CREATE OR REPLACE VIEW like_for_like_overall AS
SELECT l.round_year, l.compare_year, l.side, l.scored_year, l.authority_code,
       sum(s.weight * l.score_unrounded) / nullif(sum(s.weight), 0) AS score_unrounded,
       shown(sum(s.weight * l.score_unrounded) / nullif(sum(s.weight), 0)) AS score,
       list(l.standard ORDER BY l.standard) AS standards
FROM like_for_like_standard_scores l JOIN standards s ON s.number = l.standard
GROUP BY ALL;

-- Per pair, scope and standard: the median and the share meeting the standard in each round,
-- on the common questions; with the question counts, so a page can say a standard gained or
-- lost questions. Shares and medians are of shown scores, like standard_summary.
CREATE OR REPLACE VIEW like_for_like_summary AS
WITH per_side AS (
    SELECT l.round_year, l.compare_year, l.side, cs.scope, cs.scope_code, cs.scope_name, l.standard,
           count(l.score) AS scored,
           median(l.score) AS median_score,
           count(*) FILTER (WHERE l.band = (SELECT key FROM bands ORDER BY min_score DESC LIMIT 1))
               / nullif(count(l.score), 0) AS share_meeting
    FROM like_for_like_standard_scores l
    JOIN council_scopes cs ON cs.round_year = l.scored_year AND cs.authority_code = l.authority_code
    GROUP BY ALL
)
SELECT b.round_year, b.compare_year, sc.scope, sc.scope_code, sc.scope_name, b.standard, b.short_name,
       b.questions_now, b.questions_before, b.questions_common, b.questions_changed,
       p.median_score AS previous_median, n.median_score AS median,
       p.share_meeting AS previous_share_meeting, n.share_meeting AS share_meeting,
       coalesce(p.scored, 0) AS previous_scored, coalesce(n.scored, 0) AS scored
FROM like_for_like_basis b
JOIN (SELECT DISTINCT round_year, scope, scope_code, scope_name FROM council_scopes WHERE responded) sc
  ON sc.round_year = b.round_year
LEFT JOIN per_side n ON n.side = 'now' AND n.round_year = b.round_year AND n.standard = b.standard
                    AND n.scope = sc.scope AND n.scope_code = sc.scope_code
LEFT JOIN per_side p ON p.side = 'before' AND p.round_year = b.round_year AND p.standard = b.standard
                    AND p.scope = sc.scope AND p.scope_code = sc.scope_code;
"""
