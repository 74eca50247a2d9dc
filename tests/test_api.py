"""The read-only HTTP API (lib.api.routes) through Starlette's TestClient, on a private copy of the
session database: every endpoint, refusals naming the parameter, ETag/304, CSV, the synthetic
label, openapi.json, the same numbers as the pages, and councils' answers withheld by policy.
Also the data dictionary (lib.reports.opendata_dictionary) against every column of every dataset."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import duckdb
import pandas as pd
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from lib.analysis import scorecard
from lib.api import routes as api
from lib.base.formatting import rank_range_text, score_with_range
from lib.base.paths import DB_ENV_VAR
from lib.base.rounding import shown as shown_score
from lib.reference import schema
from lib.reports import opendata, opendata_dictionary, opendata_files, scorecard_files
from lib.store import db, versions
from tests.fixtures import copy_db

COUNCIL = "E10000023"  # North Yorkshire, a council of both council sets


@pytest.fixture(scope="module")
def working(repo_db_path, tmp_path_factory):
    path = copy_db(repo_db_path, tmp_path_factory.mktemp("api"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DB_ENV_VAR, str(path))
        schema.store(path).ensure_published()
        yield path


@pytest.fixture(scope="module")
def client(working):
    with TestClient(api.asgi_app()) as c:
        yield c


@pytest.fixture()
def snap_con(working):
    con = db.connect(versions.current(working).path, read_only=True)
    yield con
    con.close()


SAMPLE = {
    "rounds": {}, "councils": {"on": "2015-04-01"}, "standards": {}, "questions": {},
    "scores": {"round": "2015", "council": COUNCIL}, "summary": {"round": "2015", "region": "E12000003"},
    "answers": {"round": "2015", "council": COUNCIL}, "good-practice": {"standard": "3"},
}


def test_every_endpoint_serves_json_with_the_download_columns(client, snap_con):
    assert set(SAMPLE) == {e.path for e in api.ENDPOINTS}
    for e in api.ENDPOINTS:
        r = client.get(f"/api/v1/{e.path}", params=SAMPLE[e.path])
        assert r.status_code == 200, (e.path, r.text)
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert body["count"] == len(body["rows"]) > 0, e.path
        assert body["columns"] == [c for c, _ in opendata_dictionary.columns(snap_con, e.dataset)], e.path
        assert list(body["rows"][0]) == body["columns"]
        assert body["published"]["version"] == versions.current(api.working_path()).version


def test_filters_narrow_the_rows(client):
    scores = client.get("/api/v1/scores", params={"round": "2015", "council": COUNCIL}).json()
    assert {r["authority_code"] for r in scores["rows"]} == {COUNCIL}
    assert [r["level"] for r in scores["rows"]] == ["overall"] + ["standard"] * 9
    overall = client.get("/api/v1/scores", params={"round": "2015", "level": "overall", "type": "county"}).json()
    assert overall["rows"] and {(r["level"], r["council_type"]) for r in overall["rows"]} == {("overall", "county")}
    summary = client.get("/api/v1/summary", params={"round": "2015", "type": "London borough"}).json()
    assert {(r["scope"], r["scope_code"]) for r in summary["rows"]} == {("type", "London borough")}
    examples = client.get("/api/v1/good-practice", params={"standard": "3"}).json()["rows"]
    assert examples and all("3" in r["standards"].split(";") for r in examples)


def test_councils_on_a_date_follow_valid_from_and_valid_to(client, snap_con):
    then = client.get("/api/v1/councils", params={"on": "2015-04-01"}).json()["rows"]
    now = client.get("/api/v1/councils").json()["rows"]
    valid = ("SELECT count(*) FROM authorities WHERE (valid_from IS NULL OR valid_from <= CAST(? AS DATE)) "
             "AND (valid_to IS NULL OR valid_to > CAST(? AS DATE))")
    want_then = snap_con.execute(valid, ["2015-04-01"] * 2).fetchone()[0]
    want_now = snap_con.execute(valid, [date.today().isoformat()] * 2).fetchone()[0]
    assert (want_then, want_now) == (152, 153)
    assert (len(then), len(now)) == (want_then, want_now)
    assert all(len(r["valid_from"] or "2000-01-01") == 10 for r in now)  # dates as YYYY-MM-DD


@pytest.mark.parametrize("path, params, parameter", [
    ("scores", {"round": "20x5"}, "round"),
    ("scores", {"round": "1999"}, "round"),
    ("scores", {"round": ""}, "round"),
    ("scores", {"council": "NOPE"}, "council"),
    ("scores", {"council": "<script>"}, "council"),
    ("scores", {"round": "2015", "council": "E06000060"}, "council"),  # Buckinghamshire's 2020 code
    ("scores", {"region": "E99999999"}, "region"),
    ("scores", {"type": "city"}, "type"),
    ("scores", {"level": "both"}, "level"),
    ("scores", {"colour": "red"}, "colour"),
    ("summary", {"council": COUNCIL}, "council"),
    ("summary", {"scope": "world"}, "scope"),
    ("councils", {"on": "2015-13-01"}, "on"),
    ("councils", {"on": "yesterday"}, "on"),
    ("good-practice", {"standard": "10"}, "standard"),
    ("good-practice", {"standard": "x"}, "standard"),
    ("rounds", {"format": "xml"}, "format"),
    ("rounds", {"round": "2015"}, "round"),
])
def test_a_bad_parameter_gets_400_naming_it(client, path, params, parameter):
    r = client.get(f"/api/v1/{path}", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["parameter"] == parameter
    assert parameter in body["error"] and body["error"].endswith(".")


def test_a_parameter_given_twice_is_refused(client):
    r = client.get("/api/v1/scores?round=2015&round=2014")
    assert r.status_code == 400 and r.json()["parameter"] == "round"


def test_an_unknown_endpoint_is_a_json_404(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and "openapi.json" in r.json()["error"]


def test_etag_and_304(client, working):
    r = client.get("/api/v1/scores", params={"round": "2015"})
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "public, no-cache"
    again = client.get("/api/v1/scores", params={"round": "2015"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/api/v1/scores", params={"round": "2014"})
    assert other.headers["etag"] != etag
    csv_tag = client.get("/api/v1/scores", params={"round": "2015", "format": "csv"}).headers["etag"]
    assert csv_tag != etag
    assert client.get("/api/v1/scores", params={"round": "2015"},
                      headers={"If-None-Match": '"stale", ' + etag}).status_code == 304
    assert client.get("/api/v1/scores", params={"round": "2015"},
                      headers={"If-None-Match": '"stale"'}).status_code == 200


def test_csv_has_the_json_columns_and_the_synthetic_label(client):
    as_json = client.get("/api/v1/scores", params={"round": "2015", "council": COUNCIL}).json()
    r = client.get("/api/v1/scores", params={"round": "2015", "council": COUNCIL, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert list(rows[0]) == as_json["columns"]
    assert len(rows) == as_json["count"]
    assert {row["data_note"] for row in rows} == {opendata.DEMO_NOTE}


def test_synthetic_rounds_are_labelled_in_every_row(client):
    body = client.get("/api/v1/scores", params={"round": "2015"}).json()
    assert body["synthetic"] is True and body["data_note"] == opendata.DEMO_NOTE
    assert {r["data_note"] for r in body["rows"]} == {opendata.DEMO_NOTE}
    rounds = client.get("/api/v1/rounds").json()["rows"]
    assert all(r["data_note"] == opendata.DEMO_NOTE for r in rounds if r["is_demo"])


def test_health_reports_the_database_and_the_published_version(client, working):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    snap = versions.current(working)
    assert body["status"] == "ok" and body["database"]["status"] == "ok"
    assert body["published"]["version"] == snap.version
    assert body["published"]["published_at"] == snap.published_at.isoformat()
    assert 2015 in body["database"]["rounds"]
    assert r.headers["cache-control"] == "no-store"


def test_openapi_lists_every_route_and_parameter(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    served = {r.path for r in api.routes() if isinstance(r, Route) and "{" not in r.path}
    assert served == set(spec["paths"])
    for e in api.ENDPOINTS:
        documented = {p["name"] for p in spec["paths"][f"/api/v1/{e.path}"]["get"]["parameters"]}
        assert documented == set(opendata.DATASETS[e.dataset].filters) | {"format"}, e.path


def test_the_api_numbers_are_the_pages_numbers(client, snap_con):
    rows = client.get("/api/v1/scores", params={"round": "2015", "council": COUNCIL}).json()["rows"]
    overall, standards = rows[0], rows[1:]
    head = scorecard.headline(snap_con, COUNCIL, 2015)
    assert head is not None
    # The number the scorecard shows, with the range its unknown answers leave (when they leave one).
    assert score_with_range(overall["score"], overall["score_low"], overall["score_high"]) == head.score_text
    assert overall["band_label"] == head.band_label
    assert (f"{overall['rank']} of {overall['n_ranked']}"
            + rank_range_text(overall["rank_best"], overall["rank_worst"])) == head.rank_text
    assert f"{overall['region_rank']} of {overall['region_n_ranked']}" == head.region_rank_text
    view = snap_con.execute("SELECT standard, score, score_unrounded FROM standard_scores "
                            "WHERE round_year = 2015 AND authority_code = ? ORDER BY standard", [COUNCIL]).df()
    assert [r["standard"] for r in standards] == view["standard"].tolist()
    assert [r["score"] for r in standards] == [None if pd.isna(s) else int(s) for s in view["score"]]
    assert [r["score_unrounded"] for r in standards] == pytest.approx(view["score_unrounded"].tolist())

    summary = client.get("/api/v1/summary", params={"round": "2015", "scope": "england"}).json()["rows"]
    want = snap_con.execute("SELECT question_id, respondents, answered, share_available, share_not_available "
                            "FROM question_summary WHERE round_year = 2015 AND scope = 'england'").df()
    got = {r["question_id"]: r for r in summary}
    assert set(got) == set(want["question_id"])
    for w in want.itertuples():
        g = got[w.question_id]
        assert (g["respondents"], g["answered"]) == (w.respondents, w.answered)
        for name in ("share_available", "share_not_available"):
            expected = getattr(w, name)
            assert g[name] == (None if pd.isna(expected) else pytest.approx(expected)), (w.question_id, name)


def test_the_dictionary_describes_every_column_of_every_dataset(snap_con):
    dictionary = opendata_dictionary.dictionary(snap_con)
    for name in opendata.DATASETS:
        described = dictionary[dictionary["dataset"] == name]
        assert described["column"].tolist() == list(opendata.query(snap_con, name).columns), name
    assert (dictionary["meaning"] != "").all(), dictionary[dictionary["meaning"] == ""]
    assert (dictionary["type"] != "").all()
    band = dictionary[dictionary["column"] == "band"]["allowed_values"].iloc[0]
    for key in snap_con.execute("SELECT key FROM bands").fetchall():
        assert key[0] in band
    answer = dictionary[dictionary["column"] == "answer"]["allowed_values"].iloc[0]
    assert "dont_know" in answer and "available" in answer


@pytest.mark.parametrize("fmt", opendata_files.FORMATS)
def test_every_download_carries_round_council_set_provenance_and_label(snap_con, fmt):
    for name in opendata.DOWNLOADS:
        data = opendata_files.file_bytes(snap_con, name, 2015, fmt)
        if fmt == "csv":
            df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
        elif fmt == "xlsx":
            df = pd.read_excel(io.BytesIO(data), sheet_name=name)
        else:
            df = pd.read_parquet(io.BytesIO(data))
        assert len(df) > 0, name
        assert {"round_year", "council_set", "provenance", "data_note"} <= set(df.columns), name
        assert set(df["round_year"]) == {2015}
        assert set(df["data_note"]) == {opendata.DEMO_NOTE}


def test_answers_are_not_served_for_a_round_whose_detail_is_withheld(repo_db_path, tmp_path, monkeypatch):
    working = copy_db(repo_db_path, tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(working))
    with schema.store(working).writer() as con:
        con.execute("UPDATE survey_rounds SET published_detail = false WHERE year = 2015")
        snap = schema.store(working).publish(con, "test: 2015 answers withheld", by="test")
    with TestClient(api.asgi_app()) as c:
        r = c.get("/api/v1/answers", params={"round": "2015"})
        assert r.status_code == 403
        assert r.json()["parameter"] == "round"
        assert "2015 round are not published" in r.json()["error"]
        every = c.get("/api/v1/answers").json()["rows"]
        assert every and 2015 not in {row["round_year"] for row in every}
        assert c.get("/api/v1/answers", params={"round": "2014"}).status_code == 200
        assert c.get("/api/v1/scores", params={"round": "2015"}).status_code == 200
    con = db.connect(snap.path, read_only=True)
    try:
        with pytest.raises(opendata.DetailWithheld, match="2015 round are not published"):
            opendata_files.file_bytes(con, "answers", 2015, "csv")
        entry = next(e for e in opendata_files.catalogue(con, 2015) if e["dataset"] == "answers")
        assert entry["available"] is False and "2015" in entry["note"] and entry["api"] == ""
        together = next(e for e in opendata_files.catalogue(con, None) if e["dataset"] == "answers")
        assert together["available"] and "2015" in together["note"]
        assert 2015 not in set(pd.read_parquet(io.BytesIO(opendata_files.file_bytes(con, "answers", None, "parquet")))
                               ["round_year"])
    finally:
        con.close()


def test_a_new_publication_is_served_with_a_new_etag(repo_db_path, tmp_path, monkeypatch):
    working = copy_db(repo_db_path, tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(working))
    first = schema.store(working).ensure_published()
    with TestClient(api.asgi_app()) as c:
        before = c.get("/api/v1/rounds")
        assert before.json()["published"]["version"] == first.version
        with schema.store(working).writer() as con:
            con.execute("UPDATE survey_rounds SET label = 'Relabelled' WHERE year = 2015")
            second = schema.store(working).publish(con, "test: relabel", by="test")
        after = c.get("/api/v1/rounds", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        assert after.json()["published"]["version"] == second.version
        assert "Relabelled" in {r["label"] for r in after.json()["rows"]}


def test_a_repeat_request_gets_the_same_body_from_memory(client):
    first = client.get("/api/v1/summary", params={"round": "2014", "scope": "england"})
    assert first.headers["etag"] in api._bodies
    second = client.get("/api/v1/summary", params={"round": "2014", "scope": "england"})
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    as_csv = client.get("/api/v1/summary", params={"round": "2014", "scope": "england", "format": "csv"})
    again = client.get("/api/v1/summary", params={"round": "2014", "scope": "england", "format": "csv"})
    assert again.content == as_csv.content and "attachment" in again.headers["content-disposition"]


def test_councils_without_a_date_change_their_etag_with_the_day(client, monkeypatch):
    from datetime import date

    today = client.get("/api/v1/councils")
    assert today.json()["parameters"]["on"] == date.today().isoformat()

    monkeypatch.setattr(api, "_today", lambda: date(2099, 1, 1))
    later = client.get("/api/v1/councils", headers={"If-None-Match": today.headers["etag"]})
    assert later.status_code == 200 and later.headers["etag"] != today.headers["etag"]
    assert later.json()["parameters"]["on"] == "2099-01-01"


def test_the_dictionarys_allowed_values_are_the_toml_rules(snap_con):
    from lib.scoring import standards

    config = standards.load_config()
    allowed = opendata_dictionary.allowed_values(snap_con)
    assert allowed["band"].split(", ") == [f"{b.key} (from {float(b.min)})" for b in
                                           sorted(config.bands, key=lambda b: -b.min)]
    for key, answer_set in config.answer_sets.items():
        listed = ", ".join(f"{o.value} ({o.label})" for o in answer_set.options)
        assert f"{key}: {listed}" in allowed["answer"], key
    for key in config.outcomes:
        assert key in allowed["outcome"]
    for key in config.providers:
        assert key in allowed["providers"]


def test_permalinks_name_the_api_parameters_and_refuse_others():
    assert opendata.permalink("scores", round=2015, council="E06000001") == "/api/v1/scores?round=2015&council=E06000001"
    assert opendata.permalink("scores", round=2015, type="London borough", region=None) == (
        "/api/v1/scores?round=2015&type=London%20borough")
    with pytest.raises(ValueError, match="takes no parameter authority"):
        opendata.permalink("scores", authority="E06000001")


def test_the_scorecard_link_serves_the_numbers_the_scorecard_shows(working, client, snap_con, monkeypatch):
    """The scorecard's API link, followed, gives the council's overall score and each standard's
    score exactly as the scorecard's headline and standards table show them."""
    from lib.base.paths import DB_ENV_VAR
    from tests.apptest import open_page

    monkeypatch.setenv(DB_ENV_VAR, str(working))
    code = snap_con.execute("SELECT min(authority_code) FROM overall_scores WHERE round_year = 2015 AND ranked").fetchone()[0]
    at = open_page("pages/scorecard.py", authority=code, round="2015")
    links = [c.value for c in at.caption if "/api/v1/scores?" in c.value]
    assert len(links) == 1
    path = re.search(r"\(([^)]*/api/v1/scores\?[^)]*)\)", links[0]).group(1)
    assert path == f"/api/v1/scores?round=2015&council={code}"
    rows = client.get(path).json()["rows"]
    overall = [r for r in rows if r["level"] == "overall"]
    head = scorecard.headline(snap_con, code, 2015)
    assert head is not None and len(overall) == 1
    assert overall[0]["score"] == shown_score(head.overall["score"])  # the headline's number
    standards = {r["standard"]: r["score"] for r in rows if r["level"] == "standard"}
    shown = snap_con.execute("SELECT standard, shown(score) FROM standard_scores WHERE round_year = 2015 "
                             "AND authority_code = ? AND evidence", [code]).fetchall()
    assert {int(s): v for s, v in shown} == {int(k): v for k, v in standards.items() if v is not None}


