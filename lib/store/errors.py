"""Telling a full or unwritable disk apart from every other database error, so that a refusal
names its true cause."""

from __future__ import annotations

import errno
import re

import duckdb

from lib.base.formatting import shorten

#: A write refused by the file system (read-only, no permission), whatever error carries it.
_UNWRITABLE = re.compile(r"read-only file system|permission denied", re.IGNORECASE)


class StorageError(Exception):
    """The disk is full or a database file cannot be written: nothing was changed."""


def storage_problem(exc: BaseException) -> str | None:
    """A plain description when `exc` means the disk is full or cannot be written, else None.

    OSError ENOSPC / EDQUOT, and DuckDB's IO errors (DuckDB reports a full disk as an IO error
    naming the file), are storage problems; a lock or a write conflict is not.
    """
    text = str(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (no space left on the device). Free some space and try again"
    if "No space left" in text or "disk is full" in text.casefold() or "out of disk space" in text.casefold():
        return "the disk is full (no space left on the device). Free some space and try again"
    if isinstance(exc, duckdb.Error) and _UNWRITABLE.search(text):
        return f"the database file could not be written ({shorten(text, 200)}). Check the folder can be written"
    if isinstance(exc, duckdb.IOException) and "lock" not in text.casefold():
        return f"the database file could not be written ({shorten(text, 200)}). Check the disk has space"
    if isinstance(exc, duckdb.FatalException):
        return f"the database stopped after a write failed ({shorten(text, 200)}). Check the disk has space"
    return None
