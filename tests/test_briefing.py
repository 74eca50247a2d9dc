"""The two-page briefing (lib.reports.briefing_data and briefing_html): its numbers are the scorecard's, it says when the
council has been reorganised since the round, it shows the top gaps with one short example
each and a link back, and the full detail is an appendix only when asked for.

Councils are chosen by code from the demo rounds: Leeds (E08000035, unchanged since 2015),
North Yorkshire county (E10000023, replaced by a unitary on 1 April 2023), Buckinghamshire
county (E10000002, replaced by a unitary on 1 April 2020), Northamptonshire (E10000021, split
in 2021) and Sheffield (E08000019, new code in 2025, same council). Every expected value is
read from lib.analysis.scorecard or the lineage tables, never typed in.
"""

from __future__ import annotations

import html.parser
import re
from datetime import date

import pytest

from lib.analysis import scorecard
from lib.reference import geography
from lib.reports import briefing_data, briefing_html
from lib.scoring import views as scoring

YEAR = 2015
TODAY = date(2026, 12, 1)  # a fixed "today" so the reorganisation notes do not depend on the clock
LEEDS, NORTH_YORKSHIRE, BUCKINGHAMSHIRE = "E08000035", "E10000023", "E10000002"
NORTHAMPTONSHIRE, SHEFFIELD = "E10000021", "E08000019"
APPENDIX_HEADING = "Appendix: every gap in full"


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def _text(doc: str) -> str:
    parser = _Text()
    parser.feed(doc)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _doc(con, code: str, year: int = YEAR, **kw) -> str:
    return briefing_html.briefing_html(con, code, year, is_demo=True, generated=TODAY, **kw)


def most_gaps(con, year: int = YEAR) -> tuple[str, int]:
    """The responding council with the most gaps in the round (lowest code on a tie) and its
    count, from standard_scores: a gap is a standard below the top band or without evidence
    (the rule of scorecard.gaps, which is too slow to run for every council in each test)."""
    top = scoring.top_band(con)[0]
    return con.execute(
        "SELECT s.authority_code, count(*) FILTER (WHERE NOT s.evidence OR s.band IS DISTINCT FROM ?) AS n "
        "FROM standard_scores s JOIN respondents r USING (round_year, authority_code) WHERE s.round_year = ? "
        "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1", [top, year]).fetchone()


@pytest.fixture()
def councils(repo_con) -> list[str]:
    return [LEEDS, NORTH_YORKSHIRE, most_gaps(repo_con)[0]]


def test_most_gaps_counts_as_the_scorecard_does(repo_con):
    code, n = most_gaps(repo_con)
    assert len(scorecard.gaps(repo_con, code, YEAR)) == n
    assert n > len(scorecard.gaps(repo_con, LEEDS, YEAR)), "the busiest briefing has more gaps than Leeds"


def test_the_named_councils_answered_the_demo_round(repo_con):
    answered = {r[0] for r in repo_con.execute("SELECT authority_code FROM respondents WHERE round_year = ?",
                                               [YEAR]).fetchall()}
    assert {LEEDS, NORTH_YORKSHIRE, BUCKINGHAMSHIRE, NORTHAMPTONSHIRE, SHEFFIELD} <= answered


def test_headline_and_standards_are_the_scorecards(repo_con, councils):
    for code in councils:
        doc = _doc(repo_con, code)
        head = scorecard.headline(repo_con, code, YEAR)
        me = scorecard.council(repo_con, code, YEAR)
        facts = dict(re.findall(r'<div class="fact"><span class="label">([^<]*)</span>'
                                r'<span class="value">([^<]*)</span>', doc))
        assert facts["Overall score (out of 100)"] == head.score_text
        assert facts["Band"] == head.band_label
        assert facts["Rank in England"] == head.rank_text
        assert facts[f"Rank in {me['region_name']}"] == head.region_rank_text
        assert facts["Standards with evidence"] == f"{head.evidenced} of {head.standards_total}"
        assert facts["\u201cDon\u2019t know\u201d or not answered"] == str(head.unknown_answers + head.missing_answers)
        profile = scorecard.standard_profile(repo_con, code, YEAR)
        rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td class="num">([^<]*)</td><td>([^<]*)</td>', doc)
        assert rows == list(zip(profile["standard_label"], profile["score_text"], profile["band_text"], strict=True))


