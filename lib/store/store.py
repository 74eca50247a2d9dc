"""One object per front end that owns a working database and its published versions.

The dashboard, the API and the command line each hold one Store (made by
lib.reference.schema.store) and ask it for every connection, as datasette's views ask its
`Database` objects: nothing else opens a database file. The Store knows the definitions a file
is checked against (the scoring views, the migrations) and how to build a missing working
database, so the layers below it need neither.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from lib.store import db, publish, versions
from lib.store.versions import Version


class Store:
    """A working database (written by one process at a time) and its published versions (read by
    every process, read-only)."""

    def __init__(self, working: Path, definitions: db.Definitions,
                 build: Callable[[Path], object] | None = None) -> None:
        self.working = Path(working)
        self.definitions = definitions
        self._build = build

    def __repr__(self) -> str:
        return f"Store({str(self.working)!r})"

    @property
    def folder(self) -> Path:
        """The published versions' folder."""
        return versions.folder_for(self.working)

    def connect(self, path: Path | str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        """Open a database file (a published version, or the working database) checked against
        this code's definitions; a writable one is brought up to date."""
        return db.connect(path, read_only=read_only, definitions=self.definitions)

    # Published versions ------------------------------------------------------------------

    def current(self) -> Version | None:
        """The published version the CURRENT pointer names (None before the first publication)."""
        return versions.current(self.working)

    def usable(self, version: Version | None) -> bool:
        """Whether a version can be read by this code as it is (file there, same schema and views)."""
        return version is not None and version.usable(self.definitions)

    def versions(self) -> list[Version]:
        """Every published version kept, oldest first."""
        return versions.versions(self.working)

    def ensure_published(self, opener: Callable[[Path], duckdb.DuckDBPyConnection] | None = None
                         ) -> Version:
        """The current version, publishing one first when there is none usable."""
        return publish.ensure_published(self.working, self.definitions, self._build, opener)

    def open_current(self) -> tuple[Version, duckdb.DuckDBPyConnection]:
        """The current version (published first if need be) and a read-only connection to it."""
        version = self.ensure_published()
        return version, self.connect(version.path, read_only=True)

    # The working database ----------------------------------------------------------------

    def open_writer(self, retries: int | None = None, pause: float | None = None) -> duckdb.DuckDBPyConnection:
        """The working database opened for writing, waiting briefly for another writer."""
        return publish.open_writer(self.working, self.definitions, retries, pause)

    @contextlib.contextmanager
    def writer(self, opener: Callable[[Path], duckdb.DuckDBPyConnection] | None = None
               ) -> Iterator[duckdb.DuckDBPyConnection]:
        """The working database, open for writing for the length of a block (built if missing)."""
        with publish.writer(self.working, self.definitions, self._build, opener) as con:
            yield con

    def publish(self, con: duckdb.DuckDBPyConnection, reason: str, by: str = "unknown",
                keep: int = publish.KEEP) -> Version:
        """Publish what the writer `con` holds as the new current version."""
        return publish.publish(con, self.working, reason, by, keep, definitions=self.definitions)

    def rollback(self, con: duckdb.DuckDBPyConnection, version: int | None, by: str
                 ) -> tuple[Version, Version]:
        """Publish an earlier version's data again: (the version restored, the new version)."""
        return publish.rollback(con, self.working, version, by, self.definitions)
