"""The synthetic demonstration rounds: reproducible, plausible, consistent and calibrated."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from lib.base.paths import DEMO_DIR
from lib.demo import calibration
from lib.demo import generator as demo
from lib.demo import model as demo_model
from lib.scoring.standards import load_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generated():
    return demo.generate()


@pytest.mark.slow  # runs the demo generator
def test_regenerates_committed_files_byte_for_byte(generated, tmp_path):
    paths = demo.write_rounds(generated, tmp_path)
    assert [p.name for p in paths] == [f"responses_{y}.parquet" for y in (2012, 2013, 2014, 2015)]
    for path in paths:
        committed = DEMO_DIR / path.name
        assert committed.exists(), f"{committed} is not committed"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(committed.read_bytes()).hexdigest(), (
            f"{path.name} differs from the committed file: run `uv run python -m lib.demo.generator`")


@pytest.mark.slow  # runs the demo generator
def test_round_sizes_and_isles_of_scilly(generated):
    sizes = {year: df["authority_code"].nunique() for year, df in generated.items()}
    assert sizes == {2012: 54, 2013: 64, 2014: 75, 2015: 95}
    for df in generated.values():
        assert "E06000053" not in set(df["authority_code"])


def test_regional_spread_is_plausible(repo_con):
    df = repo_con.execute(
        "SELECT round_year, scope_name, coverage, respondents FROM scope_coverage WHERE scope = 'region'"
    ).df()
    national = repo_con.execute(
        "SELECT round_year, coverage FROM scope_coverage WHERE scope = 'england'").df().set_index("round_year")["coverage"]
    for row in df.itertuples():
        assert row.respondents >= 1, f"{row.scope_name} has no respondent in {row.round_year}"
        assert abs(row.coverage - national[row.round_year]) < 0.2, (row.round_year, row.scope_name, row.coverage)


@pytest.mark.slow  # runs the demo generator
def test_answers_are_valid_options_and_providers_only_where_allowed(generated):
    config = load_config()
    for year, df in generated.items():
        for row in df.itertuples():
            q = config.question(row.question_id)
            answer_set = config.answer_sets[q.answer_set]
            assert row.answer in answer_set.values, (year, row)
            if len(row.providers):
                assert answer_set.providers and row.answer in answer_set.provider_options, (year, row)
                assert set(row.providers) <= set(config.providers)


@pytest.mark.slow  # runs the demo generator
def test_internally_consistent(generated):
    df = generated[2015].pivot(index="authority_code", columns="question_id", values="answer")
    with_register = df[df["emp_pa_register"] == "available"]
    lets_pas_promote = with_register["pa_promote_services"].isin(["available", "in_development"])
    assert lets_pas_promote.mean() >= 0.8, "councils with a PA register should usually let PAs promote services"
    assert (df == "dont_know").sum().sum() > 0, "a few realistic don't-know answers are expected"
    assert (df == "dont_know").sum().sum() / df.size < 0.1


def _calibration_misses(con, year: int, tolerance: float) -> list[str]:
    from lib.analysis.gaps import measure_share

    figures = calibration.implied_levels(calibration.load_figures())
    misses = []
    for row in figures[figures["year"] == year].itertuples():
        share = measure_share(con, year, row.question_id, row.measure)
        got = None if share is None else share * 100
        if got is None or abs(got - row.percent) > tolerance:
            misses.append(f"{row.question_id} {row.measure}: published {row.percent:.0f}%, demo "
                          f"{'none' if got is None else f'{got:.1f}%'}")
    return misses


def test_calibrated_to_2015_published_figures_within_2_points(repo_con):
    misses = _calibration_misses(repo_con, 2015, 2.0)
    assert not misses, "2015 figures the demo misses:\n" + "\n".join(misses)


def test_calibrated_to_2014_figures_within_2_points(repo_con):
    misses = _calibration_misses(repo_con, 2014, 2.0)
    assert not misses, "2014 figures the demo misses:\n" + "\n".join(misses)


def test_calibration_covers_figures(repo_con):
    figures = calibration.implied_levels(calibration.load_figures())
    assert (figures["year"] == 2015).sum() >= 30
    assert (figures["year"] == 2014).sum() >= 2
    assert isinstance(figures, pd.DataFrame)


def test_published_changes_without_a_level_are_reproduced_within_2_points(repo_con):
    """E.g. pre-employment training for employers: 'up 34 points since 2014' with no 2015 level."""
    from lib.analysis.gaps import measure_share

    loose = calibration.unanchored_changes(calibration.load_figures())
    assert len(loose) >= 1
    misses = []
    for row in loose.itertuples():
        now = measure_share(repo_con, row.year, row.question_id, row.measure)
        before = measure_share(repo_con, row.year - 1, row.question_id, row.measure)
        got = 100 * (now - before)
        if abs(got - row.percent) > 2.0:
            misses.append(f"{row.question_id} {row.measure}: published +{row.percent:.0f}, demo {got:+.1f}")
    assert not misses, "\n".join(misses)


# --------------------------------------------------------------------------------------------
# Calibration against every figure the 2015 report states
# --------------------------------------------------------------------------------------------

# data/published_figures.csv is this project's extraction of every figure the 2015 report
# states, each with its figure or section reference (source_ref). Rows with a question_id and
# measure are expressed by the question bank and checked below; these are the ones it cannot
# express, and why. A row missing from both lists fails the test.
NOT_EXPRESSIBLE = {
    "dp_recipients_2014": "people on direct payments nationally: not a council survey answer",
    "dp_recipients_2013": "people on direct payments nationally: not a council survey answer",
    "dp_employers_2014": "a national estimate of employers, not a council survey answer",
    "pas_england_2015": "a national estimate of PAs, not a council survey answer",
    "phb_survey_2015": "the separate survey of health bodies, which the dashboard does not hold",
    "directors_changed_2015": "who was invited to answer is not recorded in the question bank",
    "sf_iag_compliance_2015": "why councils changed their advice is a free-text follow-up with no question here",
    "pa_care_certificate_register_2015": "a follow-up to the Care Certificate question that has no answer here",
    "pa_care_certificate_places_2015": "its base (councils already offering Care Certificate training) is not asked",
    "pa_care_certificate_no_plans_2015": "how far councils' plans have got is a follow-up with no answer here",
    "health_dual_training_2015": "what the implications are is a free-text follow-up with no question here",
}
# Figures checked by their own tests rather than as answer shares.
COUNTED = {"responses_2012", "responses_2013", "responses_2014", "responses_2015",
           "response_rate_2015", "both_years_2015"}
# Levels the 1-point calibration cannot hold, with the hand-worked reason.
ONE_POINT_EXCEPTIONS = {
    # 74% of 95 = 70.3, so 70 or 71 councils have peer support available or in development and
    # each names a provider; 40% + 12% + 19% of 95 = 67.5 mentions, so at least three more are
    # needed and not every provider share can stay within 1 point. Held within 2 points instead.
    ("emp_peer_support", "provider:support_org"),
    ("emp_peer_support", "provider:other_cvo"),
    # Figure 1.4 gives 14% not yet available and 13% don't know (27%); the text's "a quarter"
    # (25%) is held within 1 point, so the two parts can only be held within 2.
    ("emp_care_cert_assessment", "answer:not_available"),
    ("emp_care_cert_assessment", "answer:dont_know"),
}


def _all_figures() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "published_figures.csv", dtype=str, keep_default_na=False)


def test_every_report_figure_is_expressed_or_named() -> None:
    figures = _all_figures()
    assert len(figures) >= 85, "the extraction should list every figure the report states"
    assert (figures["source_ref"].str.strip() != "").all(), "every figure needs its reference"
    mapped = set(figures.loc[(figures["question_id"] != "") & (figures["measure"] != ""), "figure_id"])
    unmapped = set(figures["figure_id"]) - mapped
    assert unmapped == set(NOT_EXPRESSIBLE) | COUNTED
    assert not mapped & set(NOT_EXPRESSIBLE)
    for figure_id, why in NOT_EXPRESSIBLE.items():
        assert why.strip(), figure_id


@pytest.mark.slow  # runs the demo generator
def test_counted_figures(generated, repo_con) -> None:
    figures = _all_figures().set_index("figure_id")
    for year in (2012, 2013, 2014, 2015):
        assert generated[year]["authority_code"].nunique() == int(figures.loc[f"responses_{year}", "count"])
    both = set(generated[2014]["authority_code"]) & set(generated[2015]["authority_code"])
    assert len(both) == int(figures.loc["both_years_2015", "count"])
    # 95 of the report's 151 councils (the Isles of Scilly never answer).
    share = 100 * generated[2015]["authority_code"].nunique() / int(figures.loc["response_rate_2015", "base_n"])
    assert abs(share - float(figures.loc["response_rate_2015", "percent"])) <= 2.0


def test_every_expressible_level_within_2_points(repo_con) -> None:
    misses = _calibration_misses(repo_con, 2015, 2.0) + _calibration_misses(repo_con, 2014, 2.0)
    assert not misses, "published figures the demo misses:\n" + "\n".join(misses)


def test_levels_within_1_point_except_the_named(repo_con) -> None:
    from lib.analysis.gaps import measure_share

    figures = calibration.implied_levels(calibration.load_figures())
    misses, exceptions_used = [], set()
    for row in figures.itertuples():
        got = 100 * measure_share(repo_con, row.year, row.question_id, row.measure)
        if abs(got - row.percent) > 1.0 + 1e-9:
            if (row.question_id, row.measure) in ONE_POINT_EXCEPTIONS:
                exceptions_used.add((row.question_id, row.measure))
            else:
                misses.append(f"{row.year} {row.question_id} {row.measure}: {row.percent:.0f} vs {got:.1f}")
    assert not misses, "\n".join(misses)
    assert exceptions_used == ONE_POINT_EXCEPTIONS, "the exceptions should name exactly the misses"
    assert len(figures) - len(exceptions_used) >= 65


# --------------------------------------------------------------------------------------------
# Who answered which round
# --------------------------------------------------------------------------------------------

def _respondents(con, year: int) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT authority_code FROM respondents WHERE round_year = ?", [year]).fetchall()}


def test_respondents_come_and_go_between_rounds(repo_con) -> None:
    rounds = {y: _respondents(repo_con, y) for y in (2012, 2013, 2014, 2015)}
    assert len(rounds[2014] & rounds[2015]) == 51  # report, "Other findings"
    for (earlier, later), overlap in demo_model.OVERLAPS.items():
        assert len(rounds[earlier] & rounds[later]) == overlap
        # Not nested: some councils of the earlier round do not answer the later one.
        assert rounds[earlier] - rounds[later], (earlier, later)


# --------------------------------------------------------------------------------------------
# Providers and related answers
# --------------------------------------------------------------------------------------------

def test_every_answer_that_allows_providers_names_one(repo_con) -> None:
    bare = repo_con.execute(
        """
        SELECT r.round_year, r.authority_code, r.question_id, r.answer
        FROM responses r JOIN questions q ON q.id = r.question_id
        JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = r.answer
        WHERE o.allows_providers AND len(r.providers) = 0
        """).fetchall()
    assert not bare, bare[:5]


def test_providers_the_report_names_alongside_the_council_appear(repo_con) -> None:
    """Figure 1.5: the council is not the only source for these; figure 2.4: councils and other
    voluntary bodies also support PAs, less often than support organisations."""
    def share(q: str, p: str) -> float:
        return repo_con.execute(
            "SELECT share FROM provider_shares WHERE round_year = 2015 AND scope = 'england' "
            "AND question_id = ? AND provider = ?", [q, p]).fetchone()[0]

    for q in ("emp_info_employing", "emp_rates_of_pay", "emp_dbs"):
        assert share(q, "support_org") > 0 and share(q, "other_cvo") > 0, q
    # Figures 1.6-1.7: these come more often from support or voluntary organisations.
    for q in ("emp_payroll", "emp_relationship_building", "emp_relationship_breakdown",
              "emp_pre_employment_training", "emp_legal_info"):
        assert share(q, "la") < share(q, "support_org"), q
    # Figure 1.13: The Pensions Regulator, recorded as a national body, and only there.
    assert share("emp_pensions", "national_body") > 0
    others = repo_con.execute("SELECT count(*) FROM responses WHERE question_id <> 'emp_pensions' "
                              "AND list_contains(providers, 'national_body')").fetchone()[0]
    assert others == 0
    for q in ("pa_info_working", "pa_relationship_breakdown", "pa_legal_info", "pa_relationship_building",
              "pa_promote_services", "pa_peer_support"):
        assert 0 < share(q, "la") < share(q, "support_org"), q
        assert 0 < share(q, "other_cvo") < share(q, "support_org"), q


def test_dbs_route_agrees_with_dbs_providers(repo_con) -> None:
    rows = repo_con.execute(
        """
        SELECT r.authority_code, r.answer, e.answer, e.providers FROM responses r
        JOIN responses e ON e.round_year = r.round_year AND e.authority_code = r.authority_code
         AND e.question_id = 'emp_dbs'
        WHERE r.round_year = 2015 AND r.question_id = 'dbs_route'
        """).fetchall()
    assert len(rows) == 95
    for code, route, service, providers in rows:
        if route in ("la", "support_org"):
            assert route in providers, (code, route, providers)
            assert service in ("available", "in_development"), (code, service)


def test_register_training_needs_a_register_and_every_council_ticks_a_pay_band(repo_con) -> None:
    orphans = repo_con.execute(
        """
        SELECT t.authority_code FROM responses t JOIN responses g
          ON g.round_year = t.round_year AND g.authority_code = t.authority_code AND g.question_id = 'emp_pa_register'
        WHERE t.question_id = 'pa_register_training' AND t.answer IN ('yes', 'in_development')
          AND g.answer NOT IN ('available', 'in_development')
        """).fetchall()
    assert not orphans
    no_band = repo_con.execute(
        """
        SELECT authority_code FROM responses WHERE round_year = 2015 AND question_id LIKE 'pay_rate_%'
        GROUP BY authority_code HAVING count(*) FILTER (WHERE answer = 'selected') = 0
        """).fetchall()
    assert not no_band


# --------------------------------------------------------------------------------------------
# Cited councils, floor, effects, employers and PAs
# --------------------------------------------------------------------------------------------

def test_cited_councils_answer_their_round_at_or_above_the_median(repo_con) -> None:
    cases = pd.read_csv(ROOT / "data" / "case_studies.csv", dtype=str, keep_default_na=False)
    cases = cases[cases["authority_code"] != ""]
    assert len(cases) >= 18
    checked = 0
    for row in cases.itertuples():
        for year in sorted({demo_model.EVIDENCE_ROUND[row.source_document], 2015}):
            assert row.authority_code in _respondents(repo_con, year), (row.id, year)
            for standard in (int(s) for s in row.standards.split(";")):
                got = repo_con.execute(
                    """
                    SELECT s.score, (SELECT median(score) FROM standard_scores m
                                     WHERE m.round_year = s.round_year AND m.standard = s.standard AND m.evidence)
                    FROM standard_scores s
                    WHERE s.round_year = ? AND s.authority_code = ? AND s.standard = ? AND s.evidence
                    """, [year, row.authority_code, standard]).fetchone()
                if got is None:  # the round's questionnaire did not ask about this standard
                    assert year < 2015, (row.id, standard)
                    continue
                assert got[0] >= got[1] - 1e-9, (row.id, year, standard, got)
                checked += 1
    assert checked >= 40


def test_no_overall_score_below_the_floor(repo_con) -> None:
    rows = repo_con.execute("SELECT round_year, min(score) FROM overall_scores GROUP BY 1").fetchall()
    assert len(rows) == 4
    for year, lowest in rows:
        assert lowest >= demo_model.OVERALL_FLOOR == 20.0, (year, lowest)


def test_region_and_type_effects_are_small(repo_con) -> None:
    # Stated effects: region effects drawn with SD 0.15, type effects at most 0.1, against a
    # council's own readiness of SD 1.
    effects = demo_model.region_effects(sorted({r[0] for r in repo_con.execute(
        "SELECT DISTINCT region_code FROM round_councils").fetchall()}))
    assert len(effects) == 9 and max(abs(v) for v in effects.values()) <= 0.5
    assert max(abs(v) for v in demo_model.TYPE_EFFECTS.values()) <= 0.1
    # What they lead to in 2015: region and council-type averages of the overall score stay
    # close (the earlier demo's regions ran from 40 to 72).
    for column in ("region_code", "type"):
        means = repo_con.execute(
            f"SELECT avg(score) FROM overall_scores WHERE round_year = 2015 GROUP BY {column}").fetchall()  # noqa: S608
        spread = max(m[0] for m in means) - min(m[0] for m in means)
        assert spread <= 15.0, (column, spread)


def test_employers_get_at_least_as_much_support_as_pas(repo_con) -> None:
    from lib.analysis.gaps import HAS_SUPPORT

    for pa_q, emp_q in demo_model.PAIRED.items():
        rows = repo_con.execute(
            """
            SELECT s.round_year, s.question_id, sum(s.share) FILTER (WHERE o.outcome = ?) AS has
            FROM answer_shares s
            JOIN questions q ON q.id = s.question_id
            JOIN answer_options o ON o.answer_set = q.answer_set AND o.value = s.answer
            WHERE s.scope = 'england' AND s.question_id IN (?, ?) GROUP BY ALL
            """, [HAS_SUPPORT, pa_q, emp_q]).df()
        wide = rows.pivot(index="round_year", columns="question_id", values="has").dropna()
        assert len(wide), (pa_q, emp_q)
        for year, row in wide.iterrows():
            assert row[pa_q] <= row[emp_q], (year, pa_q, row[pa_q], emp_q, row[emp_q])


def test_care_certificate_answers_record_figure_1_4(repo_con) -> None:
    from lib.analysis.gaps import measure_share

    # Figure 1.4: on request 15%, through a support organisation 6%, not yet 14%, don't know 13%.
    for measure, published in (("answer:on_request", 15), ("answer:contract", 6),
                               ("answer:not_available", 14), ("answer:dont_know", 13)):
        got = 100 * measure_share(repo_con, 2015, "emp_care_cert_assessment", measure)
        assert abs(got - published) <= 2.0, (measure, got)


def test_description_says_synthetic_and_names_the_rules() -> None:
    from lib.reference.build import DEMO_PROVENANCE

    assert DEMO_PROVENANCE == demo_model.DESCRIPTION
    for phrase in ("Synthetic", "51", "median", "describes no real council"):
        assert phrase in demo_model.DESCRIPTION, phrase
    assert len(demo_model.ASSUMPTIONS) >= 8
