"""Waiting for another program's lock on a DuckDB file: one policy for every opener.

DuckDB lets one process at a time open a file for writing. The command line, the dashboard's
writes and moving an older survey collection file (lib.collection.legacy) all wait briefly for
such a lock with the same policy, and each then says in its own words that the file is still in
use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

#: An open that meets another program's lock tries again this many times ...
LOCK_RETRIES = 8
#: ... this many seconds apart (about two seconds in all), then gives up.
LOCK_PAUSE_SECONDS = 0.25

T = TypeVar("T")


def is_lock(exc: BaseException) -> bool:
    """Whether a DuckDB error means another program holds the file's lock."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).casefold()


def waited_seconds(retries: int | None = None, pause: float | None = None) -> float:
    """How long an open waits in all before it gives up."""
    return (LOCK_RETRIES if retries is None else retries) * (LOCK_PAUSE_SECONDS if pause is None else pause)


def open_waiting(open_file: Callable[[], T], retries: int | None = None, pause: float | None = None) -> T:
    """`open_file()`, tried again after a pause while another program holds the lock.

    The last lock error is raised as it is once the retries are used up (tell it by is_lock);
    any other error at once. The defaults are read when called, so a test may shorten them.
    """
    retries = LOCK_RETRIES if retries is None else retries
    pause = LOCK_PAUSE_SECONDS if pause is None else pause
    for attempt in range(retries + 1):
        try:
            return open_file()
        except duckdb.Error as exc:
            if not is_lock(exc) or attempt == retries:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")
