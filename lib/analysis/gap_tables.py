"""The Gap finder's tables: the frames of lib.analysis.gaps as the page shows them beside its
charts and offers them for reading (plain column names, whole percentages rounded half up, no NaN).
"""

from __future__ import annotations

import pandas as pd

from lib.base.formatting import (
    DASH,
    council_type_text,
    format_points,
    format_score,
    is_missing,
    rank_text,
)
from lib.base.rounding import shown_int, shown_percent


def heatmap_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The heat map (gaps.heatmap_frame()) as a table: one row per council, each standard as
    'score (band)' text."""
    if frame.empty:
        return pd.DataFrame(columns=["Council", "Region", "Type", "Overall score", "Rank"])
    cells = frame.assign(
        cell=[f"{format_score(s)} ({b})" if a else b
              for s, b, a in zip(frame["score"], frame["band_label"], frame["asked"], strict=True)],
        column=[f"{n}. {name}" for n, name in zip(frame["standard"], frame["short_name"], strict=True)],
    )
    wide = cells.pivot(index="authority_code", columns="column", values="cell")
    columns = list(dict.fromkeys(cells.sort_values("standard")["column"]))
    first = frame.drop_duplicates("authority_code").set_index("authority_code")
    out = pd.DataFrame({
        "Council": first["display_name"],
        "Region": first["region_name"],
        "Type": first["type"].map(council_type_text),
        "Overall score": [f"{format_score(s)} ({b})" for s, b in
                          zip(first["overall_score"], first["overall_band_label"], strict=True)],
        "Rank": [rank_text(r) for r in first[["ranked", "rank", "n_ranked"]].to_dict("records")],
    })
    return out.join(wide[columns]).reset_index(drop=True)


def percent_text(value: object) -> str:
    """A percentage (0-100) shown whole, rounded half up: 12.5 -> '13%'."""
    return DASH if is_missing(value) else f"{shown_int(value)}%"


def points_text(value: object) -> str:
    """A difference in points, shown whole with its sign ('+9', '-3', '0')."""
    return format_points(value)


#: Marks a question the 2015 survey did not ask, wherever questions are ranked or compared.
NEW_QUESTION_MARK = " (not in the 2015 survey)"


def question_label(topic: str, from_report: bool) -> str:
    return str(topic) if from_report else f"{topic}{NEW_QUESTION_MARK}"


def only_report_questions(df: pd.DataFrame, only: bool) -> pd.DataFrame:
    """gaps.unmet_questions() limited to the 2015 survey's questions (`only`), or all of them with
    the others' topics marked, so a ranking never passes an invented figure off as measured."""
    if only:
        return df[df["from_report"].astype(bool)].reset_index(drop=True)
    return df.assign(topic=[question_label(t, f) for t, f in zip(df["topic"], df["from_report"], strict=True)])


def unmet_table(df: pd.DataFrame, england: pd.DataFrame | None = None) -> pd.DataFrame:
    """gaps.unmet_questions() as a table of whole percentages (half up, as every page shows them);
    with `england`, the national share beside it."""
    def pct(values: pd.Series) -> pd.Series:
        return pd.Series([shown_percent(v) for v in values.fillna(0)], dtype="Int64")

    out = pd.DataFrame({
        "Question": df["topic"].reset_index(drop=True),
        "Standard": [f"{n}. {s}" for n, s in zip(df["standard"], df["short_name"], strict=True)],
        "Without the support (%)": pct(df["share_without"]),
        "Partly or in development (%)": pct(df["share_in_development"]),
        "Not available (%)": pct(df["share_not_available"]),
        "Don't know (%)": pct(df["share_dont_know"]),
        "Not answered (%)": pct(df["share_missing"]),
        "Has it (%)": pct(df["share_available"]),
    })
    if england is not None:
        nat = england.set_index("question_id")["share_without"].reindex(df["question_id"])
        out.insert(3, "England: without the support (%)", pct(nat.reset_index(drop=True)).to_numpy())
    return out


def change_table(df: pd.DataFrame, year: int, previous_year: int) -> pd.DataFrame:
    """gaps.change_since_previous() with column names that carry the years, as the whole numbers
    shown on the page (each change is the difference of the two numbers beside it)."""
    def whole(values: pd.Series) -> list[int | None]:
        return [shown_int(v) for v in values]

    return pd.DataFrame({
        "Question": df["topic"],
        "Standard": df["standard"],
        f"Has it or partly {previous_year} (%)": whole(df["previous_available_or_dev"]),
        f"Has it or partly {year} (%)": whole(df["available_or_dev"]),
        "Change (points)": whole(df["available_or_dev_change"]),
        f"Has it {previous_year} (%)": whole(df["previous_available"]),
        f"Has it {year} (%)": whole(df["available"]),
        "Change in has it (points)": whole(df["available_change"]),
    }).reset_index(drop=True)


def published_table(df: pd.DataFrame) -> pd.DataFrame:
    """gaps.published_comparison() for reading: text percentages so a missing share shows a dash."""
    return pd.DataFrame({
        "Topic": df["topic"],
        "Answer": df["answer"],
        "Published": df["published"].map(percent_text),
        "This database": df["database"].map(percent_text),
        "Difference (points)": df["difference"].map(points_text),
        "Figure reference": df["reference"],
        "Basis": df["basis"],
        "Note": df["note"],
    })


def published_changes_table(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Topic": df["topic"],
        "Published change (points)": df["published_change"].map(points_text),
        "Change in this database (points)": df["database_change"].map(points_text),
        "Difference (points)": df["difference"].map(points_text),
        "Figure reference": df["reference"],
        "Note": df["note"],
    })
