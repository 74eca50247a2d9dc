"""Regional comparison: how each ADASS region compares, and which councils in it lag on which standard."""

from __future__ import annotations

import streamlit as st

from lib.analysis import regions
from lib.base import exports
from lib.base.formatting import council_type_text, format_score
from lib.base.formatting import escape_markdown as md
from lib.charts import band_cell_styles
from lib.charts import regions as charts
from lib.reference import hexmap
from lib.reports import opendata_files
from lib.scoring import views as scoring
from lib.web import data, display, frame, pickers, urlstate

frame.require_frame(__file__)

# Queries run once per published version and arguments, shared by every session (lib.web.data).
cached_scoring = data.per_version(scoring)
cached_regions = data.per_version(regions)
year = pickers.current_round()
source = pickers.data_source(year)
demo = pickers.is_demo(year)


st.title("Regional comparison")
st.markdown(
    "How the nine ADASS regions compare on the minimum standards of support for individual "
    "employers and their PAs, and which councils in each region fall short on which standard. "
    "Every regional figure is shown with its **response coverage**: how many of the region's "
    "councils answered the survey. The choices below are kept in the page's link."
)

# ---- Controls shared by the page -----------------------------------------------------------
asked = cached_regions.standards_asked(year)
asked_numbers = [int(n) for n in asked.loc[asked["asked"], "standard"]]
standard_names = dict(zip(asked["standard"].astype(int), asked["short_name"], strict=True))
requested = urlstate.query_param("standard")
if requested and requested != regions.OVERALL and regions.parse_standard(requested, asked_numbers) is None:
    st.info(f"Standard {urlstate.echo(requested)} was not asked about in the {year} survey, so the map shows the "
            "overall score.", icon=":material/info:")
    urlstate.set_query_params(standard=None)

c1, c2 = st.columns(2)
with c1:
    choice = urlstate.url_choice(
        st.selectbox, "Colour the map by", [regions.OVERALL, *[str(n) for n in asked_numbers]],
        key="reg_standard", param="standard", default=regions.OVERALL,
        format_func=lambda v: "Overall score" if v == regions.OVERALL
        else f"Standard {v}: {standard_names[int(v)]}",
        help="The overall score, or one standard's score (0 to 100).",
    )
with c2:
    council_type = urlstate.url_choice(
        st.selectbox, "Type of council", [None, *regions.TYPE_FILTERS], key="reg_type", param="type",
        default=None, format_func=lambda t: "All types" if t is None else council_type_text(t),
        help="Compare one type of council only. The map, league table, heat map and council list "
             "all follow this choice.",
    )
standard = None if choice == regions.OVERALL else int(choice)
measure_name = "Overall score" if standard is None else f"Standard {standard}: {standard_names[standard]}"
type_plural = council_type_text(council_type, "plural") if council_type else None
if len(asked_numbers) < len(asked):
    st.caption(f"The {year} survey asked about standards {', '.join(str(n) for n in asked_numbers)} only; "
               "the others are left out of this page for that round.")

# ---- 1. Map --------------------------------------------------------------------------------
st.header("Map of councils")
cells = cached_regions.map_cells(year, standard, council_type)
map_col, side_col = st.columns([3, 2], gap="large")
with map_col:
    fig = data.chart(charts.region_hex_map,
        cells, colour_label="Score", source=source,
        title=f"{measure_name}, {year}" + (f": {type_plural}" if type_plural else ""),
        filter_note=f"Not one of the {type_plural} (outside the filter)" if type_plural else None,
    )
    event = st.plotly_chart(fig, width="stretch", on_select="rerun", selection_mode="points",
                            key="reg_map", config={"displayModeBar": False})
    picked = hexmap.selected_code(event)
    if picked:
        st.session_state[pickers.CHOSEN_COUNCIL] = picked
        st.switch_page("pages/scorecard.py", query_params={"authority": picked, "round": str(year)})
