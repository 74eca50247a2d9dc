"""Checks on the council reference data (data/authorities.csv, data/lineage.csv), the council
sets by date and lineage helpers in lib.reference.geography (read from a database built from those
files), and the hex-map drawing function.

Where the ONS reference extract in ../shared/geo is available, the project's files are
compared with it; those tests skip (saying why) when the folder is absent. Nothing here
uses the network, and the slow layout derivation (`python -m lib.reference.hexlayout`) is not rerun.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib.reference import build, geography, hexmap
from lib.reference.hexgrid import (
    cell_centre,
    hex_corners,
    hex_distance,
    hex_neighbours,
    shared_edge,
)
from lib.scoring.standards import load_config
from lib.store import db

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
GEO_DIR = Path(__file__).resolve().parents[2] / "shared" / "geo"

COLUMNS = [
    "code", "name", "display_name", "region_code", "region_name", "type", "valid_from",
    "valid_to", "lat", "lon",
]
LINEAGE_COLUMNS = [
    "predecessor_code", "predecessor_name", "successor_code", "successor_name",
    "effective_date", "kind", "note",
]
REGIONS = {
    "E12000001": "North East", "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber", "E12000004": "East Midlands",
    "E12000005": "West Midlands", "E12000006": "East of England", "E12000007": "London",
    "E12000008": "South East", "E12000009": "South West",
}
TYPE_COUNTS = {
    "2015": {"county": 27, "unitary": 56, "metropolitan district": 36, "London borough": 33},
    "current": {"county": 21, "unitary": 63, "metropolitan district": 36, "London borough": 33},
}
#: The two council sets the ONS extract in ../shared/geo describes, by a day on which each held.
SET_DAYS = {"2015": date(2015, 4, 1), "current": date(2026, 12, 1)}
VINTAGES = ("2015", "current")
DAY_2015 = SET_DAYS["2015"]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """authorities.csv exactly as committed (all text, blanks kept as "")."""
    return pd.read_csv(DATA / "authorities.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def con():
    """A database built from the repository's files (no rounds): what lib.reference.geography reads."""
    connection = db.connect(":memory:")
    build.populate(connection, load_config(), demo_dir=None)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def authorities(con) -> pd.DataFrame:
    return geography.load_authorities(con)


@pytest.fixture(scope="module")
def lineage(con) -> pd.DataFrame:
    return geography.load_lineage(con)


def _reference(name: str) -> pd.DataFrame:
    path = GEO_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the ONS reference extract lives outside the project")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


_DB: list = []


def _db():
    """One database built from the repository's files for the helpers below (kept open)."""
    if not _DB:
        connection = db.connect(":memory:")
        build.populate(connection, load_config(), demo_dir=None)
        _DB.append(connection)
    return _DB[0]


def _members(vintage: str) -> pd.DataFrame:
    """The councils of one of the two ONS sets ("2015", "current"), from the database build."""
    return geography.members_on(_db(), SET_DAYS[vintage])


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


# --- authorities.csv: shape and content --------------------------------------------------------

def test_columns_are_exactly_as_documented(raw: pd.DataFrame) -> None:
    assert list(raw.columns) == COLUMNS


def test_codes_are_gss_codes_and_unique(raw: pd.DataFrame) -> None:
    bad = [c for c in raw["code"] if not re.fullmatch(r"E(06|08|09|10)\d{6}", c)]
    assert not bad, bad
    assert raw["code"].is_unique


def test_every_row_is_complete(raw: pd.DataFrame) -> None:
    for col in ("name", "display_name", "region_code", "region_name", "type", "lat", "lon"):
        blank = raw.loc[raw[col].str.strip() == "", "code"].tolist()
        assert not blank, f"{col} is blank for {blank}"
    assert set(raw["type"]) <= set(geography.TYPES)
    pairs = set(zip(raw["region_code"], raw["region_name"], strict=True))
    assert pairs <= set(REGIONS.items()), pairs - set(REGIONS.items())


