"""Councils, council sets by date, and the lineage between them, read from the database.

A survey round's councils are exactly those valid on its council-set day
(`survey_rounds.council_set_on`): valid_from <= day < valid_to, a blank end meaning the
council still exists. Reorganisations are data: a new council is a row of
data/authorities.csv with a valid_from, an abolished one gets a valid_to, and
data/lineage.csv says which council became which (merge, split or recode). The build loads
those files into the `authorities` and `authority_lineage` tables, and everything here reads
the tables, so the dashboard, the CLI and the API agree with the scores in the same database.

A council set is named by the day it began: the latest valid_from or valid_to on or before
a given day (its hex-map layout in `hex_cells` carries that name). New rounds default to the
councils of 1 April of their year, the day reorganisations take effect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

import duckdb
import pandas as pd

MappingKind = Literal["same", "recode", "reorganised"]

AUTHORITY_COLUMNS = [
    "code", "name", "display_name", "region_code", "region_name", "type",
    "valid_from", "valid_to", "lat", "lon",
]
LINEAGE_COLUMNS = [
    "predecessor_code", "predecessor_name", "successor_code", "successor_name",
    "effective_date", "kind", "note",
]
TYPES = ("county", "unitary", "metropolitan district", "London borough", "other")


def _frame(con: duckdb.DuckDBPyConnection, sql: str, columns: list[str],
           params: list[object] | None = None) -> pd.DataFrame:
    """Rows as Python values (dates stay `datetime.date`, blanks None), in a DataFrame."""
    rows = con.execute(sql, params or []).fetchall()
    return pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns)


def load_authorities(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every council the database knows (any council set), one row per ONS code, by code.

    valid_from / valid_to are `datetime.date` or None (None: before the data starts / still exists).
    """
    return _frame(con, f"SELECT {', '.join(AUTHORITY_COLUMNS)} FROM authorities ORDER BY code",  # noqa: S608
                  AUTHORITY_COLUMNS)


def load_lineage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Code changes: predecessor -> successor, effective date, kind (merge, split, recode), note."""
    return _frame(con, f"SELECT {', '.join(LINEAGE_COLUMNS)} FROM authority_lineage "  # noqa: S608
                  "ORDER BY effective_date, predecessor_code, successor_code", LINEAGE_COLUMNS)


def default_council_set_on(year: int) -> date:
    """The council-set day a new round gets unless told otherwise: 1 April of its year.

    Reorganisations take effect on 1 April, so this is the set of councils that existed for
    the financial year in which the round was run.
    """
    return date(int(year), 4, 1)


def council_set_on(con: duckdb.DuckDBPyConnection, year: int) -> date:
    """A round's council-set day: the stored one, or the default for a round not yet loaded."""
    row = con.execute("SELECT council_set_on FROM survey_rounds WHERE year = ?", [int(year)]).fetchall()
    return row[0][0] if row else default_council_set_on(year)


