"""Every validation message of the standards loader, plus the real files loading cleanly."""

from __future__ import annotations

import pytest

from lib.scoring.config import StandardsConfigError
from lib.scoring.standards import load_config
from tests.fixtures import SCORING, question, questions_toml, standards_toml, write_config


def problems_for(tmp_path, **files) -> list[str]:
    with pytest.raises(StandardsConfigError) as info:
        load_config(write_config(tmp_path / "cfg", **files))
    return [str(p) for p in info.value.problems]


def test_fixture_config_is_valid(tmp_path):
    config = load_config(write_config(tmp_path / "cfg"))
    assert len(config.standards) == 9
    assert config.standard(3).weight == 2.0
    assert [b.key for b in config.bands] == ["meets", "partly_meets", "does_not_meet"]
    assert config.band_for(75.0).key == "meets"
    # Bands follow the shown (half-up rounded) score: 74.5 is shown as 75, 39.49 as 39.
    assert config.band_for(74.5).key == "meets"
    assert config.band_for(74.49).key == "partly_meets"
    assert config.band_for(39.5).key == "partly_meets"
    assert config.band_for(39.49).key == "does_not_meet"


def test_repository_standards_load():
    config = load_config()
    numbers = {q.standard for q in config.questions if q.scored}
    assert numbers == set(range(1, 10))


def test_unknown_standard(tmp_path):
    msgs = problems_for(tmp_path, questions=questions_toml() + question("qx", 12))
    assert "questions.toml: question 'qx', field 'standard': unknown standard 12" in msgs


def test_duplicate_id(tmp_path):
    msgs = problems_for(tmp_path, questions=questions_toml() + question("q2", 2))
    assert "questions.toml: question 'q2', field 'id': duplicate id" in msgs


def test_option_without_score(tmp_path):
    msgs = problems_for(tmp_path, questions=questions_toml() + question("qy", 2, answer_set="yes_no_context"))
    assert any(m.startswith("questions.toml: question 'qy', field 'answer_set': option 'yes' of set "
                            "'yes_no_context' has no score") for m in msgs)


@pytest.mark.parametrize("weight", [0, -1, 5.5])
def test_weight_out_of_range(tmp_path, weight):
    msgs = problems_for(tmp_path, questions=questions_toml() + question("qw", 2, weight=weight))
    assert any(m.startswith("questions.toml: question 'qw', field 'weight':") and "out of range" in m for m in msgs)


def test_standard_with_no_scored_question(tmp_path):
    qs = questions_toml().replace('id = "q9"\nstandard = 9', 'id = "q9"\nstandard = 8')
    msgs = problems_for(tmp_path, questions=qs)
    assert "questions.toml: standard 9, field 'standard': no scored question evidences this standard" in msgs


def test_scored_question_needs_a_standard(tmp_path):
    msgs = problems_for(tmp_path, questions=questions_toml() + question("qn", None))
    assert "questions.toml: question 'qn', field 'standard': a scored question must name the standard it evidences" in msgs


def test_unknown_answer_set_and_audience(tmp_path):
    bad = question("qa", 2, answer_set="nope").replace('audience = "employers"', 'audience = "everyone"')
    msgs = problems_for(tmp_path, questions=questions_toml() + bad)
    assert "questions.toml: question 'qa', field 'answer_set': unknown answer set 'nope' (not in scoring.toml)" in msgs
    assert any("field 'audience': 'everyone' is not one of" in m for m in msgs)


def test_missing_standard_and_bad_recommendation(tmp_path):
    text = standards_toml().replace("number = 5", "number = 8").replace("recommendations = [1]", "recommendations = [14]")
    msgs = problems_for(tmp_path, standards=text)
    assert "standards.toml: standard 8, field 'number': duplicate standard number" in msgs
    # The number of standards is read from the file (here 1 to 9), so a gap is named.
    assert ("standards.toml: standard 5, field 'number': standard is missing (standards are numbered "
            "1 to 9 with no gaps)") in msgs
    assert "standards.toml: standard 1, field 'recommendations': [14] are not recommendation numbers 1..11" in msgs


def test_missing_text_field(tmp_path):
    msgs = problems_for(tmp_path, standards=standards_toml().replace('short_name = "Standard 4"\n', ""))
    assert "standards.toml: standard 4, field 'short_name': is missing" in msgs


def test_invalid_toml_names_file(tmp_path):
    msgs = problems_for(tmp_path, scoring_text="[bands\n")
    assert msgs[0].startswith("scoring.toml: (file), field '-': not valid TOML")


def test_score_out_of_range_and_band_order(tmp_path):
    text = SCORING.replace("score = 0.5,", "score = 1.5,").replace("min = 40.0", "min = 90.0")
    msgs = problems_for(tmp_path, scoring_text=text)
    assert any("answer set 'availability' option 'in_development', field 'score': 1.5 is out of range" in m for m in msgs)
    assert "scoring.toml: bands, field 'min': bands must be listed from the highest minimum to the lowest, with no repeats" in msgs