def test_dates_are_iso_and_in_order(raw: pd.DataFrame) -> None:
    for col in ("valid_from", "valid_to"):
        bad = [v for v in raw[col] if v and not ISO_DATE.match(v)]
        assert not bad, f"{col}: {bad}"
        for v in raw[col]:
            if v:
                date.fromisoformat(v)
    both = raw[(raw["valid_from"] != "") & (raw["valid_to"] != "")]
    assert (both["valid_from"] < both["valid_to"]).all()
    # Every change in these sets took effect on 1 April.
    for v in list(raw["valid_from"]) + list(raw["valid_to"]):
        if v:
            assert v[5:] == "04-01", v
    assert (raw["valid_from"].replace("", "2009-04-01") >= "2009-04-01").all()


def test_union_of_vintages_has_163_councils_plus_the_codes_of_2012(raw: pd.DataFrame) -> None:
    codes = set(_members("2015")["code"]) | set(_members("current")["code"])
    assert len(codes) == 163
    # The only other rows: Gateshead and Northumberland under the codes they had until April 2013.
    assert set(raw["code"]) - codes == {"E08000020", "E06000048"}


def test_the_2012_council_set_uses_the_codes_of_2012(con) -> None:
    on_2012 = set(geography.members_on(con, date(2012, 4, 1))["code"])
    assert len(on_2012) == 152  # the 2015 set with two codes swapped back
    assert on_2012 - set(_members("2015")["code"]) == {"E08000020", "E06000048"}
    assert set(_members("2015")["code"]) - on_2012 == {"E08000037", "E06000057"}


@pytest.mark.parametrize("vintage, expected", [("2015", 152), ("current", 153)])
def test_vintage_sizes(vintage: str, expected: int) -> None:
    assert len(_members(vintage)) == expected


@pytest.mark.parametrize("vintage", VINTAGES)
def test_type_counts(vintage: str) -> None:
    counts = _members(vintage)["type"].value_counts().to_dict()
    assert counts == TYPE_COUNTS[vintage]


# Councils per region, as ONS has them (issue 8). The current set differs from 2015 only
# where councils were reorganised: Cheshire (NW 23 -> 24), Northamptonshire (EM 9 -> 10)
# and Dorset/Bournemouth-Poole (SW 16 -> 15). North and North East Lincolnshire count in
# Yorkshire and The Humber in both.
REGION_COUNTS_2015 = {
    "North East": 12, "North West": 23, "Yorkshire and The Humber": 15, "East Midlands": 9,
    "West Midlands": 14, "East of England": 11, "London": 33, "South East": 19,
    "South West": 16,
}
REGION_COUNTS = {
    "2015": REGION_COUNTS_2015,
    "current": {**REGION_COUNTS_2015, "North West": 24, "East Midlands": 10, "South West": 15},
}


@pytest.mark.parametrize("vintage", VINTAGES)
def test_councils_per_region_match_ons(vintage: str) -> None:
    counts = _members(vintage)["region_name"].value_counts().to_dict()
    assert counts == REGION_COUNTS[vintage]
    assert sum(counts.values()) == len(_members(vintage))


def test_the_lincolnshire_unitaries_are_in_yorkshire_and_the_humber(
        authorities: pd.DataFrame) -> None:
    rows = authorities.set_index("code").loc[["E06000012", "E06000013"]]
    assert set(rows["region_code"]) == {"E12000003"}
    assert set(rows["region_name"]) == {"Yorkshire and The Humber"}


@pytest.mark.parametrize("vintage", VINTAGES)
def test_london_has_33_councils_including_the_city(vintage: str) -> None:
    london = _members(vintage)
    london = london[london["region_code"] == "E12000007"]
    assert len(london) == 33
    assert "E09000001" in set(london["code"])
    assert (london["type"] == "London borough").all()
    assert london["code"].str.startswith("E09").all()


def test_isles_of_scilly_is_a_unitary_in_both_sets(authorities: pd.DataFrame) -> None:
    row = authorities.set_index("code").loc["E06000053"]
    assert row["type"] == "unitary"
    assert row["valid_from"] is None and row["valid_to"] is None


def test_display_names_are_short_everyday_names(authorities: pd.DataFrame) -> None:
    names = authorities.set_index("code")["display_name"]
    assert names["E06000023"] == "Bristol"
    assert names["E06000019"] == "Herefordshire"
    assert names["E06000010"] == "Kingston upon Hull"
    assert names["E08000013"] == "St Helens"
    assert not any(", " in n for n in names if n != "Bournemouth, Christchurch and Poole")
    for vintage in VINTAGES:
        assert _members(vintage)["display_name"].is_unique, vintage


