"""Council sets by date (issue 11): each round holds the councils valid on its council-set day,
and a reorganisation is data alone.

The fictional reorganisation here splits Surrey into two made-up unitaries on 1 April 2027. Its
codes (E06099901, E06099902) and names live in this file only: the test writes altered copies of
data/authorities.csv and data/lineage.csv into a temporary folder and builds from that.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from lib import ingest
from lib.analysis import national, peers, scorecard_trend
from lib.base.paths import DATA_DIR, DEMO_DIR
from lib.ingest.councils import CouncilMatcher, normalise_name
from lib.reference import build, geography, hexmap
from lib.reference.schema import DEFINITIONS
from lib.scoring import views as scoring
from lib.store import db
from tests.fixtures import as_schema_4
from tests.test_ingest import wide_sheet

SURREY = "E10000030"
NORTH, SOUTH = "E06099901", "E06099902"
VESTING = "2027-04-01"
FICTIONAL_COUNCILS = [
    # code, name, lat, lon: north and south of Surrey's centroid (51.27, -0.34)
    (NORTH, "Fictional North Surrey", "51.38", "-0.40"),
    (SOUTH, "Fictional South Surrey", "51.17", "-0.30"),
]


def fictional_data(folder: Path) -> Path:
    """A copy of data/ in which Surrey splits in two on 1 April 2027 (a made-up reorganisation)."""
    target = folder / "data"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("*.duckdb*", "*.published", "demo"))
    authorities = pd.read_csv(target / "authorities.csv", dtype=str, keep_default_na=False)
    surrey = authorities["code"] == SURREY
    assert surrey.sum() == 1 and authorities.loc[surrey, "valid_to"].item() == ""
    authorities.loc[surrey, "valid_to"] = VESTING
    template = authorities[surrey].iloc[0]
    rows = []
    for code, name, lat, lon in FICTIONAL_COUNCILS:
        row = template.copy()
        row["code"], row["name"], row["display_name"] = code, name, name
        row["type"], row["valid_from"], row["valid_to"], row["lat"], row["lon"] = "unitary", VESTING, "", lat, lon
        rows.append(row)
    authorities = pd.concat([authorities, pd.DataFrame(rows)]).sort_values("code")
    authorities.to_csv(target / "authorities.csv", index=False, lineterminator="\n")
    lineage = pd.read_csv(target / "lineage.csv", dtype=str, keep_default_na=False)
    lineage = pd.concat([lineage, pd.DataFrame([
        {"predecessor_code": SURREY, "predecessor_name": "Surrey", "successor_code": code,
         "successor_name": name, "effective_date": VESTING, "kind": "split",
         "note": "Fictional test reorganisation: the county split in two."}
        for code, name, _, _ in FICTIONAL_COUNCILS])])
    lineage.to_csv(target / "lineage.csv", index=False, lineterminator="\n")
    return target


@pytest.fixture(scope="module")
def reorganised(tmp_path_factory) -> tuple[Path, Path]:
    """(database path, data folder): the demo rounds built on the fictional data, plus a 2027
    round of 40 councils that includes both new unitaries."""
    folder = tmp_path_factory.mktemp("reorganised")
    data_dir = fictional_data(folder)
    path = folder / "reorganised.duckdb"
    build.build_database(path, data_dir=data_dir, demo_dir=DEMO_DIR)
    con = db.connect(path, definitions=DEFINITIONS)
    try:
        respondents = [r[0] for r in con.execute(
            "SELECT authority_code FROM respondents WHERE round_year = 2015 AND authority_code <> ? "
            "ORDER BY authority_code LIMIT 40", [SURREY]).fetchall()]
        sheet = wide_sheet(con, respondents, year=2027)
        sheet.loc[0, "council"], sheet.loc[1, "council"] = NORTH, SOUTH
        sheet.loc[0, "council_name"], sheet.loc[1, "council_name"] = FICTIONAL_COUNCILS[0][1], FICTIONAL_COUNCILS[1][1]
        result = ingest.import_file(con, sheet.to_csv(index=False).encode(), "round-2027.csv", 2027, by="tester")
        assert result.status == "imported", result.message
    finally:
        con.close()
    return path, data_dir


@pytest.fixture()
def con(reorganised):
    connection = duckdb.connect(str(reorganised[0]), read_only=True)
    yield connection
    connection.close()


# --- the fictional reorganisation, end to end --------------------------------------------------

def test_the_2027_round_holds_the_councils_of_its_day(con) -> None:
    assert geography.council_set_on(con, 2027) == date(2027, 4, 1)
    codes = {r[0] for r in con.execute("SELECT authority_code FROM round_councils WHERE round_year = 2027").fetchall()}
    # Today's 153 councils, less Surrey, plus its two successors.
    assert len(codes) == 153 - 1 + 2
    assert {NORTH, SOUTH} <= codes and SURREY not in codes
    # The 2015 round is untouched: Surrey is in it, the new councils are not.
    in_2015 = {r[0] for r in con.execute("SELECT authority_code FROM round_councils WHERE round_year = 2015").fetchall()}
    assert len(in_2015) == 152 and SURREY in in_2015 and not {NORTH, SOUTH} & in_2015


def test_validation_follows_the_round_council_set(con) -> None:
    matcher = CouncilMatcher(con, 2027)
    assert matcher.match("Fictional North Surrey") == (NORTH, None)
    assert matcher.match(NORTH.lower()) == (NORTH, None)
    code, reason = matcher.match(SURREY)
    assert code is None and reason is not None
    assert "wrong council set" in reason and "councils of 1 April 2027" in reason
    assert NORTH in reason and SOUTH in reason  # the hint names both successors
    code, reason = CouncilMatcher(con, 2015).match("Fictional South Surrey")
    assert code is None and reason is not None and f"Surrey ({SURREY})" in reason


def test_an_import_naming_the_abolished_county_is_refused_and_changes_nothing(reorganised, tmp_path) -> None:
    path = tmp_path / "copy.duckdb"
    shutil.copy(reorganised[0], path)
    con = db.connect(path, definitions=DEFINITIONS)
    try:
        before = con.execute("SELECT count(*) FROM responses").fetchone()
        sheet = wide_sheet(con, ["E06000001"], year=2027, source_year=2015)
        sheet.loc[0, "council"], sheet.loc[0, "council_name"] = SURREY, "Surrey"
        report = ingest.validate(con, sheet.to_csv(index=False).encode(), "bad.csv", 2027)
        problems = [p for p in report.problems if p.column == "council"]
        assert len(problems) == 1 and problems[0].row == 2, report.problems
        assert "councils of 1 April 2027" in problems[0].reason
        with pytest.raises(ingest.ImportRefused):
            ingest.import_file(con, sheet.to_csv(index=False).encode(), "bad.csv", 2027, replace=True)
        assert con.execute("SELECT count(*) FROM responses").fetchone() == before
    finally:
        con.close()


def test_the_new_councils_are_scored_ranked_and_mapped(con) -> None:
    scores = con.execute("SELECT authority_code, score, rank FROM overall_scores WHERE round_year = 2027").df()
    assert len(scores) == 40
    assert {NORTH, SOUTH} <= set(scores["authority_code"])
    assert scores.set_index("authority_code").loc[[NORTH, SOUTH], "score"].notna().all()
    cells = national.map_values(con, 2027)
    assert len(cells) == 154
    assert cells[["hex_col", "hex_row"]].notna().all().all()  # the 2027 layout was derived at build
    assert not cells.duplicated(["hex_col", "hex_row"]).any()
    layout = hexmap.hex_layout(con, date(2027, 4, 1))
    assert set(layout["code"]) == set(cells["code"])
    fig = hexmap.hex_map_figure(cells, colour_label="Overall score")
    shown = {c for trace in fig.data for c in (trace.customdata or []) for c in ([c] if isinstance(c, str) else c[:1])}
    assert {NORTH, SOUTH} <= shown


def test_a_successor_trend_shows_the_shared_county_history(con) -> None:
    overall, _ = scorecard_trend.trend(con, NORTH)
    by_year = overall.set_index("round_year")
    assert list(by_year.index) == [2012, 2013, 2014, 2015, 2027]
    # Before 2027 the points are Surrey's, each saying so and that South Surrey shares them.
    for year in (2012, 2013, 2014, 2015):
        row = by_year.loc[year]
        assert row["authority_code"] == SURREY
        assert row["lineage_note"] == (f"{year}: via lineage, figures are for Surrey (until 2027), shared with "
                                       "Fictional South Surrey")
    assert by_year.loc[2027, "authority_code"] == NORTH and by_year.loc[2027, "lineage_note"] == ""
    # The county's own trend runs forward into both successors in 2027, one point each.
    county, _ = scorecard_trend.trend(con, SURREY)
    assert sorted(county.loc[county["round_year"] == 2027, "authority_code"]) == [NORTH, SOUTH]


def test_peers_of_a_new_council_come_from_its_round(con) -> None:
    same_region = peers.area_peers(con, 2027, NORTH, "region")
    assert SOUTH in set(same_region["authority_code"]) and SURREY not in set(same_region["authority_code"])
    similar = peers.similar_councils(con, 2027, NORTH, 5)
    assert len(similar) == 5 and NORTH not in set(similar["authority_code"])


def test_councils_on_a_day_follow_the_data(con) -> None:
    on_vesting = set(geography.members_on(con, date(2027, 4, 1))["code"])
    the_day_before = set(geography.members_on(con, date(2027, 3, 31))["code"])
    assert on_vesting - the_day_before == {NORTH, SOUTH}
    assert the_day_before - on_vesting == {SURREY}


# --- answers never disappear ------------------------------------------------------------------

def test_giving_a_council_an_end_date_keeps_its_answers_in_earlier_rounds(repo_db_path, tmp_path) -> None:
    """The issue's example: a 2024 round holds Surrey's answers; Surrey then gets its 2027 end
    date through a refresh. Surrey stays in the 2024 scores, because the 2024 round holds the
    councils of 1 April 2024, whatever happens to them later."""
    path = tmp_path / "working.duckdb"
    shutil.copy(repo_db_path, path)
    con = db.connect(path, definitions=DEFINITIONS)
    try:
        codes = [SURREY] + [r[0] for r in con.execute(
            "SELECT authority_code FROM respondents WHERE round_year = 2015 AND authority_code <> ? "
            "ORDER BY 1 LIMIT 9", [SURREY]).fetchall()]
        sheet = wide_sheet(con, codes, year=2024)
        assert ingest.import_file(con, sheet.to_csv(index=False).encode(), "r2024.csv", 2024).status == "imported"
        before = con.execute("SELECT authority_code, score FROM overall_scores WHERE round_year = 2024 ORDER BY 1").df()
        assert SURREY in set(before["authority_code"])
        build.refresh_database(con, data_dir=fictional_data(tmp_path), by="tester")
        after = con.execute("SELECT authority_code, score FROM overall_scores WHERE round_year = 2024 ORDER BY 1").df()
        pd.testing.assert_frame_equal(before, after)
        assert geography.council_set_on(con, 2024) == date(2024, 4, 1)
    finally:
        con.close()


def test_a_refresh_that_would_drop_a_respondent_is_refused(repo_db_path, tmp_path) -> None:
    """Ending a council before a round it answered would drop its answers: refused, unchanged."""
    path = tmp_path / "working.duckdb"
    shutil.copy(repo_db_path, path)
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir, ignore=shutil.ignore_patterns("*.duckdb*", "*.published", "demo"))
    authorities = pd.read_csv(data_dir / "authorities.csv", dtype=str, keep_default_na=False)
    con = db.connect(path, definitions=DEFINITIONS)
    try:
        answered = con.execute("SELECT min(authority_code) FROM respondents WHERE round_year = 2015").fetchone()[0]
        authorities.loc[authorities["code"] == answered, "valid_to"] = "2014-04-01"
        authorities.to_csv(data_dir / "authorities.csv", index=False, lineterminator="\n")
        before = con.execute("SELECT count(*) FROM overall_scores").fetchone()
        with pytest.raises(build.RefreshRefused, match=f"round 2015: {answered} answered"):
            build.refresh_database(con, data_dir=data_dir)
        assert con.execute("SELECT count(*) FROM overall_scores").fetchone() == before
    finally:
        con.close()


# --- the codes of 2012 ------------------------------------------------------------------------

def test_the_2012_round_uses_the_codes_of_2012(repo_con) -> None:
    codes = {r[0] for r in repo_con.execute(
        "SELECT authority_code FROM round_councils WHERE round_year = 2012").fetchall()}
    assert len(codes) == 152
    assert {"E08000020", "E06000048"} <= codes and not {"E08000037", "E06000057"} & codes
    assert repo_con.execute("SELECT council_set_on FROM survey_rounds WHERE year = 2012").fetchone()[0] == date(2012, 4, 1)
    # Every stored answer belongs to a council of its round's set.
    stray = repo_con.execute(
        "SELECT count(*) FROM responses s LEFT JOIN round_councils c ON c.round_year = s.round_year "
        "AND c.authority_code = s.authority_code WHERE c.authority_code IS NULL").fetchone()
    assert stray == (0,)
    # 2012's hex map has a cell for each of its councils, Gateshead where Gateshead is in 2013.
    cells = national.map_values(repo_con, 2012).set_index("code")
    assert cells[["hex_col", "hex_row"]].notna().all().all()
    later = national.map_values(repo_con, 2013).set_index("code")
    assert tuple(cells.loc["E08000020", ["hex_col", "hex_row"]]) == tuple(later.loc["E08000037", ["hex_col", "hex_row"]])


def test_a_2012_import_takes_gateshead_by_either_code_only_as_the_council_of_2012(repo_con) -> None:
    matcher = CouncilMatcher(repo_con, 2012)
    assert matcher.match("Gateshead") == ("E08000020", None)
    code, reason = matcher.match("E08000037")
    assert code is None and "Gateshead (E08000020)" in (reason or "")


# --- the schema 5 migration -------------------------------------------------------------------

def test_migration_from_schema_4_dates_each_round_and_moves_2012_codes(repo_db_path, tmp_path) -> None:
    """A schema-4 file: rounds labelled '2015', hex cells in four columns, a 2012 round that
    (as the old code stored it) names Gateshead E08000037. After opening it with this code the
    2012 round holds the councils of 1 April 2012 and Gateshead's answers sit under E08000020."""
    path = tmp_path / "old.duckdb"
    shutil.copy(repo_db_path, path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE responses SET authority_code = 'E08000037' WHERE round_year = 2012 AND authority_code = "
                "(SELECT min(authority_code) FROM responses WHERE round_year = 2012)")
    moved = con.execute("SELECT count(*) FROM responses WHERE round_year = 2012 AND authority_code = 'E08000037'").fetchone()[0]
    assert moved > 0
    as_schema_4(con)
    con.close()

    con = db.connect(path, definitions=DEFINITIONS)
    try:
        days = dict(con.execute("SELECT year, council_set_on FROM survey_rounds").fetchall())
        assert days == {2012: date(2012, 4, 1), 2013: date(2013, 4, 1), 2014: date(2014, 4, 1),
                        2015: date(2015, 4, 1)}
        assert con.execute("SELECT count(*) FROM responses WHERE round_year = 2012 AND "
                           "authority_code = 'E08000020'").fetchone()[0] == moved
        assert "vintage" not in {r[0] for r in con.execute("DESCRIBE survey_rounds").fetchall()}
        assert con.execute("SELECT count(DISTINCT layout) FROM hex_cells").fetchone()[0] >= 2
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(db.SCHEMA_VERSION)
    finally:
        con.close()


