"""Comparing a council's score with a median, allowing for its unknown answers.

A council's "Don't know" and unanswered questions count as the worst answer, so its score is the
low end of a range (score_low to score_high in the scoring views). A comparison that ignored the
range could call a council "below England" when known answers might put it above; this says so
only when the whole range is on one side.
"""

from __future__ import annotations

from typing import Any

from lib.base.rounding import shown_int

COMPARE_HIGHER, COMPARE_SIMILAR, COMPARE_LOWER, COMPARE_UNSURE = "higher", "similar", "lower", "cannot tell"


def compare_with(low: Any, high: Any, value: Any) -> str | None:
    """How a council's score compares with a comparison value (a median), allowing for the range
    its "Don't know" and unanswered questions leave: 'higher' or 'lower' only when the whole
    range is clear of the value, 'similar' when the range is the value itself, and 'cannot tell'
    when known answers could put it on either side. All on the numbers shown. None without a
    score or a value."""
    lo, hi, v = shown_int(low), shown_int(high), shown_int(value)
    if lo is None or hi is None or v is None:
        return None
    if lo > v:
        return COMPARE_HIGHER
    if hi < v:
        return COMPARE_LOWER
    return COMPARE_SIMILAR if lo == hi == v else COMPARE_UNSURE
