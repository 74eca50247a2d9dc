"""Creating and upgrading the collection database's schema with Alembic.

The migrations are in lib/collection/migrations/versions, one file per change of schema, each
with an upgrade. A process checks the database's revision the first time it opens it and
upgrades it to the newest in one transaction, holding a lock that makes other processes
starting at the same moment wait (SQLite: its write lock; PostgreSQL: an advisory lock). To add a
change: edit lib/collection/tables.py, then write the next file in versions/ by hand or with
`alembic -c lib/collection/migrations/alembic.ini revision --autogenerate -m "..."`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

FOLDER = Path(__file__).with_name("migrations")
#: Any fixed number: the PostgreSQL advisory lock migrating processes take turns on.
ADVISORY_LOCK = 7_215_001


def config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(FOLDER))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None, "lib/collection/migrations/versions holds no migration"
    return found


def current(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(conn: sa.Connection) -> None:
    """Bring the database to the newest revision, on `conn`, in its write transaction (nothing to
    do when another process has done it meanwhile)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    if current(conn) != head():
        command.upgrade(config(conn), "head")
