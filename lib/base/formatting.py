"""Plain-text presentation of scores, bands and ranks, shared by every page and export.

Numbers are shown as whole points, missing values as a dash or "No evidence", never as NaN. A
score whose unknown or missing answers leave a range is shown with it: "48 (48–61)".
Text that comes from data is escaped before Streamlit renders it as Markdown.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import pandas as pd

from lib.base.rounding import shown_change, shown_int, shown_percent

DASH = "–"
NO_EVIDENCE = "No evidence"
#: A standard the round's questionnaire did not ask about: it has no score for anyone that round.
NOT_ASKED = "Not asked this round"


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_score(value: Any) -> str:
    """A score as shown everywhere: a whole number rounded half up (lib.base.rounding)."""
    return DASH if is_missing(value) else str(shown_int(value))


def format_percent(share: Any) -> str:
    """A share of councils (0-1) as a whole percentage rounded half up: 0.125 -> '13%'."""
    return DASH if is_missing(share) else f"{shown_percent(share)}%"


def format_points(value: Any) -> str:
    """A signed whole-number difference ('+9', '-3', '0')."""
    if is_missing(value):
        return DASH
    n = shown_int(value)
    return "0" if n == 0 else f"{n:+d}"


def format_change(now: Any, before: Any) -> str:
    """The change between two shown figures, as the difference of the shown numbers (68 -> 77
    is '+9', never '+10'); 'No change' when they are shown the same."""
    change = shown_change(now, before)
    if change is None:
        return DASH
    return "No change" if change == 0 else f"{int(change):+d}"


def rank_text(overall: dict[str, Any] | None, with_range: bool = True) -> str:
    """'34 of 95', with the range its unknown answers allow when the row carries one
    ('34 of 95 (20th–34th)'; with_range=False leaves it out), or why there is no rank."""
    if not overall:
        return "No response"
    if not overall.get("ranked") or is_missing(overall.get("rank")):
        return "Not ranked"
    return (f"{int(overall['rank'])} of {int(overall['n_ranked'])}"
            + (rank_range_text(overall.get("rank_best"), overall.get("rank_worst")) if with_range else ""))


def score_range(low: Any, high: Any) -> str:
    """The range a council's unknown and missing answers leave open, as '48–61'; empty when the
    range is one value (every answer known) or unknown."""
    if is_missing(low) or is_missing(high) or shown_int(low) == shown_int(high):
        return ""
    return f"{shown_int(low)}{DASH}{shown_int(high)}"


def score_range_text(low: Any, high: Any) -> str:
    """score_range() in brackets after a figure: ' (48–61)', or empty."""
    bare = score_range(low, high)
    return f" ({bare})" if bare else ""


def score_with_range(score: Any, low: Any, high: Any) -> str:
    """'48 (48–61)', or '48' when every answer behind it is known."""
    return format_score(score) + ("" if is_missing(score) else score_range_text(low, high))


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_range(best: Any, worst: Any) -> str:
    """'71st–97th': the ranks a council's unknown and missing answers allow, best first; empty
    when they allow only the rank it has."""
    if is_missing(best) or is_missing(worst) or int(best) == int(worst):
        return ""
    return f"{ordinal(int(best))}{DASH}{ordinal(int(worst))}"


def rank_range_text(best: Any, worst: Any) -> str:
    """rank_range() in brackets after a rank: ' (71st–97th)', or empty."""
    bare = rank_range(best, worst)
    return f" ({bare})" if bare else ""


def band_text(band: Any, labels: dict[str, str], evidence: bool = True) -> str:
    if is_missing(band) or not evidence:
        return NO_EVIDENCE
    return labels.get(str(band), str(band))


#: Council types (authorities.type, as the ONS words them) in the words shown on screen: as a
#: label or filter option, for one council, for the comparison group, and inside a sentence
#: (plural and singular; "London" keeps its capital).
COUNCIL_TYPES: dict[str, dict[str, str]] = {
    "county": {"label": "County", "council": "County council", "group": "County councils",
               "plural": "counties", "singular": "county"},
    "unitary": {"label": "Unitary", "council": "Unitary council", "group": "Unitary councils",
                "plural": "unitary councils", "singular": "unitary"},
    "metropolitan district": {"label": "Metropolitan district", "council": "Metropolitan district",
                              "group": "Metropolitan districts", "plural": "metropolitan districts",
                              "singular": "metropolitan district"},
    "London borough": {"label": "London borough", "council": "London borough", "group": "London boroughs",
                       "plural": "London boroughs", "singular": "London borough"},
    "other": {"label": "Other", "council": "Other council", "group": "Other councils",
              "plural": "other councils", "singular": "other council"},
}
TypeForm = Literal["label", "council", "group", "plural", "singular"]


def council_type_text(council_type: Any, form: TypeForm = "label") -> str:
    """A council type in words: 'metropolitan district' -> 'Metropolitan district' (label),
    'unitary' -> 'Unitary council' (council), 'Unitary councils' (group), 'county' ->
    'counties' (plural, in a sentence) or 'county' (singular, in a sentence)."""
    if is_missing(council_type):
        return DASH
    words = COUNCIL_TYPES.get(str(council_type))
    return words[form] if words else str(council_type)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: Any) -> str:
    """Make text from data safe to show where Streamlit renders Markdown (labels, captions)."""
    return _MD_SPECIAL.sub(r"\\\1", "" if is_missing(text) else str(text))


def shorten(value: Any, limit: int = 80) -> str:
    """`value` as text, cut to `limit` characters with an ellipsis."""
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

