"""Telling which council a cell names: by ONS code or by name, never by guessing.

Names are reduced to what identifies them ('Bristol, City of' and 'Bristol City Council' are
both 'bristol'), and a name that fits several councils, a region, or a council outside the
round's council set is refused with the reason and, where there is one, a suggestion.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import duckdb

from lib.reference import geography

#: Short forms people use for a council whose official name is longer (normalised keys).
NAME_ALIASES = {
    "hull": "kingston upon hull",
    "newcastle": "newcastle upon tyne",
    "southend": "southend on sea",
    "stockton": "stockton on tees",
    "bcp": "bournemouth christchurch and poole",
}
# Words around a council's name that do not identify it (removed before matching).
_LEADING = ("the ", "london borough of ", "royal borough of ", "metropolitan borough of ",
            "borough of ", "city and county of ", "city of ", "county of ", "county ")
_TRAILING = (" metropolitan borough council", " metropolitan district council", " borough council",
             " district council", " county council", " city council", " unitary authority",
             " council", " mbc", " cc", " city of", " county of")

_CODE = re.compile(r"^[EWSN]\d{8}$", re.IGNORECASE)


def _plain(text: str) -> str:
    """Light normalisation (case, spaces, punctuation) that keeps every word."""
    t = unicodedata.normalize("NFKC", str(text)).casefold().replace("&", " and ")
    return re.sub(r"\s+", " ", re.sub(r"[.,'\u2019()-]", " ", t)).strip()


def normalise_name(text: str) -> str:
    """A council name reduced to what identifies it: 'Bristol, City of' and 'Bristol City
    Council' both become 'bristol'; 'St. Helens' and 'St Helens' become 'st helens'."""
    t = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    t = t.replace("&", " and ")
    t = re.sub(r"[.'\u2019]", "", t)
    t = re.sub(r"[-,/()\u2013]", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"^saint ", "st ", t)
    changed = True
    while changed:
        changed = False
        for prefix in _LEADING:
            if t.startswith(prefix) and len(t) > len(prefix):
                t, changed = t[len(prefix):], True
        for suffix in _TRAILING:
            if t.endswith(suffix) and len(t) > len(suffix):
                t, changed = t[: -len(suffix)], True
        t = t.strip()
    return NAME_ALIASES.get(t, t)