def test_reorganisation_dates(authorities: pd.DataFrame) -> None:
    by_code = authorities.set_index("code")
    expected_from = {
        "E06000058": 2019, "E06000059": 2019, "E06000060": 2020, "E06000061": 2021,
        "E06000062": 2021, "E06000063": 2023, "E06000064": 2023, "E06000065": 2023,
        "E06000066": 2023, "E08000037": 2013, "E06000057": 2013, "E08000038": 2025,
        "E08000039": 2025,
    }
    for code, year in expected_from.items():
        assert by_code.loc[code, "valid_from"] == date(year, 4, 1), code
    expected_to = {
        "E06000028": 2019, "E06000029": 2019, "E10000009": 2019, "E10000002": 2020,
        "E10000021": 2021, "E10000006": 2023, "E10000023": 2023, "E10000027": 2023,
        "E08000016": 2025, "E08000019": 2025,
    }
    for code, year in expected_to.items():
        assert by_code.loc[code, "valid_to"] == date(year, 4, 1), code


# --- comparison with the ONS reference extract ------------------------------------------------

@pytest.mark.parametrize("vintage, filename", [("2015", "authorities_2015.csv"),
                                                ("current", "authorities_current.csv")])
def test_matches_ons_reference(vintage: str, filename: str) -> None:
    ref = _reference(filename).set_index("code").sort_index()
    ours = _members(vintage).set_index("code").sort_index()
    assert set(ours.index) == set(ref.index), (
        f"missing {sorted(set(ref.index) - set(ours.index))}, "
        f"extra {sorted(set(ours.index) - set(ref.index))}")
    for col in ("name", "region_code", "region_name", "type"):
        diff = ours[col].astype(str) != ref[col]
        assert not diff.any(), f"{col} differs for {sorted(ours.index[diff])}"


def test_lineage_covers_the_reference_lineage(lineage: pd.DataFrame) -> None:
    ref = _reference("lineage.csv")
    ours = {(r.predecessor_code, r.successor_code): r.effective_date.year
            for r in lineage.itertuples()}
    for r in ref.itertuples():
        assert (r.predecessor_code, r.successor_code) in ours, (r.predecessor_code, r.successor_code)
        assert ours[(r.predecessor_code, r.successor_code)] == int(r.year)


# --- centroids ---------------------------------------------------------------------------------

def test_centroids_lie_inside_their_own_polygon(authorities: pd.DataFrame) -> None:
    shapely_geometry = pytest.importorskip("shapely.geometry", reason="shapely (dev dependency) is not installed")
    path = GEO_DIR / "utla_boundaries.geojson"
    if not path.exists():
        pytest.skip(f"{path} is absent: the ONS boundaries live outside the project")
    features = json.loads(path.read_text())["features"]
    polygons = {f["properties"]["code"]: shapely_geometry.shape(f["geometry"]) for f in features}
    # The extract has no polygon for the codes Gateshead and Northumberland had until 2013: a
    # recode with a small boundary adjustment, so the later code's polygon stands in.
    recoded = {"E08000020": "E08000037", "E06000048": "E06000057"}
    outside = []
    for row in authorities.itertuples():
        code = recoded.get(row.code, row.code)
        assert code in polygons, f"no boundary for {row.code}"
        if not polygons[code].contains(shapely_geometry.Point(row.lon, row.lat)):
            outside.append(row.code)
    assert not outside, f"centroid outside own boundary: {outside}"


def test_centroids_are_rounded_and_inside_england(raw: pd.DataFrame) -> None:
    for col in ("lat", "lon"):
        assert raw[col].str.fullmatch(r"-?\d+\.\d{1,2}").all(), col
    lat = raw["lat"].astype(float)
    lon = raw["lon"].astype(float)
    assert lat.between(49.8, 55.9).all()
    assert lon.between(-6.5, 1.8).all()


