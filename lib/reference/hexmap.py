"""Hex map of English councils: one equal-sized hexagon per council, coloured by a value.

Equal hexagons give every council the same visual weight (a real map would be dominated
by the big rural counties and hide London). Positions come from the database's hex_cells
table: one layout per council set, loaded from data/hex_cells.csv by the build (which derives
a layout for a new council set itself; see lib.reference.hexlayout, which this module never imports).

Drawing: hexagon fills are layout shapes (one per council, coloured individually), region
outlines are one line trace, and one marker trace at the cell centres carries hover text
and `customdata` = [code], so

    event = st.plotly_chart(fig, on_select="rerun", selection_mode="points")

returns the clicked council in event.selection.points[i]["customdata"][0] (see
`selected_code`). No map tiles, nothing fetched from the network.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lib.base.formatting import format_score
from lib.reference import geography
from lib.reference.hexgrid import (
    CORNER_RADIUS,
    Cell,
    cell_centre,
    hex_corners,
    hex_neighbours,
    shared_edge,
)

#: Sequential, colour-blind-safe scale (perceptually uniform, readable in greyscale).
COLOURSCALE = "Viridis"
NO_DATA_COLOUR = "#BFBFBF"
NO_DATA_TEXT = "No response in this round"
OUTLINE_COLOUR = "#1A1A1A"
CELL_EDGE_COLOUR = "#FFFFFF"


def hex_layout(con: duckdb.DuckDBPyConnection, day: date) -> pd.DataFrame:
    """Cells of the councils valid on `day`: code, names, region, type, hex_col, hex_row.

    The cells are the stored layout of that day's council set (table hex_cells). Raises
    ValueError naming the day when the database holds no layout for it.
    """
    layout = geography.layout_name(con, day)
    out = con.execute(
        """
        SELECT a.code, a.display_name, a.region_code, a.region_name, a.type, h.col AS hex_col, h.row AS hex_row
        FROM authorities a JOIN hex_cells h ON h.code = a.code AND h.layout = ?
        WHERE (a.valid_from IS NULL OR a.valid_from <= ?) AND (a.valid_to IS NULL OR a.valid_to > ?)
        ORDER BY a.code
        """, [layout, day, day]).df()
    if out.empty:
        raise ValueError(f"no hex layout for the councils of {geography.describe_day(day)}")
    return out


def _hexagon_path(col: int, row: int, shrink: float = 1.0) -> str:
    """SVG path of a cell (optionally shrunk towards its centre to leave a thin gap)."""
    x0, y0 = cell_centre(col, row)
    points = [(x0 + (x - x0) * shrink, y0 + (y - y0) * shrink) for x, y in hex_corners(col, row)]
    return "M " + " L ".join(f"{x:.4f},{y:.4f}" for x, y in points) + " Z"


def region_outline_traces(cells: pd.DataFrame, *, width: float = 2.5,
                          colour: str = OUTLINE_COLOUR) -> list[go.Scatter]:
    """One line trace drawing every edge where a region meets another region or the sea.

    `cells` needs hex_col, hex_row and region_name. Returned as a list so callers can add
    more outline styles later without changing the signature.
    """
    region_at: dict[Cell, str] = {
        (int(c), int(r)): str(reg)
        for c, r, reg in zip(cells["hex_col"], cells["hex_row"], cells["region_name"], strict=True)
    }
    xs: list[float | None] = []
    ys: list[float | None] = []
    for cell in sorted(region_at):
        for nb in hex_neighbours(*cell):
            if region_at.get(nb) != region_at[cell]:
                (x1, y1), (x2, y2) = shared_edge(cell, nb)
                xs += [x1, x2, None]
                ys += [y1, y2, None]
    return [go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": width},
                       hoverinfo="skip", showlegend=False, name="Region boundaries")]


def _fmt_number(value: float) -> str:
    return format_score(value)


def _hover_text(row: Mapping[str, Any], colour_label: str) -> str:
    name = html.escape(str(row["display_name"]))
    region = html.escape(str(row["region_name"]))
    value = row.get("value")
    if value is None or pd.isna(value):
        detail = NO_DATA_TEXT
    else:
        detail = f"{html.escape(colour_label)} {_fmt_number(float(value))}"
        rank, n_ranked = row.get("rank"), row.get("n_ranked")
        if rank is not None and not pd.isna(rank) and n_ranked is not None and not pd.isna(n_ranked):
            detail += f" · rank {int(rank)} of {int(n_ranked)}"
        else:
            detail += " · not ranked"
    lines = [f"<b>{name}</b>", region, detail]
    note = row.get("hover_note")
    if note is not None and not pd.isna(note) and str(note).strip():
        lines.append(html.escape(str(note)))
    return "<br>".join(lines)


def _map_data(cells: pd.DataFrame, value_col: str) -> pd.DataFrame:
    """The councils to draw: those with a cell, the value (float, NaN = none) in `value`, and
    rank, n_ranked and hover_note present (None when the caller had none). Raises ValueError
    naming any required column `cells` lacks."""
    required = {"code", "display_name", "region_name", "hex_col", "hex_row", value_col}
    missing = sorted(required - set(cells.columns))
    if missing:
        raise ValueError(f"hex_map_figure: cells is missing column(s) {', '.join(missing)}")
    data = cells.reset_index(drop=True).copy()
    if value_col != "value":
        data["value"] = data[value_col]
    data["value"] = pd.to_numeric(data["value"], errors="coerce").astype(float)
    for col in ("rank", "n_ranked", "hover_note"):
        if col not in data.columns:
            data[col] = None
    return data[data["hex_col"].notna() & data["hex_row"].notna()].reset_index(drop=True)


def _cell_shapes(data: pd.DataFrame, cols: list[int], rows: list[int], value_range: tuple[float, float],
                 colourscale: str) -> list[dict[str, Any]]:
    """One filled hexagon per council, coloured by its value on the fixed range (grey without one)."""
    low, high = value_range
    span = (high - low) or 1.0
    # One sample_colorscale call for every council with a value (it parses the scale each call).
    values = data["value"].tolist()
    known = [i for i, v in enumerate(values) if not math.isnan(v)]
    scaled = [min(max((values[i] - low) / span, 0.0), 1.0) for i in known]
    sampled = sample_colorscale(colourscale, scaled) if scaled else []
    fills = [NO_DATA_COLOUR] * len(values)
    for i, colour in zip(known, sampled, strict=True):
        fills[i] = colour
    return [{"type": "path", "path": _hexagon_path(col, row), "fillcolor": fill,
             "line": {"color": CELL_EDGE_COLOUR, "width": 1}, "layer": "below"}
            for col, row, fill in zip(cols, rows, fills, strict=True)]


def _council_markers(data: pd.DataFrame, centres: list[tuple[float, float]], colour_label: str,
                     value_range: tuple[float, float], colourscale: str) -> go.Scatter:
    """The invisible markers at the cell centres: hover text, the colour bar, customdata = [code]."""
    low, high = value_range
    hover = [_hover_text(rec, colour_label) for rec in data.to_dict("records")]
    return go.Scatter(
        x=[x for x, _ in centres], y=[y for _, y in centres], mode="markers",
        customdata=[[code] for code in data["code"]],
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        marker={
            "size": 14, "opacity": 0, "symbol": "hexagon",
            "color": data["value"].tolist(), "colorscale": colourscale,
            "cmin": low, "cmax": high, "showscale": True,
            "colorbar": {"title": {"text": html.escape(colour_label)}, "thickness": 14, "len": 0.7},
        },
        selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
        showlegend=False, name="Councils",
    )


def _map_layout(fig: go.Figure, data: pd.DataFrame, centres: list[tuple[float, float]],
                shapes: list[dict[str, Any]], title: str, height: int) -> None:
    """The map's frame: the hexagons, region labels, legend, and axes hidden and fitted to the cells."""
    pad = CORNER_RADIUS + 0.3
    xs = [x for x, _ in centres] or [0.0]
    ys = [y for _, y in centres] or [0.0]
    fig.update_layout(
        title={"text": html.escape(title)} if title else None,
        height=height, shapes=shapes,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        plot_bgcolor="white", paper_bgcolor="white",
        hovermode="closest", dragmode=False, clickmode="event+select",
        # Hover text dark on white, whatever the hexagon's colour (plotly would use the marker's).
        hoverlabel={"bgcolor": "white", "bordercolor": OUTLINE_COLOUR, "font": {"color": "#1a1a1a", "size": 13}},
        annotations=region_labels(data),
        legend={"orientation": "h", "yanchor": "bottom", "y": 0.0, "xanchor": "left", "x": 0.0,
                "bgcolor": "rgba(255,255,255,0.8)"},
        xaxis={"visible": False, "range": [min(xs) - pad, max(xs) + pad], "fixedrange": True},
        yaxis={"visible": False, "range": [min(ys) - pad, max(ys) + pad], "fixedrange": True,
               "scaleanchor": "x", "scaleratio": 1},
    )


