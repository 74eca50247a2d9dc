"""Checks on the stored hex-map layouts (data/hex_cells.csv), one per council set, and on the
council-set and layout helpers in lib.reference.hexlayout.

Council sets are keyed by change date (every non-blank valid_from/valid_to in
authorities.csv). The per-layout tests run for every key found in hex_cells.csv; a separate
test checks that those keys are exactly the council sets. The slow annealing of the base
layout (`python -m lib.reference.hexlayout`, ~140 s) is not rerun here, but the anchored derivation
(a few seconds per set) is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.reference import hexlayout
from lib.reference.hexgrid import Cell, cell_centre, components, enclosed_holes, hex_distance

HEX_CELLS = pd.read_csv(hexlayout.HEX_CELLS_CSV, dtype=str, keep_default_na=False)
KEYS = sorted(set(HEX_CELLS["layout"]))
#: The layout annealed from the centroids; every other stored layout is anchored to it.
BASE = "2025-04-01"
SURREY = "E10000030"
NORTH, SOUTH = "E06099901", "E06099902"


@pytest.fixture(scope="module")
def inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    return hexlayout.read_inputs()


@pytest.fixture(scope="module")
def authorities(inputs: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return inputs[0]


@pytest.fixture(scope="module")
def lineage(inputs: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return inputs[1]


def _layout(key: str) -> dict[str, Cell]:
    rows = HEX_CELLS[HEX_CELLS["layout"] == key]
    return {code: (int(c), int(r)) for code, c, r in zip(rows["code"], rows["col"], rows["row"],
                                                         strict=True)}


def _with_regions(authorities: pd.DataFrame, cells: dict[str, Cell]) -> pd.DataFrame:
    table = pd.DataFrame([(code, c, r) for code, (c, r) in cells.items()],
                         columns=["code", "hex_col", "hex_row"])
    return table.merge(authorities[["code", "region_name", "lat", "lon"]], on="code")


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


# --- council sets by date --------------------------------------------------------------------

def test_council_set_keys_and_members(authorities: pd.DataFrame) -> None:
    keys = hexlayout.council_set_keys(authorities)
    assert keys == ["2009-04-01", "2013-04-01", "2019-04-01", "2020-04-01", "2021-04-01",
                    "2023-04-01", "2025-04-01"]
    # By hand from the reorganisations: 2019 BCP + Dorset replace Bournemouth, Poole, Dorset
    # (-1); 2020 Buckinghamshire recoded (0); 2021 Northamptonshire split in two (+1); 2023
    # Cumbria split in two (+1), North Yorkshire and Somerset recoded; 2009->2013 and 2025
    # only recodes.
    sizes = {key: len(hexlayout.members_on(authorities, key)) for key in keys}
    assert sizes == {"2009-04-01": 152, "2013-04-01": 152, "2019-04-01": 151,
                     "2020-04-01": 151, "2021-04-01": 152, "2023-04-01": 153, "2025-04-01": 153}
    # valid_to is exclusive: the old Northumberland code ends the day the new one starts.
    assert "E06000048" in set(hexlayout.members_on(authorities, "2013-03-31")["code"])
    assert "E06000048" not in set(hexlayout.members_on(authorities, "2013-04-01")["code"])
    assert "E06000057" in set(hexlayout.members_on(authorities, "2013-04-01")["code"])
    assert hexlayout.set_key_on(authorities, "2015-04-01") == "2013-04-01"
    assert hexlayout.set_key_on(authorities, "2025-04-01") == "2025-04-01"
    assert hexlayout.set_key_on(authorities, "2009-03-31") is None


def test_blank_dates_may_be_empty_text_or_missing(authorities: pd.DataFrame) -> None:
    as_text = pd.read_csv(hexlayout.AUTHORITIES_CSV, dtype=str, keep_default_na=False)
    assert (as_text["valid_to"] == "").any() and authorities["valid_to"].isna().any()
    assert hexlayout.council_set_keys(as_text) == hexlayout.council_set_keys(authorities)
    for key in ("2009-04-01", "2019-04-01", "2024-06-30"):
        assert (list(hexlayout.members_on(as_text, key)["code"])
                == list(hexlayout.members_on(authorities, key)["code"]))


def test_counterparts_follow_the_lineage_both_ways(lineage: pd.DataFrame) -> None:
    newest = set(_layout(BASE))
    oldest = set(_layout("2013-04-01"))
    # Forwards: the old Dorset county became part of BCP and the new Dorset unitary.
    assert hexlayout.counterparts(lineage, "E10000009", newest) == ["E06000058", "E06000059"]
    # Backwards: BCP came from Bournemouth, Poole and the old Dorset.
    assert hexlayout.counterparts(lineage, "E06000058", oldest) == [
        "E06000028", "E06000029", "E10000009"]
    # Through two recodes (2009 Northumberland -> 2013 -> today) and to itself.
    assert hexlayout.counterparts(lineage, "E06000048", newest) == ["E06000057"]
    assert hexlayout.counterparts(lineage, SURREY, newest) == [SURREY]


def test_every_council_set_has_a_stored_layout(authorities: pd.DataFrame) -> None:
    assert hexlayout.council_set_keys(authorities) == KEYS
    assert list(HEX_CELLS.columns) == ["layout", "code", "col", "row"]
    ordered = HEX_CELLS.sort_values(["layout", "code"]).reset_index(drop=True)
    assert HEX_CELLS.equals(ordered), "hex_cells.csv is sorted by layout, then code"


# --- each stored layout ------------------------------------------------------------------------

@pytest.mark.parametrize("key", KEYS)
def test_every_council_has_its_own_cell(key: str, authorities: pd.DataFrame) -> None:
    rows = HEX_CELLS[HEX_CELLS["layout"] == key]
    assert set(rows["code"]) == set(hexlayout.members_on(authorities, key)["code"]), \
        "cells must be given exactly for the set's councils"
    assert rows["code"].is_unique
    assert rows["col"].str.fullmatch(r"-?\d+").all() and rows["row"].str.fullmatch(r"-?\d+").all()
    cells = list(_layout(key).values())
    assert len(set(cells)) == len(cells), "two councils share a cell"
    assert hexlayout.check_layout(authorities, key, _layout(key)) == []


def test_layouts_share_the_base_frame() -> None:
    base = _layout(BASE).values()
    assert min(c for c, _ in base) == 0 and min(r for _, r in base) == 0
    # The other stored layouts are anchored in that frame, so they span the same grid today.
    for key in KEYS:
        cells = _layout(key).values()
        assert min(c for c, _ in cells) >= 0 and min(r for _, r in cells) >= 0, key


@pytest.mark.parametrize("key", KEYS)
def test_each_region_is_one_joined_up_block(key: str, authorities: pd.DataFrame) -> None:
    layout = _with_regions(authorities, _layout(key))
    for region, group in layout.groupby("region_name"):
        pieces = components(zip(group["hex_col"], group["hex_row"], strict=True))
        assert len(pieces) == 1, f"{key}: {region} is in {len(pieces)} pieces"


@pytest.mark.parametrize("key", KEYS)
def test_layout_reads_as_england(key: str, authorities: pd.DataFrame) -> None:
    """Regions sit where they should relative to each other, and London is compact."""
    layout = _with_regions(authorities, _layout(key))
    xy = np.array([cell_centre(c, r) for c, r in zip(layout["hex_col"], layout["hex_row"], strict=True)])
    layout["x"], layout["y"] = xy[:, 0], xy[:, 1]
    mid = layout.groupby("region_name")[["x", "y"]].mean()
    assert mid.loc["North East", "y"] > mid.loc["Yorkshire and The Humber", "y"] > mid.loc["East Midlands", "y"]
    assert mid.loc["North West", "x"] < mid.loc["Yorkshire and The Humber", "x"]
    assert mid.loc["West Midlands", "x"] < mid.loc["East Midlands", "x"]
    assert mid.loc["South West", "x"] < mid.loc["South East", "x"] < mid.loc["London", "x"]
    assert mid.loc["London", "y"] < mid.loc["East of England", "y"]
    assert mid.loc["South West", "y"] < mid.loc["West Midlands", "y"]
    # London is a compact block in the south-east: nothing further than 4 steps from its middle.
    london = layout[layout["region_name"] == "London"]
    cells = list(zip(london["hex_col"], london["hex_row"], strict=True))
    hub = min(cells, key=lambda c: sum(hex_distance(c, o) for o in cells))
    assert max(hex_distance(hub, c) for c in cells) <= 4
    assert mid.loc["London", "x"] > layout["x"].median() and mid.loc["London", "y"] < layout["y"].median()
    # No empty cell is walled in (every stored layout has none today: `python -m lib.reference.hexlayout`
    # reports 0 walled-in empty cells for each of the seven sets).
    assert not enclosed_holes(zip(layout["hex_col"], layout["hex_row"], strict=True))


@pytest.mark.parametrize("key", KEYS)
def test_real_neighbours_stay_close(key: str, authorities: pd.DataFrame) -> None:
    """Each council's nearest real neighbour sits within a couple of cells on the map."""
    members = hexlayout.members_on(authorities, key)
    layout = _layout(key)
    far = []
    for i, row in members.iterrows():
        others = members.drop(index=i)
        d = [_km(row["lat"], row["lon"], a, b) for a, b in zip(others["lat"], others["lon"], strict=True)]
        nearest = others.iloc[int(np.argmin(d))]["code"]
        if hex_distance(layout[row["code"]], layout[nearest]) > 2:
            far.append((row["code"], nearest, hex_distance(layout[row["code"]], layout[nearest])))
    assert len(far) <= len(members) // 20, far


