"""Plotly chart building blocks shared by every page: one palette, one band scheme.

Colours are from the Okabe-Ito colour-blind-safe palette. Each chart function elsewhere in
lib.charts takes a DataFrame and returns a figure; pages only place them.
"""

from __future__ import annotations

import html
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go

from lib.scoring.standards import load_config

# Okabe & Ito (2008), distinguishable with the common forms of colour-vision deficiency.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7F7F7F",
    "light_grey": "#BFBFBF",
}

@lru_cache(maxsize=1)
def _band_colours() -> tuple[dict[str | None, str], dict[str, str]]:
    """Band key -> colour and -> light tint, as standards/scoring.toml gives them."""
    bands = load_config().bands
    colours: dict[str | None, str] = {b.key: b.colour for b in bands}
    colours[None] = PALETTE["light_grey"]
    return colours, {b.key: b.tint for b in bands}


#: Band key -> colour, used for every band everywhere (chips, bars, dots, heat maps); from the
#: `colour` of each band in scoring.toml. No evidence is light grey.
BAND_COLOURS, BAND_TINTS = _band_colours()
NO_EVIDENCE_LABEL = "No evidence"


def band_cell_styles(bands: pd.DataFrame) -> pd.DataFrame:
    """CSS for a table whose cells name their band: a light tint of the band colour (text stays dark)."""
    return bands.map(lambda b: f"background-color: {BAND_TINTS[b]}; color: #1B1B1B"
                     if isinstance(b, str) and b in BAND_TINTS else "")


#: Roles in comparison charts: the chosen council and its comparators.
COMPARATOR_COLOURS = {
    "council": PALETTE["black"],
    "England": PALETTE["blue"],
    "Region": PALETTE["orange"],
    "Peer group": PALETTE["green"],
}

#: Sequential scale for scores 0-100 (cividis is designed for colour-vision deficiency).
SCORE_SCALE = "Cividis"

FONT = dict(family="Arial, Helvetica, sans-serif", size=14, color="#1B1B1B")


def band_colour(band: str | None) -> str:
    return BAND_COLOURS.get(band, PALETTE["light_grey"])


def add_band_shading(fig: go.Figure, bands: list[tuple[str, str, float]], *, axis: str = "x",
                     opacity: float = 0.10, show_minimum: bool = False) -> go.Figure:
    """Shade each band's score range behind the marks and name it, so a band is read from
    position and words as well as colour.

    `bands` is [(key, label, minimum score)], highest first (lib.scoring.views.band_scale). With
    axis="x" scores run across and the names sit along the top; with axis="y" scores run up and
    the names sit to the right of the plot. `show_minimum` adds each band's threshold ("75+").
    """
    upper = 100.0
    shapes, notes = [], []  # added in one go: add_vrect / add_annotation re-validate every shape and note
    for key, label, lo in bands:
        name = html.escape(str(label))
        # The threshold on a line of its own, so the names fit their band on a phone (~360 px).
        text = (f"<b>{name}</b><br>{lo:.0f}+" if lo > 0 else f"<b>{name}</b><br>below {upper:.0f}") \
            if show_minimum else name
        font = dict(size=12, color="#333333")
        band = dict(type="rect", fillcolor=band_colour(key), opacity=opacity, line=dict(width=0), layer="below")
        if axis == "x":
            shapes.append(dict(band, x0=lo, x1=upper, xref="x", y0=0, y1=1, yref="y domain"))
            notes.append(dict(x=(lo + upper) / 2, y=1.0, xref="x", yref="paper", yanchor="bottom",
                              text=text, showarrow=False, font=font))
        else:
            shapes.append(dict(band, x0=0, x1=1, xref="x domain", y0=lo, y1=upper, yref="y"))
            # Short lines, so the right margin they need (about 70 px) leaves a phone's chart room.
            notes.append(dict(x=1.01, xref="paper", xanchor="left", y=(lo + upper) / 2, yref="y",
                              text=wrap_text(text, 8), showarrow=False, font=font, align="left"))
        upper = lo
    fig.layout.shapes = fig.layout.shapes + tuple(go.layout.Shape(s) for s in shapes)
    fig.layout.annotations = fig.layout.annotations + tuple(go.layout.Annotation(a) for a in notes)
    return fig


def wrap_text(text: str, width: int) -> str:
    """Break text onto lines of about `width` characters (plotly has no automatic wrapping)."""
    words, lines, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


#: Characters per line that fit a phone's width (a 390 px screen leaves about 340 px for a chart):
#: titles (16 px bold), the source line (12 px) and row names above the rows (13 px).
TITLE_WRAP = 36
SOURCE_WRAP = 44
ROW_LABEL_WRAP = 52
LINE_PX = {16: 21, 13: 17, 12: 16}
#: Room above a plot for add_band_shading's names (two lines of 12 px).
BAND_NAMES_PX = 40


