"""Chart for the self-assessment page: actual and projected score per standard, as paired dots."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.charts import COMPARATOR_COLOURS, PALETTE, add_band_shading, base_layout, wrap_text


def score_change_dots(df: pd.DataFrame, *, source: str, actual_name: str, projected_name: str,
                      bands: list[tuple[str, str, float]]) -> go.Figure:
    """Paired dots per standard: actual (open circle) and projected (filled diamond), joined by a line.

    Expects whatif.comparison(): standard_label, actual_score, projected_score, *_band_text.
    `bands` is [(key, label, min_score)] highest first; each band is shaded behind the dots and
    named along the top, so the band is read from position and text as well as colour.
    """
    fig = go.Figure()
    # The chart sits in half the page beside the questionnaire: wrap the standard names so
    # the plot keeps most of the width.
    labels = [wrap_text(label, 24) for label in df["standard_label"]]
    add_band_shading(fig, bands)
    # Connecting lines where both scores exist.
    for label, a, p in zip(labels, df["actual_score"], df["projected_score"], strict=True):
        if pd.notna(a) and pd.notna(p) and abs(a - p) > 1e-9:
            fig.add_shape(type="line", x0=a, x1=p, y0=label, y1=label, xref="x", yref="y",
                          line=dict(color=PALETTE["grey"], width=2), layer="below")
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
    no_evidence = df["actual_score"].isna() & df["projected_score"].isna()
    for label in [lab for lab, gone in zip(labels, no_evidence, strict=True) if gone]:
        fig.add_annotation(x=2, y=label, xref="x", yref="y", xanchor="left", text="No evidence",
                           showarrow=False, font=dict(size=12, color="#4D4D4D"))
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels)
    fig.update_xaxes(range=[-2, 102], dtick=20)
    height = 220 + 44 * len(labels)
    fig = base_layout(fig, title="Standard scores: actual and projected", source=wrap_text(source, 48),
                      height=height, x_title="Score (0-100)")
    # Title, then legend, then the band names, each on its own line above the plot.
    fig.update_layout(
        title=dict(y=1 - 12 / height, yref="container", yanchor="top"),
        margin=dict(l=10, r=10, t=105, b=115),
        legend=dict(orientation="h", yref="container", y=1 - 44 / height, yanchor="top",
                    xanchor="left", x=0),
    )
    for ann in fig.layout.annotations:
        if str(ann.text).startswith("Source:"):
            # Right-aligned: in a narrow chart a left-aligned line runs off the right edge.
            ann.update(y=-62 / (height - 105 - 115), yanchor="top", x=1, xanchor="right", align="right")
    return fig

