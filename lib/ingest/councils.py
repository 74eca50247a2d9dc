"""Telling which council a cell names: by ONS code or by name, never by guessing.

Names are reduced to what identifies them ('Bristol, City of' and 'Bristol City Council' are
both 'bristol'), and a name that fits several councils, a region, or a council outside the
round's council set is refused with the reason and, where there is one, a suggestion.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from lib import geography

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
    """Find a council by ONS code or name in a round's council set, never by guessing."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.all = geography.load_authorities().set_index("code")
        self.members = set(geography.authorities_for_round(year)["code"])
        self.index: dict[str, set[str]] = {}
        for code, row in self.all.iterrows():
            for name in {row["name"], row["display_name"]}:
                self.index.setdefault(normalise_name(name), set()).add(code)
        #: Region names ("London"): a bare region name is never taken for a council in it.
        self.regions: dict[str, list[str]] = {}
        for code, row in self.all.iterrows():
            if code in self.members:
                self.regions.setdefault(_plain(row["region_name"]), []).append(code)

    def label(self, code: str) -> str:
        return f"{self.all.loc[code, 'display_name']} ({code})"

    def _set_rule(self) -> str:
        if geography.vintage_for_round(self.year) == "2015":
            return (f"the {self.year} round uses the councils of 1 April 2015 (every round up to "
                    f"{geography.LAST_2015_VINTAGE_YEAR})")
        return f"the {self.year} round uses today's councils (every round from {geography.LAST_2015_VINTAGE_YEAR + 1})"

    def _wrong_set(self, code: str) -> str:
        try:
            counterparts = geography.predecessors_in(code, self.year)
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

