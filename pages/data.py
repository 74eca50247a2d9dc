"""Data management (administrators only): load a round of real answers safely, look back at what
was loaded, download the template, export any table, reset to the demonstration data.

Every write goes to the working database through lib.ingest in one transaction, and is then
published as a new version (lib.store.publish) that every page and server moves to on its next run.
The page's own reads come from the published version, except the History tab, which reads the
working database itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import duckdb
import streamlit as st

from lib import collection, ingest
from lib.base import exports
from lib.base.formatting import escape_markdown as md
from lib.base.formatting import format_score
from lib.ingest import template
from lib.reference import build
from lib.store import db, publish, upkeep, versions
from lib.store.errors import StorageError
from lib.web import auth, data, display, frame, pickers, urlstate

frame.require_frame(__file__)

FLASH = "data_flash"
UPLOADS = "data_uploads"
TABS = ["Load a round", "Survey round", "History", "Template and exports", "Reset"]

st.title("Data management")
who = auth.require_admin()

con = data.cursor()
limit = ingest.max_bytes()


def _after_write(message: str) -> None:
    """Keep the outcome for the next run and start it: that run opens the new published version
    (every cache is keyed on the version, so nothing old is shown)."""
    st.session_state[FLASH] = message
    st.session_state[UPLOADS] = st.session_state.get(UPLOADS, 0) + 1  # a fresh, empty uploader
    st.rerun()


def _survey_step(step: Callable[[], object], done: str) -> None:
    """Run one survey-round step; a refusal or a busy file is said plainly, nothing changed."""
    try:
        step()
    except collection.CollectionError as exc:
        st.error(md(str(exc)), icon=":material/error:")
    else:
        _after_write(md(done))


#: What _write returns when the change wrote nothing.
UNCHANGED = "Nothing was changed, so nothing new was published."


def _write(change: Callable[[duckdb.DuckDBPyConnection], str | None], reason: str) -> str | None:
    """Run one change on the working database, then publish it. Returns the message to show when
    both were done (or UNCHANGED when the change wrote nothing); shows what went wrong and returns
    None otherwise."""
    try:
        with data.working_database() as wcon:
            message = change(wcon)
            if message is None:  # nothing was written (e.g. the same file again): nothing to publish
                return UNCHANGED
            try:
                snap = data.publish_now(wcon, reason, who)
            except publish.PublishError as exc:
                st.error(f"{md(message)} **But it is not published yet:** {md(str(exc))} The other pages still "
                         "show the previous version. Run `uv run python -m lib.cli publish` when the problem is "
                         "fixed.", icon=":material/error:")
                return None
    except ingest.ImportRefused as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return None
    except publish.DatabaseBusy as exc:
        st.error(md(f"Nothing was changed: {exc}"), icon=":material/error:")
        return None
    except (db.SchemaError, duckdb.Error, OSError) as exc:
        st.error(md(f"The working database cannot be written, so nothing was changed: {data.ingest_problem(exc)}"),
                 icon=":material/error:")
        return None
    return f"{message} Published as version {snap.version}; every page now shows it."


@st.cache_data(max_entries=4, show_spinner="Checking the file...")
def _check(data_key: str, version: str, content: bytes, name: str, year: int) -> tuple[ingest.Report, ingest.Preview | None]:
    """Validation and preview of one upload, kept while the file, round and data are unchanged."""
    cur = data.cursor()
    report = ingest.validate(cur, content, name, year, limit)
    return report, (ingest.preview(cur, report) if report.ok else None)


@st.cache_data(max_entries=4, show_spinner="Checking the file...")
def _check_council(data_key: str, version: str, content: bytes, name: str,
                   year: int) -> tuple[ingest.Report, ingest.CouncilPreview | None]:
    """The same for a council update: its checks, and that council's scores before and after."""
    cur = data.cursor()
    report = ingest.validate_council_update(cur, content, name, year, limit)
    return report, (ingest.council_preview(cur, report) if report.ok else None)