def test_nothing_from_a_collecting_round_leaks(repo_db_path, tmp_path, monkeypatch):
    """A 2027 round being collected, with one council's answers saved and submitted: the API, the
    open-data files and the published database know nothing of it (issue 13; the collection
    store is a separate file that is never published)."""
    from lib import collection
    from lib.base.paths import DB_ENV_VAR

    path = copy_db(repo_db_path, tmp_path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    collection.open_round(path, 2027, by="tester")
    invitation = collection.invite(path, 2027, "E06000001", contact_email="ann@example.org", by="tester")
    session = collection.resolve(path, invitation.token or "", client="test")
    draft = collection.load_draft(path, session)
    collection.save_answers(path, session, {}, {q: a.version for q, a in draft.answers.items()},
                            confirm=[q for q, a in draft.answers.items() if a.answer is not None])
    schema.store(path).ensure_published()
    with TestClient(api.asgi_app()) as c:
        rounds = c.get("/api/v1/rounds").json()["rows"]
        assert 2027 not in {r["round_year"] for r in rounds}
        refused = c.get("/api/v1/scores", params={"round": "2027"})
        assert refused.status_code == 400 and refused.json()["parameter"] == "round"
        for endpoint in ("scores", "answers", "summary"):
            body = c.get(f"/api/v1/{endpoint}", params={"format": "csv"}).text
            assert "2027" not in {line.split(",")[0] for line in body.splitlines()[1:]}, endpoint
    snap = versions.current(path)
    con = duckdb.connect(str(snap.path), read_only=True)
    try:
        text = " ".join(str(r) for t in db.table_names(con) for r in con.execute(f"SELECT * FROM {t}").fetchall())  # noqa: S608
    finally:
        con.close()
    assert "ann@example.org" not in text and (invitation.token or "x") not in text
    assert 2027 not in {y for y, _, _ in snap.rounds}


# ---- The pages' own downloads speak the API's vocabulary (issue 13) --------------------------

def _page_frames(con, code: str, year: int) -> dict[str, pd.DataFrame]:
    """Every "download what I see" frame a page builds that is not an API response itself."""
    from lib.analysis import gaps, regions

    frames = {f"scorecard {k}": v for k, v in scorecard_files.export_frames(con, code, year).items()}
    frames["regions league"] = regions.league_export(regions.region_league(con, year), year, None)
    question = gaps.scored_questions(con, year).iloc[0].copy()
    frames["gap list"] = gaps.lacking_export(gaps.councils_lacking(con, year, str(question["question_id"])),
                                             question, year)
    return frames


def _text(v: object) -> str:
    """A value as text, missing values as one marker and 3.0 as 3 (pandas, DuckDB and JSON spell
    them differently)."""
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return "<missing>"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.9g}"
    return str(v)


