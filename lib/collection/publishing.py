"""Publishing a collected round: the submitted answers go through the import path into the
working database, then a new version is published."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from lib import ingest
from lib.collection import store, tables
from lib.collection.errors import CollectionBusy, CollectionError
from lib.collection.rounds import need_round
from lib.reference import schema
from lib.store import db, publish


def answer_file(working: Path, year: int) -> tuple[bytes, int]:
    """A long-format CSV (council, question, answer, providers, comment, round) of every submitted
    council's latest submission (edits not submitted again are left out), and how many councils."""
    s, d, i = tables.submitted_answers, tables.drafts, tables.invitations
    with store.reading(working) as con:
        found = need_round(con, year)
        query = (sa.select(i.c.council_code, s.c.question_id, s.c.answer, s.c.providers, s.c.comment)
                 .select_from(s.join(d, sa.and_(d.c.invitation_id == s.c.invitation_id, d.c.revision == s.c.revision))
                              .join(i, i.c.id == s.c.invitation_id))
                 .where(i.c.year == year, s.c.question_id.in_(list(found.questions)))
                 .order_by(i.c.council_code, s.c.question_id))
        rows = [tuple(r) for r in con.execute(query).fetchall()]
    df = pd.DataFrame(rows, columns=["council", "question", "answer", "providers", "comment"])
    df["providers"] = df["providers"].map(lambda p: ";".join(p or []))
    df["comment"] = df["comment"].fillna("")
    df["round"] = str(year)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8"), int(df["council"].nunique())


def publish_round(working: Path, year: int, *, provisional: bool = False, by: str = "unknown") -> str:
    """Publish the submitted answers as the round's responses and publish a new version.

    A final publication needs the round closed; a provisional one may be made while collecting
    (and repeated; a final one follows). The answers are checked and written by
    lib.ingest.import_file (the same rules and messages as an imported file; a refusal is raised
    as CollectionError with the import's report), which audits the import in the working
    database; the publication is recorded in the collection database too.
    """
    who = store.who(by)
    with store.reading(working) as con:
        found = need_round(con, year)
    if found.status in ("published", "archived"):
        raise CollectionError(f"the {year} round is already published as final")
    if not provisional and found.status != "closed":
        raise CollectionError(f"close the {year} round before publishing it as final (`collection close`), or "
                              "publish it as provisional")
    data, councils = answer_file(working, year)
    if councils == 0:
        raise CollectionError(f"no council has submitted answers in the {year} round yet; nothing was published")
    kind = "provisional" if provisional else "final"
    name = f"collection-{year}-{kind}.csv"
    try:
        database = schema.store(working)
        with database.writer() as wcon:
            state = ingest.round_state(wcon, year)
            try:
                result = ingest.import_file(wcon, data, name, year, replace=state.exists, by=who,
                                            council_set_on=found.council_set_on)
            except ingest.ImportRefused as exc:
                text = "\n".join(exc.report.lines()) if exc.report is not None and not exc.report.ok else str(exc)
                raise CollectionError(f"the collected answers were not published: {text}") from None
            snap = database.publish(wcon, f"{kind} publication of the collected {year} round", who)
    except publish.DatabaseBusy as exc:
        raise CollectionBusy(str(exc)) from None
    except (publish.PublishError, db.SchemaError) as exc:
        raise CollectionError(str(exc)) from None
    message = (f"Published the {year} round ({kind}): {councils} councils' submitted answers. {result.message} "
               f"Published as version {snap.version}.")
    r = tables.rounds
    with store.transaction(working) as con:
        if provisional:
            con.execute(r.update().where(r.c.year == year).values(published_at=store.now(), provisional=True))
        else:
            con.execute(r.update().where(r.c.year == year).values(published_at=store.now(), provisional=False,
                                                                  status="published"))
        store.event(con, year, None, f"published {kind}", message, who)
    return message
