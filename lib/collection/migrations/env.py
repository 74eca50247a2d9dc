"""Alembic's environment for the collection database: migrations run on the connection that
lib.collection.migrate hands over (inside its transaction), or, from the `alembic` command, on
$PA_COLLECTION_URL."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from lib.collection import tables

connection = context.config.attributes.get("connection")


def _run(conn: sa.Connection) -> None:
    # render_as_batch: SQLite alters a table by copying it, which Alembic's batch mode does.
    context.configure(connection=conn, target_metadata=tables.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # the `alembic` command line, for writing a new migration
    url = os.environ.get("PA_COLLECTION_URL") or "sqlite:///data/pa_benchmark.collection.sqlite"
    with sa.create_engine(url).begin() as conn:
        _run(conn)