with side_col:
    shown = cells[cells["in_filter"]]
    responding = int(shown["responded"].sum())
    st.markdown(
        f"One hexagon per council, placed to resemble England, with a heavy line round each region. "
        f"Colour shows the **{md(measure_name.lower() if standard is None else measure_name)}** from 0 "
        "(dark purple) to 100 (yellow); **grey** means the council did not respond in this round"
        + (" or gave no usable answer for this standard" if standard is not None else "") + ". "
        + (f"Only **{md(type_plural)}** are coloured; other councils are drawn as empty hexagons. "
           if type_plural else "")
        + "Point at a council for its score and rank; **click it to open its scorecard**."
    )
    st.caption(f"{responding} of {len(shown)} {md(type_plural or 'councils')} responded in {year}. "
               + ("Ranks are among the " + md(type_plural) + "." if type_plural else "Ranks are in England."))
    st.subheader("Open a council's scorecard", divider=False)
    names = dict(zip(shown["code"], shown["display_name"], strict=True))
    target = st.selectbox("Council", list(names), index=None, format_func=names.get, key="reg_open",
                          placeholder="Type a council's name",
                          help="The same as clicking a council on the map, for keyboard users.")
    if target:
        st.page_link("pages/scorecard.py", label=f"Open the scorecard for {md(names[target])}",
                     icon=":material/assignment:", query_params={"authority": target, "round": str(year)})
with display.on_demand("Table: every council on the map, with region, type, score and rank", key="regions_map") as opened:
    if opened:
        display.show_table(regions.map_table(shown, year))
        st.caption("Councils outside the type filter are left out of this table."
                   if type_plural else "Sorted by council name.")

# ---- 2. League table -----------------------------------------------------------------------
st.header("Region league table")
league = cached_regions.region_league(year, council_type)
england = cached_regions.england_overall(year, council_type)
_, top_label, top_min = cached_scoring.top_band()
if league.empty or league["ranked"].sum() == 0:
    st.info(f"No {md(type_plural or 'council')} was ranked in {year}, so there is no league to show.")
else:
    st.markdown(
        "Regions ranked by the **median overall score** of their ranked councils"
        + (f" (**{md(type_plural)}** only)" if type_plural else "")
        + ". The bar shows the middle half of the region's councils (from the lower to the upper "
        "quartile), so a long bar means councils in the region differ a lot. A region whose "
        "coverage is low is described by few of its councils: read its figures with care."
    )
    st.plotly_chart(
        data.chart(charts.league_chart, league, england_median=england["median_score"], source=source,
                            title=f"Median overall score by region, {year}"
                                  + (f": {type_plural}" if type_plural else "")),
        width="stretch", config={"displayModeBar": False},
    )
    league_shown = regions.league_table(league)
    display.show_table(league_shown, column_config={
        "Middle half of councils": st.column_config.TextColumn(
            help="Lower to upper quartile of the overall scores of the region's ranked councils."),
        "Councils responding": st.column_config.TextColumn(
            help="Councils that responded, of the councils in the region, and the coverage (%)."),
        "Standards most councils meet": st.column_config.TextColumn(
            help=f"Standards that more than half of the region's responding councils "
                 f"meet (score {top_min:.0f} or more: '{top_label}'); the numbers are the standards."),
    })
    missing_regions = sorted(set(cached_regions.regions(year)["region_name"]) - set(league["region_name"]))
    st.caption(
        f"England median: {format_score(england['median_score'])}, from {england['respondents']} of "
        f"{england['councils']} {md(type_plural or 'councils')} responding."
        + (f" No {md(type_plural)} in: {md(', '.join(missing_regions))}." if missing_regions and type_plural else "")
    )
    download = exports.label_demo(regions.league_export(league, year, council_type), demo)
    st.download_button("Download the league table (CSV)", lambda table=download: exports.to_csv_bytes(table),
                       file_name=f"region_league_{year}.csv", mime="text/csv",
                       icon=":material/download:", on_click="ignore")
    display.api_link("Every council's overall score behind the table", "scores", round=year, level="overall",
                 type=council_type)

# ---- 3. Region x standard ------------------------------------------------------------------
st.header("Regions against each standard")
measure = urlstate.url_choice(
    st.radio, "Show in each cell", list(regions.MEASURES), key="reg_measure", param="measure",
    default="median", format_func=regions.MEASURES.get, horizontal=True,
    help="The median score of the region's responding councils, or the share of them that "
         f"meet the standard (score {top_min:.0f} or more).",
)
matrix = cached_regions.region_standard_matrix(year, council_type)
if matrix.empty:
    st.info(f"There are no {md(type_plural or 'councils')} in this round.")
