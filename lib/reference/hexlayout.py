"""Derive the hex-map layouts of every council set from the centroids in data/authorities.csv.

Council sets by date: every non-blank valid_from and valid_to in authorities.csv is a change
date, and each change date (as ISO text, 'YYYY-MM-DD') is the key of a council set whose
members are the councils valid on that day (valid_from blank or <= the day, valid_to blank or
after it). Any other day D belongs to the set of the latest change date <= D; days before
the first change date have none. A reorganisation added to the CSVs (new councils with a
valid_from, the old one with the same valid_to) therefore adds a set with no code change.

The layouts live in data/hex_cells.csv (layout, code, col, row: one row for each member of
each set)::

    uv run python -m lib.reference.hexlayout            # re-derive every layout, print summaries and maps
    uv run python -m lib.reference.hexlayout --check    # only say whether data/hex_cells.csv is up to date
    uv run python -m lib.reference.hexlayout --missing  # keep hex_cells.csv, add layouts for new sets only

The database build calls `complete_layouts`, which keeps the stored layouts and derives any
that are missing, so the maps people know do not move when a new set appears.

Cells use "odd-r" offset coordinates on a pointy-top grid: odd rows sit half a cell to the
right of even rows, and rows count northwards (row 0 is the southern edge). Every layout
shares one frame: the base layout's lowest row and leftmost column are 0, and layouts added
later are derived in that frame and never shifted.

How the base layout (the newest set) is made (deterministic: the random steps use fixed
seeds; the machinery is in lib.reference.hexsolve):

1. Project each centroid to kilometres (equirectangular around 52.5°N).
2. Link councils that are (roughly) neighbours: Delaunay triangles of the centroids, leaving
   out triangles that span the sea or an estuary.
3. Relax a graph in which the 33 London boroughs are one large disc (room for 33 cells) and
   every other council is a disc of one cell. Each link pulls its two ends to touching
   distance along their real-world bearing; discs that overlap push apart; a weak pull
   towards the middle closes up the sparse rural areas. The London disc grows from one
   cell to full size during the run, so the home counties open up around it instead of
   London popping out sideways. Result: every council has about one cell of room, with its
   neighbours in the right directions. (Without this step London's 33 boroughs, packed
   into a small area, would spill over the home counties when matched to cells.)
4. London gets the 33 cells nearest the centre of its disc (a block 1.3 times wider than
   tall, like the city); its boroughs are relaxed on their own and matched to those cells.
   Everyone else is matched to the remaining cells. Both matchings use
   scipy.optimize.linear_sum_assignment on squared distance (optimal for that cost).
5. Tidy up with moves to nearby empty cells and swaps: simulated annealing from three
   fixed seeds, each followed by a best-improvement hill-climb and by sliding chains of
   councils to push any walled-in empty cell out to the coast; the cheapest result wins.
   The cost adds: squared distance from the relaxed position; how far each neighbour link
   is from "one cell away in its real direction"; for a region in pieces, each stray
   council's distance in cells from the main piece (so strays are pulled home step by
   step); and penalties for empty cells walled in or half surrounded by councils. London
   boroughs only swap among themselves, so London stays one compact block.

Every other set is anchored to a layout it already has (`derive_anchored`; a few seconds):
a council in the anchor aims firmly for its own cell; any other council aims for the mean
cell of its counterparts in the anchor, found by following the lineage forwards (the
councils that succeeded it, for an older set) and backwards (the councils it succeeded,
for a newer set). Councils that share counterparts (Bournemouth, Poole and Dorset in BCP
and Dorset; two new unitaries in one county's cell) are spread around the shared cells in
their real directions. The same matching and tidy-up (without annealing) follow, so
councils keep their place between sets and only the reorganised areas differ.
"""

from __future__ import annotations

import argparse
import copy
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from lib.reference.hexgrid import Cell, cell_centre, components, enclosed_holes
from lib.reference.hexsolve import (
    ANNEAL_SEEDS,
    LONDON,
    _Layout,
    anneal,
    fill_holes,
    grid_cells,
    hill_climb,
    match,
    neighbour_links,
    normalise_cells,
    project,
    relax,
    unit_bearings,
)

__all__ = [
    "council_set_keys", "members_on", "set_key_on", "counterparts", "derive_base",
    "derive_anchored", "derive_all", "complete_layouts", "check_layout", "normalise_cells",
]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
AUTHORITIES_CSV = DATA_DIR / "authorities.csv"
LINEAGE_CSV = DATA_DIR / "lineage.csv"
HEX_CELLS_CSV = DATA_DIR / "hex_cells.csv"
HEX_COLUMNS = ["layout", "code", "col", "row"]

