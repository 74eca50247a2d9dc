"""The data a page reads: the published version pinned for each page run, the results cached per
version and shared by every session, and the working database for writes.

Every query and figure of a published version is a pure function of (version, arguments), so it
is computed once per server process: `per_version(module).name(...)`, `cached(function, ...)`
and `chart(function, ...)`. A version file is never rewritten, so nothing cached goes stale.
"""

from __future__ import annotations

import copy
import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lib.base.formatting import shorten
from lib.base.paths import default_db_path
from lib.reference import schema
from lib.store import db, publish, versions
from lib.store.errors import storage_problem
from lib.store.store import Store


class DatabaseUnavailable(Exception):
    """The published data cannot be opened; the message says why and what to do."""


def working_path() -> Path:
    """The working database every write goes to (data/pa_benchmark.duckdb or $PA_BENCHMARK_DB)."""
    return default_db_path()


def store() -> Store:
    """The Store of the working database: every connection the dashboard opens comes from it."""
    return schema.store(working_path())


@st.cache_resource(show_spinner=False, max_entries=4)
def version_connection(path: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published version file, shared by every session.

    A version file is never rewritten, so its connection never goes stale; when a newer
    version is published the next run opens that one, and this entry ages out.
    """
    return store().connect(path, read_only=True)


def resolve_version() -> versions.Version:
    """The current published version: one stat of its pointer file, publishing first on a fresh
    database (or after an update of the app changed the schema or the scoring views)."""
    working = store()
    snap = working.current()
    if snap is None or not working.usable(snap):
        snap = _publish_first(working)
    _forget_older_versions(snap.key)
    return snap


def _publish_first(working: Store) -> versions.Version:
    try:
        with st.spinner("Preparing the database (first run only)..."):
            return working.ensure_published()
    except publish.PublishError as exc:
        text = str(exc)
        raise DatabaseUnavailable(text[:1].upper() + text[1:]) from None
    except db.SchemaError as exc:
        raise DatabaseUnavailable(f"The database {working.working} cannot be used: {exc}") from None
    except (duckdb.Error, OSError) as exc:
        raise DatabaseUnavailable(f"The database {working.working} cannot be opened: {ingest_problem(exc)}") from None


def ingest_problem(exc: BaseException) -> str:
    return storage_problem(exc) or shorten(str(exc), 300)


# --------------------------------------------------------------------------------------------
# The version a page run reads
# --------------------------------------------------------------------------------------------

#: The published version this page run reads, per thread (Streamlit runs each session's script on
#: a thread of its own): pinned by lib.web.frame.run_app for the run, read by current_version.
_pinned = threading.local()


def pin_version(version: versions.Version | None) -> None:
    """Fix the version this page run reads until the run ends (None lets it go again)."""
    _pinned.version = version


def current_version() -> versions.Version:
    """The version this page run reads: fixed at the start of the run, so that one page never
    mixes two published versions even when a new one appears while it runs."""
    pinned = getattr(_pinned, "version", None)
    return pinned if pinned is not None else resolve_version()


def data_key() -> str:
    """A cache key for anything computed from the data: the version's file, never rewritten."""
    return current_version().key


def _connection() -> duckdb.DuckDBPyConnection:
    return version_connection(current_version().key)


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for this rerun: cheap, and safe to use beside other sessions' cursors."""
    return _connection().cursor()


# --------------------------------------------------------------------------------------------
# Results cached per version, shared by every session
# --------------------------------------------------------------------------------------------

#: Results kept per server process: every query and figure of a published version is a pure
#: function of (version, arguments). The bound keeps memory in check (a scorecard's results are
#: tens of kilobytes; the largest figures a few hundred).
CACHE_ENTRIES = 2048
_seen = {"key": ""}
_seen_lock = threading.Lock()


def _forget_older_versions(key: str) -> None:
    """When this process first meets a newer published version, drop everything cached for the
    older ones: no cached value outlives the version it was computed from."""
    with _seen_lock:
        if _seen["key"] == key:
            return
        had_one = bool(_seen["key"])
        _seen["key"] = key
    if had_one:
        _cached_call.clear()
        _cached_chart.clear()


def own_copy(value: Any) -> Any:
    """A copy of a cached result that its caller may change without touching the cached one.

    DataFrames and Series are copied shallowly: under pandas 3's copy-on-write a change to the
    copy (a new column, a sorted order, a set cell) copies the data it touches, never writing
    through to the cached object, so the copy costs microseconds where unpickling a stored copy
    (st.cache_data) cost milliseconds. Tuples, lists and dicts are copied item by item; anything
    else mutable is deep-copied, and immutable scalars are returned as they are.
    """
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, tuple):
        items = tuple(own_copy(v) for v in value)
        return type(value)(*items) if hasattr(value, "_fields") else items
    if isinstance(value, list):
        return [own_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: own_copy(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    return copy.deepcopy(value)


# st.cache_resource keeps the one object computed (no pickling on the way in or out); every
# caller gets own_copy of it, so sharing it across sessions is safe.
@st.cache_resource(show_spinner=False, max_entries=CACHE_ENTRIES)
def _cached_call(data_key: str, module: str, name: str, args: tuple, kwargs: tuple) -> Any:
    function = getattr(importlib.import_module(module), name)
    cur = version_connection(data_key).cursor()
    try:
        return function(cur, *args, **dict(kwargs))
    finally:
        cur.close()


def cached(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """function(cursor, *args, **kwargs) on this run's published version, computed once per
    version and arguments in this server process and shared by every session.

    `function` is a module-level function of lib/ whose first parameter is a DuckDB connection
    and whose result depends only on the data and the arguments. Each caller gets its own copy.
    """
    return own_copy(_cached_call(data_key(), function.__module__, function.__qualname__, args,
                                 tuple(sorted(kwargs.items()))))


class _Cached:
    """A lib module seen through `cached`: `per_version(scorecard).headline(code, year)` is
    `scorecard.headline(cursor, code, year)`, cached on the published version."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Callable[..., Any]:
        function = getattr(self._module, name)
        return lambda *args, **kwargs: cached(function, *args, **kwargs)


def per_version(module: Any) -> Any:
    """The module's query functions, without the connection argument, cached on the version."""
    return _Cached(module)


@st.cache_resource(show_spinner=False, max_entries=CACHE_ENTRIES // 4)
def _cached_chart(data_key: str, module: str, name: str, args: tuple, kwargs: tuple) -> dict:
    """The figure's plain description (validated once, when the chart function built it)."""
    return getattr(importlib.import_module(module), name)(*args, **dict(kwargs)).to_dict()


def chart(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A figure from a pure chart function of lib.charts, built once per version and arguments
    (the DataFrames among the arguments are hashed by value) and shared by every session.

    Each caller gets a figure of its own, rebuilt from the cached description without plotly's
    validation (it was validated when first built): about a fifth of the cost of validating it
    again, which is what unpickling a cached figure did.
    """
    spec = _cached_chart(data_key(), function.__module__, function.__qualname__, args,
                         tuple(sorted(kwargs.items())))
    return go.Figure(spec, _validate=False)


def deferred(build: Callable[[duckdb.DuckDBPyConnection], bytes]) -> Callable[[], bytes]:
    """Data for st.download_button built only when the button is pressed.

    Streamlit (1.67+) calls a callable `data` on its own thread when the user clicks, not on
    every run of the page. The callable gets a cursor of its own on this run's version, so the
    file matches the page it was downloaded from even if a newer version was published since.
    """
    connection = _connection()

    def build_on_click() -> bytes:
        cur = connection.cursor()
        try:
            return build(cur)
        finally:
            cur.close()

    return build_on_click


# --------------------------------------------------------------------------------------------
# The working database, for writes
# --------------------------------------------------------------------------------------------

@contextmanager
def working_database() -> Iterator[duckdb.DuckDBPyConnection]:
    """The working database opened for writing (or for the administrator's exact view of it) for
    one block, then closed so that the command line can write too. Waits briefly for another
    writer, then raises publish.DatabaseBusy."""
    with store().writer() as con:
        yield con


def publish_now(con: duckdb.DuckDBPyConnection, reason: str, by: str) -> versions.Version:
    """Publish the working database (open for writing as `con`) as the version every page shows."""
    return store().publish(con, reason, by)
