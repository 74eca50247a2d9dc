"""The collection database's tables, as SQLAlchemy Core objects: one description for SQLite and
PostgreSQL. The migrations in lib/collection/migrations create them; a test checks that the
migrations and this file describe the same schema.

Lists (a round's question ids, the providers given with an answer) are JSON arrays, which both
engines store.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

ROUND_STATUSES = ("collecting", "closed", "published", "archived")
INVITATION_STATUSES = ("invited", "revoked")


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name)


# Facts about the database itself, e.g. which older collection file was moved into it.
meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

rounds = sa.Table(
    "rounds", metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("council_set_on", sa.Date, nullable=False),
    sa.Column("closes_on", sa.Date),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("questions", sa.JSON, nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("opened_by", sa.String(200), nullable=False),
    sa.Column("published_at", sa.DateTime),
    sa.Column("provisional", sa.Boolean, nullable=False),
    _one_of("status", ROUND_STATUSES, "rounds_status"),
)

# One row per council and round. Reissuing a link replaces token_hash (the sha256 hex of the
# token; the token itself is never stored) and counts up `issue`; the draft stays.
invitations = sa.Table(
    "invitations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, sa.ForeignKey("rounds.year", name="invitations_round"), nullable=False),
    sa.Column("council_code", sa.String(20), nullable=False),
    sa.Column("council_name", sa.String(200), nullable=False),
    sa.Column("contact_name", sa.String(200)),
    sa.Column("contact_email", sa.String(254)),
    sa.Column("token_hash", sa.String(64), unique=True),
    sa.Column("issue", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("issued_at", sa.DateTime, nullable=False),
    sa.Column("opened_at", sa.DateTime),
    sa.UniqueConstraint("year", "council_code", name="invitations_one_per_council"),
    _one_of("status", INVITATION_STATUSES, "invitations_status"),
)

drafts = sa.Table(
    "drafts", metadata,
    sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id", name="drafts_invitation"),
              primary_key=True, autoincrement=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("submitted_at", sa.DateTime),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("reference", sa.String(60)),
    sa.Column("revised", sa.Boolean, nullable=False),
    sa.Column("saved_at", sa.DateTime),
)

draft_answers = sa.Table(
    "draft_answers", metadata,
    sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id", name="draft_answers_invitation"),
              primary_key=True, autoincrement=False),
    sa.Column("question_id", sa.String(100), primary_key=True),
    sa.Column("answer", sa.String(100)),
    sa.Column("providers", sa.JSON, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("prefilled", sa.Boolean, nullable=False),
    sa.Column("saved_at", sa.DateTime),
)

# A copy of the answers as submitted, per revision: publication takes the latest of these, never
# edits made since.
submitted_answers = sa.Table(
    "submitted_answers", metadata,
    sa.Column("invitation_id", sa.Integer, sa.ForeignKey("invitations.id", name="submitted_answers_invitation"),
              primary_key=True, autoincrement=False),
    sa.Column("revision", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("question_id", sa.String(100), primary_key=True),
    sa.Column("answer", sa.String(100), nullable=False),
    sa.Column("providers", sa.JSON, nullable=False),
    sa.Column("comment", sa.Text),
)

# What happened, for the tracker and the audit: never a token or its hash.
events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("invitation_id", sa.Integer),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("logged_at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("events_by_invitation", "invitation_id", "logged_at"),
)

# Failed attempts (a link that does not open a questionnaire), kept here rather than in one
# process's memory so that every server process behind a load balancer counts the same ones.
# `client` is what the web layer knows of the sender (its address); rows older than the
# throttle's window are deleted as new ones arrive.
failures = sa.Table(
    "failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("client", sa.String(200), nullable=False),
    sa.Column("failed_at", sa.Float, nullable=False),
    sa.Index("failures_by_client", "kind", "client", "failed_at"),
)

# Administrators' sign-ins that outlast one browser session (lib.collection.sign_ins). A `ticket`
# is handed to the page that just signed in and exchanged once, within seconds, for a `session`,
# whose token goes to the browser as an HttpOnly cookie. Only sha256 hashes of either are stored.
SIGN_IN_KINDS = ("ticket", "session")
sign_ins = sa.Table(
    "sign_ins", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("account", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    _one_of("kind", SIGN_IN_KINDS, "sign_ins_kind"),
)
