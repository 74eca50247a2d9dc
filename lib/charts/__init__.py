"""Plotly chart building blocks shared by every page: one palette, one band scheme.

Colours are from the Okabe-Ito colour-blind-safe palette. Each chart function elsewhere in
lib.charts takes a DataFrame and returns a figure; pages only place them.
"""

from __future__ import annotations

import html
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go

from lib.standards import load_config

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

    `bands` is [(key, label, minimum score)], highest first (lib.scoring.band_scale). With
    axis="x" scores run across and the names sit along the top; with axis="y" scores run up and
    the names sit to the right of the plot. `show_minimum` adds each band's threshold ("75+").
    """
    upper = 100.0
    for key, label, lo in bands:
        name = html.escape(str(label))
        text = (f"<b>{name}</b> ({lo:.0f}+)" if lo > 0 else f"<b>{name}</b>") if show_minimum else name
        font = dict(size=12, color="#333333")
        if axis == "x":
            fig.add_vrect(x0=lo, x1=upper, fillcolor=band_colour(key), opacity=opacity, line_width=0,
                          layer="below")
            fig.add_annotation(x=(lo + upper) / 2, y=1.0, xref="x", yref="paper", yanchor="bottom",
                               text=text, showarrow=False, font=font)
        else:
            fig.add_hrect(y0=lo, y1=upper, fillcolor=band_colour(key), opacity=opacity, line_width=0,
                          layer="below")
            fig.add_annotation(x=1.01, xref="paper", xanchor="left", y=(lo + upper) / 2, yref="y",
                               text=text, showarrow=False, font=font)
        upper = lo
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


def base_layout(fig: go.Figure, *, title: str, source: str, height: int = 420,
                x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    """Common look: title, axis titles, a source line under the chart, readable font."""
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=16)),
        font=FONT, height=height, margin=dict(l=10, r=10, t=60, b=70),
        plot_bgcolor="#FFFFFF", paper_bgcolor="#FFFFFF",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
    )
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    fig.update_xaxes(gridcolor="#E5E5E5", zerolinecolor="#BFBFBF")
    fig.update_yaxes(gridcolor="#E5E5E5", zerolinecolor="#BFBFBF")
    fig.add_annotation(text=f"Source: {source}", xref="paper", yref="paper", x=0, y=-0.2,
                       xanchor="left", yanchor="top", showarrow=False, font=dict(size=12, color="#4D4D4D"))
    return fig
