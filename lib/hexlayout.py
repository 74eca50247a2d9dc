"""Derive the hex-map layouts (2015 and current council sets) from the centroids in data/authorities.csv.

A development tool, not part of the running app: it needs scipy (a dev dependency) and is
run by hand when the reference data changes::

    uv run python -m lib.hexlayout          # rewrite the hex columns, print a summary and maps
    uv run python -m lib.hexlayout --check  # only say whether the committed cells are up to date

The app reads the committed hex_col_*/hex_row_* columns and never imports this module.

Cells use "odd-r" offset coordinates on a pointy-top grid: odd rows sit half a cell to the
right of even rows, and rows count northwards (row 0 is the southern edge).

How the current layout is made (deterministic: the random steps use fixed seeds):

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

The 2015 layout is then anchored to the current one: a council in both sets (or one that
only changed its code) aims for its current cell; a council that was later merged or split
aims for the cells of its successors. The same matching and tidy-up (without annealing)
follow, so councils keep their place between rounds and only the reorganised areas differ.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections import deque
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from lib.hexgrid import (
    ROW_HEIGHT,
    Cell,
    cell_centre,
    components,
    enclosed_holes,
    hex_distance,
    hex_neighbours,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
AUTHORITIES_CSV = DATA_DIR / "authorities.csv"
LINEAGE_CSV = DATA_DIR / "lineage.csv"

LONDON = "E12000007"
VINTAGE_DAY = date(2015, 4, 1)

#: Latitude of the equirectangular projection (middle of England).
PROJECTION_LAT = 52.5
#: Delaunay triangles whose circumcircle is wider than this (km) span the sea or an estuary.
MAX_CIRCUMRADIUS_KM = 100.0
RELAX_ITERATIONS = 3000
#: Strength of the push between overlapping discs, against 1 for each link.
PUSH = 20.0
#: Pull of every point towards the middle, which closes gaps in sparse rural areas.
GRAVITY = 0.05
#: Radius (in cells) of the disc that holds London: 33 cells have the area of a disc of ~3.
LONDON_RADIUS = 3.0
#: London's block is this many times wider than tall (the real city is wider east-west).
LONDON_ASPECT = 1.3
#: Weights in the tidy-up cost.
DISPLACEMENT_WEIGHT = 0.3
LINK_WEIGHT = 1.0
CUT_OFF_PENALTY = 50.0
GAP_PENALTY = 2.0
HOLE_PENALTY = 20.0
#: How strongly 2015 councils are held to the cell of the council that succeeded them.
ANCHOR_WEIGHT = 4.0
ANNEAL_ITERATIONS = 200_000
ANNEAL_SEEDS = (1, 2, 3)



# --- hex grid helpers -------------------------------------------------------------------------

def normalise_cells(cells: Iterable[Cell]) -> list[Cell]:
    """Shift a layout so its lowest row and leftmost column are 0, keeping the shape.

    Moving by an odd number of rows flips which rows are offset, so the columns of the
    formerly even rows shift by one to keep every hexagon where it was.
    """
    cells = list(cells)
    min_row = min(r for _, r in cells)
    if min_row & 1:
        cells = [(c - 1 + (r & 1), r) for c, r in cells]
    cells = [(c, r - min_row) for c, r in cells]
    min_col = min(c for c, _ in cells)
    return [(c - min_col, r) for c, r in cells]


def _within(cell: Cell, radius: int) -> set[Cell]:
    found = {cell}
    frontier = {cell}
    for _ in range(radius):
        frontier = {nb for c in frontier for nb in hex_neighbours(*c)} - found
        found |= frontier
    return found


# --- projection, links and relaxation ----------------------------------------------------------

def project(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Longitude/latitude to kilometres east and north (good enough at England's scale)."""
    k = np.cos(np.radians(PROJECTION_LAT))
    return np.column_stack([np.asarray(lon, float) * 111.32 * k, np.asarray(lat, float) * 110.57])