# --- one matcher for the importer and the picker ----------------------------------------------

def _variants(name: str) -> set[str]:
    """Ways people write a council's name that the importer accepts (see normalise_name)."""
    out = {name, name.upper(), name.lower(), f"{name} Council", f"The {name}",
           name.replace("St ", "St. "), name.replace("&", "and"), f"{name} County Council"}
    if ", " in name:  # 'Bristol, City of' -> 'City of Bristol'
        head, tail = name.split(", ", 1)
        out |= {f"{tail} {head}", f"{head} City Council"}
    return {v for v in out if normalise_name(v) == normalise_name(name)}


def test_the_picker_finds_every_name_and_code_the_importer_accepts(repo_con) -> None:
    """For every round and every council of its set: each variant the importer matches, the
    council's code in any case, and its counterparts' codes and names from other sets, all
    lead the picker to the council (or, for a split, to the councils that share the area)."""
    for year in (2012, 2015):
        matcher = CouncilMatcher(repo_con, year)
        for code in sorted(matcher.members):
            row = matcher.all.loc[code]
            for text in _variants(str(row["name"])) | _variants(str(row["display_name"])) | {code, code.lower()}:
                imported, _ = matcher.match(text)
                if imported is None:
                    continue  # a variant the importer refuses (ambiguous): the picker need not take it
                assert imported == code, (year, text)
                assert matcher.pick(text).codes == [code], (year, text)
    # Today's codes and names of reorganised councils, in a round of 2015.
    matcher = CouncilMatcher(repo_con, 2015)
    assert matcher.pick("E06000065").codes == ["E10000023"]
    assert matcher.pick("North Yorkshire Council").codes == ["E10000023"]
    assert matcher.pick("Buckinghamshire Council").codes == ["E10000002"]
    assert matcher.pick("St. Helens").codes == ["E08000013"]
    assert matcher.pick("E08000038").codes == ["E08000016"]  # Barnsley under its 2025 code
    assert matcher.pick("Cumberland").codes == ["E10000006"]
    assert matcher.pick("Bournemouth, Christchurch and Poole").codes == ["E06000028", "E06000029", "E10000009"]
    nothing = matcher.pick("Atlantis")
    assert nothing.codes == [] and nothing.reason and "unknown council" in nothing.reason


