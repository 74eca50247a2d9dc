"""The machinery behind lib.reference.hexlayout: projection, neighbour links, relaxation, matching
councils to cells, and the tidy-up (simulated annealing, hill-climb, pushing walled-in
empty cells out to the coast).

Split out of lib.reference.hexlayout so that module can stay about council sets and layouts. Needs
numpy and scipy (scipy is imported inside the functions that use it). See lib.reference.hexlayout's
docstring for how the pieces are put together.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

from lib.reference.hexgrid import (
    ROW_HEIGHT,
    Cell,
    cell_centre,
    components,
    enclosed_holes,
    hex_distance,
    hex_neighbours,
)

LONDON = "E12000007"

#: Latitude of the equirectangular projection (middle of England).
PROJECTION_LAT = 52.5
#: Delaunay triangles whose circumcircle is wider than this (km) span the sea or an estuary.
MAX_CIRCUMRADIUS_KM = 100.0
RELAX_ITERATIONS = 3000
#: Strength of the push between overlapping discs, against 1 for each link.
PUSH = 20.0
#: Pull of every point towards the middle, which closes gaps in sparse rural areas.
GRAVITY = 0.05
#: Weights in the tidy-up cost.
DISPLACEMENT_WEIGHT = 0.3
LINK_WEIGHT = 1.0
CUT_OFF_PENALTY = 50.0
GAP_PENALTY = 2.0
HOLE_PENALTY = 20.0
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