@pytest.mark.parametrize("vintage", VINTAGES)
def test_councils_are_nearer_their_own_region_than_far_regions(vintage: str) -> None:
    """Mean distance to the rest of one's own region beats that to any region > 250 km away.

    "Far" is judged from the council itself to each other region's centre (mean of its
    councils' centroids), so neighbouring regions are not compared.
    """
    members = _members(vintage)
    groups = {code: g for code, g in members.groupby("region_code")}
    centres = {code: (g["lat"].mean(), g["lon"].mean()) for code, g in groups.items()}
    problems = []
    for row in members.itertuples():
        own = groups[row.region_code]
        own = own[own["code"] != row.code]
        own_mean = np.mean([_km(row.lat, row.lon, a, b) for a, b in zip(own["lat"], own["lon"], strict=True)])
        for region, (clat, clon) in centres.items():
            if region == row.region_code or _km(row.lat, row.lon, clat, clon) <= 250:
                continue
            g = groups[region]
            far_mean = np.mean([_km(row.lat, row.lon, a, b) for a, b in zip(g["lat"], g["lon"], strict=True)])
            if far_mean <= own_mean:
                problems.append((row.code, region))
    assert not problems, problems


# --- lineage.csv -------------------------------------------------------------------------------

def test_lineage_columns_and_values(lineage: pd.DataFrame) -> None:
    raw_lineage = pd.read_csv(DATA / "lineage.csv", dtype=str, keep_default_na=False)
    assert list(raw_lineage.columns) == LINEAGE_COLUMNS
    assert raw_lineage["effective_date"].str.match(ISO_DATE).all()
    assert set(lineage["kind"]) <= {"merge", "split", "recode"}
    assert not lineage.duplicated(["predecessor_code", "successor_code"]).any()
    assert (lineage["note"].str.len() > 10).all()
    assert (lineage["effective_date"] >= date(2009, 4, 1)).all()


def test_lineage_records_each_reorganisation(lineage: pd.DataFrame) -> None:
    pairs = set(zip(lineage["predecessor_code"], lineage["successor_code"], strict=True))
    expected = {
        ("E10000001", "E06000055"), ("E10000001", "E06000056"),  # Bedfordshire 2009
        ("E10000004", "E06000049"), ("E10000004", "E06000050"),  # Cheshire 2009
        ("E08000020", "E08000037"), ("E06000048", "E06000057"),  # Gateshead, Northumberland 2013
        ("E06000028", "E06000058"), ("E06000029", "E06000058"),
        ("E10000009", "E06000058"), ("E10000009", "E06000059"),  # Dorset 2019
        ("E10000002", "E06000060"),  # Buckinghamshire 2020
        ("E10000021", "E06000061"), ("E10000021", "E06000062"),  # Northamptonshire 2021
        ("E10000006", "E06000063"), ("E10000006", "E06000064"),  # Cumbria 2023
        ("E10000023", "E06000065"), ("E10000027", "E06000066"),  # North Yorkshire, Somerset 2023
        ("E08000016", "E08000038"), ("E08000019", "E08000039"),  # Barnsley, Sheffield 2025
    }
    assert expected <= pairs, sorted(expected - pairs)


def test_lineage_names_match_authorities(lineage: pd.DataFrame, authorities: pd.DataFrame) -> None:
    names = dict(zip(authorities["code"], authorities["name"], strict=True))
    for side in ("predecessor", "successor"):
        for code, name in zip(lineage[f"{side}_code"], lineage[f"{side}_name"], strict=True):
            if code in names:
                assert names[code] == name, (code, name)


def test_predecessors_are_retired_on_the_effective_date(lineage: pd.DataFrame,
                                                        authorities: pd.DataFrame) -> None:
    """Since 2015 every predecessor is a row that ends on the change; earlier ones may be absent."""
    valid_to = dict(zip(authorities["code"], authorities["valid_to"], strict=True))
    for row in lineage.itertuples():
        if row.predecessor_code in valid_to:
            assert valid_to[row.predecessor_code] == row.effective_date, row.predecessor_code
        else:
            assert row.effective_date < DAY_2015, (
                f"{row.predecessor_code} retired after 2015 but has no row in authorities.csv")


def test_successors_start_on_the_effective_date(lineage: pd.DataFrame,
                                                authorities: pd.DataFrame) -> None:
    valid_from = dict(zip(authorities["code"], authorities["valid_from"], strict=True))
    retired_early = set(lineage.loc[lineage["effective_date"] < DAY_2015,
                                    "predecessor_code"])
    for row in lineage.itertuples():
        if row.successor_code not in valid_from:
            # Only a short-lived code that was itself replaced before 2015 may be missing.
            assert row.successor_code in retired_early, row.successor_code
            continue
        assert valid_from[row.successor_code] == row.effective_date, row.successor_code