def change_dates(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Every day on which the council set changed (any valid_from or valid_to), in order."""
    rows = con.execute("SELECT DISTINCT d FROM (SELECT valid_from AS d FROM authorities UNION ALL "
                       "SELECT valid_to FROM authorities) WHERE d IS NOT NULL ORDER BY d").fetchall()
    return [r[0] for r in rows]


def council_set_start(con: duckdb.DuckDBPyConnection, day: date) -> date | None:
    """The day the council set in force on `day` began (None: before the first change we hold)."""
    starts = [d for d in change_dates(con) if d <= day]
    return starts[-1] if starts else None


def layout_name(con: duckdb.DuckDBPyConnection, day: date) -> str | None:
    """The hex_cells layout for the councils of `day` (the ISO day their set began)."""
    start = council_set_start(con, day)
    return start.isoformat() if start else None


def describe_day(day: date) -> str:
    """'1 April 2015' (for messages and pages)."""
    return f"{day.day} {day:%B %Y}"


def _valid_on(table: pd.DataFrame, on: date) -> pd.Series:
    starts_ok = table["valid_from"].map(lambda d: d is None or pd.isna(d) or d <= on)
    ends_ok = table["valid_to"].map(lambda d: d is None or pd.isna(d) or d > on)
    return starts_ok & ends_ok


def members_on(con: duckdb.DuckDBPyConnection, day: date) -> pd.DataFrame:
    """The councils valid on `day`, sorted by code (the council set of a round on that day)."""
    table = load_authorities(con)
    return table[_valid_on(table, day)].reset_index(drop=True)


def round_members(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """The councils a round covers: those valid on its council-set day."""
    return members_on(con, council_set_on(con, year))


class Lineage:
    """The lineage graph, read once, with the walks the lookups below need."""

    def __init__(self, con: duckdb.DuckDBPyConnection, authorities: pd.DataFrame | None = None) -> None:
        """`authorities`: load_authorities(con), when the caller has it already."""
        self.table = load_lineage(con)
        self.codes = set((load_authorities(con) if authorities is None else authorities)["code"])
        self.successors: dict[str, list[str]] = {}
        self.predecessors: dict[str, list[str]] = {}
        for p, s in zip(self.table["predecessor_code"], self.table["successor_code"], strict=True):
            self.successors.setdefault(p, []).append(s)
            self.predecessors.setdefault(s, []).append(p)

    def reach(self, code: str, step: Callable[[str], list[str]]) -> set[str]:
        """Every code reachable from `code` by repeating `step` (not including `code`)."""
        seen: set[str] = set()
        todo = [code]
        while todo:
            for nxt in step(todo.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def later(self, code: str) -> set[str]:
        return self.reach(code, lambda c: self.successors.get(c, []))

    def earlier(self, code: str) -> set[str]:
        return self.reach(code, lambda c: self.predecessors.get(c, []))

    def counterparts(self, code: str, members: set[str]) -> list[str]:
        """The council(s) of a council set (`members`) covering `code`'s area.

        A member maps to itself. Otherwise the lineage is followed backwards (BCP in 2015 was
        Bournemouth, Poole and, for Christchurch, Dorset county) and forwards (Cumbria today is
        Cumberland and Westmorland and Furness). Only straight walks back or forward are taken,
        so a split's successor never picks up its sibling through the shared predecessor.
        """
        if code in members:
            return [code]
        if code not in self.codes and code not in self.successors and code not in self.predecessors:
            raise KeyError(f"unknown council code {code!r}")
        return sorted((self.earlier(code) | self.later(code)) & members)

    def kind(self, code: str, others: list[str]) -> MappingKind:
        """How `code` relates to `others` (its counterparts in a set): see `mapping_kind`."""
        if others == [code]:
            return "same"
        if len(others) != 1:
            return "reorganised"
        related = {code, *others} | self.earlier(code) | self.later(code)
        chain = self.table[self.table["predecessor_code"].isin(related)
                           & self.table["successor_code"].isin(related)]
        if chain.empty:
            return "reorganised"
        one_to_one = (chain.groupby("predecessor_code").size().max() == 1
                      and chain.groupby("successor_code").size().max() == 1)
        return "recode" if one_to_one and set(chain["kind"]) <= {"recode"} else "reorganised"


def counterparts_on(con: duckdb.DuckDBPyConnection, code: str, day: date) -> list[str]:
    """The council(s) valid on `day` that covered `code`'s area (see Lineage.counterparts)."""
    return Lineage(con).counterparts(code, set(members_on(con, day)["code"]))


def predecessors_in(con: duckdb.DuckDBPyConnection, code: str, year: int) -> list[str]:
    """The council(s) of a round's set that covered `code`'s area; a member maps to itself."""
    return counterparts_on(con, code, council_set_on(con, year))


def counterparts_by_round(con: duckdb.DuckDBPyConnection, code: str) -> dict[int, list[str]]:
    """predecessors_in for every round in the database at once, oldest round first (the
    councils and the lineage read once, not once per round). A code the database does not know
    maps to an empty list in every round, where predecessors_in raises KeyError."""
    return counterparts_by_round_for(con, [code])[code]


def counterparts_by_round_for(con: duckdb.DuckDBPyConnection,
                              codes: list[str]) -> dict[str, dict[int, list[str]]]:
    """counterparts_by_round for several councils, reading the councils and lineage once."""
    authorities = load_authorities(con)
    lineage = Lineage(con, authorities)
    rounds = con.execute("SELECT year, council_set_on FROM survey_rounds ORDER BY year").fetchall()
    members = {int(year): set(authorities.loc[_valid_on(authorities, day), "code"]) if len(authorities) else set()
               for year, day in rounds}
    out: dict[str, dict[int, list[str]]] = {}
    for code in codes:
        out[code] = {}
        for year, in_set in members.items():
            try:
                out[code][year] = lineage.counterparts(code, in_set)
            except KeyError:
                out[code][year] = []
    return out


def current_successors(con: duckdb.DuckDBPyConnection, code: str, today: date | None = None) -> list[str]:
    """Today's council(s) covering the area of `code`, following the lineage forward."""
    return counterparts_on(con, code, today or date.today())


def mapping_kind(con: duckdb.DuckDBPyConnection, code: str, year: int) -> MappingKind:
    """How `code` relates to its counterpart(s) in a round's set.

    "same": the same code is in that round's set. "recode": one council, one counterpart,
    linked only by recodes (a new code for the same council, such as Gateshead in 2013 or
    Barnsley in 2025). "reorganised": the mapping goes through a merge or split, so figures
    describe a different area and a trend should say so.
    """
    return Lineage(con).kind(code, predecessors_in(con, code, year))


def lineage_label(con: duckdb.DuckDBPyConnection, code: str, year: int) -> str:
    """A short plain-English note for a trend point taken from another council. Empty for "same"."""
    lineage = Lineage(con)
    others = predecessors_in(con, code, year)
    kind = lineage.kind(code, others)
    if kind == "same":
        return ""
    names = dict(zip(load_authorities(con)["code"], load_authorities(con)["display_name"], strict=True))
    listed = [names.get(c, c) for c in others]
    text = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
    if kind == "recode":
        return f"{year}: same council under its earlier code ({text})"
    return f"{year}: via lineage, figures are for {text}"


def label(con: duckdb.DuckDBPyConnection, code: str) -> str:
    """Display name for pickers: adds the years for councils that no longer exist or are new.

    Keeps the two Dorsets, North Yorkshires, etc. apart in a single list.
    """
    rows = con.execute("SELECT display_name, valid_to FROM authorities WHERE code = ?", [code]).fetchall()
    if not rows:
        raise KeyError(f"unknown council code {code!r}")
    name, valid_to = rows[0]
    return str(name) if valid_to is None else f"{name} (until {valid_to.year})"


def recode_round(con: duckdb.DuckDBPyConnection, year: int, day: date) -> bool:
    """Move a round's stored answers to the codes valid on `day`, where each answer's council
    reaches exactly one such code through recodes alone (the same council under another code).

    Returns False and changes nothing when some answering council cannot be moved that way
    (a merge or split stands between them). Used by the schema 5 migration.
    """
    lineage = Lineage(con)
    members = set(members_on(con, day)["code"])
    codes = [r[0] for r in con.execute(
        "SELECT DISTINCT authority_code FROM responses WHERE round_year = ? UNION "
        "SELECT DISTINCT authority_code FROM responses_archive WHERE round_year = ? UNION "
        "SELECT DISTINCT authority_code FROM council_comments WHERE round_year = ?", [year, year, year]).fetchall()]
    moves: dict[str, str] = {}
    for code in codes:
        if code in members:
            continue
        try:
            others = lineage.counterparts(code, members)
        except KeyError:
            return False
        if len(others) != 1 or lineage.kind(code, others) != "recode":
            return False
        moves[code] = others[0]
    for old, new in moves.items():
        for table in ("responses", "responses_archive", "council_comments"):
            con.execute(f"UPDATE {table} SET authority_code = ? WHERE round_year = ? AND authority_code = ?",  # noqa: S608
                        [new, year, old])
    return True


def trend_points(con: duckdb.DuckDBPyConnection, code: str, year: int, lineage: Lineage | None = None,
                 authorities: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """The council(s) whose figures stand for `code` in a round's trend, each with its note.

    The same council gives no note. A recode says it is the same council under its earlier (or
    later) code. Otherwise each point names the council it came from: after a split, the shared
    predecessor's figures appear on each successor, marked as shared with the other(s); after a
    merger, each predecessor is its own point. [] when no council of that round covered the area.
    `lineage` and `authorities` (load_authorities): pass them when calling for many rounds.
    """
    if authorities is None:
        authorities = load_authorities(con)
    lineage = lineage or Lineage(con, authorities)
    day = council_set_on(con, year)
    members = set(authorities.loc[_valid_on(authorities, day), "code"]) if len(authorities) else set()
    try:
        others = lineage.counterparts(code, members)
    except KeyError:
        return []
    kind = lineage.kind(code, others)
    if kind == "same":
        return [(code, "")]
    def name(c: str) -> str:
        return label(con, c) if c in lineage.codes else c

    if kind == "recode":
        return [(others[0], f"{year}: same council under another code ({name(others[0])})")]
    own_line = lineage.earlier(code) | lineage.later(code) | {code}
    points = []
    for other in others:
        text = f"{year}: via lineage, figures are for {name(other)}"
        shared = sorted(s for s in lineage.successors.get(other, []) if s not in own_line)
        if shared and other in lineage.earlier(code):
            text += ", shared with " + " and ".join(name(s) for s in shared)
        if len(others) > 1:
            text += f" (one of {len(others)} councils that covered this area)"
        points.append((other, text))
    return points
