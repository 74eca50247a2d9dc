"""Download the data: every published round's scores, answers (where the round allows it) and
question summaries as CSV, Excel or Parquet, each with its API address, and a data dictionary.

The datasets and their columns are defined once in lib.reports.opendata, which the HTTP API
(lib.api.routes) serves too, so a file and the API return the same columns; the files are built
by lib.reports.opendata_files and the dictionary by lib.reports.opendata_dictionary."""

from __future__ import annotations

import streamlit as st

from lib.api import routes as api
from lib.base.formatting import escape_markdown as md
from lib.reports import opendata, opendata_dictionary, opendata_files
from lib.web import data, display, frame, pickers, urlstate

frame.require_frame(__file__)

cached_files = data.per_version(opendata_files)
cached_dictionary = data.per_version(opendata_dictionary)
ALL = "all"

st.title("Download the data")
st.markdown(
    "Everything the dashboard scores, free to download and reuse: each council's overall and "
    "standard scores, councils' own answers where a round's publication policy allows it, and "
    "per-question summaries for England, each region and each council type. Every file names "
    "its round, the council set it is held against and where its answers came from; rows of "
    "synthetic demonstration data say so in their `data_note` column. Files are built when you "
    "press a button."
)

rounds = pickers.rounds_table()
years = [str(int(y)) for y in rounds["year"]]
choice = urlstate.url_choice(st.selectbox, "Rounds to download", [ALL, *years], key="downloads_rounds",
                        param="files", default=ALL,
                        format_func=lambda v: "All rounds together" if v == ALL else f"The {v} round",
                        help="One survey round, or every round in one file.")
year = None if choice in (None, ALL) else int(choice)
if (bool(rounds["is_demo"].any()) if year is None else pickers.is_demo(year)):
    st.info("These files include **synthetic demonstration data**: every such row says so in its "
            "`data_note` column. They describe no real council.", icon=":material/science:")

for entry in cached_files.catalogue(year):
    name = entry["dataset"]
    st.subheader(entry["title"])
    st.markdown(md(entry["description"]))
    if not entry["available"]:
        st.info(md(entry["note"]), icon=":material/lock:")
        continue
    if entry["note"]:
        st.caption(md(entry["note"]))
    buttons = st.columns(3)
    for column, (fmt, label) in zip(buttons, (("csv", "CSV"), ("xlsx", "Excel"), ("parquet", "Parquet")),
                                    strict=True):
        column.download_button(f"{entry['title']} ({label})", data.deferred(opendata_files.builder(name, year, fmt)),
                               file_name=opendata_files.file_name(name, year, fmt), mime=opendata_files.MEDIA_TYPES[fmt],
                               icon=":material/download:", on_click="ignore", key=f"download_{name}_{fmt}")
    st.markdown(f"The same data from the API: [`{entry['api']}`]({entry['api']}) (JSON) or "
                f"[as CSV]({opendata.api_path(name, year, 'csv')}).")

st.header("The API")
st.markdown(
    "The same server answers read-only requests under `/api/v1/`, in JSON (the default) or CSV "
    "(`format=csv`), with the columns of the files above. Responses carry an `ETag` and "
    "`Cache-Control: public, no-cache`, so a client can ask again cheaply: an unchanged answer "
    "comes back as 304. A parameter that cannot be used gets a 400 naming it. The full "
    "description is at [`/api/v1/openapi.json`](/api/v1/openapi.json); "
    "[`/api/v1/health`](/api/v1/health) says which published version is served."
)
display.show_table(api.endpoint_table())

st.header("Data dictionary")
st.markdown(
    "Every column of every dataset: what it means, its type, its unit and the values it can "
    "take. Types are read from the database and allowed values from the scoring rules "
    "(`standards/scoring.toml`) and the reference data, so this list follows them."
)
dictionary = cached_dictionary.dictionary()
columns = {"column": "Column", "meaning": "Meaning", "type": "Type", "unit": "Unit",
           "allowed_values": "Allowed values"}
for name, spec in opendata.DATASETS.items():
    rows = dictionary[dictionary["dataset"] == name]
    with display.on_demand(f"{spec.title} ({name}, {len(rows)} columns)", key=f"downloads_{name}") as opened:
        if opened:
            display.show_table(rows[list(columns)].rename(columns=columns))
with display.on_demand(f"Columns only in the pages' own downloads ({len(cached_dictionary.page_only_columns())} columns)", key="downloads_page_only") as opened:
    if opened:
        st.markdown("Each page's \"Download\" file uses the names above for what the API also has; these "
                    "are the columns only those files have (the medians beside a council, the regional league).")
        display.show_table(cached_dictionary.page_only_columns().rename(columns=columns))