def test_top_gaps_are_the_first_of_the_scorecards_gap_list(repo_con, councils):
    for code in councils:
        gaps = scorecard.gaps(repo_con, code, YEAR)
        eligible = gaps[gaps["reason"].isin(briefing_data.TOP_GAP_KINDS)].head(briefing_data.TOP_GAPS)
        expected = [f"Standard {int(r.standard)}: {r.short_name}" for r in eligible.itertuples()]
        doc = _doc(repo_con, code)
        shown = re.findall(r'<section class="gap[^"]*"><h3>([^<]*)</h3>', doc)
        assert shown == expected
        assert f"The {len(expected)} biggest gap" in _text(doc)
        assert "first 3 of the scorecard\u2019s gap list" in _text(doc), "the rule for choosing them is stated"
        rest = len(gaps) - len(expected)
        if rest:
            assert f"not in the top band ({rest}):" in _text(doc)


def test_each_top_gap_has_one_short_example_with_its_citation(repo_con, councils):
    for code in councils:
        data = briefing_data.briefing_data(repo_con, code, YEAR, is_demo=True, generated=TODAY)
        picked = briefing_data.pick_examples(data.top_gaps, code)
        text = _text(briefing_html.render(data))
        for i, (gap, ex) in enumerate(zip(data.top_gaps, picked, strict=True)):
            # The scorecard lists the council's own region first; the pick is the first example
            # not about the council itself and not already used for an earlier gap.
            others = [e for e in gap.examples if e.authority_code != code]
            assert ex == next((e for e in others if e not in picked[:i]), others[0])
            short = ex.short_summary
            assert ex.summary.startswith(short)
            assert len(re.findall(r"[.!?](?:\s|$)", short)) <= 2, short
            assert f"{short} ({ex.citation})" in text
            if short != ex.summary:
                assert ex.summary not in text, "the full example text is for the appendix"
        titles = [e.title for e in picked if e is not None]
        assert len(set(titles)) == len(titles) or any(
            len([e for e in g.examples if e.authority_code != code]) < len(data.top_gaps) for g in data.top_gaps)


def test_short_summary_keeps_a_short_first_sentence_company():
    ex = briefing_data.Example("T", "Org", "Short one. A second sentence here. A third.", "Advice note, standard 1")
    assert ex.short_summary == "Short one. A second sentence here."
    long_first = "x" * briefing_data.SHORT_EXAMPLE_CHARS + ". Second."
    assert briefing_data.Example("T", "O", long_first, "c").short_summary == "x" * briefing_data.SHORT_EXAMPLE_CHARS + "."


def test_reorganisation_is_told_for_north_yorkshire_and_buckinghamshire(repo_con):
    for code in (NORTH_YORKSHIRE, BUCKINGHAMSHIRE):
        (today_code,) = geography.counterparts_on(repo_con, code, TODAY)
        assert today_code != code
        when = repo_con.execute("SELECT effective_date FROM authority_lineage WHERE predecessor_code = ? "
                                "AND successor_code = ?", [code, today_code]).fetchone()[0]
        text = _text(_doc(repo_con, code))
        assert "Reorganised since this round" in text
        assert f"On {geography.describe_day(when)} " in text
        assert f"{code}), the council that answered this survey, was replaced by today\u2019s" in text
        assert f"(unitary council, {today_code})" in text
        assert "not today\u2019s council" in text
    # Hand check: North Yorkshire's unitary began on 1 April 2023, Buckinghamshire's on 1 April 2020.
    assert "1 April 2023" in _text(_doc(repo_con, NORTH_YORKSHIRE))
    assert "1 April 2020" in _text(_doc(repo_con, BUCKINGHAMSHIRE))


def test_no_reorganisation_note_for_leeds_or_before_the_change(repo_con):
    assert briefing_data.reorganisation(repo_con, LEEDS, YEAR, TODAY) is None
    assert "Reorganised" not in _text(_doc(repo_con, LEEDS))
    # Before 1 April 2023 the county was still North Yorkshire's council: nothing to say yet.
    assert briefing_data.reorganisation(repo_con, NORTH_YORKSHIRE, YEAR, date(2023, 3, 31)) is None
    assert briefing_data.reorganisation(repo_con, NORTH_YORKSHIRE, YEAR, date(2023, 4, 1)) is not None


