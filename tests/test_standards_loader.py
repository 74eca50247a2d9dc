"""Every validation message of the standards loader, plus the real files loading cleanly."""

from __future__ import annotations

import pytest

from lib.standards import StandardsConfigError, load_config
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
    assert config.band_for(39.99).key == "does_not_meet"


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
    text = standards_toml().replace("number = 9", "number = 8").replace("recommendations = [1]", "recommendations = [14]")
    msgs = problems_for(tmp_path, standards=text)
    assert "standards.toml: standard 8, field 'number': duplicate standard number" in msgs
    assert "standards.toml: standard 9, field 'number': standard is missing (all nine are needed)" in msgs
    assert "standards.toml: standard 1, field 'recommendations': [14] are not recommendation numbers 1..11" in msgs


def test_missing_text_field(tmp_path):
    msgs = problems_for(tmp_path, standards=standards_toml().replace('short_name = "Standard 4"\n', ""))
    assert "standards.toml: standard 4, field 'short_name': is missing" in msgs


def test_invalid_toml_names_file(tmp_path):
    msgs = problems_for(tmp_path, scoring_text="[bands\n")
    assert msgs[0].startswith("scoring.toml: (file), field '-': not valid TOML")


def test_score_out_of_range_and_band_order(tmp_path):
    text = SCORING.replace("score = 0.5 }", "score = 1.5 }").replace("min = 40.0", "min = 90.0")
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