#: What a file loaded on the first tab holds (the import mode).
IMPORT_MODES = {"round": "A whole round", "council": "One council's answers (council update)"}


if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH), icon=":material/check_circle:")

load_tab, survey_tab, history_tab, files_tab, reset_tab = st.tabs(TABS, key="section", bind="query-params")

# ---- Load a round ----------------------------------------------------------------------------
if load_tab.open:
    with load_tab:
        st.markdown(
            "Load one survey round from a file: **CSV** (UTF-8, Windows-1252, or Excel's UTF-16 "
            "'Unicode text', .txt), **Excel (XLSX)** or "
            "**Parquet**, one row per council (the template's layout) or one row per answer (columns "
            "council, question, answer, providers). The file is checked in full first; nothing is "
            "written unless every row is right, and then the whole round is written at once. A file "
            "holding one council (such as a self-assessment download) is loaded as a **council update**, "
            "which replaces only that council's answers in a round already loaded."
        )
        year = int(st.number_input("Survey round (year)", min_value=ingest.EARLIEST_YEAR,
                                   max_value=ingest.LATEST_YEAR, step=1, value=pickers.current_round(),
                                   key="import_year", bind="query-params",
                                   help="The year the answers are for. A new round holds the councils valid on "
                                        "1 April of its year; a round already loaded keeps its own council set."))
        mode = st.radio("The file holds", list(IMPORT_MODES), format_func=IMPORT_MODES.get, key="import_mode",
                        horizontal=True,
                        help="A whole round: the file becomes the round. A council update: the file holds one "
                             "council (such as a self-assessment download) and replaces only that council's "
                             "answers in a round already loaded; every other council's answers stay.")
        state = ingest.round_state(con, year)
        if mode == "council":
            st.caption(f"A council update replaces one council's answers in the {year} round, which holds "
                       f"answers for {state.respondents} councils; the others are kept as they are."
                       if state.exists else f"The database has no {year} round, so there is no council to update.")
        elif not state.exists:
            st.caption(f"The database has no {year} round yet: importing creates it.")
        elif state.is_demo:
            st.caption(f"The {year} round holds synthetic demonstration answers for {state.respondents} councils. "
                       "Importing real answers replaces them (tick *Replace* below).")
        else:
            source = f" from {md(state.file_name)}" if state.file_name else ""
            st.caption(f"The {year} round holds answers for {state.respondents} councils{source}.")
        uploaded = st.file_uploader(
            "File of answers", type=["csv", "txt", "tsv", "xlsx", "parquet"], key=f"import_file_{st.session_state.get(UPLOADS, 0)}",
            max_upload_size=max(1, math.ceil(limit / 1048576)),
            help=f"Up to {ingest.size_text(limit)}. Download the template on the 'Template and exports' tab.",
        )
        if uploaded is not None:
            content = uploaded.getvalue()
            name = Path(uploaded.name).name
            if mode == "council":
                report, council_preview = _check_council(data.data_key(), repr(state), content, name, year)
            else:
                report, preview = _check(data.data_key(), repr(state), content, name, year)

            st.subheader("1. Check")
            if not report.ok:
                st.error(f"{md(report.summary())} Each problem names the row (the header is row 1), the column "
                         "and the reason.", icon=":material/error:")
                display.show_table(report.problem_table())
                if report.more_problems:
                    st.caption(f"Only the first {len(report.problems)} problems are listed; "
                               f"{report.more_problems} more were found.")
            else:
                st.success(md(report.summary()), icon=":material/task_alt:")
            for warning in report.warnings:  # what the reader met and did, with problems or without
                st.info(md(warning), icon=":material/info:")

            if report.ok and mode == "council":
                assert council_preview is not None  # previewed whenever the report is ok
                st.subheader("2. Preview")
                st.info(md(council_preview.headline()), icon=":material/person_check:")
                if council_preview.is_demo:
                    st.caption(f"The {year} round holds synthetic demonstration answers; it stays labelled "
                               "synthetic after the update, because the other councils' answers still are.")
                # Static tables: their cells wrap, so before and after stay side by side on a phone.
                st.markdown(f"**{md(council_preview.name)}, overall**")
                st.table(council_preview.overall_table().map(md), hide_index=True)
                st.markdown(f"**{md(council_preview.name)}, standard by standard**")
                st.table(council_preview.standards_table().map(md), hide_index=True)
                st.subheader("3. Import")
                if st.button(f"Replace only {md(council_preview.name)}'s answers in the {year} round", type="primary",
                             icon=":material/upload:", key="import_council"):
                    def _update(w: duckdb.DuckDBPyConnection) -> str | None:
                        # Checked again on the working database itself, as for a whole round.
                        result = ingest.import_council_update(w, content, name, year, by=who, limit=limit)
                        return None if result.status == "unchanged" else result.message

                    done = _write(_update, f"council update of {name} in the {year} round")
                    if done:
                        _after_write(md(done))
            elif report.ok:
                st.subheader("2. Preview")
                st.markdown("The scores this file would give, computed by the same rules as every other page "
                            "on a private copy. Nothing is saved yet.")
                councils_table, standards_table = ingest.preview_tables(preview)
                nat = preview.national
                c1, c2, c3 = st.columns(3)
                c1.metric("Councils responding", f"{nat['respondents']} of {nat['councils']}")
                c2.metric("Councils ranked", str(nat["ranked"]),
                          help="Councils that answered questions on enough standards to be ranked.")
                c3.metric("Median overall score", format_score(nat["median_score"]), help="Out of 100.")
                st.markdown("**England, standard by standard**")
                display.show_table(standards_table)
                st.markdown("**Each council's overall result**")
                display.show_table(councils_table)

                st.subheader("3. Import")
                if state.exists and len(report.councils) == 1 and state.respondents > 1:
                    st.warning(f"This file holds one council. Imported as a whole round it replaces the {year} "
                               f"round's {state.respondents} councils with that one council. To replace only its "
                               f"answers, choose *{IMPORT_MODES['council']}* above.", icon=":material/warning:")
                if state.checksum == report.checksum:
                    st.info(f"This file is already the {year} round (submission {state.submission_id}); "
                            "importing it again would change nothing.", icon=":material/info:")
                else:
                    replace = False
                    if state.exists:
                        what = "synthetic demonstration answers" if state.is_demo else "answers"
                        replace = st.checkbox(
                            f"Replace the {year} round's {what} ({state.respondents} councils)",
                            key="import_replace",
                            help="The answers it holds now are archived and can be downloaded from the "
                                 "History tab.")
                    if st.button(f"Import {len(report.councils)} councils into the {year} round", type="primary",
                                 icon=":material/upload:", disabled=state.exists and not replace):
                        def _import(w: duckdb.DuckDBPyConnection) -> str | None:
                            # Checked again on the working database itself: the check above read
                            # the published version, which the working database may have moved on from.
                            result = ingest.import_file(w, content, name, year, replace=replace, by=who, limit=limit)
                            return None if result.status == "unchanged" else result.message

                        done = _write(_import, f"import of {name} into the {year} round")
                        if done:
                            _after_write(md(done))

