"""Build the DuckDB file from the repository's own files.

A build writes a new database next to the target and swaps it into place only when it is
complete, so a failed build never leaves a half-built file behind and a running app keeps
reading the old one until it reconnects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from lib.base.paths import DATA_DIR, DEMO_DIR, STANDARDS_DIR
from lib.demo import model as demo_model
from lib.reference import geography
from lib.scoring import views as scoring
from lib.scoring.config import StandardsConfig
from lib.scoring.standards import load_config
from lib.store import db, upkeep

# What the demo rounds are, as the Methodology page and exports show it (lib/demo/generator.py).
DEMO_PROVENANCE = demo_model.DESCRIPTION


@dataclass
class BuildReport:
    """What a build loaded, for the CLI to print and tests to check."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    rounds: list[tuple[int, int, bool]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Built {self.path}"]
        out += [f"  {name:<20} {n:>6} rows" for name, n in self.counts.items()]
        for year, n, is_demo in self.rounds:
            tag = " (synthetic demonstration data)" if is_demo else ""
            out.append(f"  round {year}: {n} responding councils{tag}")
        return out


def load_config_tables(con: duckdb.DuckDBPyConnection, config: StandardsConfig) -> None:
    """Write the validated standards, questions, answer options, bands and settings."""
    for table in ("standards", "questions", "answer_options", "providers", "bands", "outcomes",
                  "scoring_settings"):
        con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    con.executemany(
        "INSERT INTO standards VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[s.number, s.short_name, s.statement, s.looks_like, s.source, s.weight,
          list(s.recommendations), list(s.actions)] for s in config.standards],
    )
    con.executemany(
        "INSERT INTO questions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[q.id, q.standard, q.audience, q.topic, q.wording, q.help, q.answer_set, q.scored,
          q.weight, q.report_ref, q.asked_from, q.position] for q in config.questions],
    )
    con.executemany(
        "INSERT INTO answer_options VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[s.key, o.value, o.label, o.score, o.unknown, s.providers and o.value in s.provider_options, i,
          o.outcome]
         for s in config.answer_sets.values() for i, o in enumerate(s.options)],
    )
    con.executemany("INSERT INTO providers VALUES (?, ?)", [[k, v] for k, v in config.providers.items()])
    con.executemany(
        "INSERT INTO bands VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[b.key, b.label, b.min, b.description, i, b.colour, b.tint] for i, b in enumerate(config.bands)],
    )
    con.executemany("INSERT INTO outcomes VALUES (?, ?)", [[k, v] for k, v in config.outcomes.items()])
    con.executemany(
        "INSERT INTO scoring_settings VALUES (?, ?)",
        [["min_standards_for_rank", float(config.min_standards_for_rank)],
         ["score_decimals", float(config.display.decimals)]],
    )


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _blank_to_none(df: pd.DataFrame) -> pd.DataFrame:
    return df.replace({"": None})


def _split_ints(text: str) -> list[int]:
    return [int(x) for x in str(text).split(";") if x.strip()]


def load_reference_tables(con: duckdb.DuckDBPyConnection, config: StandardsConfig,
                          data_dir: Path = DATA_DIR) -> None:
    """Load councils, lineage, hex-map layouts, good practice, recommendations and published figures."""
    load_councils(con, data_dir)
    load_hex_cells(con, data_dir)
    load_other_reference_tables(con, config, data_dir)