def test_every_start_and_end_is_explained_by_the_lineage(lineage: pd.DataFrame,
                                                         authorities: pd.DataFrame) -> None:
    started = set(authorities.loc[authorities["valid_from"].notna(), "code"])
    ended = set(authorities.loc[authorities["valid_to"].notna(), "code"])
    assert started <= set(lineage["successor_code"]), sorted(started - set(lineage["successor_code"]))
    assert ended <= set(lineage["predecessor_code"]), sorted(ended - set(lineage["predecessor_code"]))


def test_2015_and_current_sets_map_onto_each_other(con) -> None:
    today = SET_DAYS["current"]
    current = set(_members("current")["code"])
    for code in _members("2015")["code"]:
        successors = geography.current_successors(con, code, today)
        assert successors and set(successors) <= current, code
    in_2015 = set(_members("2015")["code"])
    for code in current:
        back = geography.counterparts_on(con, code, DAY_2015)
        assert back and set(back) <= in_2015, code
        # ... and the way back leads forward to the same council again.
        assert all(code in geography.current_successors(con, p, today) for p in back), code


# --- lib.reference.geography ---------------------------------------------------------------------------

def test_council_set_days(con) -> None:
    # New rounds default to 1 April of their year, the day reorganisations take effect.
    assert geography.default_council_set_on(2027) == date(2027, 4, 1)
    # With no round stored, a year's set is that default's.
    assert geography.council_set_on(con, 2012) == date(2012, 4, 1)
    assert len(geography.round_members(con, 2012)) == 152
    assert len(geography.round_members(con, 2015)) == 152
    assert len(geography.round_members(con, 2026)) == 153
    on_2021 = set(geography.members_on(con, date(2021, 4, 1))["code"])
    assert "E06000061" in on_2021 and "E10000021" not in on_2021 and "E10000006" in on_2021
    # A council is valid from its first day up to, not including, its last.
    assert "E10000021" in set(geography.members_on(con, date(2021, 3, 31))["code"])
    # The day each set began names its hex layout.
    assert geography.change_dates(con)[:2] == [date(2009, 4, 1), date(2013, 4, 1)]
    assert geography.council_set_start(con, date(2015, 6, 1)) == date(2013, 4, 1)
    assert geography.layout_name(con, date(2026, 12, 1)) == "2025-04-01"
    assert geography.layout_name(con, date(2000, 1, 1)) is None
    assert geography.describe_day(date(2015, 4, 1)) == "1 April 2015"


def test_lineage_lookups(con) -> None:
    today = SET_DAYS["current"]
    assert geography.current_successors(con, "E10000023", today) == ["E06000065"]
    assert geography.current_successors(con, "E10000021", today) == ["E06000061", "E06000062"]
    assert geography.current_successors(con, "E10000009", today) == ["E06000058", "E06000059"]
    assert geography.current_successors(con, "E06000001", today) == ["E06000001"]
    assert geography.current_successors(con, "E08000016", today) == ["E08000038"]
    assert geography.current_successors(con, "E08000020", today) == ["E08000037"]
    assert geography.predecessors_in(con, "E06000058", 2015) == ["E06000028", "E06000029", "E10000009"]
    assert geography.predecessors_in(con, "E06000063", 2015) == ["E10000006"]
    assert geography.predecessors_in(con, "E08000039", 2014) == ["E08000019"]
    assert geography.predecessors_in(con, "E06000001", 2013) == ["E06000001"]
    assert geography.predecessors_in(con, "E08000037", 2012) == ["E08000020"]
    assert geography.predecessors_in(con, "E10000021", 2025) == ["E06000061", "E06000062"]
    # A split's successor maps back to the county alone, never on to its sibling.
    assert geography.predecessors_in(con, "E06000061", 2019) == ["E10000021"]
    with pytest.raises(KeyError):
        geography.current_successors(con, "E99999999", today)