# ---- Survey round: collect a round in the tool --------------------------------------------------
if survey_tab.open:
    with survey_tab:
        working = data.working_path()
        st.markdown(
            "Run a survey round here: open it, send each council its private link, follow the replies, "
            "then close and publish. Answers being collected are kept apart from the published data: no "
            "public page, download or API shows them until the round is published.")
        try:
            rounds = collection.list_rounds(working)
        except collection.CollectionError as exc:  # e.g. an older collection file not yet moved
            st.error(md(str(exc)), icon=":material/error:")
            rounds = None
    if rounds is not None:
        with survey_tab:
            live = [r for r in rounds if r.status in ("collecting", "closed")]
            with st.expander("Open a round for collection", expanded=not live), st.form("open_round", enter_to_submit=False):
                new_year = int(st.number_input("Survey round (year)", min_value=ingest.EARLIEST_YEAR,
                                               max_value=ingest.LATEST_YEAR, step=1, value=ingest.LATEST_YEAR))
                set_day = st.date_input("Council-set day", value=None, format="DD/MM/YYYY",
                                        help="The round holds the councils valid on this day. Leave empty for "
                                             "1 April of the round's year.")
                closes = st.date_input("Closing date", value=None, format="DD/MM/YYYY")
                bank = collection.question_bank(con)
                topics = {q: f"{t} ({q}, asked from {a})" for q, t, a in bank}
                chosen_questions = st.multiselect(
                    "Questions", list(topics), format_func=topics.__getitem__,
                    help="Leave empty to ask every question of the bank asked in that year (standards/questions.toml).")
                if st.form_submit_button("Open the round", icon=":material/play_arrow:"):
                    try:
                        opened = collection.open_round(working, new_year, council_set_on=set_day, closes_on=closes,
                                                       questions=chosen_questions or None, by=who)
                    except collection.CollectionError as exc:
                        st.error(md(str(exc)), icon=":material/error:")
                    else:
                        _after_write(md(f"The {opened.year} round is open for collection."))
            if not rounds:
                st.info("No round is being collected.", icon=":material/info:")
            else:
                chosen = st.selectbox("Round", [r.year for r in rounds], key="survey_round",
                                      format_func=lambda y: f"{y} ({next(r.status for r in rounds if r.year == y)})")
                rnd = next(r for r in rounds if r.year == chosen)
                board = collection.tracker(working, rnd.year)
                rates = collection.response_rates(board)
                national = rates[rates["scope"] == "england"].iloc[0]
                st.metric("Councils that have submitted", f"{int(national['submitted'])} of {int(national['councils'])}")
                display.show_table(rates[rates["scope"] != "england"].rename(columns={
                    "scope": "By", "name": "Region or type", "councils": "Councils", "submitted": "Submitted",
                    "rate": "Response rate"}), column_config={"Response rate": st.column_config.ProgressColumn(
                        format="percent", min_value=0.0, max_value=1.0)})
                display.show_table(board.rename(columns={
                    "council_code": "Code", "council_name": "Council", "region_name": "Region", "council_type": "Type",
                    "status": "Status", "answered": "Answered", "questions": "Questions",
                    "last_activity": "Last activity"}))
                left, right = st.columns(2)
                left.download_button("Tracker (CSV)", collection.tracker_csv(board), file_name=f"tracker-{rnd.year}.csv",
                                     mime="text/csv", icon=":material/download:", on_click="ignore")
                right.download_button("Chase list with contacts (CSV)", collection.chase_list_csv(working, rnd.year),
                                      file_name=f"chase-list-{rnd.year}.csv", mime="text/csv",
                                      icon=":material/download:", on_click="ignore")
                base_url = urlstate.base_url()
                if rnd.status == "collecting":
                    st.subheader("Invite councils")
                    with st.form("invite", enter_to_submit=False):
                        council = st.text_input("Council (name or ONS code)")
                        contact_name = st.text_input("Nominated contact's name (optional)")
                        contact_email = st.text_input("Contact's e-mail (optional)")
                        if st.form_submit_button("Invite (or send a new link)", icon=":material/mail:"):
                            try:
                                inv = collection.invite(working, rnd.year, council, contact_name=contact_name or None,
                                                        contact_email=contact_email or None, by=who)
                            except collection.CollectionError as exc:
                                st.error(md(str(exc)), icon=":material/error:")
                            else:
                                st.session_state["survey_links"] = (rnd.year, [inv])
                    if st.button("Invite every council not yet invited", icon=":material/forward_to_inbox:"):
                        st.session_state["survey_links"] = (rnd.year, collection.invite_all(working, rnd.year, by=who))
                    # The links just issued, for this round only (another round's are never shown here).
                    links_year, links = st.session_state.get("survey_links") or (None, [])
                    if links_year != rnd.year:
                        links = []
                    if links:
                        st.warning("These links are shown once: the tool keeps only a fingerprint of each. Send each "
                                   "council its own link and keep the file safe.", icon=":material/key:")
                        st.download_button(f"Mail-merge file: {len(links)} link(s) (CSV)",
                                           collection.mail_merge_csv(links, base_url), file_name=f"links-{rnd.year}.csv",
                                           mime="text/csv", icon=":material/download:", on_click="ignore")
                        if len(links) == 1 and links[0].token:
                            st.code(collection.respond_link(base_url, links[0].token), language=None)
                    invited = board[board["status"] != "not invited"]
                    if len(invited):
                        gone = st.selectbox("Revoke a council's link", list(invited["council_code"]), index=None,
                                            format_func=dict(zip(board["council_code"], board["council_name"],
                                                                 strict=True)).__getitem__, key="survey_revoke")
                        if gone and st.button("Revoke the link", icon=":material/link_off:"):
                            _survey_step(lambda: collection.revoke(working, rnd.year, gone, by=who),
                                         f"The link for {gone} no longer works.")
                    if st.button("Close the round (stops every edit)", icon=":material/lock:"):
                        _survey_step(lambda: collection.close_round(working, rnd.year, by=who),
                                     f"The {rnd.year} round is closed.")
                if rnd.status in ("collecting", "closed"):
                    st.subheader("Publish")
                    provisional = st.checkbox("Publish as provisional (collection may go on; publish again later)",
                                              value=rnd.status == "collecting", disabled=rnd.status == "collecting",
                                              key=f"survey_provisional_{rnd.year}_{rnd.status}")  # fresh once closed
                    if st.button(f"Publish the {rnd.year} round", type="primary", icon=":material/publish:"):
                        try:
                            message = collection.publish_round(working, rnd.year, provisional=provisional, by=who)
                        except collection.CollectionError as exc:
                            st.error(md(str(exc)), icon=":material/error:")
                        else:
                            _after_write(md(message))
                    if rnd.status == "closed" and st.button("Reopen the round", icon=":material/lock_open:"):
                        _survey_step(lambda: collection.reopen_round(working, rnd.year, by=who),
                                     f"The {rnd.year} round is open again.")
                if rnd.status == "published":
                    st.subheader("Archive")
                    st.markdown("The round is published. Archiving deletes the contacts' names and e-mail addresses "
                                "and the links' fingerprints; the published answers stay.")
                    if st.button("Archive the round", icon=":material/archive:"):
                        _survey_step(lambda: collection.archive_round(working, rnd.year, by=who),
                                     f"The {rnd.year} round is archived: contact details deleted.")

