"""Councils, their vintages and their lineage, read from the project's reference CSVs.

Two council sets matter:

- the "2015" set: the 152 councils with adult social services responsibilities on
  1 April 2015 (the 2015 report counts 151 because it leaves out the Isles of Scilly);
- the "current" set: the 153 councils that exist today, after the reorganisations of
  2019-2023 and the 2025 Barnsley/Sheffield recodes.

Survey rounds 2012-2018 all use the 2015 set; later rounds use today's set. The lineage
table links the two, so a trend for a council can be followed across a reorganisation
(and labelled as such on screen).

Only pandas and the standard library are used; the files are read once per process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: The day the 2015 council set is taken on.
VINTAGE_2015_DAY = date(2015, 4, 1)
#: Last survey year that uses the 2015 set (the first reorganisation took effect in 2019).
LAST_2015_VINTAGE_YEAR = 2018

Vintage = Literal["2015", "current"]
MappingKind = Literal["same", "recode", "reorganised"]

AUTHORITY_COLUMNS = [
    "code", "name", "display_name", "region_code", "region_name", "type",
    "valid_from", "valid_to", "lat", "lon",
    "hex_col_2015", "hex_row_2015", "hex_col_current", "hex_row_current",
]
LINEAGE_COLUMNS = [
    "predecessor_code", "predecessor_name", "successor_code", "successor_name",
    "effective_date", "kind", "note",
]
TYPES = ("county", "unitary", "metropolitan district", "London borough", "other")


def _to_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _read_columns(path: Path, columns: list[str]) -> pd.DataFrame:
    """The named columns of a reference CSV, as text; a missing column is an error naming the file."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}")
    return raw[columns].copy()


@lru_cache(maxsize=4)
def _authorities(data_dir: Path) -> pd.DataFrame:
    table = _read_columns(data_dir / "authorities.csv", AUTHORITY_COLUMNS)
    for col in ("valid_from", "valid_to"):
        table[col] = [_to_date(v) for v in table[col]]
    for col in ("lat", "lon"):
        table[col] = pd.to_numeric(table[col]).astype(float)
    for col in ("hex_col_2015", "hex_row_2015", "hex_col_current", "hex_row_current"):
        table[col] = pd.to_numeric(table[col].replace("", None)).astype("Int64")
    return table


@lru_cache(maxsize=4)
def _lineage(data_dir: Path) -> pd.DataFrame:
    table = _read_columns(data_dir / "lineage.csv", LINEAGE_COLUMNS)
    table["effective_date"] = [date.fromisoformat(v) for v in table["effective_date"]]
    return table


