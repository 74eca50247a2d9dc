"""Published versions (lib.store.publish) and the CLI's publish, versions and rollback commands.

Every check compares a hash of every table (tests.test_ingest.db_checksum) before and after,
of the working database and of the published files.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from lib.reference import schema
from lib.scoring import views as scoring
from lib.store import db, publish, upkeep, versions
from lib.store.errors import StorageError
from tests.fixtures import copy_db, copy_imported, import_new_round
from tests.fixtures import run_cli as run
from tests.test_ingest import NEW_YEAR, db_checksum, write_answers_csv


def file_hash(path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return db_checksum(con)
    finally:
        con.close()


def data_hash(path) -> str:
    """A hash of every base table the app keeps (db.TABLES), leaving out what publishing adds to a
    copy: the tables holding the scoring views' rows, and the meta row that lists them."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = []
        for table in db.TABLES:
            rows = con.execute(f"SELECT CAST(t AS VARCHAR) AS r FROM {table} t ORDER BY r").fetchall()  # noqa: S608
            parts.append((table, [r for (r,) in rows if publish.MATERIALISED_KEY not in r]))
        return repr(parts)
    finally:
        con.close()


def tables_hash(path, skip: tuple[str, ...]) -> str:
    """Like data_hash, without some tables (the audit log is never rolled back)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = []
        for table in db.TABLES:
            if table not in skip:
                parts.append((table, con.execute(
                    f"SELECT CAST(t AS VARCHAR) AS r FROM {table} t ORDER BY r").fetchall()))  # noqa: S608
        return repr(parts)
    finally:
        con.close()


@pytest.fixture()
def working(repo_db_path, tmp_path):
    return copy_db(repo_db_path, tmp_path)


def test_first_publication_copies_the_working_database_exactly(working):
    assert versions.current(working) is None
    snap = schema.store(working).ensure_published()
    assert snap.version == 1 and snap.reason == "first publication of this database"
    assert snap.path.parent == working.parent / "copy.published"
    assert json.loads((snap.path.parent / "CURRENT").read_text()) == {"file": snap.path.name, "version": 1}
    assert data_hash(snap.path) == data_hash(working)
    # 2012-2015 demo rounds: 54, 64, 75 and 95 responding councils (lib.demo.generator's calibration).
    assert snap.rounds == ((2012, 54, True), (2013, 64, True), (2014, 75, True), (2015, 95, True))
    assert schema.store(working).ensure_published() == snap  # nothing new while it is usable


def test_a_published_file_is_never_changed_by_later_writes(published_copy, tmp_path):
    first = schema.store(published_copy).ensure_published()
    before = file_hash(first.path)
    path, _ = write_answers_csv(published_copy, tmp_path, 4)
    code, out, err = run("--db", str(published_copy), "import", str(path), "--round", str(NEW_YEAR))
    assert code == 0, err
    assert "Published as version 2" in out
    second = versions.current(published_copy)
    assert second is not None and second.version == 2 and second.reason == f"import of answers.csv into the {NEW_YEAR} round"
    assert file_hash(first.path) == before
    assert data_hash(second.path) == data_hash(published_copy) != data_hash(first.path)
    assert (NEW_YEAR, 4, False) in second.rounds


def test_current_costs_a_stat_while_the_pointer_is_unchanged(published_copy, monkeypatch):
    snap = schema.store(published_copy).ensure_published()
    calls = []
    real = versions.load_version
    monkeypatch.setattr(versions, "load_version", lambda p: calls.append(p) or real(p))
    versions._pointer_cache.clear()
    assert versions.current(published_copy) == snap and len(calls) == 1
    assert versions.current(published_copy) == snap and versions.current(published_copy) == snap
    assert len(calls) == 1  # parsed once; a stat tells it is unchanged since
    with schema.store(published_copy).writer() as con:
        new = schema.store(published_copy).publish(con, "test", "me")
    assert versions.current(published_copy) == new  # a new pointer file: read again


def test_a_failed_copy_leaves_the_published_version_and_no_partial_file(published_copy, monkeypatch):
    snap = schema.store(published_copy).ensure_published()
    files = sorted(p.name for p in snap.path.parent.iterdir())

    def full_disk(con, target):
        raise StorageError("The copy could not be written: the disk is full (no space left on the device).")

    monkeypatch.setattr(upkeep, "copy_database", full_disk)
    with schema.store(published_copy).writer() as con, pytest.raises(publish.PublishError) as info:
        schema.store(published_copy).publish(con, "test", "me")
    assert str(info.value) == ("the new version could not be published: The copy could not be written: the disk is "
                               "full (no space left on the device).")
    assert versions.current(published_copy) == snap
    assert sorted(p.name for p in snap.path.parent.iterdir()) == files


def test_a_failed_pointer_swap_removes_the_new_file(published_copy, monkeypatch):
    snap = schema.store(published_copy).ensure_published()
    files = sorted(p.name for p in snap.path.parent.iterdir())
    real = publish._write_atomically

    def fail_on_pointer(target, text):
        if target.name == versions.POINTER:
            raise OSError(28, "No space left on device")
        real(target, text)

    monkeypatch.setattr(publish, "_write_atomically", fail_on_pointer)
    with schema.store(published_copy).writer() as con, pytest.raises(publish.PublishError) as info:
        schema.store(published_copy).publish(con, "test", "me")
    assert "could not be published" in str(info.value) and "still shows the previous version" in str(info.value)
    assert versions.current(published_copy) == snap
    assert sorted(p.name for p in snap.path.parent.iterdir()) == files


def test_old_versions_beyond_the_limit_are_removed_never_the_current(published_copy, monkeypatch):
    # Pruning is what is checked here, not what a version holds: the views are left unmaterialised.
    monkeypatch.setattr(publish, "materialise", lambda path: [])
    schema.store(published_copy).ensure_published()
    with schema.store(published_copy).writer() as con:
        for n in range(4):
            schema.store(published_copy).publish(con, f"change {n}", "me", keep=3)
    assert [s.version for s in versions.versions(published_copy)] == [3, 4, 5]
    # Point CURRENT back at version 3, then publish with keep=1: 3 stays because it is current... until
    # the pointer moves on, which publishing does, so only the newest is left.
    with schema.store(published_copy).writer() as con:
        schema.store(published_copy).publish(con, "another", "me", keep=1)
    assert [s.version for s in versions.versions(published_copy)] == [6]
    assert sorted(p.name for p in (published_copy.parent / "copy.published").iterdir()) == [
        "CURRENT", versions.current(published_copy).path.name, versions.current(published_copy).path.with_suffix(".json").name]


def test_a_stale_version_is_republished_for_this_code(published_copy):
    snap = schema.store(published_copy).ensure_published()
    manifest = snap.path.with_suffix(".json")
    raw = json.loads(manifest.read_text())
    raw["views_hash"] = "0" * 64  # as if published by an older version of the scoring views
    manifest.write_text(json.dumps(raw))
    versions._pointer_cache.clear()
    assert not schema.store(published_copy).usable(versions.current(published_copy))
    new = schema.store(published_copy).ensure_published()
    assert new.version == 2 and schema.store(published_copy).usable(new)
    assert new.reason == "republished for this version of the app (schema or scoring views updated)"


def test_a_missing_version_file_is_republished(published_copy):
    snap = schema.store(published_copy).ensure_published()
    snap.path.unlink()
    new = schema.store(published_copy).ensure_published()
    assert new.version == 2 and new.reason == "republished: version 1's file is missing"
    assert data_hash(new.path) == data_hash(published_copy)


# ---- rollback -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def imported_template(published_db, tmp_path_factory):
    """Version 1: the demo; version 2: a real 2016 round of four councils imported on top.
    Built once for the module; each test gets its own copy (`imported`)."""
    folder = tmp_path_factory.mktemp("imported")
    return import_new_round(copy_db(published_db, folder, published=True), folder)


@pytest.fixture()
def imported(imported_template, tmp_path):
    return copy_imported(imported_template, tmp_path)


def test_rollback_restores_the_earlier_version_and_keeps_the_audit_log(imported):
    v1 = versions.find(imported, 1)
    v2 = versions.current(imported)
    v2_hash = file_hash(v2.path)
    code, out, err = run("--db", str(imported), "rollback", "--by", "Sam")
    assert code == 0, err
    assert "Published version 1 (first publication of this database; 2012 (54 councils, demo), 2013 (64 councils, " \
           "demo), 2014 (75 councils, demo), 2015 (95 councils, demo)) again as version 3. `rollback --to 2` " \
           "undoes this." in out
    v3 = versions.current(imported)
    assert v3.version == 3 and v3.reason == "rollback to version 1" and v3.by == "Sam"
    assert file_hash(v2.path) == v2_hash  # the rolled-back version is kept, unchanged
    # Every table but the audit log is version 1's again, in the working database and in version 3.
    assert tables_hash(imported, ("audit_log", "meta")) == tables_hash(v1.path, ("audit_log", "meta"))
    assert tables_hash(v3.path, ("audit_log", "meta")) == tables_hash(v1.path, ("audit_log", "meta"))
    con = duckdb.connect(str(v3.path), read_only=True)
    try:
        actions = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
        assert con.execute("SELECT count(*) FROM survey_rounds WHERE year = ?", [NEW_YEAR]).fetchone()[0] == 0
    finally:
        con.close()
    assert actions[-2:] == ["import", "rollback"]  # the import stays on record after it was rolled back
    # A copy of the working database as it was is kept as well.
    assert len(list(upkeep.backup_dir(imported).glob("*.duckdb"))) == 1


def test_a_rollback_can_be_undone(imported):
    v2 = versions.current(imported)
    assert run("--db", str(imported), "rollback")[0] == 0
    code, out, err = run("--db", str(imported), "rollback", "--to", "2")
    assert code == 0, err
    v4 = versions.current(imported)
    assert v4.version == 4 and v4.reason == "rollback to version 2"
    assert tables_hash(v4.path, ("audit_log", "meta")) == tables_hash(v2.path, ("audit_log", "meta"))
    code, out, _ = run("--db", str(imported), "rounds")
    assert f"{NEW_YEAR}: 4 of 152 councils responded (survey responses" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--to", "9"], "error: there is no published version 9 (versions kept: 1, 2)"),
    (["--to", "2"], "error: version 2 is already the published version; nothing was changed"),
])
def test_rollback_refuses_a_version_it_cannot_restore(imported, args, message):
    before, cur = file_hash(imported), versions.current(imported)
    code, out, err = run("--db", str(imported), "rollback", *args)
    assert code == 2 and out == "" and err.strip() == message
    assert file_hash(imported) == before and versions.current(imported) == cur


@pytest.mark.parametrize("value", ["two", "0", "-1", "²", "9" * 50])
def test_rollback_refuses_a_version_that_is_not_a_number(imported, value):
    before = file_hash(imported)
    code, out, err = run("--db", str(imported), "rollback", "--to", value)
    assert code == 2 and out == "" and "is not a version number: see `versions` for them" in err
    assert file_hash(imported) == before


def test_rollback_with_nothing_earlier_is_refused(published_copy):
    schema.store(published_copy).ensure_published()
    before = file_hash(published_copy)
    code, out, err = run("--db", str(published_copy), "rollback")
    assert code == 2 and out == ""
    assert err.strip() == "error: version 1 is the oldest version kept; there is none before it"
    assert file_hash(published_copy) == before


def test_versions_lists_the_versions_and_marks_the_current_one(imported):
    code, out, err = run("--db", str(imported), "versions")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Published versions of {imported} (in {imported.parent / 'copy.published'}), newest first:"
    assert lines[1].startswith("* 2: ") and f"import of answers.csv into the {NEW_YEAR} round, by Jo;" in lines[1]
    assert lines[2].startswith("  1: ") and "first publication of this database" in lines[2]
    assert lines[3].startswith("* the version the dashboard")


def test_versions_before_any_publication_says_so(working):
    code, out, _ = run("--db", str(working), "versions")
    assert code == 0 and out.startswith(f"Nothing has been published from {working} yet")
    assert versions.current(working) is None  # listing never publishes


def test_export_never_writes_into_the_published_folder(imported, tmp_path):
    target = versions.current(imported).path
    before = file_hash(target)
    code, out, err = run("--db", str(imported), "export", "standards", "--format", "csv", "--out", str(target))
    assert code == 2 and out == ""
    assert f"is in the published versions' folder {imported.parent / 'copy.published'}, whose files are never " \
           "written" in err
    assert file_hash(target) == before


def test_a_publication_that_fails_after_an_import_says_so_and_publish_finishes_it(published_copy, tmp_path, monkeypatch):
    first = schema.store(published_copy).ensure_published()
    path, _ = write_answers_csv(published_copy, tmp_path, 4)
    real = publish.publish

    def failing(*args, **kwargs):
        raise publish.PublishError("the new version could not be published: the disk is full (no space left on "
                                   "the device). The dashboard still shows the previous version.")

    monkeypatch.setattr(publish, "publish", failing)
    code, out, err = run("--db", str(published_copy), "import", str(path), "--round", str(NEW_YEAR))
    assert code == 2 and out == ""
    assert f"error: Imported the {NEW_YEAR} round: 4 councils, 188 answers (submission 1). But it is not" in err
    assert "But it is not published yet: the new version could not be published: the disk is full" in err
    assert "Run `uv run python -m lib.cli publish` when the problem is fixed." in err
    assert versions.current(published_copy) == first
    monkeypatch.setattr(publish, "publish", real)
    code, out, err = run("--db", str(published_copy), "publish", "--by", "Jo")
    assert code == 0, err
    assert versions.current(published_copy).version == 2
    assert (NEW_YEAR, 4, False) in versions.current(published_copy).rounds


def test_read_commands_show_the_published_version_not_unpublished_changes(imported):
    con = duckdb.connect(str(imported))
    con.execute("UPDATE survey_rounds SET label = 'changed outside the tool'")
    con.close()
    code, out, _ = run("--db", str(imported), "export", "survey_rounds", "--working", "--format", "csv",
                       "--out", str(imported.parent / "working.csv"))
    assert code == 0
    assert "changed outside the tool" in (imported.parent / "working.csv").read_text(encoding="utf-8-sig")
    code, out, _ = run("--db", str(imported), "export", "survey_rounds", "--format", "csv",
                       "--out", str(imported.parent / "published.csv"))
    assert code == 0
    assert "changed outside the tool" not in (imported.parent / "published.csv").read_text(encoding="utf-8-sig")


def _in_order(df, like):
    """Rows in one fixed order, by the text of every column that is not a float (some cells are
    lists), then by the floats rounded to 9 places; index reset."""
    exact = [c for c in like.columns if like[c].dtype.kind != "f"]
    key = df[exact].map(repr).agg("|".join, axis=1)
    for column in like.columns:
        if like[column].dtype.kind == "f":
            key = key + "|" + df[column].round(9).map(repr)
    return df.iloc[key.argsort(kind="stable").to_numpy()].reset_index(drop=True)


def test_a_published_version_holds_each_scoring_view_as_a_table_of_the_same_rows(imported):
    """Materialised at publication: the same rows, columns and types as the views' SQL gives."""
    snap = versions.current(imported)
    work = duckdb.connect(str(imported), read_only=True)
    pub = duckdb.connect(str(snap.path), read_only=True)
    try:
        views = db.view_names(work)
        assert len(views) == len(scoring.VIEW_NAMES) == 22 and db.view_names(pub) == []
        assert set(views) <= set(db.table_names(pub))
        for view in views:
            expected = work.execute(f'SELECT * FROM "{view}"').df()  # noqa: S608 - catalogue names
            got = pub.execute(f'SELECT * FROM "{view}"').df()  # noqa: S608
            assert len(expected) > 0, view
            # Exact for every text, integer and boolean column; a floating-point mean or share may
            # differ in its last bit (~1e-16) when DuckDB sums in another order, which the shown
            # numbers absorb (lib.base.rounding rounds to 9 places before rounding half up).
            pd.testing.assert_frame_equal(_in_order(got, expected), _in_order(expected, expected),
                                          check_exact=False, rtol=1e-12, atol=1e-12, obj=view)
        listed = pub.execute("SELECT value FROM meta WHERE key = ?", [publish.MATERIALISED_KEY]).fetchone()[0]
        assert listed.split(",") == views
    finally:
        work.close()
        pub.close()