def neighbour_links(points: np.ndarray) -> np.ndarray:
    """Pairs of councils that are (roughly) neighbours: Delaunay edges not spanning the sea.

    Every council is also linked to its nearest other council, so islands (Isles of Scilly,
    Isle of Wight) stay tied to the mainland.
    """
    from scipy.spatial import Delaunay, cKDTree

    links: set[tuple[int, int]] = set()
    for tri in Delaunay(points).simplices:
        a, b, c = points[tri]
        la, lb, lc = np.linalg.norm(b - c), np.linalg.norm(a - c), np.linalg.norm(a - b)
        area = abs((b - a)[0] * (c - a)[1] - (b - a)[1] * (c - a)[0]) / 2
        if la * lb * lc / (4 * max(area, 1e-9)) <= MAX_CIRCUMRADIUS_KM:
            for i, j in ((0, 1), (0, 2), (1, 2)):
                links.add((int(min(tri[i], tri[j])), int(max(tri[i], tri[j]))))
    _, nearest = cKDTree(points).query(points, k=2)
    for i, j in enumerate(nearest[:, 1]):
        links.add((min(i, int(j)), max(i, int(j))))
    return np.array(sorted(links), dtype=int)


def unit_bearings(points: np.ndarray, links: np.ndarray) -> np.ndarray:
    """Unit vector from the first to the second end of each link."""
    vec = points[links[:, 1]] - points[links[:, 0]]
    return vec / np.linalg.norm(vec, axis=1)[:, None]


def relax(points: np.ndarray, links: np.ndarray, radii: np.ndarray | None = None,
          iterations: int | None = None, gravity: float | None = None) -> np.ndarray:
    """Move discs so linked ones touch along their real bearing and none overlap.

    `radii` are in cells (0.5 = one cell). Discs bigger than a cell grow to full size over
    the first half of the run. The step size shrinks linearly, so the result depends only
    on the input.
    """
    n = len(points)
    radii = np.full(n, 0.5) if radii is None else radii
    iterations = RELAX_ITERATIONS if iterations is None else iterations
    gravity = GRAVITY if gravity is None else gravity
    bearing = unit_bearings(points, links)
    scale = np.median(np.linalg.norm(points[links[:, 1]] - points[links[:, 0]], axis=1))
    x = (points - points.mean(axis=0)) / scale
    for it in range(iterations):
        r = 0.5 + (radii - 0.5) * min(1.0, 2 * it / iterations)
        reach = 1.05 * (r[:, None] + r[None, :])
        step = 0.1 * (1 - it / iterations) + 0.01
        force = np.zeros_like(x)
        pull = x[links[:, 1]] - x[links[:, 0]] - bearing * (r[links[:, 0]] + r[links[:, 1]])[:, None]
        np.add.at(force, links[:, 0], pull)
        np.add.at(force, links[:, 1], -pull)
        diff = x[:, None, :] - x[None, :, :]
        dist = np.linalg.norm(diff, axis=2) + np.eye(n)
        overlap = np.clip(reach - dist, 0, None)
        np.fill_diagonal(overlap, 0)
        force += PUSH * ((overlap / dist)[:, :, None] * diff).sum(axis=1)
        force -= gravity * (x - x.mean(axis=0))
        x += step * force
    return x


# --- matching councils to cells -----------------------------------------------------------------

def grid_cells(points: np.ndarray, margin: int = 4) -> list[Cell]:
    """Every cell of a rectangle of grid around the points (deterministic order)."""
    lo = points.min(axis=0) - margin
    hi = points.max(axis=0) + margin
    rows = range(int(np.floor(lo[1] / ROW_HEIGHT)), int(np.ceil(hi[1] / ROW_HEIGHT)) + 1)
    cols = range(int(np.floor(lo[0])), int(np.ceil(hi[0])) + 1)
    return [(c, r) for r in rows for c in cols]