def load_councils(con: duckdb.DuckDBPyConnection, data_dir: Path = DATA_DIR) -> None:
    """Load the councils (authorities.csv) and their lineage (lineage.csv)."""
    authorities = _blank_to_none(_read_csv(data_dir / "authorities.csv"))
    con.register("authorities_df", authorities)
    con.execute("DELETE FROM authorities")
    con.execute(
        """
        INSERT INTO authorities (code, name, display_name, region_code, region_name, type, valid_from,
                                 valid_to, lat, lon)
        SELECT code, name, display_name, region_code, region_name, type,
               CAST(valid_from AS DATE), CAST(valid_to AS DATE),
               CAST(lat AS DOUBLE), CAST(lon AS DOUBLE)
        FROM authorities_df
        """
    )
    con.unregister("authorities_df")

    lineage = _blank_to_none(_read_csv(data_dir / "lineage.csv"))
    con.register("lineage_df", lineage)
    con.execute("DELETE FROM authority_lineage")
    con.execute(
        """
        INSERT INTO authority_lineage
        SELECT predecessor_code, predecessor_name, successor_code, successor_name,
               CAST(effective_date AS DATE), kind, note FROM lineage_df
        """
    )
    con.unregister("lineage_df")


def load_other_reference_tables(con: duckdb.DuckDBPyConnection, config: StandardsConfig,
                                data_dir: Path = DATA_DIR) -> None:
    """Load good practice, recommendations and published figures.

    Which standards a recommendation bears on is taken from standards.toml (each standard
    lists its recommendations), so the link is written down once.
    """
    cases = _read_csv(data_dir / "case_studies.csv")
    con.execute("DELETE FROM case_studies")
    con.executemany(
        "INSERT INTO case_studies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[r.id, r.title, r.organisation, r.authority_code or None, _split_ints(r.standards),
          r.summary, r.source_document, r.source_ref, r.url or None, r.kind]
         for r in cases.itertuples()],
    )

    recs = _read_csv(data_dir / "recommendations.csv")
    con.execute("DELETE FROM recommendations")
    con.executemany(
        "INSERT INTO recommendations VALUES (?, ?, ?, ?)",
        [[int(r.number), r.theme, r.summary,
          [s.number for s in config.standards if int(r.number) in s.recommendations]]
         for r in recs.itertuples()],
    )

    figures = _blank_to_none(_read_csv(data_dir / "published_figures.csv"))
    con.register("figures_df", figures)
    con.execute("DELETE FROM published_figures")
    con.execute(
        """
        INSERT INTO published_figures
        SELECT figure_id, CAST(year AS INTEGER), kind, audience, topic, answer,
               CAST(percent AS DOUBLE), CAST(count AS INTEGER), CAST(base_n AS INTEGER),
               source_ref, question_id, measure, note
        FROM figures_df
        """
    )
    con.unregister("figures_df")


def load_hex_cells(con: duckdb.DuckDBPyConnection, data_dir: Path = DATA_DIR) -> None:
    """Load the hex-map layouts (data/hex_cells.csv), deriving one for any council set without.

    A council set added by new rows in authorities.csv (a reorganisation) gets a layout anchored
    to the stored one nearest in time, so the maps work with no hand placement; run
    `python -m lib.reference.hexlayout --missing` to store it in the repository.
    """
    from lib.reference import hexlayout

    stored = _read_csv(data_dir / "hex_cells.csv")
    authorities = _read_csv(data_dir / "authorities.csv")
    lineage = _read_csv(data_dir / "lineage.csv")
    # A stored layout whose council set the data no longer matches (a corrected date) is made
    # again like a new one, rather than drawn with a council missing or one too many.
    current = [key for key, group in stored.groupby("layout")
               if key in hexlayout.council_set_keys(authorities)
               and set(group["code"]) == set(hexlayout.members_on(authorities, str(key))["code"])]
    cells = hexlayout.complete_layouts(authorities, lineage, stored[stored["layout"].isin(current)])
    con.register("hex_df", cells[["layout", "code", "col", "row"]])
    con.execute("DELETE FROM hex_cells")
    con.execute("INSERT INTO hex_cells SELECT layout, code, CAST(col AS INTEGER), CAST(row AS INTEGER) FROM hex_df")
    con.unregister("hex_df")