# ---- the publication policy for councils' own answers (issue 13's published_detail) ------------

def test_detail_withhold_is_logged_published_and_shown_by_rounds(imported):
    before = data_hash(imported)
    code, out, err = run("--db", str(imported), "detail", "withhold", "--round", str(NEW_YEAR), "--by", "Sam")
    assert code == 0, err
    assert out.startswith(f"Councils' own answers in the {NEW_YEAR} round are now withheld in the open data and "
                          "the API; its scores stay published\nPublished as version 3")
    snap = versions.current(imported)
    assert snap.version == 3 and snap.reason == f"councils' answers in the {NEW_YEAR} round withheld"
    con = duckdb.connect(str(snap.path), read_only=True)
    try:
        assert con.execute("SELECT year FROM survey_rounds WHERE NOT published_detail").fetchall() == [(NEW_YEAR,)]
        assert con.execute("SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone() == (
            "Sam", "publication policy")
    finally:
        con.close()
    assert data_hash(imported) != before
    code, out, _ = run("--db", str(imported), "rounds")
    line = next(x for x in out.splitlines() if x.startswith(f"{NEW_YEAR}:"))
    assert "councils of 1 April 2016); councils' own answers withheld from the open data; imported from answers.csv" in line
    assert "withheld" not in next(x for x in out.splitlines() if x.startswith("2015:"))