def hex_map_figure(cells: pd.DataFrame, *, value_col: str = "value", title: str = "",
                   colour_label: str = "Score", value_range: tuple[float, float] = (0, 100),
                   height: int = 560, colourscale: str = COLOURSCALE) -> go.Figure:
    """A hex map of the given councils coloured by `value_col` on a fixed range.

    `cells` columns: code, display_name, region_name, hex_col, hex_row, the value column
    (float, NaN = no response), rank (nullable), n_ranked, and optionally hover_note.
    Councils without a value are grey and say so on hover; a legend entry explains grey.
    The range is fixed (default 0-100) so colours mean the same on every page and round.
    """
    data = _map_data(cells, value_col)
    cols = data["hex_col"].astype(int).tolist()
    rows = data["hex_row"].astype(int).tolist()
    shapes = _cell_shapes(data, cols, rows, value_range, colourscale)
    centres = [cell_centre(c, r) for c, r in zip(cols, rows, strict=True)]
    markers = _council_markers(data, centres, colour_label, value_range, colourscale)

    fig = go.Figure()
    for trace in region_outline_traces(data):
        fig.add_trace(trace)
    fig.add_trace(markers)
    if data["value"].isna().any():
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name=NO_DATA_TEXT, showlegend=True,
            marker={"symbol": "hexagon", "size": 14, "color": NO_DATA_COLOUR,
                    "line": {"color": OUTLINE_COLOUR, "width": 1}},
            hoverinfo="skip",
        ))
    _map_layout(fig, data, centres, shapes, title, height)
    return fig