#: Radius (in cells) of the disc that holds London: 33 cells have the area of a disc of ~3.
LONDON_RADIUS = 3.0
#: London's block is this many times wider than tall (the real city is wider east-west).
LONDON_ASPECT = 1.3
#: How strongly a council is held to its anchor cell (its own, or its one counterpart's).
ANCHOR_WEIGHT = 4.0


# --- council sets by date -----------------------------------------------------------------------

def _date_text(values: pd.Series) -> pd.Series:
    """Dates as ISO text, blanks ("" or NaN/None/NaT) as ""."""
    return values.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v))
                      else str(v).strip()[:10])


def council_set_keys(authorities: pd.DataFrame) -> list[str]:
    """Every change date (non-blank valid_from or valid_to), sorted, as 'YYYY-MM-DD'."""
    dates = set(_date_text(authorities["valid_from"])) | set(_date_text(authorities["valid_to"]))
    return sorted(dates - {""})


def set_key_on(authorities: pd.DataFrame, day: str) -> str | None:
    """The key of the council set in force on a day: the latest change date <= day."""
    earlier = [key for key in council_set_keys(authorities) if key <= day]
    return earlier[-1] if earlier else None


def members_on(authorities: pd.DataFrame, day: str) -> pd.DataFrame:
    """The councils valid on a day ('YYYY-MM-DD'), sorted by code."""
    valid_from = _date_text(authorities["valid_from"])
    valid_to = _date_text(authorities["valid_to"])
    mask = ((valid_from == "") | (valid_from <= day)) & ((valid_to == "") | (day < valid_to))
    return authorities[mask].sort_values("code").reset_index(drop=True)


def _follow(lineage: pd.DataFrame, code: str, anchor: set[str], src: str, dst: str,
            seen: set[str]) -> set[str]:
    if code in anchor:
        return {code}
    seen.add(code)
    found: set[str] = set()
    for nxt in lineage.loc[lineage[src] == code, dst]:
        if nxt not in seen:
            found |= _follow(lineage, nxt, anchor, src, dst, seen)
    return found


def counterparts(lineage: pd.DataFrame, code: str, anchor: set[str]) -> list[str]:
    """The anchor's councils that cover (part of) a council: itself if it is in the anchor,
    else those reached by following the lineage forwards (successors) and backwards
    (predecessors)."""
    if code in anchor:
        return [code]
    forwards = _follow(lineage, code, anchor, "predecessor_code", "successor_code", set())
    backwards = _follow(lineage, code, anchor, "successor_code", "predecessor_code", set())
    return sorted(forwards | backwards)


# --- deriving layouts ---------------------------------------------------------------------------

def derive_base(members: pd.DataFrame) -> dict[str, Cell]:
    """A layout from the centroids alone (about 140 s), in the annealing's own frame."""
    members = members.sort_values("code").reset_index(drop=True)
    points = project(members["lat"], members["lon"])
    links = neighbour_links(points)
    in_london = (members["region_code"] == LONDON).to_numpy()
    london = np.flatnonzero(in_london)
    others = np.flatnonzero(~in_london)

    # Relax England with London as one big disc.
    node = np.empty(len(members), dtype=int)
    node[others] = np.arange(len(others))
    node[london] = len(others)
    big_points = np.vstack([points[others], points[london].mean(axis=0)])
    big_links = np.array(sorted({(min(a, b), max(a, b)) for a, b in node[links] if a != b}))
    radii = np.full(len(big_points), 0.5)
    radii[-1] = LONDON_RADIUS
    relaxed = relax(big_points, big_links, radii)

    # London takes the cells nearest its disc's centre; its boroughs are matched inside.
    cells = grid_cells(relaxed)
    centres = np.array([cell_centre(c, r) for c, r in cells])
    offset = centres - relaxed[-1]
    dist = offset[:, 0] ** 2 + (LONDON_ASPECT * offset[:, 1]) ** 2
    order = np.lexsort((centres[:, 0], centres[:, 1], np.round(dist, 9)))
    london_cells = [cells[k] for k in order[: len(london)]]
    other_cells = [cells[k] for k in order[len(london):]]

    london_points = points[london]
    london_relaxed = relax(london_points, neighbour_links(london_points), gravity=0.0)
    blob = np.array([cell_centre(c, r) for c, r in london_cells])
    spread = np.sqrt(((blob - blob.mean(axis=0)) ** 2).sum(axis=1).mean())
    london_relaxed -= london_relaxed.mean(axis=0)
    london_relaxed *= spread / np.sqrt((london_relaxed ** 2).sum(axis=1).mean())
    london_relaxed += blob.mean(axis=0)

    targets = np.zeros((len(members), 2))
    targets[others] = relaxed[:-1]
    targets[london] = london_relaxed
    assigned: list[Cell] = [(0, 0)] * len(members)
    for i, cell in zip(others, match(targets[others], other_cells), strict=True):
        assigned[i] = cell
    for i, cell in zip(london, match(targets[london], london_cells), strict=True):
        assigned[i] = cell

    layout = _Layout(assigned, targets, np.ones(len(members)), list(members["region_code"]),
                     links, unit_bearings(points, links))
    # Anneal from a few fixed seeds and keep the cheapest result: one run can get stuck.
    best: _Layout | None = None
    for seed in ANNEAL_SEEDS:
        trial = hill_climb(fill_holes(hill_climb(anneal(copy.deepcopy(layout), seed=seed))))
        if best is None or trial.total() < best.total() - 1e-9:
            best = trial
    assert best is not None
    return dict(zip(members["code"], best.cells, strict=True))