def load_demo_rounds(con: duckdb.DuckDBPyConnection, demo_dir: Path = DEMO_DIR) -> None:
    """Load the committed synthetic rounds (data/demo/responses_YYYY.parquet), marked is_demo."""
    now = datetime.now().replace(microsecond=0)
    for path in sorted(demo_dir.glob("responses_*.parquet")):
        year = int(path.stem.split("_")[1])
        con.execute(
            "INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) "
            "VALUES (?, ?, TRUE, ?, ?, ?)",
            [year, f"{year} (synthetic demonstration data)", geography.default_council_set_on(year),
             DEMO_PROVENANCE, now],
        )
        con.execute(
            """
            INSERT INTO responses
            SELECT ?, authority_code, question_id, answer, providers, comment,
                   'demo', CAST(? AS TIMESTAMP)
            FROM read_parquet(?)
            """,
            [year, now, str(path)],
        )


def populate(con: duckdb.DuckDBPyConnection, config: StandardsConfig, data_dir: Path = DATA_DIR,
             demo_dir: Path | None = DEMO_DIR) -> None:
    """Fill an empty database: schema, rules, reference data, demo rounds and views."""
    db.create_schema(con)
    with db.transaction(con):
        load_config_tables(con, config)
        load_reference_tables(con, config, data_dir)
        if demo_dir is not None:
            load_demo_rounds(con, demo_dir)
        con.execute(
            "INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (now(), 'system', 'build', ?)",
            ["Database built from the repository's files"
             + (" with the synthetic demonstration rounds" if demo_dir is not None else "")],
        )
    db.install_views(con, scoring.DEFINITION)


class RefreshRefused(Exception):
    """A refresh would leave stored answers pointing at questions or councils the files no longer have."""


def imported_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a rebuild from the repository's files would lose: imported rounds and archived answers.

    Empty when the database holds only the demonstration rounds (a rebuild loses nothing).
    """
    tables = set(db.table_names(con))
    lost: list[str] = []
    if "survey_rounds" in tables:
        rows = con.execute(
            "SELECT r.year, count(DISTINCT s.authority_code) FROM survey_rounds r "
            "LEFT JOIN responses s ON s.round_year = r.year WHERE NOT r.is_demo GROUP BY r.year ORDER BY r.year"
        ).fetchall()
        lost += [f"round {int(y)} ({int(n)} councils, imported)" for y, n in rows]
    if "responses_archive" in tables:
        rows = con.execute("SELECT DISTINCT round_year FROM responses_archive ORDER BY round_year").fetchall()
        lost += [f"archived answers of round {int(y)}" for (y,) in rows]
    return lost


def refresh_database(con: duckdb.DuckDBPyConnection, standards_dir: Path = STANDARDS_DIR,
                     data_dir: Path = DATA_DIR, by: str = "unknown") -> BuildReport:
    """Reload the standards, questions, scoring rules and reference data from the repository's files
    in one transaction, keeping rounds, responses, submissions, the archive and the audit log; then
    recreate the views. Raises RefreshRefused (nothing changed) if stored answers would name a
    question or council the files no longer hold.
    """
    config = load_config(standards_dir)
    db.create_schema(con)
    who = (by or "unknown").strip()[:200] or "unknown"
    with db.transaction(con):
        load_config_tables(con, config)
        load_councils(con, data_dir)
        # Checked before the hex-map layouts are loaded: a new council set's layout takes seconds
        # to derive, and a refused refresh should say so at once.
        orphans = []
        for table in ("responses", "responses_archive"):
            orphans += [f"{table}: question {q} ({n} answers)" for q, n in con.execute(
                f"SELECT question_id, count(*) FROM {table} WHERE question_id NOT IN "  # noqa: S608 - fixed names
                "(SELECT id FROM questions) GROUP BY 1 ORDER BY 1").fetchall()]
            orphans += [f"{table}: council {c} ({n} answers)" for c, n in con.execute(
                f"SELECT authority_code, count(*) FROM {table} WHERE authority_code NOT IN "  # noqa: S608
                "(SELECT code FROM authorities) GROUP BY 1 ORDER BY 1").fetchall()]
        orphans += [f"round {y}: {c} answered, but is not one of the councils of {geography.describe_day(d)} "
                    "(its round's council-set day) in the new files" for y, c, d in con.execute(
            "SELECT DISTINCT s.round_year, s.authority_code, r.council_set_on FROM responses s "
            "JOIN survey_rounds r ON r.year = s.round_year JOIN authorities a ON a.code = s.authority_code "
            "WHERE NOT ((a.valid_from IS NULL OR a.valid_from <= r.council_set_on) "
            "AND (a.valid_to IS NULL OR a.valid_to > r.council_set_on)) ORDER BY 1, 2").fetchall()]
        if orphans:
            raise RefreshRefused("the repository's files no longer hold some questions or councils that stored "
                                 "answers use, so nothing was changed: " + "; ".join(orphans[:20])
                                 + ". Restore them in standards/ or data/ first.")
        load_hex_cells(con, data_dir)
        load_other_reference_tables(con, config, data_dir)
        con.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (now(), ?, 'refresh', ?)",
                    [who, "Standards, questions, scoring rules and reference data reloaded from the repository's "
                          "files; rounds, answers, submissions, archive and audit log kept."])
    db.install_views(con, scoring.DEFINITION)
    name = con.execute("SELECT current_database()").fetchone()
    assert name is not None  # a bare SELECT always returns one row
    report = BuildReport(Path(name[0]))
    report.counts.update(_counts(con))
    report.rounds = [(int(r.year), int(r.respondents), bool(r.is_demo))
                     for r in scoring.rounds(con).sort_values("year").itertuples()]
    return report


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The number of rows in each of db.TABLES, in that order."""
    counts = {}
    for table in db.TABLES:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - fixed names
        assert row is not None  # an aggregate without GROUP BY always returns one row
        counts[table] = row[0]
    return counts


