"""Loading real survey responses safely: read a file, match councils, validate, preview, commit.

The survey administrator's path, used by the CLI (`python -m lib.cli import`) and the Data
management page:

    read_sheet   bytes of a CSV / XLSX / Parquet file -> a Sheet of text cells, each row
                 numbered as the user sees it in a spreadsheet (the header is row 1)
    validate     Sheet -> Report: every problem (row, column, value, reason), or the answer
                 records ready to write. Reading never raises: a file that cannot be read is
                 one problem in the report.
    preview      Report -> the scores the import would produce, computed by the scoring views
                 on a private in-memory copy (the app's database is not touched)
    import_file  all or nothing: on any problem nothing is written; on success the whole round
                 is written in one transaction with a submissions row and an audit_log entry.

Where things live:

    sheet        Sheet, Unreadable, the size limits (max_bytes, size_text, MAX_ROWS ...),
                 checksum, column_letter
    readers      read_sheet: the file's kind, told from its first bytes, picks its reader:
    csv_reader   CSV text decoded (UTF-8, Windows-1252 or UTF-16) and read strictly
    xlsx_reader  an Excel workbook's answer sheet, its zip checked before it is opened
    parquet_reader  a Parquet file, bounded from its metadata before it is decoded
    councils     normalise_name and CouncilMatcher (ONS code or name -> council)
    report       Problem, Record and Report: what validation hands back
    cells        the wide and the long layout turned into one stream of answer cells
    questionnaire  Questionnaire: questions, answer options and providers, matched by id or words
    cell_rules   _unsafe (formula and script content) and the rules for single cells
    header       the header row: layout, column kinds, the round year (EARLIEST_YEAR, LATEST_YEAR)
    validation   validate(): the header, then the rules applied once to that stream
    preview      private_copy, Preview, preview, preview_tables
    commit       ImportRefused, ImportNotStored (a full disk), RoundState, ImportResult,
                 round_state, import_file, _insert_records
    council_update  the council-update mode: validate_council_update, CouncilPreview,
                 council_preview, import_council_update (one council's answers in a loaded round)
    fileformat   the import file's sheet names and column suffixes
    template     the file an administrator fills in

The database's upkeep (history, copies, backups, exports) is lib.store.upkeep. What the pages
and the CLI use is importable from here as `ingest.NAME`. Code inside the package calls
`commit._insert_records` through its module, so a test that replaces it there (as the disk-full
tests do) reaches every caller.

Formats. Wide: one row per council, a `council` column (ONS code or name), one column per
question (its id, or its wording from questions.toml), optional `<id>__providers` (provider keys
or labels separated by ";"), optional `<id>__comment` and a general `comment`, optional `round`.
This is exactly what lib.analysis.whatif.to_wide writes and lib.ingest.template produces. Long: columns
council, question, answer[, providers][, comment][, round], one row per answer.

What "required" means. The questionnaire of a round is the set of scored questions the file
carries (a column in the wide layout, a row for any council in the long layout); questions
the file leaves out altogether were not asked that year and their standards show "no evidence"
(the report says which). Every council in the file must answer every such question: a blank
cell is a missing required answer. "Don't know" is an answer. Context (unscored) questions may
be left blank. A council row with no answers at all (as in an unfilled template row) is taken
as "did not respond" and skipped, and the report says how many were skipped.
"""

from lib.ingest.cell_rules import CONTROL_CHARACTERS, _unsafe
from lib.ingest.commit import (
    ImportNotStored,
    ImportRefused,
    ImportResult,
    RoundState,
    _insert_records,
    _records_table,
    import_file,
    round_state,
)
from lib.ingest.council_update import (
    CouncilPreview,
    council_preview,
    import_council_update,
    validate_council_update,
)
from lib.ingest.councils import CouncilMatcher, normalise_name
from lib.ingest.fileformat import COMMENT_SUFFIX, PROVIDER_SUFFIX
from lib.ingest.header import EARLIEST_YEAR, LATEST_YEAR
from lib.ingest.preview import Preview, preview, preview_tables, private_copy
from lib.ingest.questionnaire import Questionnaire
from lib.ingest.readers import read_sheet
from lib.ingest.report import MAX_PROBLEMS, Problem, Record, Report
from lib.ingest.sheet import (
    DEFAULT_MAX_MB,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_MB_ENV,
    MAX_PART_RATIO,
    MAX_ROWS,
    MAX_UNPACK_RATIO,
    Sheet,
    Unreadable,
    checksum,
    column_letter,
    max_bytes,
    size_text,
)
from lib.ingest.validation import validate

__all__ = [
    "COMMENT_SUFFIX", "CONTROL_CHARACTERS", "DEFAULT_MAX_MB", "EARLIEST_YEAR", "LATEST_YEAR", "MAX_CELLS", "MAX_CELL_CHARS",
    "MAX_COLUMNS", "MAX_MB_ENV", "MAX_PART_RATIO", "MAX_PROBLEMS", "MAX_ROWS", "MAX_UNPACK_RATIO",
    "PROVIDER_SUFFIX", "CouncilMatcher", "CouncilPreview", "ImportRefused", "ImportNotStored", "ImportResult", "Preview", "Problem",
    "Questionnaire", "Record", "Report", "RoundState", "Sheet", "Unreadable",
    "_insert_records", "_records_table", "_unsafe", "checksum", "column_letter", "council_preview", "import_council_update", "import_file", "max_bytes", "normalise_name",
    "preview", "preview_tables", "private_copy", "read_sheet", "round_state", "size_text", "validate", "validate_council_update",
]