def test_detail_that_changes_nothing_says_so_and_publishes_nothing(imported):
    before, cur = data_hash(imported), versions.current(imported)
    code, out, err = run("--db", str(imported), "detail", "open", "--round", str(NEW_YEAR))
    assert code == 0, err
    assert out.strip() == f"Councils' own answers in the {NEW_YEAR} round are already open; nothing was changed."
    assert data_hash(imported) == before and versions.current(imported) == cur


def test_detail_for_a_round_not_held_is_refused(imported):
    before, cur = data_hash(imported), versions.current(imported)
    code, out, err = run("--db", str(imported), "detail", "withhold", "--round", "2019")
    assert code == 2 and out == ""
    assert err.strip() == f"error: there is no survey round 2019 in the database (rounds: 2012, 2013, 2014, 2015, {NEW_YEAR})"
    assert data_hash(imported) == before and versions.current(imported) == cur


# ---- found in review: failures after a commit are said as such; no-ops publish nothing ---------

def test_importing_the_same_file_again_publishes_nothing(imported, tmp_path):
    cur = versions.current(imported)
    code, out, err = run("--db", str(imported), "import", str(tmp_path / "answers.csv"), "--round", str(NEW_YEAR))
    assert code == 0, err
    assert "Published" not in out and versions.current(imported) == cur
    assert [s.version for s in versions.versions(imported)] == [1, 2]