def test_standard_weight_out_of_range(tmp_path):
    msgs = problems_for(tmp_path, scoring_text=SCORING.replace("3 = 2.0", "3 = 9.0"))
    assert any(m.startswith("scoring.toml: standard_weights '3', field 'weight': 9.0 is out of range") for m in msgs)


def test_reports_every_problem_at_once(tmp_path):
    qs = questions_toml() + question("q2", 2) + question("qx", 12)
    msgs = problems_for(tmp_path, questions=qs)
    assert len(msgs) >= 2


def test_unknown_keys_are_refused_by_name(tmp_path):
    scoring_text = (SCORING.replace('score = 0.5, outcome = "partly"', 'scroe = 0.5, outcome = "partly"')
                    .replace('description = "top"', 'description = "top"\ncolor = "#000000"'))
    questions = questions_toml().replace('id = "q2"\n', 'id = "q2"\nstandrad = 2\n')
    msgs = problems_for(tmp_path, scoring_text=scoring_text, questions=questions)
    assert ("scoring.toml: answer set 'availability' option 'in_development', field 'scroe': unknown key "
            "(allowed: label, outcome, score, value)") in msgs
    assert any(m.startswith("scoring.toml: band 'meets', field 'color': unknown key") for m in msgs)
    assert any(m.startswith("questions.toml: question 'q2', field 'standrad': unknown key") for m in msgs)


def test_every_option_needs_a_known_outcome(tmp_path):
    text = (SCORING.replace('score = 1.0, outcome = "has"', 'score = 1.0')
            .replace('score = 0.0, outcome = "lacks"', 'score = 0.0, outcome = "maybe"'))
    msgs = problems_for(tmp_path, scoring_text=text)
    assert "scoring.toml: answer set 'availability' option 'available', field 'outcome': is missing" in msgs
    assert ("scoring.toml: answer set 'availability' option 'not_available', field 'outcome': 'maybe' is "
            "not one of has, partly, lacks, unknown") in msgs


def test_display_rule_method_and_colours_are_checked(tmp_path):
    text = (SCORING.replace('decimals = 0', 'decimals = 2').replace('rounding = "half_up"', 'rounding = "bankers"')
            .replace('method = "weighted_mean_of_standards"', 'method = "median"')
            .replace('colour = "#0072B2"', 'colour = "blue"'))
    msgs = problems_for(tmp_path, scoring_text=text)
    assert "scoring.toml: display, field 'decimals': 2: scores are shown as whole numbers, so this must be 0" in msgs
    assert "scoring.toml: display, field 'rounding': 'bankers' must be one of half_up" in msgs
    assert "scoring.toml: overall, field 'method': 'median' must be one of weighted_mean_of_standards" in msgs
    assert "scoring.toml: band 'meets', field 'colour': 'blue' must be a colour written #RRGGBB" in msgs


def test_repository_options_all_have_outcomes_and_bands_have_colours():
    config = load_config()
    for answer_set in config.answer_sets.values():
        for option in answer_set.options:
            assert option.outcome in ("has", "partly", "lacks", "unknown"), (answer_set.key, option.value)
    assert all(b.colour.startswith("#") and b.tint.startswith("#") for b in config.bands)
    assert set(config.outcomes) == {"has", "partly", "lacks", "unknown"}


def test_band_minimums_are_whole_numbers(tmp_path):
    msgs = problems_for(tmp_path, scoring_text=SCORING.replace("min = 75.0", "min = 74.5"))
    assert ("scoring.toml: band 'meets', field 'min': 74.5 must be a whole number: scores are shown as "
            "whole numbers and the band follows the number shown") in msgs


def test_the_unknown_answer_rule_is_named_and_a_dont_know_score_must_follow_it(tmp_path):
    # The views score "Don't know" as the set's worst known answer (0 here); a file that gives it
    # 0.5, or names another rule, states something the scoring does not do.
    text = (SCORING.replace('{ value = "dont_know", label = "Don\'t know", score = 0.0, outcome = "unknown" }',
                            '{ value = "dont_know", label = "Don\'t know", score = 0.5, outcome = "unknown" }')
            .replace('unknown_answers = "worst_answer"', 'unknown_answers = "left_out"'))
    msgs = problems_for(tmp_path, scoring_text=text)
    assert ("scoring.toml: answer set 'availability' option 'dont_know', field 'score': 0.5: an unknown answer "
            "counts as the worst known answer ([overall] unknown_answers), so its score must be 0 or left out") in msgs
    assert ("scoring.toml: overall, field 'unknown_answers': 'left_out' must be one of worst_answer "
            "(the rule the scoring views implement)") in msgs
