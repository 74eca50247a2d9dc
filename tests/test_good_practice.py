"""lib.analysis.good_practice against the session database: each filter returns exactly the examples the
reference files say it should (worked out here from the CSVs, independently of the SQL)."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.analysis import good_practice as gp
from lib.base.paths import ROOT


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    """case_studies.csv with each example's region, from authorities.csv."""
    df = pd.read_csv(ROOT / "data" / "case_studies.csv", dtype=str, keep_default_na=False)
    authorities = pd.read_csv(ROOT / "data" / "authorities.csv", dtype=str, keep_default_na=False)
    region = authorities.drop_duplicates("code").set_index("code")["region_code"]
    df["region_code"] = df["authority_code"].map(region)
    df["numbers"] = df["standards"].map(lambda s: {int(n) for n in s.split(";")})
    return df


def _ids(df: pd.DataFrame) -> set[str]:
    return set(df["id"])


def test_every_example_from_both_documents(repo_con, cases) -> None:
    out = gp.find_examples(repo_con)
    assert _ids(out) == _ids(cases)
    assert out["source_document"].value_counts().to_dict() == {"advice_note": 13, "report_2015": 10}
    assert not out["standard_names"].map(len).eq(0).any()
    names = gp.standard_names(repo_con)
    for row in out.itertuples():
        assert list(row.standard_names) == [names[n] for n in row.standards]


@pytest.mark.parametrize("standards", [[7], [3, 9], [1, 8]])
def test_filter_by_standard(repo_con, cases, standards) -> None:
    out = gp.find_examples(repo_con, standards=standards)
    expected = cases[cases["numbers"].map(lambda s: bool(s & set(standards)))]
    assert _ids(out) == _ids(expected) and len(expected)


def test_filter_by_region_and_not_tied_to_a_council(repo_con, cases) -> None:
    london = gp.find_examples(repo_con, regions=["E12000007"])
    assert _ids(london) == _ids(cases[cases["region_code"] == "E12000007"])
    assert set(london["region_name"]) == {"London"}
    none = gp.find_examples(repo_con, regions=[gp.NO_COUNCIL])
    assert _ids(none) == _ids(cases[cases["authority_code"] == ""]) == {
        "an-s5-log-on-to-care-elearning", "an-s9-unnamed-nmds-sc-commissioning"}
    both = gp.find_examples(repo_con, regions=["E12000007", gp.NO_COUNCIL])
    assert _ids(both) == _ids(london) | _ids(none)
    assert gp.region_options(repo_con)[gp.NO_COUNCIL] == gp.NO_COUNCIL_LABEL


def test_free_text_every_word_in_title_organisation_or_summary(repo_con, cases) -> None:
    hay = (cases["title"] + " " + cases["organisation"] + " " + cases["summary"]).str.lower()
    out = gp.find_examples(repo_con, standards=[7], text="peer")
    expected = cases[cases["numbers"].map(lambda s: 7 in s) & hay.str.contains("peer")]
    assert _ids(out) == _ids(expected) and len(expected) >= 2
    two = gp.find_examples(repo_con, text="PA  Register")
    assert _ids(two) == _ids(cases[hay.str.contains("pa") & hay.str.contains("register")])
    # Text is a value, never SQL or a LIKE pattern.
    assert gp.find_examples(repo_con, text="%' OR 1=1 --").empty


def test_filter_by_source_document(repo_con, cases) -> None:
    out = gp.find_examples(repo_con, sources=["report_2015"])
    assert _ids(out) == _ids(cases[cases["source_document"] == "report_2015"])
    assert set(gp.SOURCES) == set(cases["source_document"])


def test_source_labels(repo_con) -> None:
    assert gp.source_label("advice_note", "Standard 4") == "Advice note, standard 4"
    assert gp.source_label("report_2015", "Chapter 6, p. 54") == "Report 2015, page 54"
    assert gp.source_label("report_2015", "Chapter 6") == "Report 2015, chapter 6"
    out = gp.find_examples(repo_con).set_index("id")
    assert out.loc["rep-cs-north-yorkshire", "source_label"] == "Report 2015, page 54"
    assert out.loc["an-s3-cheshire-west-pa-apprenticeships", "source_label"] == "Advice note, standard 3"


def test_recommendations_grouped_by_theme_with_standards(repo_con) -> None:
    recs = pd.read_csv(ROOT / "data" / "recommendations.csv")
    out = gp.recommendations(repo_con)
    assert sorted(out["number"]) == sorted(recs["number"]) and len(out) == 11
    # Themes appear in one block each, in the order of their first recommendation.
    themes = list(dict.fromkeys(out["theme"]))
    assert themes == list(dict.fromkeys(recs.sort_values("number")["theme"]))
    assert out["theme"].tolist() == [t for t in themes for _ in range((out["theme"] == t).sum())]
    seven = gp.recommendations(repo_con, [7])
    stored = repo_con.execute("SELECT number FROM recommendations WHERE list_contains(standards, 7)").fetchall()
    assert set(seven["number"]) == {r[0] for r in stored} and len(seven)


def test_standards_text_names_each_standard(repo_con) -> None:
    names = gp.standard_names(repo_con)
    assert gp.standards_text([1, 7], [names[1], names[7]]) == f"1. {names[1]}; 7. {names[7]}"


def test_standards_text_for_a_recommendation_without_a_standard() -> None:
    # Recommendation 11 (moving to health budgets) bears on none of the nine standards.
    assert gp.standards_text([], []) == "none of the nine directly"