def test_a_folder_that_cannot_be_made_is_a_publish_error_not_a_traceback(working, monkeypatch):
    blocker = working.parent / "not-a-folder"
    blocker.write_text("a file where the published folder would go")
    monkeypatch.setattr(versions, "folder_for", lambda w: blocker / "copy.published")
    with schema.store(working).writer() as con, pytest.raises(publish.PublishError) as info:
        schema.store(working).publish(con, "test", "me")
    assert str(info.value).startswith(f"the new version could not be published in {blocker / 'copy.published'}: ")
    assert str(info.value).endswith("The dashboard still shows the previous version.")


def test_a_rollback_whose_publication_fails_says_the_working_database_changed(imported, monkeypatch):
    cur = versions.current(imported)

    def failing(*args, **kwargs):
        raise publish.PublishError("the new version could not be published: the disk is full.")

    monkeypatch.setattr(publish, "publish", failing)
    code, out, err = run("--db", str(imported), "rollback")
    assert code == 2 and out == ""
    assert ("error: the working database now holds version 1's data again, but it is not published yet: the new "
            "version could not be published: the disk is full. The dashboard still shows the previous version. "
            "Run `uv run python -m lib.cli publish` when the problem is fixed. The working database as it was is "
            "saved in ") in err
    assert versions.current(imported) == cur
    assert tables_hash(imported, ("audit_log", "meta")) == tables_hash(versions.find(imported, 1).path,
                                                                       ("audit_log", "meta"))


def test_leftovers_of_a_killed_publication_are_removed_once_old(working):
    import os
    import time

    snap = schema.store(working).ensure_published()
    folder = snap.path.parent
    staged = folder / ".v000002-20261201-120000.duckdb.staged-0123abcd"
    partial = folder / ".v000002-20261201-120000.duckdb.staged-0123abcd.partial-89ab"
    orphan = folder / "v000003-20261201-120000.duckdb"  # a copy that never got its manifest
    fresh = folder / ".v000004-20261201-120000.duckdb.staged-feedbeef"  # maybe still being written
    for path in (staged, partial, orphan, fresh):
        path.write_bytes(b"x" * 10)
    old = time.time() - publish.LEFTOVER_SECONDS - 60
    for path in (staged, partial, orphan):
        os.utime(path, (old, old))
    removed = publish.prune(working)
    assert sorted(removed) == sorted([staged, partial, orphan])
    assert fresh.exists() and snap.path.exists() and snap.path.with_suffix(".json").exists()
    assert versions.current(working) == snap