def test_reorganisation_labels(con) -> None:
    assert geography.mapping_kind(con, "E06000001", 2015) == "same"
    assert geography.mapping_kind(con, "E08000038", 2015) == "recode"
    assert geography.mapping_kind(con, "E06000065", 2015) == "recode"
    assert geography.mapping_kind(con, "E08000037", 2012) == "recode"
    assert geography.mapping_kind(con, "E06000058", 2015) == "reorganised"
    assert geography.mapping_kind(con, "E06000059", 2015) == "reorganised"  # Christchurch left
    assert geography.mapping_kind(con, "E06000062", 2014) == "reorganised"
    assert geography.mapping_kind(con, "E06000066", 2014) == "recode"
    assert geography.lineage_label(con, "E06000001", 2015) == ""
    assert "via lineage" in geography.lineage_label(con, "E06000058", 2015)
    assert "Bournemouth" in geography.lineage_label(con, "E06000058", 2015)
    assert geography.lineage_label(con, "E08000037", 2012) == "2012: same council under its earlier code (Gateshead)"
    assert geography.label(con, "E10000009") == "Dorset (until 2019)"
    assert geography.label(con, "E06000059") == "Dorset"


# --- lib.reference.hexgrid -----------------------------------------------------------------------------

def test_hex_grid_geometry() -> None:
    for cell in [(3, 4), (3, 5), (0, 0)]:
        for nb in hex_neighbours(*cell):
            assert cell in hex_neighbours(*nb)
            assert hex_distance(cell, nb) == 1
            x0, y0 = cell_centre(*cell)
            x1, y1 = cell_centre(*nb)
            assert math.isclose(math.hypot(x1 - x0, y1 - y0), 1.0)
            a, b = shared_edge(cell, nb)
            corners_nb = hex_corners(*nb)
            for p in (a, b):  # the shared edge's corners belong to both cells
                assert min(math.dist(p, q) for q in corners_nb) < 1e-9
    assert hex_distance((0, 0), (0, 2)) == 2
    # Odd rows are offset to the right; rows go north.
    assert cell_centre(0, 1)[0] > cell_centre(0, 0)[0]
    assert cell_centre(0, 1)[1] > cell_centre(0, 0)[1]


def test_normalising_a_layout_keeps_its_shape() -> None:
    from lib.reference.hexlayout import normalise_cells

    cells = [(5, 3), (6, 3), (5, 4), (4, 5), (5, 5)]  # lowest row is odd
    shifted = normalise_cells(cells)
    assert min(r for _, r in shifted) == 0 and min(c for c, _ in shifted) == 0
    for a, b in [(0, 1), (0, 2), (2, 3), (2, 4), (1, 4)]:
        assert (cells[b] in hex_neighbours(*cells[a])) == (shifted[b] in hex_neighbours(*shifted[a]))
    before = [cell_centre(*c) for c in cells]
    after = [cell_centre(*c) for c in shifted]
    offsets = {(round(x1 - x0, 9), round(y1 - y0, 9)) for (x0, y0), (x1, y1) in zip(before, after, strict=True)}
    assert len(offsets) == 1  # every hexagon moved by the same vector


# --- lib.reference.hexmap ------------------------------------------------------------------------------

def _cells(vintage: str = "2015", missing_every: int = 0) -> pd.DataFrame:
    cells = hexmap.hex_layout(_db(), SET_DAYS[vintage])
    values = np.linspace(5, 95, len(cells))
    if missing_every:
        values[::missing_every] = np.nan
    cells["value"] = values
    cells["rank"] = pd.Series(pd.Series(values).rank(ascending=False, method="min")).astype("Int64")
    cells["n_ranked"] = int(np.isfinite(values).sum())
    return cells


def test_hex_layout_returns_one_row_per_council() -> None:
    for day, n in ((date(2012, 4, 1), 152), (SET_DAYS["2015"], 152), (SET_DAYS["current"], 153)):
        layout = hexmap.hex_layout(_db(), day)
        assert len(layout) == n
        assert set(layout["code"]) == set(geography.members_on(_db(), day)["code"])
        assert list(layout.columns) == ["code", "display_name", "region_code", "region_name",
                                        "type", "hex_col", "hex_row"]
    with pytest.raises(ValueError, match="no hex layout for the councils of 1 January 1999"):
        hexmap.hex_layout(_db(), date(1999, 1, 1))