def _same(left: pd.Series, right: pd.Series) -> list[str]:
    """The pairs of values that differ (as _text)."""
    return [f"{_text(a)} / {_text(b)}" for a, b in zip(left, right, strict=True) if _text(a) != _text(b)]


def test_every_page_download_column_is_in_the_data_dictionary(snap_con):
    code = snap_con.execute("SELECT min(authority_code) FROM overall_scores WHERE round_year = 2015 AND ranked").fetchone()[0]
    api_columns = {c for name in opendata.DATASETS for c, _ in opendata_dictionary.columns(snap_con, name)}
    page_only = set(opendata_dictionary.page_only_columns(snap_con)["column"])
    for name, frame in _page_frames(snap_con, code, 2015).items():
        unknown = [c for c in frame.columns if c not in opendata_dictionary.MEANINGS]
        assert not unknown, f"{name}: {unknown} have no meaning in the data dictionary"
        assert set(frame.columns) <= api_columns | page_only, name
    # The dictionary's page-only list holds just what no dataset has, each with a meaning.
    assert not page_only & api_columns
    assert {"england_median", "league_position", "actions"} <= page_only
    assert opendata_dictionary.page_only_columns(snap_con)["meaning"].str.len().gt(0).all()


def test_scorecard_download_holds_the_apis_values_in_every_shared_column(client, snap_con):
    """Columns with an API name hold the API's values: the overall sheet against the API's
    overall row, the standards sheet against its standard rows, the questions sheet against
    the council's answers."""
    code = snap_con.execute("SELECT min(authority_code) FROM overall_scores WHERE round_year = 2015 AND ranked").fetchone()[0]
    frames = scorecard_files.export_frames(snap_con, code, 2015)
    rows = pd.DataFrame(client.get(opendata.permalink("scores", round=2015, council=code)).json()["rows"])
    answers = pd.DataFrame(client.get(opendata.permalink("answers", round=2015, council=code)).json()["rows"])
    pairs = (
        ("overall", frames["overall"], rows[rows["level"] == "overall"], ["authority_code"]),
        ("standards", frames["standards"], rows[rows["level"] == "standard"], ["standard"]),
        ("questions", frames["questions"][frames["questions"]["answer"].notna()], answers, ["question_id"]),
    )
    for name, sheet, api_rows, key in pairs:
        left = sheet.set_index(key).sort_index()
        right = api_rows.set_index(key).sort_index()
        assert len(left) == len(right) > 0, name
        left.index, right.index = left.index.map(_text), right.index.map(_text)
        assert list(left.index) == list(right.index), name
        shared = [c for c in left.columns if c in right.columns]
        assert len(shared) >= 6, (name, shared)
        for column in shared:
            assert not _same(left[column], right[column]), (name, column, _same(left[column], right[column]))


