"""AppTest for the Download the data page: a download per dataset and format with its API
address, the synthetic label, the data dictionary, and answers withheld by a round's policy."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib.base.paths import DB_ENV_VAR
from lib.reference import schema
from lib.reports import opendata, opendata_dictionary
from lib.store import db
from tests.apptest import open_page
from tests.fixtures import copy_db

pytestmark = pytest.mark.usefixtures("app_db")

PAGE = "pages/downloads.py"


def _text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [i.value for i in at.info])


def _buttons(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_every_dataset_downloads_in_three_formats_with_its_api_address(repo_db_path):
    at = open_page(PAGE)
    assert at.title[0].value == "Download the data"
    titles = [opendata.DATASETS[name].title for name in opendata.DOWNLOADS]
    assert _buttons(at) == [f"{t} ({f})" for t in titles for f in ("CSV", "Excel", "Parquet")]
    text = _text(at)
    for name in opendata.DOWNLOADS:
        assert f"({opendata.api_path(name, None)})" in text
        assert f"({opendata.api_path(name, None, 'csv')})" in text
    assert "synthetic demonstration data" in text
    assert "/api/v1/openapi.json" in text


def test_one_round_links_to_that_rounds_api_rows(repo_db_path):
    at = open_page(PAGE, files="2015")
    assert at.selectbox(key="downloads_rounds").value == "2015"
    text = _text(at)
    assert "(/api/v1/scores?round=2015&level=overall)" in text
    assert "(/api/v1/summary?round=2015)" in text
    assert at.query_params["files"] == "2015"


def test_an_unknown_round_in_the_address_falls_back_to_all_rounds(repo_db_path):
    at = open_page(PAGE, files="<b>2099</b>")
    assert at.selectbox(key="downloads_rounds").value == "all"


def test_the_data_dictionary_lists_every_column_of_every_dataset(repo_db_path, repo_con):
    at = open_page(PAGE, opened=True)
    tables = [t.value for t in at.dataframe if "Meaning" in t.value.columns]
    assert len(tables) == len(opendata.DATASETS) + 1
    for table, name in zip(tables[:-1], opendata.DATASETS, strict=True):
        assert table["Column"].tolist() == [c for c, _ in opendata_dictionary.columns(repo_con, name)], name
        assert (table["Meaning"] != "").all(), name
    # Then the columns only the pages' own downloads have (the scorecard's medians, the league's).
    page_only = tables[-1]
    assert page_only["Column"].tolist() == opendata_dictionary.page_only_columns(repo_con)["column"].tolist()
    assert "england_median" in page_only["Column"].tolist() and (page_only["Meaning"] != "").all()
    endpoints = next(t.value for t in at.dataframe if "Address" in t.value.columns)
    assert "/api/v1/scores" in endpoints["Address"].tolist()


def test_a_round_whose_answers_are_withheld_offers_no_answers(repo_db_path, tmp_path, monkeypatch):
    working = copy_db(repo_db_path, tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(working))
    con = db.connect(working)
    try:
        con.execute("UPDATE survey_rounds SET published_detail = false WHERE year = 2015")
        schema.store(working).publish(con, "test: 2015 answers withheld", by="test")
    finally:
        con.close()
    at = open_page(PAGE, files="2015")
    assert not any(label.startswith("Councils' answers") for label in _buttons(at))
    assert len(_buttons(at)) == 9
    assert any("2015 round are not published" in i.value for i in at.info)
    together = open_page(PAGE)
    assert "Councils' answers (CSV)" in _buttons(together)
    assert "left out for 2015" in _text(together)