# ---- History -----------------------------------------------------------------------------------
if history_tab.open:
    with history_tab:
        st.subheader("Files loaded")
        subs = upkeep.submissions(con)
        if subs.empty:
            st.caption("No file has been imported yet: the database holds the rounds built from the "
                       "repository's files.")
        else:
            display.show_table(subs)
        archived = upkeep.archived_versions(con)
        if not archived.empty:
            st.subheader("Replaced answers")
            st.markdown("When a round is replaced, its previous answers are kept, and so are a council's "
                        "when a council update replaces them. Download them in the long import format to "
                        "inspect them or to load them again (one council's answers as a council update).")
            labels = {
                int(r.replaced_by): (f"Round {int(r.round_year)}: "
                                     + ("synthetic demonstration answers" if r.was_demo else
                                        f"{r.file_name or 'answers'}")
                                     + f" ({int(r.councils)} council{'s' if int(r.councils) != 1 else ''}), "
                                     f"replaced by submission {int(r.replaced_by)}")
                for r in archived.itertuples()
            }
            chosen = st.selectbox("Replaced version", list(labels), format_func=labels.get, key="archived")
            if chosen is not None:
                old = upkeep.archived_responses(con, chosen)
                was_demo = bool(archived.loc[archived["replaced_by"] == chosen, "was_demo"].iloc[0])
                st.download_button(
                    "Download the replaced answers (CSV)",
                    exports.to_csv_bytes(exports.label_demo(old, was_demo)),
                    file_name=f"replaced-by-submission-{chosen}.csv", mime="text/csv",
                    icon=":material/download:", on_click="ignore")
        st.subheader("Councils' own answers in the open data")
        policy = upkeep.publication_policies(con)
        withheld = [int(y) for y, shown in policy if not shown]
        st.markdown("Every round's scores are open to everyone (the Download the data page and the API). Each "
                    "council's own answers are open too, unless you withhold them for a round. "
                    + (f"Withheld now: {', '.join(map(str, withheld))}." if withheld else "No round withholds them now."))
        p1, p2 = st.columns(2)
        policy_year = p1.selectbox("Round", [int(y) for y, _ in policy], key="policy_year")
        policy_choice = p2.radio("Councils' own answers", ["open", "withhold"], key="policy_choice", horizontal=True,
                                 format_func={"open": "Open", "withhold": "Withheld (scores only)"}.get)
        if st.button("Save and publish", key="policy_save", icon=":material/published_with_changes:"):
            def _policy(w: duckdb.DuckDBPyConnection) -> str | None:
                opened = policy_choice == "open"
                if not upkeep.set_published_detail(w, int(policy_year), opened, by=who):
                    return None
                return (f"Councils' own answers in the {policy_year} round are now "
                        f"{'open' if opened else 'withheld'}; its scores stay published.")

            done = _write(_policy, f"councils' answers in the {policy_year} round "
                                   f"{'open' if policy_choice == 'open' else 'withheld'}")
            if done:
                _after_write(md(done))

        st.subheader("Published versions")
        current = data.current_version()
        kept = list(reversed(data.store().versions()))
        st.markdown(
            f"Every page shows **version {current.version}**, published {current.published_at:%d %b %Y %H:%M} "
            f"({md(current.reason)}). Each import, reset or rollback publishes a new version; the latest "
            f"{publish.KEEP} are kept, so an earlier one can be published again. Going back is itself a new "
            "version, so it can be undone the same way, and the audit log is never rolled back.")
        display.show_table(versions.versions_table(kept, current))
        earlier = [v for v in kept if v.version != current.version]
        if earlier:
            chosen_version = st.selectbox(
                "Version to publish again", [v.version for v in earlier], key="rollback_version",
                format_func=lambda n: next(f"Version {v.version}: {v.published_at:%d %b %Y %H:%M}, {v.reason}"
                                           for v in earlier if v.version == n))
            sure = st.checkbox(f"Publish version {chosen_version} again in place of version {current.version}",
                               key="rollback_sure")
            if st.button("Go back to this version", icon=":material/history:", disabled=not sure):
                try:
                    with data.working_database() as wcon:
                        # The working database as it is, in case it held changes not yet published.
                        saved = upkeep.backup(wcon, upkeep.backup_dir(data.working_path()))
                        restored, new_snap = data.store().rollback(wcon, chosen_version, who)
                except publish.NotPublished as exc:
                    st.error(md(str(exc)[:1].upper() + str(exc)[1:]), icon=":material/error:")
                except (publish.PublishError, StorageError) as exc:
                    st.error(md(f"Nothing was changed: {exc}"), icon=":material/error:")
                except (db.SchemaError, duckdb.Error, OSError) as exc:
                    st.error(md(f"Nothing was changed: the working database cannot be written "
                                f"({data.ingest_problem(exc)})."), icon=":material/error:")
                else:
                    _after_write(f"Version {restored.version} was published again as version {new_snap.version}; "
                                 f"every page now shows it. The working database as it was is saved as {saved.name}.")
        st.subheader("Audit log")
        st.caption("Every build, import, replacement, reset, rollback and failed sign-in, newest first (the latest "
                   "200), read from the working database.")
        try:
            with data.working_database() as wcon:
                log = upkeep.audit_log(wcon)
        except (publish.DatabaseBusy, db.SchemaError, duckdb.Error, OSError) as exc:
            st.warning(md(f"The working database cannot be read just now, so this is the log as of version "
                          f"{current.version}: {data.ingest_problem(exc) if not isinstance(exc, publish.PublishError) else exc}"),
                       icon=":material/hourglass:")
            log = upkeep.audit_log(con)
        display.show_table(log)