def test_councils_keep_their_cell_between_consecutive_sets() -> None:
    """A council in two consecutive sets keeps its cell unless a neighbour was reorganised.

    Measured today (`python -m lib.reference.hexlayout --missing` prints it): of the six pairs of
    consecutive sets, only 2021-04-01 -> 2023-04-01 moves anyone, and only Northumberland
    (E06000057, (4, 19) -> (5, 18)), next to Cumbria, which split into Cumberland and
    Westmorland and Furness that day. So: at most one mover in all, and every mover lies
    within two cells of a council that is in only one of the two sets.
    """
    movers = []
    for older, newer in zip(KEYS, KEYS[1:], strict=False):
        before, after = _layout(older), _layout(newer)
        changed = [before[c] for c in set(before) - set(after)] + \
                  [after[c] for c in set(after) - set(before)]
        for code in hexlayout.moved_between(before, after):
            movers.append((older, newer, code))
            near = min(hex_distance(cell, other) for cell in (before[code], after[code])
                       for other in changed)
            assert near <= 2, f"{code} moves between {older} and {newer} with no reorganisation near"
    assert len(movers) <= 1, movers


@pytest.mark.slow  # derives a layout: seconds
@pytest.mark.parametrize("key", [k for k in KEYS if k != BASE])
def test_anchored_layouts_are_up_to_date(key: str, authorities: pd.DataFrame,
                                         lineage: pd.DataFrame) -> None:
    """What `--check` checks, for the anchored sets: re-deriving from the base reproduces them."""
    members = hexlayout.members_on(authorities, key)
    assert hexlayout.derive_anchored(authorities, lineage, members, _layout(BASE)) == _layout(key)


