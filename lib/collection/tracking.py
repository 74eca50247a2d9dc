"""The response tracker: where every council of a round has got to, and response rates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.base import exports
from lib.collection import store
from lib.collection.rounds import need_round

TRACKER_CSV_COLUMNS = ["council_code", "council_name", "status", "answered", "questions", "last_activity"]
SUBMITTED = ("submitted", "revised")


def _status(row: pd.Series) -> str:
    # A submission counts whatever happened to the link afterwards (revoking a leaked link keeps
    # the answers, and publishing takes them), so the tracker and the published round agree.
    if pd.notna(row["submitted_at"]):
        return "revised" if bool(row["revised"]) else "submitted"
    if pd.isna(row["inv_status"]):
        return "not invited"
    if row["inv_status"] == "revoked":
        return "link revoked"
    if pd.notna(row["saved_at"]):
        return "in progress"
    if pd.notna(row["opened_at"]):
        return "opened"
    return "invited"


def _frame(working: Path, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ref = store.reference(working)
    with store.transaction(working) as con:
        found = need_round(con, year)
        # Required (scored) questions only, as the respondent's progress bar counts them.
        scored = set(ref.questions.loc[ref.questions["scored"].astype(bool), "id"].astype(str))
        ids = [q for q in found.questions if q in scored]
        state = con.execute(
            """
            SELECT i.id, i.council_code, i.status AS inv_status, i.opened_at, i.contact_name, i.contact_email,
                   d.submitted_at, d.revised, d.saved_at,
                   (SELECT count(*) FROM draft_answers a WHERE a.invitation_id = i.id AND a.answer IS NOT NULL
                        AND NOT a.prefilled AND list_contains(?, a.question_id)) AS answered,
                   (SELECT max(e.logged_at) FROM events e WHERE e.invitation_id = i.id) AS last_activity
            FROM invitations i LEFT JOIN drafts d ON d.invitation_id = i.id
            WHERE i.year = ?
            """, [ids, year]).df()
    councils = store.members(ref, found.council_set_on)
    out = pd.DataFrame({
        "council_code": councils["code"].astype(str), "council_name": councils["display_name"].astype(str),
        "region_name": councils["region_name"].astype(str), "council_type": councils["type"].astype(str),
    })
    merged = out.merge(state, how="left", left_on="council_code", right_on="council_code")
    merged["status"] = merged.apply(_status, axis=1) if len(merged) else pd.Series(dtype=str)
    merged["answered"] = merged["answered"].fillna(0).astype(int)
    merged["questions"] = len(ids)
    return merged, councils


def tracker(working: Path, year: int) -> pd.DataFrame:
    """One row per council of the round's set, by name: council_code, council_name, region_name,
    council_type, status ('not invited', 'link revoked', 'invited', 'opened', 'in progress',
    'submitted', 'revised' = saved again after submitting; a submission stays counted if its link
    is revoked later), answered (required questions answered or confirmed, of `questions`, the
    round's required ones, as the respondent's progress bar counts them) and last_activity (the
    latest event of its invitation)."""
    merged, _ = _frame(working, year)
    return merged[["council_code", "council_name", "region_name", "council_type", "status", "answered",
                   "questions", "last_activity"]].reset_index(drop=True)


def response_rates(tracker: pd.DataFrame) -> pd.DataFrame:
    """scope ('england', 'region', 'type'), name, councils, submitted, rate (0 to 1)."""
    done = tracker["status"].isin(SUBMITTED)
    rows = [{"scope": "england", "name": "England", "councils": len(tracker), "submitted": int(done.sum())}]
    for scope, column in (("region", "region_name"), ("type", "council_type")):
        for name, group in tracker.groupby(column, sort=True):
            rows.append({"scope": scope, "name": str(name), "councils": len(group),
                         "submitted": int(group["status"].isin(SUBMITTED).sum())})
    out = pd.DataFrame(rows, columns=["scope", "name", "councils", "submitted"])
    out["rate"] = [s / c if c else 0.0 for s, c in zip(out["submitted"], out["councils"], strict=True)]
    return out


def _csv(df: pd.DataFrame) -> bytes:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M:%S"))
    return exports.neutralise_formulas(out).to_csv(index=False, lineterminator="\n").encode("utf-8")


def tracker_csv(tracker: pd.DataFrame) -> bytes:
    """council_code,council_name,status,answered,questions,last_activity (UTF-8, no BOM)."""
    return _csv(tracker[TRACKER_CSV_COLUMNS])


def chase_list_csv(working: Path, year: int) -> bytes:
    """Councils that have not submitted, with their contact (administrators only)."""
    merged, _ = _frame(working, year)
    todo = merged[~merged["status"].isin(SUBMITTED)]
    return _csv(todo[["council_code", "council_name", "region_name", "status", "answered", "questions",
                      "contact_name", "contact_email", "last_activity"]])