def derive_anchored(authorities: pd.DataFrame, lineage: pd.DataFrame, members: pd.DataFrame,
                    anchor: dict[str, Cell]) -> dict[str, Cell]:
    """A layout for `members` anchored to another layout through the lineage (a few seconds).

    A member in the anchor aims for its own cell, held firmly; any other member aims for the
    mean cell of its counterparts (see `counterparts`), held firmly too if it is the only
    member aiming there (a council that just changed its code). Members that share
    counterparts are spread half a cell from the shared cells in their real directions.
    `authorities` is only used to name a member with no counterpart. Deterministic, and in
    the anchor's frame.
    """
    members = members.sort_values("code").reset_index(drop=True)
    points = project(members["lat"], members["lon"])
    links = neighbour_links(points)
    targets = np.zeros((len(members), 2))
    weights = np.ones(len(members))
    groups: dict[tuple[str, ...], list[int]] = {}
    names = dict(zip(authorities["code"], authorities["name"], strict=True))
    for i, code in enumerate(members["code"]):
        found = tuple(counterparts(lineage, code, set(anchor)))
        if not found:
            raise ValueError(f"{code} ({names.get(code, '?')}) has no counterpart in the anchor "
                             "layout through the lineage")
        targets[i] = np.mean([cell_centre(*anchor[c]) for c in found], axis=0)
        groups.setdefault(found, []).append(i)
    own = {i for i, code in enumerate(members["code"]) if code in anchor}
    for found, group in groups.items():
        sharers = [i for g, grp in groups.items() if set(g) & set(found) for i in grp]
        if len(sharers) == 1 and len(found) == 1:
            weights[group[0]] = ANCHOR_WEIGHT  # same council, perhaps a new code: hold it
        elif len(sharers) > 1:
            # Several members share counterparts (Bournemouth, Poole, Dorset in 2015; two new
            # unitaries in one county's cell): spread them around in their real directions.
            middle = points[sharers].mean(axis=0)
            for i in group:
                if i in own:
                    continue
                offset = points[i] - middle
                targets[i] += 0.5 * offset / max(np.linalg.norm(offset), 1e-9)
    for i in own:
        weights[i] = ANCHOR_WEIGHT
    cells = match(targets, grid_cells(targets), weights)
    layout = _Layout(cells, targets, weights, list(members["region_code"]),
                     links, unit_bearings(points, links))
    layout = hill_climb(fill_holes(hill_climb(layout)))
    return dict(zip(members["code"], layout.cells, strict=True))


def derive_all(authorities: pd.DataFrame, lineage: pd.DataFrame) -> dict[str, dict[str, Cell]]:
    """Every set's layout from the centroids: the newest set annealed and shifted so its lowest
    row and leftmost column are 0, every other set anchored to it in that frame."""
    keys = council_set_keys(authorities)
    base_key = keys[-1]
    base_members = members_on(authorities, base_key)
    raw = derive_base(base_members)
    base = dict(zip(raw, normalise_cells(raw.values()), strict=True))
    layouts = {base_key: base}
    for key in keys[:-1]:
        layouts[key] = derive_anchored(authorities, lineage, members_on(authorities, key), base)
    return dict(sorted(layouts.items()))