class CouncilMatcher:
    """Find a council by ONS code or name in one council set, never by guessing.

    The set is a round's (the councils valid on its council-set day) or, with `day`, that day's.
    Every council the database holds, former ones included, is known by its codes and names, so
    a council from another set is named in the refusal with its counterpart in this one.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, year: int, day: date | None = None) -> None:
        self.year = year
        self.day = day or geography.council_set_on(con, year)
        self.all = geography.load_authorities(con).set_index("code")
        self.members = set(geography.members_on(con, self.day)["code"])
        self.lineage = geography.Lineage(con)
        self.index: dict[str, set[str]] = {}
        for code, row in self.all.iterrows():
            for name in {row["name"], row["display_name"]}:
                self.index.setdefault(normalise_name(name), set()).add(str(code))
        #: Region names ("London"): a bare region name is never taken for a council in it.
        self.regions: dict[str, list[str]] = {}
        for code, row in self.all.iterrows():
            if code in self.members:
                self.regions.setdefault(_plain(row["region_name"]), []).append(str(code))

    def label(self, code: str) -> str:
        return f"{self.all.loc[code, 'display_name']} ({code})"

    def _set_rule(self) -> str:
        return f"the {self.year} round uses the councils of {geography.describe_day(self.day)}"

    def _wrong_set(self, code: str) -> str:
        try:
            counterparts = self.lineage.counterparts(code, self.members)
        except KeyError:
            counterparts = []
        hint = ""
        if counterparts:
            hint = (" In that set its area belongs to " + ", ".join(self.label(c) for c in counterparts)
                    + "; use that council's code.")
        return (f"council from the wrong council set: {self.label(code)} is not one of the councils "
                f"in this round ({self._set_rule()}).{hint}")

    def _suggest(self, key: str) -> str:
        names = {normalise_name(self.all.loc[c, "display_name"]): c for c in self.members}
        close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
        if not close:
            return " Use the council's ONS code (for example E10000023) or its name as ONS gives it."
        return " Did you mean " + " or ".join(self.label(names[k]) for k in close) + "?"

    def match(self, text: str) -> tuple[str | None, str | None]:
        """(ONS code, None) for a match, or (None, reason) for an unknown, ambiguous or
        wrong-set council."""
        value = text.strip()
        if _CODE.match(value):
            code = value.upper()
            if code in self.members:
                return code, None
            if code in self.all.index:
                return None, self._wrong_set(code)
            return None, "unknown council: no council has this ONS code." + self._suggest("")
        key = normalise_name(value)
        if not key:
            return None, "unknown council: the name is blank."
        region = self.regions.get(_plain(value))
        if region:
            named = sorted(self.index.get(key, set()) & self.members)
            listed = " or ".join(self.label(c) for c in named)
            return None, (f"ambiguous council name: '{value}' is the name of a region; it could be "
                          + (f"{listed} or " if listed else "")
                          + f"any of the {len(region)} councils in that region. Use the council's full name "
                          "or its ONS code.")
        codes = self.index.get(key, set())
        inside = sorted(codes & self.members)
        if len(inside) == 1:
            return inside[0], None
        if len(inside) > 1:
            return None, ("ambiguous council name: it matches " + " and ".join(self.label(c) for c in inside)
                          + ". Use the ONS code.")
        if codes:
            return None, self._wrong_set(sorted(codes)[0])
        pattern = re.compile(rf"\b{re.escape(key)}\b")
        partial = sorted(c for c in self.members
                         if pattern.search(normalise_name(self.all.loc[c, "display_name"])))
        if len(partial) > 1:
            return None, ("ambiguous council name: it could be " + " or ".join(self.label(c) for c in partial)
                          + ". Use the full name or the ONS code.")
        if len(partial) == 1:
            return None, f"unknown council: no council has exactly this name. Did you mean {self.label(partial[0])}?"
        return None, "unknown council: no council in this round's set has this name." + self._suggest(key)


    def identify_any(self, text: str) -> str | None:
        """The council `text` names among every council the database holds, in any set: an ONS
        code, or a name (with the same tolerant variants as `match`) that fits one council, or
        several that are the same council under different codes (the newest is taken)."""
        value = text.strip()
        if _CODE.match(value):
            code = value.upper()
            return code if code in self.all.index else None
        codes = sorted(self.index.get(normalise_name(value), set()))
        if len(codes) == 1:
            return codes[0]
        if codes and all(self.lineage.kind(c, [codes[-1]]) in ("same", "recode") for c in codes):
            return max(codes, key=lambda c: (self.all.loc[c, "valid_from"] or date.min, c))
        return None

    def pick(self, text: str) -> PickResult:
        """What a council picker should do with typed text (or a ?authority= value).

        The text may name a council of this set, or one of another set (a former or a newer
        council, by code or name): then its counterparts in this set are offered, so 'E06000065'
        or 'North Yorkshire Council' finds North Yorkshire in every round.
        """
        code, reason = self.match(text)
        if code is not None:
            return PickResult([code], code, None)
        named = self.identify_any(text)
        if named is not None:
            counterparts = self.lineage.counterparts(named, self.members)
            if counterparts:
                return PickResult(counterparts, named, None)
        return PickResult([], named, reason)


@dataclass(frozen=True)
class PickResult:
    """`codes`: the council(s) of the set to show ([] none, one, or several to choose from);
    `named`: the council the text named, perhaps outside the set; `reason`: why nothing fits."""

    codes: list[str]
    named: str | None
    reason: str | None