def text_lines(text: str) -> int:
    return str(text).count("<br>") + 1


def base_layout(fig: go.Figure, *, title: str, source: str, height: int = 420,
                x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    """Common look: title, axis titles, a source line under the chart, readable font.

    The title and source are wrapped to fit a phone's width (plotly does not wrap text, and a
    figure is responsive in width only): a long one takes two lines at every width."""
    fig.update_layout(
        title=dict(text=wrap_text(title, TITLE_WRAP), x=0, xanchor="left", font=dict(size=16)),
        font=FONT, height=height, margin=dict(l=10, r=10, t=60, b=70),
        plot_bgcolor="#FFFFFF", paper_bgcolor="#FFFFFF",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
    )
    # One update per axis kind (each walks and validates every axis of a multi-panel figure).
    grid = dict(gridcolor="#E5E5E5", zerolinecolor="#BFBFBF")
    fig.update_xaxes(**grid, **({"title_text": x_title} if x_title is not None else {}))
    fig.update_yaxes(**grid, **({"title_text": y_title} if y_title is not None else {}))
    # Appended, not add_annotation, which validates every annotation already there again.
    fig.layout.annotations = fig.layout.annotations + (go.layout.Annotation(
        text=wrap_text(f"Source: {source}", SOURCE_WRAP), xref="paper", align="left", yref="paper", x=0, y=-0.2,
        xanchor="left", yanchor="top", showarrow=False, font=dict(size=12, color="#4D4D4D")),)
    return fig


def label_rows_above(fig: go.Figure, labels: list[str], positions: list | None = None, *,
                     width: int = ROW_LABEL_WRAP, font_size: int = 13, marker_px: int = 18,
                     backdrop: bool = False) -> int:
    """Name each row of a horizontal chart just above its marks, from the left edge, instead of
    as y-axis tick labels beside them: long names then never squeeze the plot, which keeps the
    chart's whole width on a phone as on a desktop. `positions` are the rows' y values (default:
    the labels, on a category axis). Returns the number of lines of the longest name, for the
    caller's row height (row_pitch). `marker_px`: how tall the row's marks are (a bar's thickness);
    `backdrop`: a white ground under each name, where a line crosses the rows."""
    wrapped = [wrap_text(label, width) for label in labels]
    fig.update_yaxes(showticklabels=False, ticks="")
    if positions is None:
        # Top to bottom in the labels' order, one row each: autorange would pad a category axis
        # with empty rows around the markers.
        fig.update_yaxes(categoryorder="array", categoryarray=list(labels), autorange=False,
                         range=[len(labels) - 0.5, -0.5])
    fig.layout.annotations = fig.layout.annotations + tuple(
        go.layout.Annotation(x=0, xref="paper", xanchor="left", y=y, yref="y", yanchor="bottom",
                             yshift=marker_px // 2 + 2,
                             text=text, showarrow=False, align="left",
                             bgcolor="rgba(255,255,255,0.85)" if backdrop else None,
                             font=dict(size=font_size, color="#1B1B1B"))
        for text, y in zip(wrapped, positions if positions is not None else labels, strict=True))
    return max((text_lines(t) for t in wrapped), default=1)


def row_pitch(label_lines: int, marker_px: int = 18) -> int:
    """Pixels per row for label_rows_above: the name's lines, then the row's marks under it."""
    return LINE_PX[13] * label_lines + marker_px + 10


def bar_gap(label_lines: int, bar_px: int) -> float:
    """plotly's bargap that makes bars `bar_px` thick in rows of row_pitch(label_lines, bar_px)."""
    return 1 - bar_px / row_pitch(label_lines, bar_px)


def stack_header(fig: go.Figure, *, plot_height: int, legend_entries: int, extra_px: int = 0,
                 bottom: int = 100, source_below: int = 62) -> int:
    """Lay out, from the top: the title (as wrapped), the legend one entry per line, `extra_px`
    (band names along the top of the plot), then a plot `plot_height` tall and the source line
    `source_below` px under it. Each block is a fixed height in pixels, so nothing overlaps at
    any width (a horizontal legend re-flows onto more lines on a narrow screen and runs into
    whatever is under it). Sets and returns the figure's height."""
    title_px = 12 + LINE_PX[16] * text_lines(fig.layout.title.text or "")
    legend_px = 20 * legend_entries
    top = title_px + 8 + legend_px + extra_px + 10
    height = top + plot_height + bottom
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=top, b=bottom),
        title=dict(y=1 - 12 / height, yref="container", yanchor="top"),
        legend=dict(orientation="v", yref="container", y=1 - (title_px + 8) / height, yanchor="top",
                    xanchor="left", x=0, tracegroupgap=0),
    )
    for ann in fig.layout.annotations:
        if str(ann.text).startswith("Source:"):
            ann.update(y=-source_below / plot_height, yanchor="top")
    return height
