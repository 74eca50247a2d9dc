"""Geometry of the hex map's grid, shared by the drawing code (lib.reference.hexmap) and the layout tool.

Cells use "odd-r" offset coordinates on a pointy-top grid: odd rows sit half a cell to the
right of even rows, and rows count northwards (row 0 is the southern edge). Neighbouring
cell centres are exactly 1 unit apart, so a hexagon's corners lie 1/sqrt(3) from its centre.
Pure Python (no numpy, no scipy), so the app can use it freely.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

Cell = tuple[int, int]

ROW_HEIGHT = math.sqrt(3) / 2
#: Distance from a cell's centre to each of its six corners.
CORNER_RADIUS = 1 / math.sqrt(3)


def cell_centre(col: int, row: int) -> tuple[float, float]:
    """Centre of a cell in grid units."""
    return col + 0.5 * (row & 1), row * ROW_HEIGHT


def hex_corners(col: int, row: int) -> list[tuple[float, float]]:
    """The six corners of a cell, anticlockwise from the upper-right one (30°)."""
    x, y = cell_centre(col, row)
    return [(x + CORNER_RADIUS * math.cos(math.radians(30 + 60 * k)),
             y + CORNER_RADIUS * math.sin(math.radians(30 + 60 * k))) for k in range(6)]


def hex_neighbours(col: int, row: int) -> list[Cell]:
    """The six cells that share an edge with (col, row)."""
    shift = row & 1  # odd rows are pushed half a cell right
    return [
        (col - 1, row), (col + 1, row),
        (col - 1 + shift, row - 1), (col + shift, row - 1),
        (col - 1 + shift, row + 1), (col + shift, row + 1),
    ]


def shared_edge(cell: Cell, neighbour: Cell) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two corners of `cell` on the edge it shares with `neighbour`."""
    x0, y0 = cell_centre(*cell)
    x1, y1 = cell_centre(*neighbour)
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    # The edge between corners k and k+1 faces the direction 60 + 60k degrees.
    k = round((angle - 60) / 60) % 6
    corners = hex_corners(*cell)
    return corners[k], corners[(k + 1) % 6]


def _cube(cell: Cell) -> tuple[int, int, int]:
    col, row = cell
    x = col - (row - (row & 1)) // 2
    return x, row, -x - row


def hex_distance(a: Cell, b: Cell) -> int:
    """Number of steps between two cells."""
    ca, cb = _cube(a), _cube(b)
    return max(abs(ca[0] - cb[0]), abs(ca[1] - cb[1]), abs(ca[2] - cb[2]))


def components(cells: Iterable[Cell]) -> list[set[Cell]]:
    """Groups of cells joined through shared edges, largest first (ties in a fixed order)."""
    cells = set(cells)
    seen: set[Cell] = set()
    groups: list[set[Cell]] = []
    for start in sorted(cells):
        if start in seen:
            continue
        group = {start}
        queue = deque([start])
        seen.add(start)
        while queue:
            for nb in hex_neighbours(*queue.popleft()):
                if nb in cells and nb not in seen:
                    seen.add(nb)
                    group.add(nb)
                    queue.append(nb)
        groups.append(group)
    return sorted(groups, key=len, reverse=True)


def enclosed_holes(occupied: Iterable[Cell]) -> set[Cell]:
    """Empty cells that cannot reach the edge of the map through other empty cells."""
    occupied = set(occupied)
    if not occupied:
        return set()
    cols = [c for c, _ in occupied]
    rows = [r for _, r in occupied]
    c0, c1, r0, r1 = min(cols) - 1, max(cols) + 1, min(rows) - 1, max(rows) + 1
    queue = deque((c, r) for c in range(c0, c1 + 1) for r in range(r0, r1 + 1)
                  if (c in (c0, c1) or r in (r0, r1)) and (c, r) not in occupied)
    outside: set[Cell] = set(queue)
    while queue:
        for nb in hex_neighbours(*queue.popleft()):
            c, r = nb
            if c0 <= c <= c1 and r0 <= r <= r1 and nb not in occupied and nb not in outside:
                outside.add(nb)
                queue.append(nb)
    return {(c, r) for c in range(c0, c1 + 1) for r in range(r0, r1 + 1)
            if (c, r) not in occupied and (c, r) not in outside}
