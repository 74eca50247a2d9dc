"""Charts for the regional comparison: the hex map, the region league and the region x standard grid.

Each function takes a DataFrame from lib.analysis.regions and returns a plotly figure. Colours: the
shared 0-100 score scale (cividis) and the Okabe-Ito palette from lib.charts.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from lib.base.formatting import format_percent, format_score, is_missing
from lib.charts import (
    COMPARATOR_COLOURS,
    LINE_PX,
    PALETTE,
    ROW_LABEL_WRAP,
    SCORE_SCALE,
    bar_gap,
    base_layout,
    label_rows_above,
    row_pitch,
    stack_header,
    text_lines,
    wrap_text,
)
from lib.reference import hexmap

BAR_PX = 18

#: Councils outside the type filter: an empty hexagon with a faint edge.
FILTERED_OUT_FILL = "#FFFFFF"
FILTERED_OUT_EDGE = "#B3B3B3"

def region_hex_map(cells: pd.DataFrame, *, colour_label: str, title: str, source: str,
                   filter_note: str | None = None, height: int = 620) -> go.Figure:
    """The hex map of every council, coloured by `value`, with councils outside the filter left empty.

    Expects lib.analysis.regions.map_cells(): code, display_name, region_name, type, hex_col, hex_row,
    responded, value, rank, n_ranked, in_filter. Grey: no response (or, for a respondent, no
    evidence on the standard shown). Empty hexagons: another type of council than the filter's,
    named in `filter_note` (e.g. "Not a county"). Hover names the council, value and rank.
    """
    data = cells.reset_index(drop=True).copy()
    notes: list[str | None] = []
    for r in data.itertuples():
        if r.responded and is_missing(r.value):
            notes.append("Responded, but gave no usable answer for this standard")
        else:
            notes.append(None)
    data["hover_note"] = notes
    # The map keeps hexmap's own scale (viridis, as on the home page): cividis's grey middle would
    # be confused with the grey of councils that did not respond.
    fig = hexmap.hex_map_figure(data, title="", colour_label=colour_label, height=height)

    # hex_map_figure draws one shape per row of `data` (all rows have a cell) and one marker trace
    # carrying the hover text; councils outside the filter get an empty cell and their own hover.
    out = data.index[~data["in_filter"].astype(bool)].tolist()
    if out:
        shapes = list(fig.layout.shapes)
        for i in out:
            shapes[i].update(fillcolor=FILTERED_OUT_FILL, line={"color": FILTERED_OUT_EDGE, "width": 1})
        fig.layout.shapes = shapes
        markers = next(t for t in fig.data if t.name == "Councils")
        hover = list(markers.hovertext)
        for i in out:
            row = data.loc[i]
            hover[i] = "<br>".join([f"<b>{html.escape(str(row['display_name']))}</b>",
                                    html.escape(str(row["region_name"])),
                                    html.escape(filter_note or "Outside the filter")])
        markers.hovertext = hover
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name="Other types of council",
            marker={"symbol": "hexagon-open", "size": 14, "color": FILTERED_OUT_EDGE}, hoverinfo="skip",
        ))
    if data["responded"].astype(bool).any() and (data["responded"].astype(bool) & data["value"].isna()).any():
        for trace in fig.data:
            if trace.name == hexmap.NO_DATA_TEXT:
                trace.name = "No response, or no evidence on this standard"

    base_layout(fig, title=title, source=source, height=height)
    # Legend entries one per line between the title and the map, the source line under the map.
    entries = sum(1 for t in fig.data if t.showlegend)
    top = 50 + 22 * entries
    fig.update_layout(
        title={"y": 1 - 12 / height, "yref": "container", "yanchor": "top"},
        margin={"l": 10, "r": 10, "t": top, "b": 40},
        legend={"orientation": "v", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0,
                "bgcolor": "rgba(255,255,255,0)", "font": {"size": 12}},
    )
    fig.update_xaxes(visible=False, showgrid=False, zeroline=False)
    fig.update_yaxes(visible=False, showgrid=False, zeroline=False)
    for trace in fig.data:
        if trace.name == "Councils":
            trace.marker.colorbar.update(len=0.6, y=0.4, yanchor="middle")
    for ann in fig.layout.annotations:
        if str(ann.text).startswith("Source:"):
            ann.update(y=-0.02, yanchor="top")
    return fig


def league_chart(league: pd.DataFrame, *, england_median: float | None, source: str,
                 title: str) -> go.Figure:
    """Each region's median overall score (dot) and middle half of councils (bar), league order.

    Expects lib.analysis.regions.region_league(). Row labels carry the response coverage, so a region
    with few respondents is read with that in mind. The dashed line is England's median.
    """
    data = league[league["median_score"].notna()].copy()
    labels = [f"{name} ({int(r)} of {int(c)} responded)" for name, r, c in
              zip(data["region_name"], data["respondents"], data["councils"], strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=(data["q3_score"] - data["q1_score"]).tolist(), base=data["q1_score"].tolist(),
        orientation="h", name="Middle half of councils (quartiles)",
        marker={"color": PALETTE["sky"], "line": {"width": 0}}, opacity=0.55, width=0.5,
        customdata=data[["q1_score", "q3_score", "ranked"]].to_numpy(),
        hovertemplate="%{y}<br>Middle half: %{customdata[0]:.0f} to %{customdata[1]:.0f}"
                      "<br>%{customdata[2]} ranked councils<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        y=labels, x=data["median_score"].tolist(), mode="markers", name="Median overall score",
        marker={"symbol": "diamond", "size": 13, "color": COMPARATOR_COLOURS["council"]},
        hovertemplate="%{y}<br>Median overall score %{x:.0f}<extra></extra>",
    ))
    if england_median is not None and not is_missing(england_median):
        fig.add_vline(x=float(england_median), line={"color": COMPARATOR_COLOURS["England"], "dash": "dash",
                                                     "width": 2})
        fig.add_annotation(x=float(england_median), y=1.0, yref="paper", yanchor="bottom", yshift=8, showarrow=False,
                           text=f"England median {format_score(england_median)}",
                           font={"size": 12, "color": COMPARATOR_COLOURS["England"]})
    fig.update_xaxes(range=[0, 102], dtick=20)
    base_layout(fig, title=title, source=source, x_title="Overall score (0-100)")
    # Each region's name above its bar, so the bars keep the chart's whole width on a phone.
    lines = label_rows_above(fig, labels, marker_px=BAR_PX, backdrop=True)
    stack_header(fig, plot_height=row_pitch(lines, BAR_PX) * max(len(labels), 1), legend_entries=2, extra_px=26)
    fig.update_traces(width=None, selector=dict(type="bar"))
    fig.update_layout(bargap=bar_gap(lines, BAR_PX))
    return fig


def region_standard_heatmap(matrix: pd.DataFrame, *, measure: str, source: str, title: str) -> go.Figure:
    """Standards down, regions across; each cell the median score or the share meeting, written in.

    Expects lib.analysis.regions.region_standard_matrix(). measure: 'median' (0-100 points) or
    'meeting' (share of councils with evidence in the top band, shown as %). Cells with no
    evidence are left white and say so. Column labels carry each region's response coverage
    (councils responding of councils in the region), and so does every cell's hover.
    """
    regions_order = list(dict.fromkeys(matrix["region_name"]))
    standards = matrix.drop_duplicates("standard").sort_values("standard")
    y_labels = [f"{int(n)}. {name}" for n, name in zip(standards["standard"], standards["short_name"], strict=True)]
    cover = matrix.drop_duplicates("region_name").set_index("region_name")
    x_labels = [html.escape(str(name)) + f"<br>({int(cover.loc[name, 'respondents'])} of {int(cover.loc[name, 'councils'])})"
                for name in regions_order]
    z, text, hover = [], [], []
    for number, label in zip(standards["standard"], standards["short_name"], strict=True):
        part = matrix[matrix["standard"] == number].set_index("region_name")
        z_row: list[float | None] = []
        t_row: list[str] = []
        h_row: list[str] = []
        for name in regions_order:
            r = part.loc[name]
            head = f"<b>{html.escape(name)}</b><br>{int(number)}. {html.escape(str(label))}<br>"
            cov = (f"<br>{int(r['respondents'])} of {int(r['councils'])} councils responded "
                   f"({format_percent(r['coverage'])})")
            if not r["scored"]:
                z_row.append(None)
                t_row.append("No<br>response")
                h_row.append(head + "No council responded" + cov)
            elif measure == "meeting":
                share = float(r["share_meeting"]) * 100
                z_row.append(share)
                t_row.append(format_percent(r["share_meeting"]))
                h_row.append(head + f"{format_percent(r['share_meeting'])} meet the standard ({int(r['meeting'])} of "
                             f"{int(r['scored'])} councils scored)" + cov)
            else:
                z_row.append(float(r["median_score"]))
                t_row.append(format_score(r["median_score"]))
                h_row.append(head + f"Median score {format_score(r['median_score'])} "
                             f"({int(r['scored'])} councils scored)" + cov)
        z.append(z_row)
        text.append(t_row)
        hover.append(h_row)
    colour_title = "% meeting" if measure == "meeting" else "Median score"
    # Each standard's name above its row of cells (in the gap between rows), and the regions' names
    # turned upright over their columns: the grid keeps the chart's whole width on a phone.
    cell_px = 30
    wrapped = [wrap_text(label, ROW_LABEL_WRAP) for label in y_labels]
    lines = max((text_lines(t) for t in wrapped), default=1)
    pitch = row_pitch(lines, cell_px)
    fig = go.Figure(go.Heatmap(
        z=z, x=x_labels, y=y_labels, zmin=0, zmax=100, colorscale=SCORE_SCALE,
        text=text, texttemplate="%{text}", textfont={"size": 11},
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", xgap=2, ygap=pitch - cell_px,
        colorbar={"title": {"text": colour_title, "side": "top"}, "orientation": "h", "thickness": 10,
                  "len": 220, "lenmode": "pixels", "x": 0, "xanchor": "left", "xref": "container", "xpad": 10,
                  "yref": "container", "yanchor": "top", "ypad": 0,
                  "ticksuffix": "%" if measure == "meeting" else ""},
    ))
    fig.update_xaxes(side="top", showgrid=False, tickangle=-90, tickfont={"size": 12}, automargin=False,
                     ticklabelstandoff=12)
    base_layout(fig, title=title, source=source,
                x_title=wrap_text("Region (councils responding of councils in the region)", 40), y_title="Standard")
    label_rows_above(fig, y_labels, marker_px=cell_px)
    fig.update_yaxes(showgrid=False, title_standoff=2)
    names_px = 8 + int(6.6 * max((len(x.split("<br>")[0]) for x in x_labels), default=0))
    plot = pitch * max(len(y_labels), 1)
    title_px = 12 + LINE_PX[16] * text_lines(fig.layout.title.text)
    top = title_px + 8 + 50 + 40 + names_px + 12  # title, colour bar, axis title, upright names
    height = top + plot + 60
    fig.data[0].colorbar.update(y=1 - (title_px + 8) / height)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": top, "b": 60}, plot_bgcolor="#FFFFFF",
                      title={"y": 1 - 12 / height, "yref": "container", "yanchor": "top"})
    fig.update_xaxes(title_standoff=8)
    for ann in fig.layout.annotations:
        if str(ann.text).startswith("Source:"):
            ann.update(y=-12 / plot, yanchor="top")
    return fig
