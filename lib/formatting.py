"""Plain-text presentation of scores, bands and ranks, shared by every page and export.

Numbers are shown as whole points, missing values as a dash or "No evidence", never as NaN.
Text that comes from data is escaped before Streamlit renders it as Markdown.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

DASH = "–"
NO_EVIDENCE = "No evidence"


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_score(value: Any) -> str:
    return DASH if is_missing(value) else f"{float(value):.0f}"


def format_change(value: Any) -> str:
    if is_missing(value):
        return DASH
    value = float(value)
    if abs(value) < 0.05:
        return "No change"
    return f"{value:+.1f}"


def rank_text(overall: dict[str, Any] | None) -> str:
    """'34 of 95', or why there is no rank."""
    if not overall:
        return "No response"
    if not overall.get("ranked") or is_missing(overall.get("rank")):
        return "Not ranked"
    return f"{int(overall['rank'])} of {int(overall['n_ranked'])}"


def band_text(band: Any, labels: dict[str, str], evidence: bool = True) -> str:
    if is_missing(band) or not evidence:
        return NO_EVIDENCE
    return labels.get(str(band), str(band))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: Any) -> str:
    """Make text from data safe to show where Streamlit renders Markdown (labels, captions)."""
    return _MD_SPECIAL.sub(r"\\\1", "" if is_missing(text) else str(text))
