"""The one rounding rule for every number a person sees: scores, shares and changes.

Rule (standards/scoring.toml, [display]): scores are shown with `decimals` places (0: whole
numbers), rounded half up, so 12.5 is shown as 13 and 37.5 as 38 (Python's own round() would
give 12 and 38: it rounds halves to even). Bands and ranks follow the shown number, and a
change between rounds is the difference of the two shown numbers, so 68 -> 77 is +9.

The SQL views use the macro in `SQL_MACROS`, and Python uses `shown`; both first round to six
decimal places so that a weighted mean meant to be 74.5 but held as 74.49999999999999 is
still shown as 75. tests/test_rounding.py checks that the two agree on many values.
"""

from __future__ import annotations

import math
from typing import Any

#: Places kept before the half-up step, to absorb floating-point noise in means.
NOISE_DECIMALS = 6

#: DuckDB macros: shown_score(x, d) is x rounded half up to d places (NULL stays NULL).
SQL_MACROS = f"""
CREATE OR REPLACE MACRO shown_score(x, d) AS
    floor(round(x, {NOISE_DECIMALS}) * pow(10, d) + 0.5) / pow(10, d);
"""


def shown(value: Any, decimals: int = 0) -> float | None:
    """`value` as it is shown: rounded half up to `decimals` places; None for a missing value."""
    if value is None or value is _NA:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    scale = 10 ** decimals
    return math.floor(round(number, NOISE_DECIMALS) * scale + 0.5) / scale


def shown_int(value: Any) -> int | None:
    """A whole number rounded half up (scores and percentages shown on screen)."""
    result = shown(value, 0)
    return None if result is None else int(result)


def shown_change(now: Any, before: Any, decimals: int = 0) -> float | None:
    """The change between two figures as shown: the difference of their shown values, so that
    the change always adds up with the two numbers beside it."""
    a, b = shown(now, decimals), shown(before, decimals)
    if a is None or b is None:
        return None
    return round(a - b, decimals)


def shown_percent(share: Any) -> int | None:
    """A share (0-1) as a whole percentage, rounded half up (0.125 -> 13)."""
    if share is None or share is _NA:
        return None
    number = float(share)
    return None if math.isnan(number) else shown_int(100 * number)


try:  # pandas' missing-value marker, without importing pandas for this module alone
    import pandas as _pd

    _NA: Any = _pd.NA
except ImportError:  # pragma: no cover - pandas is a core dependency
    _NA = object()