def _as_dict(rows: pd.DataFrame) -> dict[str, Cell]:
    return {str(code): (int(c), int(r))
            for code, c, r in zip(rows["code"], rows["col"], rows["row"], strict=True)}


def stored_problems(authorities: pd.DataFrame, stored: pd.DataFrame) -> list[str]:
    """What is wrong with stored hex_cells rows: unknown keys, missing or extra councils,
    a council twice, two councils in one cell."""
    keys = set(council_set_keys(authorities))
    problems = []
    for key, rows in stored.groupby("layout", sort=True):
        key = str(key)
        if key not in keys:
            problems.append(f"layout {key}: not a change date in authorities.csv")
            continue
        members = set(members_on(authorities, key)["code"])
        codes = list(rows["code"].astype(str))
        if missing := sorted(members - set(codes)):
            problems.append(f"layout {key}: no cell for {', '.join(missing)}")
        if extra := sorted(set(codes) - members):
            problems.append(f"layout {key}: cells for councils not in the set: {', '.join(extra)}")
        if twice := sorted({c for c in codes if codes.count(c) > 1}):
            problems.append(f"layout {key}: more than one cell for {', '.join(twice)}")
        cells = list(zip(rows["col"].astype(int), rows["row"].astype(int), strict=True))
        if len(set(cells)) != len(cells):
            problems.append(f"layout {key}: two councils share a cell")
    return problems


def complete_layouts(authorities: pd.DataFrame, lineage: pd.DataFrame,
                     stored: pd.DataFrame) -> pd.DataFrame:
    """The stored hex_cells rows plus derived rows for every council set with no stored layout.

    Each missing set is anchored to the stored layout whose key is nearest in time (ties: the
    later one), in the stored frame. Stored rows come back unchanged. The result has columns
    layout, code, col, row, sorted by layout then code. Raises ValueError if a stored layout
    is not exactly its set's members (or has a duplicate or shared cell), or nothing is stored.
    """
    stored = stored[HEX_COLUMNS].copy()
    stored["layout"] = _date_text(stored["layout"])
    stored["code"] = stored["code"].astype(str)
    if problems := stored_problems(authorities, stored):
        raise ValueError("stored hex layouts do not match the council sets: " + "; ".join(problems))
    have = sorted(set(stored["layout"]))
    if not have:
        raise ValueError("no stored hex layout to anchor new council sets to")
    parts = [stored.astype({"col": int, "row": int})]
    for key in council_set_keys(authorities):
        if key in have:
            continue
        day = date.fromisoformat(key)
        nearest = min(have, key=lambda k: (abs((date.fromisoformat(k) - day).days), k < key))
        anchor = _as_dict(stored[stored["layout"] == nearest])
        cells = derive_anchored(authorities, lineage, members_on(authorities, key), anchor)
        parts.append(layouts_frame({key: cells}))
    return _sorted(pd.concat(parts, ignore_index=True))


# --- files, checks, output and command line -----------------------------------------------------

def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["layout", "code"]).reset_index(drop=True)[HEX_COLUMNS]


def layouts_frame(layouts: dict[str, dict[str, Cell]]) -> pd.DataFrame:
    """Layouts as hex_cells rows."""
    rows = [(key, code, c, r) for key, cells in layouts.items() for code, (c, r) in cells.items()]
    return _sorted(pd.DataFrame(rows, columns=HEX_COLUMNS).astype({"col": int, "row": int}))


def frame_layouts(frame: pd.DataFrame) -> dict[str, dict[str, Cell]]:
    """hex_cells rows as {layout key: {code: cell}}."""
    return {str(key): _as_dict(rows) for key, rows in frame.groupby("layout", sort=True)}


def read_hex_cells(path: Path = HEX_CELLS_CSV) -> pd.DataFrame:
    """data/hex_cells.csv (codes and keys as text, cells as integers)."""
    return pd.read_csv(path, dtype={"layout": str, "code": str, "col": int, "row": int})


def write_hex_cells(frame: pd.DataFrame, path: Path = HEX_CELLS_CSV) -> None:
    _sorted(frame).to_csv(path, index=False, lineterminator="\n")


