"""The published folder, read: which versions it keeps, which one CURRENT names, and what each
one's manifest says. Readers (every dashboard server process, the API, the CLI's read
commands) need only this; lib.store.publish writes the folder.

A version is `vNNNNNN-<date>-<time>.duckdb` in `<working database>.published/`, with a JSON
manifest of the same name beside it; the CURRENT file names the version readers open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from lib.store import db

POINTER = "CURRENT"
#: A version's file ends so; its manifest is the same name ending .json.
SUFFIX = ".duckdb"


@dataclass(frozen=True)
class Version:
    """One published version of the database."""

    version: int
    path: Path
    published_at: datetime
    reason: str
    by: str
    rounds: tuple[tuple[int, int, bool], ...]  # (year, responding councils, is demo)
    schema_version: int
    views_hash: str

    @property
    def key(self) -> str:
        """A key for caches: the version's file, which is never rewritten."""
        return str(self.path)

    def usable(self, definitions: db.Definitions) -> bool:
        """The file is there and was written by this version of the code (schema and views)."""
        return (self.path.is_file() and self.schema_version == db.SCHEMA_VERSION
                and self.views_hash == definitions.views.hash)

    def rounds_text(self) -> str:
        if not self.rounds:
            return "no rounds"
        parts = []
        for year, respondents, is_demo in sorted(self.rounds):
            parts.append(f"{year} ({respondents} councils{', demo' if is_demo else ''})")
        return ", ".join(parts)


def folder_for(working: Path) -> Path:
    """The published folder of a working database: `<name>.published/` beside it."""
    working = Path(working).resolve()
    return working.with_name(working.stem + ".published")


def is_inside_published(path: Path, working: Path) -> bool:
    """Whether `path` is in the working database's published folder (those files are never written)."""
    folder = folder_for(working)
    try:
        Path(path).resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def manifest_path(version_file: Path) -> Path:
    """The manifest beside a version's file."""
    return version_file.with_suffix(".json")


def load_version(version_file: Path) -> Version | None:
    """The version described by the manifest beside `version_file`, or None if that is unreadable."""
    try:
        raw = json.loads(manifest_path(version_file).read_text(encoding="utf-8"))
        return Version(
            version=int(raw["version"]), path=version_file,
            published_at=datetime.fromisoformat(str(raw["published_at"])),
            reason=str(raw["reason"]), by=str(raw["by"]),
            rounds=tuple((int(y), int(n), bool(d)) for y, n, d in raw["rounds"]),
            schema_version=int(raw["schema_version"]), views_hash=str(raw["views_hash"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def versions(working: Path) -> list[Version]:
    """Every published version kept, oldest first."""
    folder = folder_for(working)
    if not folder.is_dir():
        return []
    found = [load_version(p) for p in folder.glob(f"v*{SUFFIX}") if not p.name.startswith(".")]
    return sorted((s for s in found if s is not None), key=lambda s: s.version)


_pointer_cache: dict[str, tuple[tuple[int, int, int], Version | None]] = {}


def current(working: Path) -> Version | None:
    """The version CURRENT names, or None when nothing has been published yet.

    Costs one stat of the pointer file while it is unchanged (the parsed result is kept per
    (inode, size, modification time)), so a server can call it on every page run.
    """
    pointer = folder_for(working) / POINTER
    try:
        st = pointer.stat()
    except FileNotFoundError:
        return None
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    cached = _pointer_cache.get(str(pointer))
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        name = json.loads(pointer.read_text(encoding="utf-8"))["file"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(name, str) or "/" in name or "\\" in name or not name.endswith(SUFFIX):
        return None
    snap = load_version(pointer.parent / name)
    _pointer_cache[str(pointer)] = (stamp, snap)
    return snap


def find(working: Path, version: int) -> Version | None:
    """The kept version numbered `version`, or None."""
    return next((s for s in versions(working) if s.version == version), None)


def versions_table(kept: list[Version], cur: Version | None) -> pd.DataFrame:
    """The published versions kept, for a table: newest first as given."""

    return pd.DataFrame({
        "Version": [s.version for s in kept],
        "Published": [s.published_at.strftime("%d %b %Y %H:%M") for s in kept],
        "Shown now": ["yes" if cur is not None and s.version == cur.version else "" for s in kept],
        "Why": [s.reason for s in kept],
        "By": [s.by for s in kept],
        "Rounds": [s.rounds_text() for s in kept],
    })