def test_a_split_names_every_council_today_and_a_recode_is_only_a_new_code(repo_con):
    split = briefing_data.reorganisation(repo_con, NORTHAMPTONSHIRE, YEAR, TODAY)
    assert split is not None and len(split.today_codes) == 2
    assert "was abolished; its area is now covered by" in split.text
    for c in split.today_codes:
        assert c in split.text
    recode = briefing_data.reorganisation(repo_con, SHEFFIELD, YEAR, TODAY)
    (new,) = geography.counterparts_on(repo_con, SHEFFIELD, TODAY)
    assert recode is not None and recode.title == "New council code since this round"
    assert f"ONS code changed from {SHEFFIELD} to {new}" in recode.text


def test_appendix_only_when_asked(repo_con, councils):
    for code in councils:
        short, full = _doc(repo_con, code), _doc(repo_con, code, appendix=True)
        assert APPENDIX_HEADING not in short and APPENDIX_HEADING in full
        assert "break-before: page" in briefing_html.CSS
        assert full.index('<section class="appendix">') > full.index("<footer>"), "the appendix follows the briefing"
        full_text, short_text = _text(full), _text(short)
        said = "The appendix after this briefing, on pages of its own"
        assert said in full_text and said not in short_text
        for gap in briefing_data.briefing_data(repo_con, code, YEAR, is_demo=True, generated=TODAY).gaps:
            assert gap.heading in full_text
            for action in gap.actions:
                assert action in full_text
            for ex in gap.examples:
                assert ex.summary in full_text
            for topic, answer in gap.answers:
                assert f"{topic}: {answer}" in full_text
        assert len(full) > len(short)


def test_link_back_to_the_scorecard(repo_con):
    text = _text(_doc(repo_con, LEEDS, base_url="http://dash.example:8501/"))
    assert f"http://dash.example:8501/scorecard?authority={LEEDS}&round={YEAR}" in text
    relative = _doc(repo_con, LEEDS)
    assert f'href="scorecard?authority={LEEDS}&amp;round={YEAR}"' in relative
    assert "Open the Scorecard page of PA Support Benchmark" in _text(relative)


def test_synthetic_label_stays_with_and_without_the_appendix(repo_con):
    for appendix in (False, True):
        demo = _doc(repo_con, NORTH_YORKSHIRE, appendix=appendix)
        assert demo.index('<div class="demo"') < demo.index("<h1>"), "the label comes before anything else"
        assert "synthetic demonstration data" in _text(demo).lower()
        real = briefing_html.briefing_html(repo_con, NORTH_YORKSHIRE, YEAR, is_demo=False, generated=TODAY,
                                           appendix=appendix)
        assert "synthetic" not in real.lower()


def test_every_printed_page_carries_the_council_page_number_and_demo_label(repo_con):
    demo = _doc(repo_con, NORTH_YORKSHIRE)
    style = demo[demo.index("<style>"):demo.index("</style>")]
    assert '@top-center { content: "Synthetic demonstration data: not real council responses"' in style
    assert f'content: "North Yorkshire, {YEAR} round"' in style
    assert 'counter(page) " of " counter(pages)' in style
    real = briefing_html.briefing_html(repo_con, NORTH_YORKSHIRE, YEAR, is_demo=False, generated=TODAY)
    assert "@top-center" not in real


def test_a_name_from_data_cannot_break_out_of_the_page_css():
    data = briefing_data.BriefingData(
        council_name='A "quoted" </style><script>x</script>', council_code="E0", region_name="R",
        council_type="Unitary council", type_group="Unitary councils", year=YEAR, is_demo=True, score_text="1",
        band_text="B", rank_text="1 of 1", region_rank_text="1 of 1", evidenced=1, standards_total=1,
        unknown_answers=0, missing_answers=0, notes=[], standards=[], gaps=[], generated=TODAY)
    doc = briefing_html.render(data)
    assert doc.count("</style>") == 1 and "<script" not in doc.lower()
    assert '"A \\"quoted\\" \\3C /style>\\3C script>x\\3C /script>, 2015 round"' in doc
