"""Charts for the national picture."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.base.formatting import format_percent
from lib.charts import (
    BAND_COLOURS,
    PALETTE,
    bar_gap,
    base_layout,
    label_rows_above,
    row_pitch,
    stack_header,
)

BAR_PX = 22


def standards_band_bar(df: pd.DataFrame, *, source: str) -> go.Figure:
    """Stacked horizontal bars: share of responding councils in each band, per standard.

    Expects standards_by_band(): standard, short_name, band, band_label, position, councils, share.
    """
    fig = go.Figure()
    labels = [f"{n}. {name}" for n, name in df.drop_duplicates("standard")[["standard", "short_name"]].itertuples(index=False)]
    for (band, band_label), part in df.groupby(["band", "band_label"], sort=False):
        part = part.sort_values("standard")
        colour = BAND_COLOURS.get(band, PALETTE["light_grey"])
        fig.add_bar(
            y=labels, x=(part["share"] * 100).round(1), name=band_label, orientation="h",
            marker_color=colour,
            customdata=list(zip(part["councils"], [format_percent(v) for v in part["share"]], strict=True)),
            hovertemplate="%{y}<br>" + band_label + ": %{customdata[1]} (%{customdata[0]} councils)<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    base_layout(fig, title="Share of responding councils in each band, by standard",
                source=source, x_title="Share of responding councils (%)")
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    # Each standard's name above its bar, so the bars keep the chart's whole width on a phone.
    lines = label_rows_above(fig, labels, marker_px=BAR_PX)
    stack_header(fig, plot_height=row_pitch(lines, BAR_PX) * len(labels), legend_entries=len(fig.data))
    fig.update_layout(bargap=bar_gap(lines, BAR_PX))
    fig.update_layout(legend_traceorder="normal")  # legend in band order, as the bars read
    return fig


def score_histogram(df: pd.DataFrame, *, source: str, bins: int = 20) -> go.Figure:
    """Distribution of overall scores, bars coloured by band. Expects overall_distribution()."""
    fig = go.Figure()
    for (band, label), part in df.groupby(["band", "band_label"], sort=False, dropna=False):
        fig.add_histogram(
            x=part["score"], name=label, marker_color=BAND_COLOURS.get(band, PALETTE["light_grey"]),
            xbins=dict(start=0, end=100, size=100 / bins),
            hovertemplate="Score %{x}<br>%{y} councils<extra>" + label + "</extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.05)
    fig.update_xaxes(range=[0, 100])
    base_layout(fig, title="Distribution of overall scores", source=source,
                x_title="Overall score (0-100)", y_title="Number of councils")
    stack_header(fig, plot_height=260, legend_entries=len(fig.data))
    return fig
