"""lib.collection.respond: what the questionnaire page shows, without Streamlit."""

from __future__ import annotations

import pytest

from lib.collection import respond as rs


def test_question_heading_escapes_the_wording_and_anchors_it():
    text = rs.question_heading("emp_dbs", "Checks <script>x</script> *now*", scored=False)
    assert text.startswith('<a id="question-emp-dbs"></a>**')
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\*now\\*" in text and text.endswith(" *(optional)*")


def test_an_apostrophe_in_a_heading_stays_an_apostrophe():
    text = rs.question_heading("pa_training", "Training for a PA's own needs", scored=True)
    assert "PA's own needs" in text and "&#x27;" not in text and "#" not in text


def test_anchor_ids_take_plain_question_ids_only():
    assert rs.anchor_id("pa_register_2") == "question-pa-register-2"
    with pytest.raises(ValueError, match="not a plain identifier"):
        rs.anchor_id('x" onmouseover="y')