# ---- Template and exports ----------------------------------------------------------------------
if files_tab.open:
    with files_tab:
        st.subheader("Answer template")
        t_year = int(st.number_input("Template for the round (year)", min_value=ingest.EARLIEST_YEAR,
                                     max_value=ingest.LATEST_YEAR, step=1, value=template.default_year(),
                                     key="template_year", bind="query-params"))
        st.markdown(
            f"One row per council in the {t_year} round's council set and one column per question asked "
            "that year, headed by the question's id; questions about support have a `__providers` column. "
            "The Excel version has drop-down lists of the answers and a sheet explaining every column."
        )
        row = st.container(horizontal=True)
        row.download_button("Template (CSV)", lambda y=t_year: template.to_csv_bytes(con.cursor(), y),
                            file_name=f"pa-benchmark-template-{t_year}.csv", mime="text/csv",
                            icon=":material/download:", on_click="ignore")
        row.download_button("Template (Excel)", lambda y=t_year: template.to_xlsx_bytes(con.cursor(), y),
                            file_name=f"pa-benchmark-template-{t_year}.xlsx",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            icon=":material/download:", on_click="ignore")

        st.subheader("Export a table or view")
        names = upkeep.export_names(con)
        name = st.selectbox("Table or view", names, key="export_name", bind="query-params",
                            index=names.index("overall_scores") if "overall_scores" in names else 0,
                            help="Tables hold the data; views hold the scores computed from it.")
        fmt = st.radio("Format", ["CSV", "Parquet"], key="export_format", horizontal=True, bind="query-params")
        ext = "csv" if fmt == "CSV" else "parquet"
        st.download_button(f"Download {name} ({fmt})",
                           lambda n=name, e=ext: upkeep.export_table(con.cursor(), n, e)[0],
                           file_name=f"{name}.{ext}", mime="text/csv" if ext == "csv" else "application/octet-stream",
                           icon=":material/download:", on_click="ignore")
        st.caption("While demonstration rounds are in the database, every export carries a column saying "
                   "the data are synthetic.")

        st.subheader("The whole database")
        demo_in = exports.demo_loaded(con)
        st.markdown("The published version of the DuckDB database (every table and view) that the pages "
                    "show now: a file that is never changed once published."
                    + (" It includes synthetic demonstration rounds (marked in survey_rounds.is_demo)."
                       if demo_in else ""))
        published = data.current_version()
        st.download_button(f"Download the database, version {published.version} (DuckDB)",
                           published.path.read_bytes,
                           file_name="pa_benchmark" + ("-includes-synthetic-demo" if demo_in else "") + ".duckdb",
                           mime="application/octet-stream", icon=":material/download:", on_click="ignore")

# ---- Reset -------------------------------------------------------------------------------------
if reset_tab.open:
    with reset_tab:
        st.subheader("Reset to the demonstration data")
        st.warning(
            "This takes the database back to how it is built from the repository: the rules, the councils "
            "and the synthetic demonstration rounds 2012-2015. Every imported round leaves the dashboard. "
            "A copy of the database as it is now is saved first in the backups folder beside the "
            "database file, and the audit log is kept.", icon=":material/warning:")
        confirm = st.text_input("Type RESET to confirm", key="reset_confirm", max_chars=10,
                                help="Type the word in capitals and press Enter; the button then becomes active.")
        if st.button("Reset to the demonstration data", type="primary", icon=":material/restart_alt:",
                     disabled=confirm.strip() != "RESET"):
            def _reset(w: duckdb.DuckDBPyConnection) -> str:
                saved = build.reset_to_demo(w, upkeep.backup_dir(data.working_path()), by=who)
                return (f"The database was reset to the demonstration data. The previous database is saved as "
                        f"{saved.name}.")

            done = _write(_reset, "reset to the demonstration data")  # a full disk: nothing changed
            if done:
                _after_write(md(done))
