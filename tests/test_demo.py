"""The synthetic demonstration rounds: reproducible, plausible, consistent and calibrated."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from lib import demo
from lib.paths import DEMO_DIR
from lib.standards import load_config


@pytest.fixture(scope="module")
def generated():
    return demo.generate()


def test_regenerates_committed_files_byte_for_byte(generated, tmp_path):
    paths = demo.write_rounds(generated, tmp_path)
    assert [p.name for p in paths] == [f"responses_{y}.parquet" for y in (2012, 2013, 2014, 2015)]
    for path in paths:
        committed = DEMO_DIR / path.name
        assert committed.exists(), f"{committed} is not committed"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(committed.read_bytes()).hexdigest(), (
            f"{path.name} differs from the committed file: run `uv run python -m lib.demo`")


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


def test_internally_consistent(generated):
    df = generated[2015].pivot(index="authority_code", columns="question_id", values="answer")
    with_register = df[df["emp_pa_register"] == "available"]
    lets_pas_promote = with_register["pa_promote_services"].isin(["available", "in_development"])
    assert lets_pas_promote.mean() >= 0.8, "councils with a PA register should usually let PAs promote services"
    assert (df == "dont_know").sum().sum() > 0, "a few realistic don't-know answers are expected"
    assert (df == "dont_know").sum().sum() / df.size < 0.1


def _calibration_misses(con, year: int, tolerance: float) -> list[str]:
    from lib.gaps import measure_share

    figures = demo.implied_levels(demo.load_figures())
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


def test_calibrated_to_2014_figures_within_3_points(repo_con):
    misses = _calibration_misses(repo_con, 2014, 3.0)
    assert not misses, "2014 figures the demo misses:\n" + "\n".join(misses)


def test_calibration_covers_figures(repo_con):
    figures = demo.implied_levels(demo.load_figures())
    assert (figures["year"] == 2015).sum() >= 30
    assert (figures["year"] == 2014).sum() >= 2
    assert isinstance(figures, pd.DataFrame)


def test_published_changes_without_a_level_are_reproduced_within_3_points(repo_con):
    """E.g. pre-employment training for employers: 'up 34 points since 2014' with no 2015 level."""
    from lib.gaps import measure_share

    loose = demo.unanchored_changes(demo.load_figures())
    assert len(loose) >= 1
    misses = []
    for row in loose.itertuples():
        now = measure_share(repo_con, row.year, row.question_id, row.measure)
        before = measure_share(repo_con, row.year - 1, row.question_id, row.measure)
        got = 100 * (now - before)
        if abs(got - row.percent) > 3.0:
            misses.append(f"{row.question_id} {row.measure}: published +{row.percent:.0f}, demo {got:+.1f}")
    assert not misses, "\n".join(misses)