def region_labels(cells: pd.DataFrame) -> list[dict[str, Any]]:
    """One label per region, on the region's own hexagon nearest the middle of its hexagons (the
    middle itself can fall in another region: the South East's is in London), on a light
    background so both the name and the colours around it stay readable. Labels take no clicks
    or hovers, so a council under one can still be pointed at and clicked.

    `cells` needs hex_col, hex_row and region_name.
    """
    if cells.empty:
        return []
    centres = [cell_centre(int(c), int(r)) for c, r in zip(cells["hex_col"], cells["hex_row"], strict=True)]
    frame = pd.DataFrame({"region": cells["region_name"].astype(str), "x": [x for x, _ in centres],
                          "y": [y for _, y in centres]})
    labels = []
    for region, group in frame.groupby("region", sort=True):
        mx, my = group["x"].mean(), group["y"].mean()
        at = ((group["x"] - mx) ** 2 + (group["y"] - my) ** 2).idxmin()
        labels.append({
            "x": float(group.loc[at, "x"]), "y": float(group.loc[at, "y"]), "text": html.escape(str(region)),
            "showarrow": False, "font": {"size": 11, "color": "#1a1a1a"},
            "bgcolor": "rgba(255,255,255,0.8)", "borderpad": 2, "captureevents": False,
        })
    return labels


def selected_code(event: Any) -> str | None:
    """The council code picked in a `st.plotly_chart(..., on_select="rerun")` event, if any."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        points = getattr(getattr(event, "selection", None), "points", None)
    if not points:
        return None
    data = points[0].get("customdata")
    if isinstance(data, list | tuple):
        data = data[0] if data else None
    return str(data) if data else None
