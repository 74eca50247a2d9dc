"""The council scorecard's downloads: its data as sheets (overall, standards, questions, gaps),
the answers CSV and the Excel workbook people download, and their file names.

The numbers come from lib.analysis.scorecard's queries; this module only lays them out in the
open data's column names and writes the bytes (lib.base.exports).
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pandas as pd

from lib.analysis.scorecard import (
    Headline,
    council,
    gap_questions,
    gaps_from_profile,
    headline,
    question_answers,
    standard_profile,
)
from lib.base import exports
from lib.base.formatting import is_missing
from lib.base.rounding import shown_int


def export_frames(con: duckdb.DuckDBPyConnection, code: str, year: int) -> dict[str, pd.DataFrame]:
    """The council's data for download: sheets 'overall', 'standards', 'questions' and 'gaps'.

    Column names are the open data's (lib.reports.opendata_dictionary.MEANINGS, the API's and the Download page's
    vocabulary): a column the API also has holds the same values, and the rest (the medians
    beside the council, the actions) are described in the data dictionary too."""
    me = council(con, code, year) or {}
    name = str(me.get("display_name", code))
    profile = standard_profile(con, code, year)
    questions = question_answers(con, code, year)
    gap_rows = gaps_from_profile(con, profile, year)
    row = con.execute("SELECT strftime(council_set_on, '%Y-%m-%d') FROM survey_rounds WHERE year = ?",
                      [year]).fetchone()
    ident = {"round_year": int(year), "council_set": row[0] if row else None,
             "authority_code": code, "authority_name": name}

    def with_ident(n: int, columns: dict[str, Any]) -> pd.DataFrame:
        return pd.DataFrame({**{k: [v] * n for k, v in ident.items()}, **columns})

    overall_sheet = overall_frame(headline(con, code, year), ident)
    standards_sheet = with_ident(len(profile), {
        "standard": profile["standard"].astype("int64"),
        "standard_name": profile["short_name"],
        "evidence": profile["evidence"].astype(bool),
        "score": _whole(profile["score"]),
        "band": profile["band"],
        "band_label": profile["band_label"],
        "score_unrounded": profile["score_unrounded"].astype("float64").round(9),  # as the open data
        "score_low": _whole(profile["score_low"]),
        "score_high": _whole(profile["score_high"]),
        "answered": profile["answered"],
        "unknown": profile["unknown"],
        "missing": profile["missing"],
        "england_median": _whole(profile["england_median"]),
        "region_median": _whole(profile["region_median"]),
        "type_median": _whole(profile["type_median"]),
        "difference_from_england": _whole(profile["diff_england"]),
    })
    questions_sheet = with_ident(len(questions), {
        "standard": questions["standard"],
        "question_id": questions["question_id"],
        "topic": questions["topic"],
        "wording": questions["wording"],
        "answer": questions["answer"],
        "answer_label": questions["answer_text"],
        "providers": questions["providers"],
        "providers_label": questions["providers_shown"],
        "scored": questions["scored"],
        "weight": questions["weight"],
        "england_share_available": questions["england_share_top"].astype("float64").round(3),
    })
    gaps_sheet = with_ident(len(gap_rows), {
        "standard": gap_rows["standard"].astype("int64"),
        "standard_name": gap_rows["short_name"],
        "score": _whole(gap_rows["score"]),
        "band": gap_rows["band"],
        "band_label": gap_rows["band_label"],
        "questions_behind_gap": [
            "; ".join(f"{t} ({a})" for t, a in gap_questions(questions, int(n))[["topic", "answer_text"]].itertuples(index=False))
            for n in gap_rows["standard"]
        ],
        "actions": [" | ".join(a) for a in gap_rows["actions"]],
    })
    return {"overall": overall_sheet, "standards": standards_sheet, "questions": questions_sheet,
            "gaps": gaps_sheet}


def overall_frame(head: Headline | None, ident: dict[str, Any]) -> pd.DataFrame:
    """The 'overall' sheet: one row with the headline's score, band and ranks as numbers.

    A rank is empty when the council is not ranked; every figure is empty (band_label "No
    response") when it did not respond. The score is the whole number the scorecard shows.
    """
    o: dict[str, Any] = head.overall if head is not None else {}
    ranked = bool(o.get("ranked"))

    def rank(key: str) -> int | None:
        return int(o[key]) if ranked and not is_missing(o.get(key)) else None

    def count(key: str) -> int | None:
        return None if head is None or is_missing(o.get(key)) else int(o[key])

    unrounded = o.get("score_unrounded")
    band = o.get("band")
    return pd.DataFrame({
        **{k: [v] for k, v in ident.items()},
        "level": ["overall"],
        "score": pd.array([shown_int(o.get("score"))], dtype="Int64"),
        "band": [None if band is None or is_missing(band) else str(band)],
        "band_label": [head.band_label if head is not None else "No response"],
        "score_unrounded": pd.array([None if unrounded is None or is_missing(unrounded) else round(float(unrounded), 9)],
                                    dtype="Float64"),
        "score_low": pd.array([shown_int(o.get("score_low"))], dtype="Int64"),
        "score_high": pd.array([shown_int(o.get("score_high"))], dtype="Int64"),
        "ranked": [ranked],
        "rank": pd.array([rank("rank")], dtype="Int64"),
        "n_ranked": pd.array([count("n_ranked")], dtype="Int64"),
        "region_rank": pd.array([rank("region_rank")], dtype="Int64"),
        "region_n_ranked": pd.array([count("region_n_ranked")], dtype="Int64"),
        "rank_best": pd.array([rank("rank_best")], dtype="Int64"),
        "rank_worst": pd.array([rank("rank_worst")], dtype="Int64"),
        "standards_evidenced": pd.array([count("standards_evidenced")], dtype="Int64"),
        "standards_total": pd.array([None if head is None else int(head.standards_total)], dtype="Int64"),
    })


def _whole(values: pd.Series) -> pd.Series:
    """Scores, medians and differences as the whole numbers every page shows (half up)."""
    return pd.Series([shown_int(v) for v in values], dtype="Int64", index=values.index)


def answers_csv(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool) -> bytes:
    """The "questions" sheet of export_frames as the CSV people download (labelled if demo)."""
    return exports.to_csv_bytes(exports.label_demo(export_frames(con, code, year)["questions"], is_demo))


def data_xlsx(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool) -> bytes:
    """Every sheet of export_frames as the workbook people download (labelled if demo)."""
    frames = {k: exports.label_demo(v, is_demo) for k, v in export_frames(con, code, year).items()}
    return exports.to_xlsx_bytes(frames)


def file_stem(display_name: str, year: int) -> str:
    """'scorecard-north-yorkshire-2015' for download file names."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(display_name).lower()).strip("-") or "council"
    return f"scorecard-{slug}-{year}"
