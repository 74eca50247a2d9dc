"""Plotly chart building blocks shared by every page: one palette, one band scheme.

Colours are from the Okabe-Ito colour-blind-safe palette. Each chart function elsewhere in
lib.charts takes a DataFrame and returns a figure; pages only place them.
"""

from __future__ import annotations

import plotly.graph_objects as go

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

#: Band key -> colour, used for every band everywhere (chips, bars, dots, heat maps).
BAND_COLOURS = {
    "meets": PALETTE["blue"],
    "partly_meets": PALETTE["orange"],
    "does_not_meet": PALETTE["vermillion"],
    None: PALETTE["light_grey"],
}
NO_EVIDENCE_LABEL = "No evidence"

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