else:
    st.markdown(
        "Each column is a region, each row a standard; the number in a cell is "
        + ("the **median score** (0 to 100) of the region's responding councils on that standard"
           if measure == "median" else
           f"the **share of the region's councils meeting the standard** (score {top_min:.0f} or more)")
        + ". Darker cells are lower. Under each region's name: councils responding out of councils "
        "in the region; point at a cell for the detail."
    )
    st.plotly_chart(
        data.chart(charts.region_standard_heatmap,
            matrix, measure=measure, source=source,
            title=("Median standard score" if measure == "median" else "Share of councils meeting each standard")
                  + f" by region, {year}" + (f": {type_plural}" if type_plural else "")),
        width="stretch", config={"displayModeBar": False},
    )
    with display.on_demand("Table: the same figures, region by standard", key="regions_standards") as opened:
        if opened:
            display.show_table(regions.matrix_table(matrix, measure))

# ---- 4. Councils in one region -------------------------------------------------------------
st.header("Councils in a region")
region_list = cached_regions.regions(year)
region_names = dict(zip(region_list["region_code"], region_list["region_name"], strict=True))
ordered = [c for c in league["region_code"] if c in region_names] if len(league) else []
ordered += [c for c in region_names if c not in ordered]
# Open on the region of the council chosen on any page (scorecard, peers), else the league's top.
home_region = pickers.chosen_council_region(year)
region = urlstate.url_choice(
    st.selectbox, "Region", ordered, key="reg_region", param="region",
    default=home_region if home_region in ordered else (ordered[0] if ordered else None),
    format_func=region_names.get, help="Listed in league table order. Opens on the region of the council "
                                       "you last chose, if any.",
)
if region is not None:
    long = cached_regions.council_scores_long(year, region=region, council_type=council_type)
    region_label = region_names[region]
    low_key, low_label = cached_scoring.lowest_band()
    grid, grid_bands = regions.council_grid(long, low_key, low_label)
    absent = regions.non_respondents(long)
    if long.empty:
        st.info(f"There are no {md(type_plural)} in {md(region_label)}.")
    elif grid.empty:
        st.info(f"None of the {md(type_plural or 'councils')} in {md(region_label)} responded in {year}.")
    else:
        st.markdown(
            f"Each responding {md(council_type_text(council_type, 'singular')) if council_type else 'council'} "
            f"in **{md(region_label)}**, best overall first, with its score and band on each standard. "
            f"The **Standards not met** column lists the standards where the council is in the "
            f"'{md(low_label)}' band, so the gaps can be read at a glance; cells are tinted by band "
            "as well as named. Figures in brackets are the range a council's \"Don't know\" and "
            "unanswered questions leave: each counts as the worst answer, and known answers could "
            "raise the score (and the rank) as far as the second figure."
        )
        table = grid.drop(columns=["code"])
        styled = table.style.apply(lambda _: band_cell_styles(grid_bands.drop(columns=["code"])),
                                   axis=None)
        st.dataframe(styled, hide_index=True, width="stretch", height="content", column_config={
            "Standards not met": st.column_config.TextColumn(
                help=f"Standards (by number) in the '{low_label}' band for this council."),
            "Rank in England": st.column_config.TextColumn(help="Overall rank among ranked councils in England."),
        })
        st.caption("Scroll the table sideways to see every standard.")
        st.download_button(
            f"Download the {region_label} councils' scores (CSV)",
            data.deferred(opendata_files.shown("scores", round=year, region=region, type=council_type)),
            file_name=f"councils_{region}_{year}.csv", mime="text/csv", icon=":material/download:",
            on_click="ignore", help="Each council's overall and standard scores, a row each (level says "
                                    "which), in the open data's columns.",
        )
        display.api_link(f"The same rows as the {region_label} councils' file", "scores", round=year, region=region,
                     type=council_type)
    if absent:
        st.markdown(f"**Did not respond in {year}** ({len(absent)}): " + md(", ".join(absent)) + ".")
