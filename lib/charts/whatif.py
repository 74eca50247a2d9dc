"""Chart for the self-assessment page: actual and projected score per standard, as paired dots."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.charts import (
    COMPARATOR_COLOURS,
    PALETTE,
    add_band_shading,
    base_layout,
    label_rows_above,
    row_pitch,
    stack_header,
)


def score_change_dots(df: pd.DataFrame, *, source: str, actual_name: str, projected_name: str,
                      bands: list[tuple[str, str, float]]) -> go.Figure:
    """Paired dots per standard: actual (open circle) and projected (filled diamond), joined by a line.

    Expects whatif.comparison(): standard_label, actual_score, projected_score, *_band_text.
    `bands` is [(key, label, min_score)] highest first; each band is shaded behind the dots and
    named along the top, so the band is read from position and text as well as colour.
    """
    fig = go.Figure()
    labels = list(df["standard_label"])
    add_band_shading(fig, bands)
    # Connecting lines where both scores exist, added in one go (add_shape validates every shape
    # already there again, on every run of the page).
    fig.layout.shapes = fig.layout.shapes + tuple(
        go.layout.Shape(type="line", x0=a, x1=p, y0=label, y1=label, xref="x", yref="y",
                        line=dict(color=PALETTE["grey"], width=2), layer="below")
        for label, a, p in zip(labels, df["actual_score"], df["projected_score"], strict=True)
        if pd.notna(a) and pd.notna(p) and abs(a - p) > 1e-9)
    fig.add_scatter(
        x=df["actual_score"], y=labels, mode="markers", name=actual_name,
        marker=dict(symbol="circle-open", size=13, color=PALETTE["grey"], line=dict(width=2.5)),
        customdata=df[["actual_band_text"]].to_numpy(),
        hovertemplate="%{y}<br>" + actual_name + ": %{x:.0f} (%{customdata[0]})<extra></extra>",
    )
    fig.add_scatter(
        x=df["projected_score"], y=labels, mode="markers", name=projected_name,
        marker=dict(symbol="diamond", size=12, color=COMPARATOR_COLOURS["council"]),
        customdata=df[["projected_band_text"]].to_numpy(),
        hovertemplate="%{y}<br>" + projected_name + ": %{x:.0f} (%{customdata[0]})<extra></extra>",
    )
    not_asked = df["actual_score"].isna() & df["projected_score"].isna()
    fig.layout.annotations = fig.layout.annotations + tuple(
        go.layout.Annotation(x=2, y=label, xref="x", yref="y", xanchor="left", text="Not asked this round",
                             showarrow=False, font=dict(size=12, color="#4D4D4D"))
        for label in [lab for lab, gone in zip(labels, not_asked, strict=True) if gone])
    fig.update_xaxes(range=[-2, 102], dtick=20)
    fig = base_layout(fig, title="Standard scores: actual and projected", source=source, x_title="Score (0-100)")
    # Each standard's name above its row (the chart sits in half the page beside the
    # questionnaire, and has a phone's whole width): the dots keep the chart's width.
    lines = label_rows_above(fig, labels, width=40)
    stack_header(fig, plot_height=row_pitch(lines) * max(len(labels), 1), legend_entries=2, extra_px=22)
    return fig
