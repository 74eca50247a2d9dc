"""Small hand-made standards files and databases for tests whose numbers are worked by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb

from lib.reference.build import load_config_tables
from lib.scoring import views as scoring
from lib.scoring.standards import load_config
from lib.store import db

SCORING = """
[display]
decimals = 0
rounding = "half_up"

[outcomes]
has = "Has it"
partly = "Partly"
lacks = "Lacks it"
unknown = "Don't know"

[bands]
[[bands.band]]
key = "meets"
label = "Meets"
min = 75.0
description = "top"
colour = "#0072B2"
tint = "#D4E6F3"
[[bands.band]]
key = "partly_meets"
label = "Partly meets"
min = 40.0
description = "middle"
colour = "#E69F00"
tint = "#FBEBC7"
[[bands.band]]
key = "does_not_meet"
label = "Does not meet"
min = 0.0
description = "bottom"
colour = "#D55E00"
tint = "#F6D2BE"

[overall]
method = "weighted_mean_of_standards"
unknown_answers = "worst_answer"
min_standards_for_rank = 5

[standard_weights]
1 = 1.0
2 = 1.0
3 = 2.0
4 = 1.0
5 = 1.0
6 = 1.0
7 = 1.0
8 = 1.0
9 = 1.0

[providers]
la = "Local authority"
support_org = "Support organisation"

[answer_sets.availability]
label = "Availability"
providers = true
provider_options = ["available", "in_development"]
options = [
  { value = "available", label = "Available", score = 1.0, outcome = "has" },
  { value = "in_development", label = "In development", score = 0.5, outcome = "partly" },
  { value = "not_available", label = "Not available", score = 0.0, outcome = "lacks" },
  { value = "dont_know", label = "Don't know", score = 0.0, outcome = "unknown" },
]