def match(targets: np.ndarray, cells: list[Cell], weights: np.ndarray | None = None) -> list[Cell]:
    """Give each target its own cell, minimising the (weighted) total squared distance."""
    from scipy.optimize import linear_sum_assignment

    centres = np.array([cell_centre(c, r) for c, r in cells])
    cost = ((targets[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    if weights is not None:
        cost *= weights[:, None]
    rows, cols = linear_sum_assignment(cost)
    out: list[Cell] = [(0, 0)] * len(targets)
    for i, j in zip(rows, cols, strict=True):
        out[i] = cells[j]
    return out


# --- tidy-up ----------------------------------------------------------------------------------

class _Layout:
    """A layout plus everything needed to score a change to it quickly."""

    def __init__(self, cells: list[Cell], targets: np.ndarray, weights: np.ndarray,
                 regions: list[str], links: np.ndarray, bearings: np.ndarray) -> None:
        self.cells = list(cells)
        self.owner = {cell: i for i, cell in enumerate(self.cells)}
        self.targets = targets
        self.weights = weights
        self.regions = regions
        self.links = links
        self.bearings = bearings
        self.links_of: list[list[int]] = [[] for _ in cells]
        for k, (i, j) in enumerate(links):
            self.links_of[i].append(k)
            self.links_of[j].append(k)
        #: Counting walled-in lakes needs a flood fill, too slow for every annealing step;
        #: the local `gaps` term stands in for it there.
        self.count_holes = True
        self.members: dict[str, list[int]] = {}
        for i, region in enumerate(regions):
            self.members.setdefault(region, []).append(i)

    def local_cost(self, councils: set[int]) -> float:
        """Distance-from-target and link terms that involve the given councils."""
        total = 0.0
        for i in councils:
            x, y = cell_centre(*self.cells[i])
            total += DISPLACEMENT_WEIGHT * self.weights[i] * (
                (x - self.targets[i, 0]) ** 2 + (y - self.targets[i, 1]) ** 2)
        for k in {k for i in councils for k in self.links_of[i]}:
            i, j = self.links[k]
            xi, yi = cell_centre(*self.cells[i])
            xj, yj = cell_centre(*self.cells[j])
            total += LINK_WEIGHT * ((xj - xi - self.bearings[k, 0]) ** 2
                                    + (yj - yi - self.bearings[k, 1]) ** 2)
        return total

    def cut_off(self, region: str) -> int:
        """How far a region's councils lie from its largest joined-up group (0 if joined up).

        Each council outside the largest group counts its distance in cells to that group,
        so moving a stray group closer already lowers the cost and a local search can
        bring it home step by step.
        """
        pieces = components({self.cells[i] for i in self.members[region]})
        if len(pieces) == 1:
            return 0
        return sum(min(hex_distance(c, m) for m in pieces[0])
                   for piece in pieces[1:] for c in piece)

    def gaps(self, around: set[Cell]) -> float:
        """Empty cells among `around` that are mostly surrounded (inlets look odd)."""
        total = 0.0
        for cell in around:
            if cell not in self.owner:
                walls = sum(nb in self.owner for nb in hex_neighbours(*cell))
                total += max(0, walls - 3)
        return total

    def total(self) -> float:
        occupied = set(self.cells)
        around = occupied | {nb for c in occupied for nb in hex_neighbours(*c)}
        return (self.local_cost(set(range(len(self.cells))))
                + CUT_OFF_PENALTY * sum(self.cut_off(r) for r in self.members)
                + GAP_PENALTY * self.gaps(around)
                + HOLE_PENALTY * len(enclosed_holes(occupied)))

    def _score(self, i: int, j: int | None, around: set[Cell]) -> float:
        councils = {i} if j is None else {i, j}
        regions = {self.regions[k] for k in councils}
        score = self.local_cost(councils)
        if j is None or len(regions) > 1:
            score += CUT_OFF_PENALTY * sum(self.cut_off(r) for r in regions)
        if j is None:  # a swap leaves the occupied cells, and so the gaps, unchanged
            score += GAP_PENALTY * self.gaps(around)
            if self.count_holes:
                score += HOLE_PENALTY * len(enclosed_holes(set(self.owner)))
        return score

    def apply(self, i: int, cell: Cell) -> None:
        """Move council i to cell, swapping with whoever is there."""
        j = self.owner.get(cell)
        old = self.cells[i]
        self.cells[i] = cell
        self.owner[cell] = i
        if j is None:
            del self.owner[old]
        else:
            self.cells[j] = old
            self.owner[old] = j

    def change(self, i: int, cell: Cell) -> float:
        """How much the total cost would change if council i moved to cell.

        London keeps its block: a borough may swap only with another borough (or move to an
        empty cell), and no one else may take a London cell. This keeps London compact.
        """
        j = self.owner.get(cell)
        if j is not None and (self.regions[i] == LONDON) != (self.regions[j] == LONDON):
            return float("inf")
        old = self.cells[i]
        around = {old, cell, *hex_neighbours(*old), *hex_neighbours(*cell)}
        before = self._score(i, j, around)
        self.apply(i, cell)
        after = self._score(i, j, around)
        self.apply(i, old)
        return after - before


def anneal(layout: _Layout, iterations: int | None = None, seed: int | None = None,
           start_temperature: float = 1.0, end_temperature: float = 0.01) -> _Layout:
    """Simulated annealing over moves and swaps to nearby cells, with a fixed random seed.

    Accepting the odd uphill change early on lets the layout escape traps a pure hill-climb
    cannot (for example a region cut in two by its neighbour).
    """
    iterations = int(ANNEAL_ITERATIONS if iterations is None else iterations)
    rng = np.random.default_rng(ANNEAL_SEEDS[0] if seed is None else seed)
    layout.count_holes = False
    n = len(layout.cells)
    picks = rng.integers(0, n, iterations)
    hops = rng.integers(0, 18, iterations)
    draws = rng.random(iterations)
    ratio = end_temperature / start_temperature
    for k in range(iterations):
        temperature = start_temperature * ratio ** (k / iterations)
        i = int(picks[k])
        nearby = sorted(_within(layout.cells[i], 2) - {layout.cells[i]})
        cand = nearby[int(hops[k])]
        delta = layout.change(i, cand)
        if delta < 0 or draws[k] < np.exp(-delta / temperature):
            layout.apply(i, cand)
    layout.count_holes = True
    return layout


def hill_climb(layout: _Layout, radius: int = 2, max_sweeps: int = 100) -> _Layout:
    """Apply the best improving move or swap for each council in turn until none is left."""
    for _ in range(max_sweeps):
        improved = False
        for i in range(len(layout.cells)):
            best: tuple[float, Cell] | None = None
            for cand in sorted(_within(layout.cells[i], radius) - {layout.cells[i]}):
                delta = layout.change(i, cand)
                if delta < -1e-9 and (best is None or delta < best[0]):
                    best = (delta, cand)
            if best is not None:
                layout.apply(i, best[1])
                improved = True
        if not improved:
            break
    return layout


def fill_holes(layout: _Layout, max_rounds: int = 20) -> _Layout:
    """Push walled-in empty cells out to the coast by sliding a chain of councils.

    A single move cannot remove a hole (the mover leaves a new one behind), so for each
    hole try every chain that starts next to it and runs by the shortest route to a
    council on the edge of the map: each council in the chain steps into the cell of the
    one before it, and the empty cell ends up outside. Keep the cheapest chain if it
    lowers the total cost.
    """
    for _ in range(max_rounds):
        holes = sorted(enclosed_holes(set(layout.cells)))
        if not holes:
            break
        current = layout.total()
        best: tuple[float, list[int], list[Cell]] | None = None
        for hole in holes:
            for start in hex_neighbours(*hole):
                chain = _chain_to_edge(layout, hole, start)
                if chain is None:
                    continue
                moved = [layout.owner[c] for c in chain]
                old = [layout.cells[i] for i in moved]
                new = [hole, *chain[:-1]]
                _place(layout, moved, new)
                score = layout.total()
                _place(layout, moved, old)
                if score < current - 1e-9 and (best is None or score < best[0]):
                    best = (score, moved, new)
        if best is None:
            break
        _place(layout, best[1], best[2])
    return layout


def _place(layout: _Layout, councils: list[int], cells: list[Cell]) -> None:
    for i in councils:
        del layout.owner[layout.cells[i]]
    for i, cell in zip(councils, cells, strict=True):
        layout.cells[i] = cell
        layout.owner[cell] = i


def _chain_to_edge(layout: _Layout, hole: Cell, start: Cell) -> list[Cell] | None:
    """Shortest run of occupied cells from `start` to one that touches the open outside."""
    if start not in layout.owner:
        return None
    occupied = set(layout.owner)
    lakes = enclosed_holes(occupied)

    def on_edge(cell: Cell) -> bool:
        return any(nb not in occupied and nb not in lakes for nb in hex_neighbours(*cell))

    previous: dict[Cell, Cell | None] = {start: None}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        if on_edge(cell):
            chain = [cell]
            step = previous[cell]
            while step is not None:
                chain.append(step)
                step = previous[step]
            return chain[::-1]
        for nb in hex_neighbours(*cell):
            if nb in occupied and nb not in previous and nb != hole:
                previous[nb] = cell
                queue.append(nb)
    return None


# --- the two vintages ---------------------------------------------------------------------------

def vintage_members(authorities: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """Councils of a vintage ("2015": valid on 1 April 2015; "current": not abolished), by code."""
    valid_from = authorities["valid_from"].fillna("").astype(str)
    valid_to = authorities["valid_to"].fillna("").astype(str)
    if vintage == "current":
        mask = valid_to == ""
    elif vintage == "2015":
        day = VINTAGE_DAY.isoformat()
        mask = ((valid_from == "") | (valid_from <= day)) & ((valid_to == "") | (valid_to > day))
    else:
        raise ValueError(f"unknown vintage {vintage!r}; use '2015' or 'current'")
    return authorities[mask].sort_values("code").reset_index(drop=True)


def layout_current(authorities: pd.DataFrame) -> dict[str, Cell]:
    """The current layout, from the centroids alone."""
    members = vintage_members(authorities, "current")
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


def successors_today(lineage: pd.DataFrame, code: str, current: set[str]) -> list[str]:
    """Today's councils that cover (part of) a council, following the lineage forward."""
    if code in current:
        return [code]
    found: list[str] = []
    for nxt in lineage.loc[lineage["predecessor_code"] == code, "successor_code"]:
        for c in successors_today(lineage, nxt, current):
            if c not in found:
                found.append(c)
    return sorted(found)


def layout_2015(authorities: pd.DataFrame, lineage: pd.DataFrame,
                current: dict[str, Cell]) -> dict[str, Cell]:
    """The 2015 layout, anchored to the current one through the lineage."""
    members = vintage_members(authorities, "2015")
    points = project(members["lat"], members["lon"])
    links = neighbour_links(points)
    targets = np.zeros((len(members), 2))
    weights = np.ones(len(members))
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, code in enumerate(members["code"]):
        succ = tuple(successors_today(lineage, code, set(current)))
        if not succ:
            raise ValueError(f"{code} has no successor among today's councils")
        targets[i] = np.mean([cell_centre(*current[c]) for c in succ], axis=0)
        groups.setdefault(succ, []).append(i)
    for succ, group in groups.items():
        sharers = [i for g, grp in groups.items() if set(g) & set(succ) for i in grp]
        if len(sharers) == 1 and len(succ) == 1:
            weights[group[0]] = ANCHOR_WEIGHT  # same council, perhaps a new code: hold it
        elif len(sharers) > 1:
            # Several 2015 councils now share a successor (Bournemouth, Poole, Dorset):
            # spread them around the shared cell in their real directions.
            middle = points[sharers].mean(axis=0)
            for i in group:
                offset = points[i] - middle
                targets[i] += 0.5 * offset / max(np.linalg.norm(offset), 1e-9)
    cells = match(targets, grid_cells(targets), weights)
    layout = _Layout(cells, targets, weights, list(members["region_code"]),
                     links, unit_bearings(points, links))
    layout = hill_climb(fill_holes(hill_climb(layout)))
    return dict(zip(members["code"], layout.cells, strict=True))


def derive_all(authorities: pd.DataFrame, lineage: pd.DataFrame) -> dict[str, dict[str, Cell]]:
    """Both layouts in one frame, shifted so the lowest row and leftmost column are 0."""
    current = layout_current(authorities)
    older = layout_2015(authorities, lineage, current)
    keys = [("current", c) for c in current] + [("2015", c) for c in older]
    shifted = normalise_cells([current[c] if v == "current" else older[c] for v, c in keys])
    layouts: dict[str, dict[str, Cell]] = {"current": {}, "2015": {}}
    for (vintage, code), cell in zip(keys, shifted, strict=True):
        layouts[vintage][code] = cell
    return layouts


# --- checks, output and command line --------------------------------------------------------------

def check_layout(authorities: pd.DataFrame, vintage: str, cells: dict[str, Cell]) -> list[str]:
    """Problems with a layout: missing councils, shared cells, regions in pieces."""
    members = vintage_members(authorities, vintage)
    problems = []
    missing = sorted(set(members["code"]) - set(cells))
    if missing:
        problems.append(f"{vintage}: no cell for {', '.join(missing)}")
    if len(set(cells.values())) != len(cells):
        problems.append(f"{vintage}: two councils share a cell")
    for region, group in members.groupby("region_name"):
        pieces = components({cells[c] for c in group["code"] if c in cells})
        if len(pieces) > 1:
            problems.append(f"{vintage}: {region} is in {len(pieces)} pieces")
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


def write_layouts(layouts: dict[str, dict[str, Cell]], path: Path = AUTHORITIES_CSV) -> None:
    """Rewrite only the hex columns of authorities.csv, leaving every other value as it was."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for vintage, cells in layouts.items():
        table[f"hex_col_{vintage}"] = [str(cells[c][0]) if c in cells else "" for c in table["code"]]
        table[f"hex_row_{vintage}"] = [str(cells[c][1]) if c in cells else "" for c in table["code"]]
    table.to_csv(path, index=False, lineterminator="\n")


def committed_layout(authorities: pd.DataFrame, vintage: str) -> dict[str, Cell]:
    """The cells currently stored in authorities.csv for a vintage."""
    col, row = authorities[f"hex_col_{vintage}"], authorities[f"hex_row_{vintage}"]
    keep = col.notna() & row.notna()
    return {code: (int(c), int(r))
            for code, c, r in zip(authorities["code"][keep], col[keep], row[keep], strict=True)}


def read_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """authorities.csv and lineage.csv as this module needs them (dates kept as text)."""
    authorities = pd.read_csv(AUTHORITIES_CSV, dtype={"valid_from": str, "valid_to": str})
    lineage = pd.read_csv(LINEAGE_CSV, dtype=str)
    return authorities, lineage


def main(argv: list[str] | None = None) -> int:
    """Derive both layouts, print a summary and maps, and (unless --check) save them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare the derived layouts with the committed ones")
    args = parser.parse_args(argv)

    authorities, lineage = read_inputs()
    layouts = derive_all(authorities, lineage)
    problems: list[str] = []
    for vintage in ("2015", "current"):
        cells = layouts[vintage]
        problems += check_layout(authorities, vintage, cells)
        cols = [c for c, _ in cells.values()]
        rows = [r for _, r in cells.values()]
        print(f"\n{vintage}: {len(cells)} councils on a {max(cols) - min(cols) + 1} x "
              f"{max(rows) - min(rows) + 1} grid, {len(enclosed_holes(set(cells.values())))} "
              "walled-in empty cells")
        print(ascii_map(authorities, cells))
    shared = set(layouts["2015"]) & set(layouts["current"])
    moved = sum(layouts["2015"][c] != layouts["current"][c] for c in shared)
    print(f"\nCouncils in both sets on a different cell in 2015: {moved} of {len(shared)}")
    for problem in problems:
        print("PROBLEM:", problem)

    if args.check:
        same = all(committed_layout(authorities, v) == layouts[v] for v in layouts)
        print("Committed layout is up to date." if same else "Committed layout differs: rerun.")
        return 0 if same and not problems else 1
    write_layouts(layouts)
    print(f"\nWrote hex columns to {AUTHORITIES_CSV}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