def test_scoring_reads_the_round_set_not_a_label(con) -> None:
    """No 'vintage' is left anywhere: the round table and the views carry the day only."""
    columns = {r[0] for r in con.execute("DESCRIBE survey_rounds").fetchall()}
    assert "council_set_on" in columns and "vintage" not in columns
    assert "vintage_councils" not in set(scoring.VIEW_NAMES)


# --- a round's council-set day, chosen at import ---------------------------------------------

def test_a_new_round_can_hold_the_councils_of_another_day(reorganised, tmp_path) -> None:
    """A 2027 round run in March 2027, before the fictional split, holds Surrey, not its
    successors, when imported with that day; an existing round keeps its own day."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(reorganised[0], path)
    con = db.connect(path, definitions=DEFINITIONS)
    try:
        before = con.execute("SELECT count(*) FROM responses").fetchone()
        march = date(2027, 3, 31)
        sheet = wide_sheet(con, ["E06000001", SURREY], year=2027, source_year=2015)
        # The 2027 round exists (1 April 2027): another day for it is refused, nothing written.
        report = ingest.validate(con, sheet.to_csv(index=False).encode(), "march.csv", 2027, council_set_on=march)
        assert [p.reason for p in report.problems] == [
            "wrong council-set day: the 2027 round already holds the councils of 1 April 2027, and a "
            "replacement keeps them. Leave the council-set day out, or give that day."]
        assert con.execute("SELECT count(*) FROM responses").fetchone() == before
        # A new round (2026 here, as years run to the latest round) on 31 March 2027 holds Surrey.
        sheet = wide_sheet(con, ["E06000001", SURREY], year=2026, source_year=2015)
        result = ingest.import_file(con, sheet.to_csv(index=False).encode(), "march.csv", 2026, council_set_on=march)
        assert result.status == "imported"
        assert geography.council_set_on(con, 2026) == march
        members = {r[0] for r in con.execute("SELECT authority_code FROM round_councils WHERE round_year = 2026").fetchall()}
        assert SURREY in members and NORTH not in members and len(members) == 153
        sheet.loc[0, "council"], sheet.loc[0, "council_name"] = NORTH, FICTIONAL_COUNCILS[0][1]
        report = ingest.validate(con, sheet.to_csv(index=False).encode(), "march2.csv", 2026)
        assert any("councils of 31 March 2027" in p.reason for p in report.problems if p.column == "council")
    finally:
        con.close()


def test_migration_gives_a_current_round_its_own_year_when_its_answers_fit(repo_db_path, tmp_path) -> None:
    """Two 'current' rounds in a schema-4 file: 2020 answered by councils of 2020 (copied from
    2015 respondents that still existed then) gets 1 April 2020; 2021 answered by Cumberland,
    a council only from 2023, keeps the set its label meant (today's), so no answer is dropped."""
    path = tmp_path / "old.duckdb"
    shutil.copy(repo_db_path, path)
    con = duckdb.connect(str(path))
    for year in (2020, 2021):
        con.execute("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) "
                    "VALUES (?, 'old import', FALSE, DATE '2025-04-01', 'test', now())", [year])
    con.execute("INSERT INTO responses SELECT 2020, authority_code, question_id, answer, providers, comment, source, "
                "submitted_at FROM responses WHERE round_year = 2015 AND authority_code IN ('E06000001', 'E06000002')")
    con.execute("INSERT INTO responses SELECT 2021, 'E06000063', question_id, answer, providers, comment, source, "
                "submitted_at FROM responses WHERE round_year = 2015 AND authority_code = 'E06000001'")
    as_schema_4(con)
    con.execute("UPDATE survey_rounds SET vintage = 'current' WHERE year >= 2019")
    con.close()
    con = db.connect(path, definitions=DEFINITIONS)
    try:
        days = dict(con.execute("SELECT year, council_set_on FROM survey_rounds WHERE year >= 2019").fetchall())
        assert days[2020] == date(2020, 4, 1)
        assert days[2021] == geography.council_set_start(con, date.today())
        # Every answer still belongs to a council of its round.
        stray = con.execute("SELECT count(*) FROM responses s LEFT JOIN round_councils c USING (round_year, "
                            "authority_code) WHERE c.authority_code IS NULL").fetchone()
        assert stray == (0,)
    finally:
        con.close()