[answer_sets.yes_no_context]
label = "Yes or no"
options = [
  { value = "yes", label = "Yes", outcome = "has" },
  { value = "no", label = "No", outcome = "lacks" },
]
"""


def standards_toml() -> str:
    parts = []
    for n in range(1, 10):
        parts.append(
            f'[[standard]]\nnumber = {n}\nshort_name = "Standard {n}"\nstatement = "Statement {n}."\n'
            f'looks_like = "Looks like {n}."\nsource = "Advice note, standard {n}"\n'
            f"recommendations = [{n}]\nactions = [\"Do thing {n}\"]\n"
        )
    return "\n".join(parts)


def question(qid: str, standard: int | None, weight: float = 1.0, answer_set: str = "availability",
             scored: bool = True, asked_from: int = 2012) -> str:
    std = f"standard = {standard}\n" if standard is not None else ""
    return (
        f'[[question]]\nid = "{qid}"\n{std}audience = "employers"\ntopic = "Topic {qid}"\n'
        f'wording = "Is {qid} available?"\nhelp = "Help for {qid}."\nanswer_set = "{answer_set}"\n'
        f'scored = {str(scored).lower()}\nweight = {weight}\nreport_ref = "new"\nasked_from = {asked_from}\n'
    )


def questions_toml() -> str:
    """S1 has two questions weighted 1 and 3; every other standard one question; one context question."""
    qs = [question("q1a", 1, 1.0), question("q1b", 1, 3.0)]
    qs += [question(f"q{n}", n) for n in range(2, 10)]
    qs.append(question("ctx", None, answer_set="yes_no_context", scored=False))
    return "\n".join(qs)


def write_config(directory: Path, standards: str | None = None, questions: str | None = None,
                 scoring_text: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "standards.toml").write_text(standards if standards is not None else standards_toml())
    (directory / "questions.toml").write_text(questions if questions is not None else questions_toml())
    (directory / "scoring.toml").write_text(scoring_text if scoring_text is not None else SCORING)
    return directory


AUTHORITIES = [
    # code, name, display, region code, region name, type
    ("E06000001", "Alpha", "Alpha", "E12000001", "North East", "unitary"),
    ("E06000002", "Beta", "Beta", "E12000001", "North East", "unitary"),
    ("E10000003", "Gamma", "Gamma", "E12000002", "North West", "county"),
]

# Hand-made answers for round 2015 (see tests/test_scoring.py for the worked numbers).
ANSWERS = {
    "E06000001": {"q1a": "available", "q1b": "in_development", "q2": "dont_know", "q3": "not_available",
                  **{f"q{n}": "available" for n in range(4, 10)}, "ctx": "yes"},
    "E06000002": {"q1a": "dont_know", "q1b": "available", "q2": "available",
                  **{f"q{n}": "in_development" for n in range(4, 10)}},
}


def fixture_database(tmp_path: Path, questions: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the hand-made config, three councils and two answers sheets."""
    config = load_config(write_config(tmp_path / "standards", questions=questions))
    con = db.connect(":memory:")
    db.create_schema(con)
    load_config_tables(con, config)
    con.executemany(
        "INSERT INTO authorities (code, name, display_name, region_code, region_name, type) VALUES (?, ?, ?, ?, ?, ?)",
        [list(a) for a in AUTHORITIES],
    )
    con.execute("INSERT INTO survey_rounds (year, label, is_demo, council_set_on, provenance, loaded_at) VALUES (2015, '2015 test', FALSE, DATE '2015-04-01', 'test fixture', now())")
    rows = []
    for code, answers in ANSWERS.items():
        for qid, answer in answers.items():
            providers = ["la"] if answer == "available" else []
            rows.append([2015, code, qid, answer, providers, None, "test", "2015-06-01 00:00:00"])
    con.executemany("INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    scoring.create_views(con)
    return con


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit status, stdout, stderr); argparse usage errors included."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from lib.cli import main as cli

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def as_schema_4(con: duckdb.DuckDBPyConnection) -> None:
    """Give a schema-5 database schema 4's shape, for the migration tests: each round labelled
    '2015' (up to 2018) or 'current' instead of its council-set day, the hex cells in four
    columns of `authorities` (left empty) and no hex_cells table; the views are dropped."""
    for view in reversed(scoring.VIEW_NAMES):
        con.execute(f"DROP VIEW IF EXISTS {view}")
    con.execute("ALTER TABLE survey_rounds ADD COLUMN vintage VARCHAR")
    con.execute("UPDATE survey_rounds SET vintage = CASE WHEN year <= 2018 THEN '2015' ELSE 'current' END")
    con.execute("ALTER TABLE survey_rounds DROP COLUMN council_set_on")
    for column in ("hex_col_2015", "hex_row_2015", "hex_col_current", "hex_row_current"):
        con.execute(f"ALTER TABLE authorities ADD COLUMN {column} INTEGER")
    con.execute("DROP TABLE hex_cells")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")


def copy_db(src: Path, folder: Path, name: str = "copy.duckdb", published: bool = False) -> Path:
    """A private copy of a database file as `folder/name` (a test never writes to a session database).

    With `published`, the source's published folder (`<stem>.published/`) is copied beside it as
    well, so the copy opens on the source's published versions. Published files and their
    CURRENT pointer name files, not paths, so a copied folder stays valid. A file copy takes a
    few milliseconds; building or publishing the database takes seconds.
    """
    import shutil

    from lib.store import versions

    target = Path(folder) / name
    shutil.copy(src, target)
    if published:
        source_folder = versions.folder_for(Path(src))
        if not source_folder.is_dir():
            raise AssertionError(f"{src} has no published folder to copy")
        shutil.copytree(source_folder, versions.folder_for(target))
    return target


def import_new_round(working: Path, folder: Path, councils: int = 4) -> Path:
    """Import a real (non-demo) 2016 round of the first `councils` 2015 respondents into
    `working` through the CLI, by "Jo", from `folder`/answers.csv; return `working`."""
    from tests.test_ingest import NEW_YEAR, write_answers_csv

    path, _ = write_answers_csv(working, folder, councils)
    code, _, err = run_cli("--db", str(working), "import", str(path), "--round", str(NEW_YEAR), "--by", "Jo")
    assert code == 0, err
    return working


def copy_imported(template: Path, folder: Path) -> Path:
    """A copy of a database made by `import_new_round` (published versions included) into
    `folder`, with the answers.csv it was imported from beside it, as if imported there."""
    import shutil

    shutil.copy(template.parent / "answers.csv", Path(folder) / "answers.csv")
    return copy_db(template, folder, published=True)
