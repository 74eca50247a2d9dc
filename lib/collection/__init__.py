"""Running a survey round in the tool: private links, drafts saved as they go, a tracker, publication.

Collection data lives in its own database (lib.collection.database: a SQLite file beside the
working database, or PostgreSQL when PA_COLLECTION_URL is set): rounds being collected,
invitations with their contacts and token hashes, drafts, submissions, events and failed links. It is never published or
copied into a published version, so nothing of a collecting round, no contact and no draft can reach a
public page, export or the API. Only publish_round moves answers into the working database,
through the import path (lib.ingest.import_file: the same rules and messages), and then
publishes a version.

    rounds       open_round, get_round, list_rounds, close_round, reopen_round, archive_round,
                 question_bank
    invites      invite, invite_all, revoke, invitations, respond_link, mail_merge_csv, resolve
    drafts       load_draft, save_answers, submit (Receipt)
    tracking     tracker, response_rates, tracker_csv, chase_list_csv
    publishing   publish_round
    store        transactions, events, reference data from the published version
    database     the one object that opens the collection database (SQLite or PostgreSQL)
    tables       its schema (SQLAlchemy Core); migrate and migrations/ create and upgrade it
    legacy       moving a collection kept by an earlier release in a DuckDB file

Tokens are 256-bit `secrets.token_urlsafe(32)` values shown once; only their sha256 is stored,
and events name the invitation id, never the token.
"""

from lib.collection.drafts import (
    Draft,
    DraftAnswer,
    Receipt,
    load_draft,
    missing,
    save_answers,
    submit,
)
from lib.collection.errors import (
    BAD_TOKEN_MESSAGE,
    BadToken,
    CollectionBusy,
    CollectionError,
    MissingAnswers,
    Stale,
)
from lib.collection.invites import (
    Invitation,
    Session,
    invitations,
    invite,
    invite_all,
    mail_merge_csv,
    resolve,
    respond_link,
    revoke,
    token_hash,
)
from lib.collection.publishing import answer_file, publish_round
from lib.collection.rounds import (
    CollectionRound,
    archive_round,
    close_round,
    get_round,
    list_rounds,
    open_round,
    question_bank,
    reopen_round,
)
from lib.collection.store import collection_path
from lib.collection.tracking import (
    TRACKER_CSV_COLUMNS,
    chase_list_csv,
    response_rates,
    tracker,
    tracker_csv,
)

__all__ = [
    "BAD_TOKEN_MESSAGE", "TRACKER_CSV_COLUMNS", "BadToken", "CollectionBusy", "CollectionError", "CollectionRound",
    "Draft", "DraftAnswer", "Invitation", "MissingAnswers", "Receipt", "Session", "Stale", "answer_file",
    "archive_round", "chase_list_csv", "close_round", "collection_path", "get_round", "invitations", "invite",
    "invite_all", "list_rounds", "load_draft", "mail_merge_csv", "missing", "open_round", "publish_round",
    "question_bank", "reopen_round", "resolve", "respond_link", "response_rates", "revoke", "save_answers", "submit", "token_hash",
    "tracker", "tracker_csv",
]
