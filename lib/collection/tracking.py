"""The response tracker: where every council of a round has got to, and response rates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from lib.base import exports
from lib.collection import store, tables
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


_STATE_COLUMNS = ["id", "council_code", "inv_status", "opened_at", "contact_name", "contact_email", "submitted_at",
                  "revised", "saved_at", "answered", "last_activity"]


def _state(con: sa.Connection, year: int, ids: list[str]) -> pd.DataFrame:
    """Per invitation of the round: its link's state, its draft's dates, how many of `ids` it has
    answered or confirmed, and its latest event."""
    i, d, a, e = tables.invitations, tables.drafts, tables.draft_answers, tables.events
    answered = (sa.select(sa.func.count()).select_from(a)
                .where(a.c.invitation_id == i.c.id, a.c.answer.is_not(None), sa.not_(a.c.prefilled),
                       a.c.question_id.in_(ids))
                .scalar_subquery())
    latest = sa.select(sa.func.max(e.c.logged_at)).where(e.c.invitation_id == i.c.id).scalar_subquery()
    query = (sa.select(i.c.id, i.c.council_code, i.c.status.label("inv_status"), i.c.opened_at, i.c.contact_name,
                       i.c.contact_email, d.c.submitted_at, d.c.revised, d.c.saved_at, answered.label("answered"),
                       sa.type_coerce(latest, sa.DateTime).label("last_activity"))
             .select_from(i.outerjoin(d, d.c.invitation_id == i.c.id))
             .where(i.c.year == year))
    rows = [tuple(r) for r in con.execute(query).fetchall()]
    out = pd.DataFrame(rows, columns=_STATE_COLUMNS)
    for column in ("opened_at", "submitted_at", "saved_at", "last_activity"):
        out[column] = pd.to_datetime(out[column])
    return out


def _frame(working: Path, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ref = store.reference(working)
    with store.reading(working) as con:
        found = need_round(con, year)
        # Required (scored) questions only, as the respondent's progress bar counts them.
        scored = set(ref.questions.loc[ref.questions["scored"].astype(bool), "id"].astype(str))
        ids = [q for q in found.questions if q in scored]
        state = _state(con, year, ids)
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