# --- complete_layouts --------------------------------------------------------------------------

def _stored() -> pd.DataFrame:
    return hexlayout.read_hex_cells()


def _fictional(authorities: pd.DataFrame,
               lineage: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """In-memory copies of the CSVs in which Surrey splits into two made-up unitaries in 2027."""
    authorities = authorities.copy()
    authorities.loc[authorities["code"] == SURREY, "valid_to"] = "2027-04-01"
    surrey = authorities[authorities["code"] == SURREY].iloc[0]
    new = pd.DataFrame([
        {"code": code, "name": name, "display_name": name, "region_code": "E12000008",
         "region_name": "South East", "type": "unitary", "valid_from": "2027-04-01",
         "lat": surrey["lat"] + dlat, "lon": surrey["lon"]}
        for code, name, dlat in ((NORTH, "Fictional North Surrey", 0.1),
                                 (SOUTH, "Fictional South Surrey", -0.1))])
    splits = pd.DataFrame([
        {"predecessor_code": SURREY, "predecessor_name": "Surrey", "successor_code": code,
         "successor_name": name, "effective_date": "2027-04-01", "kind": "split",
         "note": "Fictional, for tests only."}
        for code, name in ((NORTH, "Fictional North Surrey"), (SOUTH, "Fictional South Surrey"))])
    return (pd.concat([authorities, new], ignore_index=True),
            pd.concat([lineage, splits], ignore_index=True))


@pytest.mark.slow  # derives a layout: seconds
def test_a_new_reorganisation_adds_a_layout_without_moving_the_others(
        authorities: pd.DataFrame, lineage: pd.DataFrame) -> None:
    fictional, fictional_lineage = _fictional(authorities, lineage)
    assert hexlayout.council_set_keys(fictional)[-1] == "2027-04-01"
    stored = _stored()
    done = hexlayout.complete_layouts(fictional, fictional_lineage, stored)
    # Stored rows unchanged; one new layout of 153 - 1 + 2 = 154 councils.
    assert done[done["layout"] != "2027-04-01"].reset_index(drop=True).equals(stored)
    new = hexlayout.frame_layouts(done)["2027-04-01"]
    assert len(new) == 154
    assert hexlayout.check_layout(fictional, "2027-04-01", new) == []  # South East one block
    assert hex_distance(new[NORTH], new[SOUTH]) == 1
    assert cell_centre(*new[NORTH])[1] > cell_centre(*new[SOUTH])[1]
    surrey = _layout(BASE)[SURREY]
    assert min(hex_distance(new[c], surrey) for c in (NORTH, SOUTH)) == 0
    assert not enclosed_holes(new.values())
    # Measured: North Surrey takes Surrey's cell (8, 2). South Surrey aims half a cell south of
    # it, almost on Brighton and Hove's cell (8, 1), and gets that cell; Brighton and Hove
    # (E06000043) moves one cell west to (7, 1). So at most one council of 2025 moves, and only
    # within two cells of Surrey's.
    moved = hexlayout.moved_between(_layout(BASE), new)
    assert len(moved) <= 1, moved
    assert all(hex_distance(_layout(BASE)[c], surrey) <= 2 for c in moved)


@pytest.mark.slow  # derives a layout: seconds
def test_a_missing_layout_is_anchored_to_the_nearest_stored_one(
        authorities: pd.DataFrame, lineage: pd.DataFrame, tmp_path, monkeypatch) -> None:
    """Dropping 2019-04-01 and completing anchors it to 2020-04-01 (one year away, against six
    to 2013 or 2025); the two sets differ only by Buckinghamshire's recode, so the cells come
    back exactly. Done through `--missing` on a copy of the file."""
    stored = _stored()
    path = tmp_path / "hex_cells.csv"
    hexlayout.write_hex_cells(stored[stored["layout"] != "2019-04-01"], path)
    monkeypatch.setattr(hexlayout, "HEX_CELLS_CSV", path)
    assert hexlayout.main(["--missing"]) == 0
    assert hexlayout.read_hex_cells(path).equals(stored)


def test_a_stored_layout_must_hold_exactly_its_set(authorities: pd.DataFrame,
                                                   lineage: pd.DataFrame) -> None:
    stored = _stored()
    lacking = stored[~((stored["layout"] == "2013-04-01") & (stored["code"] == SURREY))]
    with pytest.raises(ValueError, match=r"layout 2013-04-01: no cell for E10000030"):
        hexlayout.complete_layouts(authorities, lineage, lacking)
    extra = pd.concat([stored, pd.DataFrame([{"layout": BASE, "code": "E06000028", "col": 30,
                                              "row": 30}])], ignore_index=True)
    with pytest.raises(ValueError, match=r"layout 2025-04-01: cells for councils not in the set: E06000028"):
        hexlayout.complete_layouts(authorities, lineage, extra)
    with pytest.raises(ValueError, match="no stored hex layout"):
        hexlayout.complete_layouts(authorities, lineage, stored.iloc[:0])