def check_layout(authorities: pd.DataFrame, key: str, cells: dict[str, Cell]) -> list[str]:
    """Problems with one set's layout: missing or extra councils, shared cells, regions in
    pieces."""
    members = members_on(authorities, key)
    problems = []
    if missing := sorted(set(members["code"]) - set(cells)):
        problems.append(f"{key}: no cell for {', '.join(missing)}")
    if extra := sorted(set(cells) - set(members["code"])):
        problems.append(f"{key}: cells for councils not in the set: {', '.join(extra)}")
    if len(set(cells.values())) != len(cells):
        problems.append(f"{key}: two councils share a cell")
    for region, group in members.groupby("region_name"):
        pieces = components({cells[c] for c in group["code"] if c in cells})
        if len(pieces) > 1:
            problems.append(f"{key}: {region} is in {len(pieces)} pieces")
    return problems


REGION_LETTERS = {
    "E12000001": "NE", "E12000002": "NW", "E12000003": "YH", "E12000004": "EM",
    "E12000005": "WM", "E12000006": "EE", "E12000007": "LO", "E12000008": "SE",
    "E12000009": "SW",
}


def ascii_map(authorities: pd.DataFrame, cells: dict[str, Cell]) -> str:
    """The layout as text, north at the top, two-letter region initials in each cell."""
    region = dict(zip(authorities["code"], authorities["region_code"], strict=True))
    at = {cell: REGION_LETTERS[region[code]] for code, cell in cells.items()}
    cols = [c for c, _ in at]
    rows = [r for _, r in at]
    lines = []
    for r in range(max(rows), min(rows) - 1, -1):
        line = "  " if r & 1 else ""
        line += "".join(f"{at.get((c, r), ' .'):<4}" for c in range(min(cols), max(cols) + 1))
        lines.append(f"{r:3d} " + line.rstrip())
    return "\n".join(lines)


def moved_between(older: dict[str, Cell], newer: dict[str, Cell]) -> list[str]:
    """Councils in both layouts whose cell differs."""
    return sorted(c for c in set(older) & set(newer) if older[c] != newer[c])


def summarise(authorities: pd.DataFrame, layouts: dict[str, dict[str, Cell]]) -> list[str]:
    """Print each set's size, grid and map and the moves between consecutive sets; return
    the problems found."""
    problems: list[str] = []
    for key, cells in sorted(layouts.items()):
        problems += check_layout(authorities, key, cells)
        cols = [c for c, _ in cells.values()]
        rows = [r for _, r in cells.values()]
        print(f"\n{key}: {len(cells)} councils on a {max(cols) - min(cols) + 1} x "
              f"{max(rows) - min(rows) + 1} grid (columns {min(cols)}-{max(cols)}, rows "
              f"{min(rows)}-{max(rows)}), {len(enclosed_holes(set(cells.values())))} "
              "walled-in empty cells")
        print(ascii_map(authorities, cells))
    keys = sorted(layouts)
    print()
    for older, newer in zip(keys, keys[1:], strict=False):
        moved = moved_between(layouts[older], layouts[newer])
        both = len(set(layouts[older]) & set(layouts[newer]))
        print(f"Councils in both {older} and {newer} on a different cell: {len(moved)} of "
              f"{both}" + (f" ({', '.join(moved)})" if moved else ""))
    return problems


def read_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """authorities.csv and lineage.csv as this module needs them (dates kept as text)."""
    authorities = pd.read_csv(AUTHORITIES_CSV, dtype={"valid_from": str, "valid_to": str})
    lineage = pd.read_csv(LINEAGE_CSV, dtype=str)
    return authorities, lineage


def main(argv: list[str] | None = None) -> int:
    """Derive the layouts, print a summary and maps, and (unless --check) save them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true",
                      help="only compare a full re-derivation with data/hex_cells.csv")
    what.add_argument("--missing", action="store_true",
                      help="keep data/hex_cells.csv and only add layouts for sets without one")
    args = parser.parse_args(argv)

    authorities, lineage = read_inputs()
    if args.missing:
        frame = complete_layouts(authorities, lineage, read_hex_cells(HEX_CELLS_CSV))
        layouts = frame_layouts(frame)
    else:
        layouts = derive_all(authorities, lineage)
        frame = layouts_frame(layouts)
    problems = summarise(authorities, layouts)
    for problem in problems:
        print("PROBLEM:", problem)

    if args.check:
        same = HEX_CELLS_CSV.exists() and frame_layouts(read_hex_cells(HEX_CELLS_CSV)) == layouts
        print(f"{HEX_CELLS_CSV.name} is up to date." if same
              else f"{HEX_CELLS_CSV.name} differs from a fresh derivation: rerun without --check.")
        return 0 if same and not problems else 1
    write_hex_cells(frame, HEX_CELLS_CSV)
    print(f"\nWrote {len(frame)} cells in {len(layouts)} layouts to {HEX_CELLS_CSV}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