def load_authorities(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Every council in either set, one row per ONS code.

    valid_from / valid_to are `datetime.date` or None (None = before 2009 / still exists);
    hex cells are nullable integers (missing when the council is not in that vintage).
    A fresh copy is returned, so callers may modify it.
    """
    return _authorities(Path(data_dir)).copy()


def load_lineage(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Code changes since 2009: predecessor -> successor, effective date, kind, note."""
    return _lineage(Path(data_dir)).copy()


def _valid_on(table: pd.DataFrame, on: date) -> pd.Series:
    starts_ok = table["valid_from"].map(lambda d: d is None or d <= on)
    ends_ok = table["valid_to"].map(lambda d: d is None or d > on)
    return starts_ok & ends_ok


def vintage_codes(on: date) -> set[str]:
    """Codes of the councils that existed on a given day (valid_from <= day < valid_to)."""
    table = _authorities(DATA_DIR)
    return set(table.loc[_valid_on(table, on), "code"])


def vintage_for_round(year: int) -> Vintage:
    """Which council set a survey round uses: "2015" for rounds up to 2018, else "current".

    The report's rounds (2012-2015) and any up to 2018 came before the first
    reorganisation (Dorset, 1 April 2019), so they all fit the 2015 set. That set also
    uses the Gateshead and Northumberland codes of 2013, which is simply the newer code
    for the same council, so the 2012 round maps onto it without loss. Later rounds are
    shown on today's councils. The database's survey_rounds.vintage follows this rule.
    """
    return "2015" if year <= LAST_2015_VINTAGE_YEAR else "current"


def vintage_members(vintage: Vintage) -> pd.DataFrame:
    """The councils of a vintage, sorted by code."""
    table = _authorities(DATA_DIR)
    if vintage == "2015":
        mask = _valid_on(table, VINTAGE_2015_DAY)
    elif vintage == "current":
        mask = table["valid_to"].isna()
    else:
        raise ValueError(f"unknown vintage {vintage!r}; use '2015' or 'current'")
    return table[mask].sort_values("code").reset_index(drop=True)


def authorities_for_round(year: int) -> pd.DataFrame:
    """The councils a survey round covers (see `vintage_for_round` for the rule)."""
    return vintage_members(vintage_for_round(year))


def _successors_of(code: str) -> list[str]:
    lineage = _lineage(DATA_DIR)
    return list(lineage.loc[lineage["predecessor_code"] == code, "successor_code"])


def _predecessors_of(code: str) -> list[str]:
    lineage = _lineage(DATA_DIR)
    return list(lineage.loc[lineage["successor_code"] == code, "predecessor_code"])


def _reach(code: str, step: Callable[[str], list[str]]) -> set[str]:
    """Every code reachable from `code` by repeating `step` (not including `code`)."""
    seen: set[str] = set()
    todo = [code]
    while todo:
        for nxt in step(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def current_successors(code: str) -> list[str]:
    """Today's council(s) covering the area of `code`, following the lineage forward.

    A council that still exists maps to itself. Raises KeyError for a code that is
    neither a council nor in the lineage.
    """
    current = set(vintage_members("current")["code"])
    if code in current:
        return [code]
    later = _reach(code, _successors_of)
    if not later and code not in set(_authorities(DATA_DIR)["code"]):
        raise KeyError(f"unknown council code {code!r}")
    return sorted(later & current)


def predecessors_in(code: str, year: int) -> list[str]:
    """The council(s) of a round's set (see `vintage_for_round`) that covered `code`'s area.

    Mostly used to take a current council back to the 2015 set: BCP (E06000058) in 2015
    was Bournemouth, Poole and (for Christchurch) Dorset county. Works forward too: an
    abolished council asked about a later round gives its successors. A council that is
    in that round's set maps to itself.
    """
    members = set(authorities_for_round(year)["code"])
    if code in members:
        return [code]
    related = _reach(code, _predecessors_of) | _reach(code, _successors_of)
    if not related and code not in set(_authorities(DATA_DIR)["code"]):
        raise KeyError(f"unknown council code {code!r}")
    return sorted(related & members)


def mapping_kind(code: str, year: int) -> MappingKind:
    """How `code` relates to its counterpart(s) in a round's set.

    "same": the same code is in that round's set. "recode": one council, one counterpart,
    linked only by recodes (a new code for the same council, for example Barnsley in
    2025 or North Yorkshire becoming a unitary in 2023). "reorganised": the mapping goes
    through a merge or split, so figures describe a different area and a trend should be
    labelled "via lineage".
    """
    others = predecessors_in(code, year)
    if others == [code]:
        return "same"
    if len(others) != 1:
        return "reorganised"
    lineage = _lineage(DATA_DIR)
    related = {code, *others} | _reach(code, _predecessors_of) | _reach(code, _successors_of)
    chain = lineage[lineage["predecessor_code"].isin(related) & lineage["successor_code"].isin(related)]
    one_to_one = (chain.groupby("predecessor_code").size().max() == 1
                  and chain.groupby("successor_code").size().max() == 1)
    return "recode" if one_to_one and set(chain["kind"]) <= {"recode"} else "reorganised"


def crosses_reorganisation(code: str, year: int) -> bool:
    """True when comparing `code` with a round needs a merge or split (label it "via lineage")."""
    return mapping_kind(code, year) == "reorganised"


def lineage_label(code: str, year: int) -> str:
    """A short plain-English note for a trend point taken from another council set.

    Empty when no note is needed (same code in that round).
    """
    kind = mapping_kind(code, year)
    if kind == "same":
        return ""
    names = dict(zip(_authorities(DATA_DIR)["code"], _authorities(DATA_DIR)["display_name"], strict=True))
    others = [names.get(c, c) for c in predecessors_in(code, year)]
    listed = others[0] if len(others) == 1 else ", ".join(others[:-1]) + " and " + others[-1]
    if kind == "recode":
        return f"{year}: same council under its earlier code ({listed})"
    return f"{year}: via lineage, figures are for {listed}"


def label(code: str) -> str:
    """Display name for pickers: adds the end year for councils that no longer exist.

    Keeps the two Dorsets, North Yorkshires, etc. apart in a single list.
    """
    row = _authorities(DATA_DIR).set_index("code").loc[code]
    if row["valid_to"] is None:
        return str(row["display_name"])
    return f"{row['display_name']} (until {row['valid_to'].year})"