def build_database(path: Path, standards_dir: Path = STANDARDS_DIR, data_dir: Path = DATA_DIR,
                   demo_dir: Path | None = DEMO_DIR) -> BuildReport:
    """Create (or rebuild) the database at `path` from the repo's files, atomically."""
    config = load_config(standards_dir)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        con = db.connect(tmp)
        try:
            populate(con, config, data_dir, demo_dir)
            report = BuildReport(path)
            report.counts.update(_counts(con))
            report.rounds = [
                (int(r.year), int(r.respondents), bool(r.is_demo))
                for r in scoring.rounds(con).sort_values("year").itertuples()
            ]
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return report


def ensure_database(path: Path) -> Path:
    """Build the database on first use (the app opens on the demo data with no set-up step)."""
    if not Path(path).exists():
        build_database(path)
    return Path(path)


def reset_to_demo(con: duckdb.DuckDBPyConnection, folder: Path, by: str = "unknown") -> Path:
    """Back up the database, then rebuild its contents from the repository's files in one
    transaction (rules, councils, good practice, the synthetic demo rounds).

    The rebuild happens in place, so other sessions' connections stay valid and never see a
    half-reset database. The audit log is kept (with an entry for the reset); imported rounds,
    submissions and archives are gone from the database but kept in the backup.
    Returns the backup's path.
    """
    config = load_config(STANDARDS_DIR)
    saved = upkeep.backup(con, folder)
    db.ensure_schema(con)
    who = (by or "unknown").strip()[:200] or "unknown"
    with db.transaction(con):
        for table in db.TABLES:
            if table not in ("audit_log", "meta"):
                con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        load_config_tables(con, config)
        load_reference_tables(con, config, DATA_DIR)
        load_demo_rounds(con, DEMO_DIR)
        con.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (now(), ?, 'reset', ?)",
                    [who, f"Database reset to the synthetic demonstration data from the repository's files; "
                          f"the previous database was saved as {saved.name}."])
    db.install_views(con, scoring.DEFINITION)
    return saved
