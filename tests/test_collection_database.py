"""The collection database itself (lib.collection.database, migrate, legacy), on SQLite and on a
real PostgreSQL server: the migrations build the schema tables.py describes, a URL is chosen as
documented, and a collection kept by an earlier release in a DuckDB file moves across whole.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from lib import collection
from lib.cli.main import main as cli_main
from lib.collection import database, legacy, migrate, tables
from tests.fixtures import copy_db

YEAR = 2016
TOKEN = "legacy-token-for-tests-0123456789abcdefABCDEF_-"


@pytest.fixture()
def working(published_db, tmp_path, collection_url) -> Path:
    return copy_db(published_db, tmp_path, "work.duckdb", published=True)


def test_the_migrations_build_exactly_the_schema_tables_py_describes(working):
    db = database.for_working(working)
    db.ensure_schema()
    with db.engine.connect() as conn:
        assert migrate.current(conn) == migrate.head()
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata)
    assert differences == []


def test_a_difference_between_the_migrations_and_tables_py_is_found(working):
    """The check above can fail: a column the migrations never made is reported."""
    db = database.for_working(working)
    db.ensure_schema()
    changed = sa.MetaData()
    for table in tables.metadata.tables.values():
        table.to_metadata(changed)
    sa.Table("rounds", changed, sa.Column("note", sa.Text), extend_existing=True)
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), changed)
    assert [d[0] for d in differences] == ["add_column"] and differences[0][3].name == "note"


def test_the_url_comes_from_the_environment_then_secrets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    working = tmp_path / "w.duckdb"
    monkeypatch.delenv(database.URL_ENV, raising=False)
    assert database.url_for(working) == f"sqlite:///{tmp_path / 'w.collection.sqlite'}"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('PA_COLLECTION_URL = "postgresql+psycopg://a:pw@db/pa"\n')
    assert database.url_for(working) == "postgresql+psycopg://a:pw@db/pa"
    monkeypatch.setenv(database.URL_ENV, "postgresql+psycopg://b@other/pa")
    assert database.url_for(working) == "postgresql+psycopg://b@other/pa"
    monkeypatch.setenv(database.URL_ENV, "")  # set but empty: the file, whatever the secrets say
    assert database.url_for(working).startswith("sqlite:///")
    assert database.shown("postgresql+psycopg://a:secret@db/pa") == "postgresql+psycopg://a:***@db/pa"


def test_an_unusable_url_is_refused_with_what_to_set(monkeypatch, tmp_path):
    monkeypatch.setenv(database.URL_ENV, "not a url")
    with pytest.raises(collection.CollectionError, match="is not a database URL"):
        collection.list_rounds(tmp_path / "w.duckdb")
    monkeypatch.setenv(database.URL_ENV, "mysql://u@h/db")
    with pytest.raises(collection.CollectionError, match="SQLite .* or PostgreSQL"):
        collection.list_rounds(tmp_path / "w.duckdb")


# --------------------------------------------------------------------------------------------
# Moving an earlier release's DuckDB collection file
# --------------------------------------------------------------------------------------------

def make_legacy_file(path: Path, codes: list[str]) -> None:
    """An earlier release's collection file: a 2016 round collecting, the first council invited
    (link TOKEN) with a submitted draft, the second's link revoked, and their events."""
    con = duckdb.connect(str(path))
    try:
        con.execute(legacy.LEGACY_SCHEMA)
        opened = datetime(2016, 5, 3, 9, 30)
        con.execute("INSERT INTO rounds VALUES (?, ?, NULL, 'collecting', ?, ?, 'A. Admin', NULL, FALSE)",
                    [YEAR, date(2016, 4, 1), ["emp_payroll", "emp_dbs"], opened])
        con.execute("INSERT INTO invitations VALUES (1, ?, ?, 'First council', 'Ann Lee', 'ann@example.org', ?, 1, "
                    "'invited', ?, ?)", [YEAR, codes[0], hashlib.sha256(TOKEN.encode()).hexdigest(), opened, opened])
        con.execute("INSERT INTO invitations VALUES (7, ?, ?, 'Second council', NULL, NULL, NULL, 2, 'revoked', ?, "
                    "NULL)", [YEAR, codes[1], opened])
        con.execute("INSERT INTO drafts VALUES (1, ?, ?, 1, '2016-X-1-ABC', FALSE, ?)", [opened, opened, opened])
        con.execute("INSERT INTO draft_answers VALUES (1, 'emp_payroll', 'available', ['la', 'ulo'], 'Ours; since 2014',"
                    " 2, FALSE, ?), (1, 'emp_dbs', 'dont_know', [], NULL, 1, FALSE, ?)", [opened, opened])
        con.execute("INSERT INTO submitted_answers VALUES (1, 1, 'emp_payroll', 'available', ['la', 'ulo'], "
                    "'Ours; since 2014'), (1, 1, 'emp_dbs', 'dont_know', [], NULL)")
        con.execute("INSERT INTO events VALUES (1, ?, NULL, 'round opened', ?, 'A. Admin', 'opened'), "
                    "(5, ?, 1, 'submitted', ?, 'respondent', 'Submitted revision 1')", [YEAR, opened, YEAR, opened])
    finally:
        con.close()


def test_a_legacy_file_is_refused_until_moved_then_moves_whole(working, capsys):
    codes = ["E06000001", "E06000002"]
    old = database.legacy_path(working)
    make_legacy_file(old, codes)
    with pytest.raises(collection.CollectionError, match="collection migrate --from"):
        collection.list_rounds(working)
    assert cli_main(["--db", str(working), "collection", "migrate", "--from", str(old), "--by", "tester"]) == 0
    said = capsys.readouterr().out
    assert "Moved 1 rounds, 2 invitations, 1 drafts, 2 draft answers, 2 submitted answers, 2 events" in said
    assert "left as it was" in said and old.is_file()
    # The same round, the same link, the same answers as before the move.
    (r,) = collection.list_rounds(working)
    assert (r.year, r.status, r.questions, r.opened_at) == (YEAR, "collecting", ("emp_payroll", "emp_dbs"),
                                                           datetime(2016, 5, 3, 9, 30))
    session = collection.resolve(working, TOKEN, client="test")
    assert (session.invitation_id, session.council_code, session.issue) == (1, codes[0], 1)
    draft = collection.load_draft(working, session)
    payroll = draft.answers["emp_payroll"]
    assert (payroll.answer, payroll.providers, payroll.comment, payroll.version) == (
        "available", ("la", "ulo"), "Ours; since 2014", 2)
    assert (draft.revision, draft.reference) == (1, "2016-X-1-ABC")
    data, councils = collection.answer_file(working, YEAR)
    assert councils == 1 and b"la;ulo" in data
    # New ids follow the copied ones (PostgreSQL's sequences are moved on).
    fresh = collection.invite(working, YEAR, "E06000003")
    assert fresh.id == 8
    # A second move is refused: the database holds rounds now.
    with pytest.raises(collection.CollectionError, match="already holds rounds 2016"):
        legacy.migrate_from(working, old)


def test_a_file_that_is_not_a_collection_moves_nothing(working, tmp_path):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.close()
    with pytest.raises(collection.CollectionError, match="has no rounds, invitations.*Nothing was moved"):
        legacy.migrate_from(working, other)
    with pytest.raises(collection.CollectionError, match="does not exist"):
        legacy.migrate_from(working, tmp_path / "missing.duckdb")
    assert collection.list_rounds(working) == []