def test_region_and_peer_downloads_are_byte_for_byte_the_api_csv(client, snap_con):
    """The region table's and the peer comparison's files are what their API links serve."""
    region = "E12000003"
    codes = [r[0] for r in snap_con.execute(
        "SELECT authority_code FROM overall_scores WHERE round_year = 2015 ORDER BY authority_code LIMIT 5").fetchall()]
    for dataset, filters in (("scores", {"round": 2015, "region": region}),
                             ("scores", {"round": 2015, "region": region, "type": "unitary"}),
                             ("scores", {"round": 2015, "council": codes})):
        built = opendata_files.shown(dataset, **filters)(snap_con)
        served = client.get(opendata.permalink(dataset, **filters, format="csv"))
        assert served.status_code == 200, served.text
        assert served.content == built, filters
    assert set(pd.read_csv(io.BytesIO(built), encoding="utf-8-sig")["authority_code"]) == set(codes)


def test_council_takes_a_list_and_answers_take_a_question(client, snap_con):
    a, b = "E10000023", "E06000001"
    both = client.get("/api/v1/scores", params={"round": "2015", "council": f"{a},{b}", "level": "overall"}).json()
    assert sorted(r["authority_code"] for r in both["rows"]) == sorted([a, b])
    # The parameters echoed back are the API's own text (a Python list repr leaked here before).
    assert both["parameters"]["council"] == f"{a},{b}"
    for bad, words in ((f"{a},,{b}", "empty code"), (f"{a},E99999999", "'E99999999' is not one"),
                       (",".join([a] * 201), "at most 200")):
        r = client.get("/api/v1/scores", params={"round": "2015", "council": bad})
        assert r.status_code == 400 and r.json()["parameter"] == "council" and words in r.json()["error"], r.text
    # A code valid on another day but not in the 2015 council set is refused, naming it.
    later = snap_con.execute("SELECT min(code) FROM authorities WHERE valid_from > DATE '2015-04-01'").fetchone()[0]
    r = client.get("/api/v1/scores", params={"round": "2015", "council": f"{a},{later}"})
    assert r.status_code == 400 and later in r.json()["error"]
    one = client.get("/api/v1/answers", params={"round": "2015", "question": "emp_pa_register"}).json()
    # Each responding council that answered it, once.
    expected = snap_con.execute("SELECT count(*) FROM responses WHERE round_year = 2015 "
                                "AND question_id = 'emp_pa_register'").fetchone()[0]
    assert one["count"] == expected > 50 and {r["question_id"] for r in one["rows"]} == {"emp_pa_register"}
    r = client.get("/api/v1/answers", params={"round": "2015", "question": "nope"})
    assert r.status_code == 400 and r.json()["parameter"] == "question"


def test_permalinks_join_a_list_of_councils_with_commas():
    assert opendata.permalink("scores", round=2015, council=["E1", "E2"]) == "/api/v1/scores?round=2015&council=E1,E2"