def test_hex_map_figure_marks_missing_values_grey() -> None:
    cells = _cells(missing_every=4)
    fig = hexmap.hex_map_figure(cells, colour_label="Overall score")
    legend = [t for t in fig.data if t.showlegend]
    assert [t.name for t in legend] == [hexmap.NO_DATA_TEXT]
    fills = [s.fillcolor for s in fig.layout.shapes]
    assert len(fills) == len(cells)
    assert fills.count(hexmap.NO_DATA_COLOUR) == int(cells["value"].isna().sum())
    markers = next(t for t in fig.data if t.name == "Councils")
    grey_hover = [h for h, v in zip(markers.hovertext, cells["value"], strict=True) if np.isnan(v)]
    assert all(hexmap.NO_DATA_TEXT in h for h in grey_hover)


def test_hex_map_figure_has_no_grey_legend_when_complete() -> None:
    fig = hexmap.hex_map_figure(_cells(), colour_label="Overall score")
    assert not [t for t in fig.data if t.showlegend]
    assert hexmap.NO_DATA_COLOUR not in [s.fillcolor for s in fig.layout.shapes]


def test_hex_map_figure_carries_codes_and_hover_for_every_council() -> None:
    cells = _cells("current", missing_every=7)
    fig = hexmap.hex_map_figure(cells, title="Overall", colour_label="Score")
    assert len(fig.data) <= 3  # outlines, markers, grey legend: not one trace per council
    markers = next(t for t in fig.data if t.name == "Councils")
    assert [c[0] for c in markers.customdata] == list(cells["code"])
    first = cells.iloc[1]
    expected = f"Score {first['value']:.0f} · rank {int(first['rank'])} of {int(first['n_ranked'])}"
    assert expected in markers.hovertext[1]
    assert first["display_name"] in markers.hovertext[1] and first["region_name"] in markers.hovertext[1]
    assert markers.marker.showscale and markers.marker.colorbar.title.text == "Score"
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    outline = fig.data[0]
    assert outline.mode == "lines" and outline.line.width >= 2


def test_hex_map_figure_escapes_names_and_adds_notes() -> None:
    cells = _cells().head(3).copy()
    cells.loc[0, "display_name"] = "<script>x</script>"
    cells["hover_note"] = ["Trend via lineage", None, ""]
    fig = hexmap.hex_map_figure(cells, value_col="value")
    markers = next(t for t in fig.data if t.name == "Councils")
    assert "<script>" not in markers.hovertext[0] and "&lt;script&gt;" in markers.hovertext[0]
    assert markers.hovertext[0].endswith("Trend via lineage")
    assert markers.hovertext[1].count("<br>") == 2


def test_hex_map_figure_rejects_missing_columns() -> None:
    with pytest.raises(ValueError, match="hex_col"):
        hexmap.hex_map_figure(pd.DataFrame({"code": ["E06000001"], "value": [1.0]}))


def test_selected_code_reads_streamlit_selection() -> None:
    event = {"selection": {"points": [{"customdata": ["E10000023"]}]}}
    assert hexmap.selected_code(event) == "E10000023"
    assert hexmap.selected_code({"selection": {"points": []}}) is None
    assert hexmap.selected_code(None) is None


def test_app_modules_do_not_load_the_layout_tool() -> None:
    """The maps read stored cells: drawing one must not load the layout tool or scipy."""
    code = ("import sys, lib.reference.geography, lib.reference.hexmap, lib.reference.hexgrid; "
            "bad = [m for m in ('lib.reference.hexlayout', 'scipy') if m in sys.modules]; "
            "print(', '.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hex_map_labels_each_region_and_hovers_dark_on_white() -> None:
    cells = _cells()
    fig = hexmap.hex_map_figure(cells, colour_label="Overall score")
    labels = {a.text: (a.x, a.y) for a in fig.layout.annotations}
    assert set(labels) == set(cells["region_name"])  # nine regions, one label each
    # Each label sits on a hexagon of its own region (the hexagon whose centre is nearest it).
    centres = [(hexmap.cell_centre(int(c), int(r)), reg)
               for c, r, reg in zip(cells["hex_col"], cells["hex_row"], cells["region_name"], strict=True)]
    for region, (x, y) in labels.items():
        nearest = min(centres, key=lambda item: (item[0][0] - x) ** 2 + (item[0][1] - y) ** 2)
        assert nearest[1] == region, region
    assert all(a.captureevents is False and a.showarrow is False for a in fig.layout.annotations)
    assert fig.layout.hoverlabel.bgcolor == "white" and fig.layout.hoverlabel.font.color == "#1a1a1a"
