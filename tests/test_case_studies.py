"""Checks on data/case_studies.csv, the good-practice library's reference data.

The rows summarise, in our own words, the good-practice examples in the advice note
"Minimum standards of support for individual employers and personal assistants" and the
chapter 6 case studies of the 2015 research report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "data" / "case_studies.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared"
GEO_DIR = SHARED / "geo"
SEEDS_DIR = SHARED / "seeds"

COLUMNS = [
    "id",
    "title",
    "organisation",
    "authority_code",
    "standards",
    "summary",
    "source_document",
    "source_ref",
    "url",
    "kind",
]
KIND_BY_SOURCE = {"advice_note": "example", "report_2015": "case_study"}
# Standards with at least one example in the file (every one of the nine).
EXPECTED_COVERAGE = set(range(1, 10))
CODE_RE = re.compile(r"^E(06|08|09|10)\d{6}$")
# A sentence ends with . ! or ? followed by whitespace or the end of the text.
SENTENCE_END_RE = re.compile(r"[.!?](?=\s|$)")
VERBATIM_RUN = 12


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype=str, keep_default_na=False)


def _standards(value: str) -> list[int]:
    return [int(part) for part in value.split(";")]


def test_columns_exact(cases: pd.DataFrame) -> None:
    assert list(cases.columns) == COLUMNS


def test_row_counts_by_source(cases: pd.DataFrame) -> None:
    counts = cases["source_document"].value_counts().to_dict()
    assert counts == {"advice_note": 13, "report_2015": 10}


def test_ids_unique_slugs(cases: pd.DataFrame) -> None:
    assert cases["id"].is_unique
    for value in cases["id"]:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value), value


@pytest.mark.parametrize("column", ["id", "title", "organisation", "summary", "source_ref"])
def test_required_text_present(cases: pd.DataFrame, column: str) -> None:
    blank = cases.loc[cases[column].str.strip() == "", "id"].tolist()
    assert not blank, f"empty {column} in rows {blank}"


def test_titles_short(cases: pd.DataFrame) -> None:
    too_long = cases.loc[cases["title"].str.len() > 70, "id"].tolist()
    assert not too_long


def test_standards_parse_to_1_to_9(cases: pd.DataFrame) -> None:
    for row in cases.itertuples():
        assert re.fullmatch(r"[1-9](;[1-9])*", row.standards), (row.id, row.standards)
        numbers = _standards(row.standards)
        assert all(1 <= n <= 9 for n in numbers)
        assert len(numbers) == len(set(numbers)), row.id


def test_advice_note_examples_sit_under_one_standard(cases: pd.DataFrame) -> None:
    advice = cases[cases["source_document"] == "advice_note"]
    for row in advice.itertuples():
        assert ";" not in row.standards, row.id
        assert row.source_ref == f"Standard {row.standards}", row.id


def test_report_refs_name_chapter_6(cases: pd.DataFrame) -> None:
    report = cases[cases["source_document"] == "report_2015"]
    for row in report.itertuples():
        assert re.fullmatch(r"Chapter 6(, p\. \d+)?", row.source_ref), (row.id, row.source_ref)


def test_standards_coverage(cases: pd.DataFrame) -> None:
    covered = {n for value in cases["standards"] for n in _standards(value)}
    assert covered == EXPECTED_COVERAGE
    # Every standard except possibly 3 and 9 must be illustrated.
    assert set(range(1, 10)) - {3, 9} <= covered


def test_kind_and_source_values(cases: pd.DataFrame) -> None:
    assert set(cases["source_document"]) <= set(KIND_BY_SOURCE)
    for row in cases.itertuples():
        assert row.kind == KIND_BY_SOURCE[row.source_document], row.id


def test_summaries_two_to_four_sentences(cases: pd.DataFrame) -> None:
    for row in cases.itertuples():
        text = row.summary.strip()
        assert len(text) <= 700, (row.id, len(text))
        assert text[-1] in ".!?", row.id
        sentences = len(SENTENCE_END_RE.findall(text))
        assert 2 <= sentences <= 4, (row.id, sentences)


def test_urls_are_absolute(cases: pd.DataFrame) -> None:
    for row in cases.itertuples():
        if row.url:
            assert row.url.startswith(("http://", "https://")), (row.id, row.url)
            assert " " not in row.url, row.id


def test_authority_code_format(cases: pd.DataFrame) -> None:
    for row in cases.itertuples():
        if row.authority_code:
            assert CODE_RE.fullmatch(row.authority_code), (row.id, row.authority_code)


def test_consortium_and_unnamed_have_no_code(cases: pd.DataFrame) -> None:
    by_id = cases.set_index("id")
    assert by_id.loc["an-s5-log-on-to-care-elearning", "authority_code"] == ""
    assert by_id.loc["an-s9-unnamed-nmds-sc-commissioning", "authority_code"] == ""
    assert by_id.loc["an-s9-unnamed-nmds-sc-commissioning", "organisation"] == (
        "An unnamed local authority"
    )


def test_authority_codes_exist_in_2015_set(cases: pd.DataFrame) -> None:
    geo = GEO_DIR / "authorities_2015.csv"
    if not geo.exists():
        pytest.skip(f"{geo} is absent (shared geography lives outside the project)")
    known = set(pd.read_csv(geo, dtype=str, keep_default_na=False)["code"])
    used = {code for code in cases["authority_code"] if code}
    assert used <= known, sorted(used - known)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_summaries_are_not_copied_from_the_seeds(cases: pd.DataFrame) -> None:
    seeds = sorted(SEEDS_DIR.glob("*.txt")) if SEEDS_DIR.is_dir() else []
    if not seeds:
        pytest.skip(f"seed documents not found in {SEEDS_DIR}; originality check needs them")
    runs: set[tuple[str, ...]] = set()
    for seed in seeds:
        words = _words(seed.read_text(encoding="utf-8"))
        runs.update(
            tuple(words[i : i + VERBATIM_RUN]) for i in range(len(words) - VERBATIM_RUN + 1)
        )
    copied = []
    for row in cases.itertuples():
        words = _words(row.summary)
        for i in range(len(words) - VERBATIM_RUN + 1):
            if tuple(words[i : i + VERBATIM_RUN]) in runs:
                copied.append((row.id, " ".join(words[i : i + VERBATIM_RUN])))
                break
    assert not copied, copied
