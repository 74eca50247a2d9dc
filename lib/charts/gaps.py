"""Charts for the Gap finder: councils x standards heat map, unmet questions, change over time.

Each function takes a frame from lib.analysis.gaps and returns a plotly figure; the page places it next
to a table with the same numbers.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.base.formatting import DASH, format_percent, is_missing
from lib.base.rounding import NOISE_DECIMALS, shown_int
from lib.charts import (
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
from lib.charts import NO_EVIDENCE_LABEL as NO_EVIDENCE

#: Fill for "No evidence" cells: near-white, outside the score scale, and always labelled.
NO_EVIDENCE_FILL = "#F2F2F2"
ROW_HEIGHT = 28
NAME_WRAP = 16
BAR_PX = 18

#: The parts of "without the support", in the order they are stacked, and their colours.
UNMET_PARTS = (
    ("share_in_development", "Partly or in development", PALETTE["orange"]),
    ("share_not_available", "Not available", PALETTE["vermillion"]),
    ("share_dont_know", "Don't know", PALETTE["grey"]),
    ("share_missing", "Not answered", PALETTE["light_grey"]),
)


def _heatmap_cells(frame: pd.DataFrame, councils: list[str], standards: pd.DataFrame
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The grid as whole arrays, with no Python work per cell: (scores as floats, band labels,
    each scored cell's text, each empty cell's text)."""
    def grid(values: str) -> pd.DataFrame:
        wide = frame.pivot(index="display_name", columns="standard", values=values)
        return wide.reindex(index=councils, columns=standards["standard"])

    z = grid("score").to_numpy(dtype=float, na_value=np.nan)
    bands = grid("band_label").to_numpy(dtype=object)
    missing = np.isnan(z)
    # Cells show the score as every page does: whole, rounded half up (lib.base.rounding).
    shown = np.floor(np.round(np.where(missing, 0.0, z), NOISE_DECIMALS) + 0.5)
    text = np.where(missing, "", np.char.mod("%d", shown.astype(int))).astype(object)
    # "No evidence", or "Not asked" where the round's questionnaire left the standard out.
    empty_text = np.where(missing, bands, "").astype(object)
    return z, bands, text, empty_text


def _heatmap_traces(fig: go.Figure, frame: pd.DataFrame, councils: list[str], standards: pd.DataFrame,
                    columns: list[str]) -> None:
    """The grid's two layers (empty cells, scored cells) and the invisible trace that carries the
    standards' numbers along the bottom."""
    z, bands, text, empty_text = _heatmap_cells(frame, councils, standards)
    fig.add_heatmap(
        z=np.where(np.isnan(z), 1.0, np.nan), x=columns, y=councils,
        colorscale=[[0, NO_EVIDENCE_FILL], [1, NO_EVIDENCE_FILL]], showscale=False,
        text=empty_text, texttemplate="%{text}",
        textfont=dict(size=9, color="#333333"), xgap=1, ygap=1, name=NO_EVIDENCE,
        hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>",
    )
    fig.add_heatmap(
        z=z, x=columns, y=councils, zmin=0, zmax=100,
        colorscale=SCORE_SCALE, text=text, texttemplate="%{text}",
        textfont=dict(size=11), customdata=bands, xgap=1, ygap=1, name="Score",
        # Across the top, under the key: at the side it would take a phone's chart a sixth of its width.
        colorbar=dict(title=dict(text="Score (0-100)", side="top"), orientation="h", thickness=10,
                      len=220, lenmode="pixels", x=0, xanchor="left", xref="container", xpad=10,
                      yref="container", yanchor="top", ypad=0),
        hovertemplate="%{y}<br>%{x}<br>Score %{z:.0f} (%{customdata})<extra></extra>",
    )
    # The standards are named above the grid and again below it, so that a reader scrolled down a
    # long list of councils still sees which column is which: an invisible trace on a second x
    # axis, matched to the first, carries the labels at the bottom.
    fig.add_scatter(x=columns, y=[councils[0]] * len(columns) if councils else [], xaxis="x2",
                    mode="markers", marker=dict(opacity=0), hoverinfo="skip", showlegend=False)


def _heatmap_layout(fig: go.Figure, councils: list[str], columns: list[str], numbers: list[str],
                    key: str, *, source: str, title: str) -> None:
    """Axes, the key of standards above the grid, the colour bar and a height that fits the rows."""
    # Fixed ranges: the invisible markers of the bottom labels would otherwise pad the autorange
    # with empty rows above the grid.
    # Long council names on two lines, so the names leave the grid most of a phone's width.
    fig.update_yaxes(range=[len(councils) - 0.5, -0.5], tickfont=dict(size=11), showgrid=False, title_standoff=4,
                     tickmode="array", tickvals=councils, ticktext=[wrap_text(html.escape(str(c)), NAME_WRAP)
                                                                    for c in councils])
    fig.update_xaxes(range=[-0.5, len(columns) - 0.5])
    ticks = dict(tickmode="array", tickvals=columns, ticktext=numbers, tickfont=dict(size=12), tickangle=0)
    fig.update_xaxes(side="top", showgrid=False, automargin=False, **ticks)
    base_layout(fig, title=title, source=source, x_title="Standard", y_title="Council")
    plot = max(ROW_HEIGHT * len(councils), 60)
    title_px = 12 + LINE_PX[16] * text_lines(fig.layout.title.text)
    key_px = LINE_PX[12] * text_lines(key)
    top = title_px + 8 + key_px + 8 + 50 + 48  # title, key, colour bar, the axis title and numbers
    bottom = 110
    height = top + plot + bottom
    # The key starts at the chart's left edge, under the council names: x=0 is the grid's edge, so
    # it is shifted left by about the names' width (the margin plotly makes for them).
    names_px = int(5.6 * min(max((len(str(c)) for c in councils), default=0), NAME_WRAP)) + 28
    fig.add_annotation(text=key, x=0, xref="paper", xanchor="left", xshift=-names_px, y=1 + (top - title_px - 8) / plot,
                       yref="paper", yanchor="top", showarrow=False, align="left",
                       font=dict(size=12, color="#1B1B1B"))
    fig.data[1].colorbar.update(y=1 - (title_px + 8 + key_px + 8) / height)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=top, b=bottom),
                      title=dict(yref="container", y=1, yanchor="top", pad=dict(t=12)),
                      xaxis2=dict(overlaying="x", matches="x", side="bottom", showgrid=False, showline=False,
                                  zeroline=False, **ticks))
    fig.update_xaxes(title_standoff=10, selector=dict(side="top"))
    # The source line a fixed distance below the bottom numbers (the source is the first annotation).
    next(a for a in fig.layout.annotations if str(a.text).startswith("Source:")).update(
        y=-70 / plot, yanchor="top")


def score_heatmap(frame: pd.DataFrame, *, source: str, title: str) -> go.Figure:
    """Councils (rows, in the frame's order) by the nine standards, coloured by score.

    Expects gaps.heatmap_frame(). Every cell carries its score as text; cells with no evidence
    are near-white, outside the colour scale, and say "No evidence" (or "Not asked" for a
    standard the round did not ask about), so colour is never the only carrier of meaning.
    """
    councils = list(dict.fromkeys(frame.sort_values("row")["display_name"]))
    standards = frame.drop_duplicates("standard").sort_values("standard")
    # Columns headed by the standard's number, named in a key above the grid: nine wrapped names
    # cannot share a phone's width (about 25 px a column there). Hover gives the full name.
    columns = [f"{n}. {name}" for n, name in zip(standards["standard"], standards["short_name"], strict=True)]
    numbers = [str(n) for n in standards["standard"]]
    key = wrap_text("Standards: " + "; ".join(columns) + ".", ROW_LABEL_WRAP)
    fig = go.Figure()
    _heatmap_traces(fig, frame, councils, standards, columns)
    _heatmap_layout(fig, councils, columns, numbers, key, source=source, title=title)
    return fig


def unmet_bars(df: pd.DataFrame, *, source: str, title: str,
               england: pd.DataFrame | None = None) -> go.Figure:
    """Stacked bars: share of responding councils without each kind of support, by reason.

    Expects gaps.unmet_questions(). With `england` (the same frame for England) a black
    diamond marks the national share without the support, for comparison with a region.
    """
    labels = [f"{t} (standard {s})" for t, s in zip(df["topic"], df["standard"], strict=True)]
    fig = go.Figure()
    for column, name, colour in UNMET_PARTS:
        values = (df[column].fillna(0) * 100).round(1)
        if not (values > 0).any():  # e.g. no council left a question unanswered
            continue
        # Hover shows the percentage as the tables do (whole, half up), not Plotly's own rounding.
        fig.add_bar(y=labels, x=values, name=name, orientation="h", marker_color=colour,
                    customdata=[format_percent(v) for v in df[column].fillna(0)],
                    hovertemplate="%{y}<br>" + name + ": %{customdata}<extra></extra>")
    if england is not None:
        share = england.set_index("question_id")["share_without"].reindex(df["question_id"])
        fig.add_scatter(y=labels, x=(share * 100).round(1).to_numpy(), mode="markers", name="England, all reasons",
                        marker=dict(symbol="diamond", size=10, color=PALETTE["black"],
                                    line=dict(color="#FFFFFF", width=1)),
                        customdata=[format_percent(v) for v in share],
                        hovertemplate="%{y}<br>England: %{customdata} without<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 101], ticksuffix="%", dtick=20)
    base_layout(fig, title=title, source=source,
                x_title=wrap_text("Share of responding councils without the support (%)", 40))
    # Each question above its bar, so the bars keep the chart's whole width on a phone.
    lines = label_rows_above(fig, labels, marker_px=BAR_PX)
    stack_header(fig, plot_height=max(row_pitch(lines, BAR_PX) * len(labels), 60), legend_entries=len(fig.data),
                 bottom=120, source_below=80)
    fig.update_layout(bargap=bar_gap(lines, BAR_PX), legend=dict(traceorder="normal"))
    return fig


def percent_text(value: object) -> str:
    """A percentage already on the 0-100 scale, shown whole and rounded half up."""
    return DASH if is_missing(value) else f"{shown_int(value)}%"


def paired_dots(labels: list[str], before: pd.Series, after: pd.Series, *, before_name: str,
                after_name: str, source: str, title: str, x_title: str) -> go.Figure:
    """Two values per row as dots joined by a line: open grey circle (before) and filled
    blue diamond (after), so the two are told apart by shape as well as colour."""
    fig = go.Figure()
    # All the joining lines in one assignment: add_shape per row re-validates the whole list.
    fig.layout.shapes = [
        dict(type="line", x0=a, x1=b, y0=label, y1=label, xref="x", yref="y",
             line=dict(color=PALETTE["light_grey"], width=3), layer="below")
        for label, a, b in zip(labels, before, after, strict=True) if pd.notna(a) and pd.notna(b)
    ]
    # Hover text: percentages (0-100) as the tables show them, whole and rounded half up.
    fig.add_scatter(x=before, y=labels, mode="markers", name=before_name,
                    marker=dict(symbol="circle-open", size=12, color=PALETTE["grey"], line=dict(width=2.5)),
                    customdata=[percent_text(v) for v in before],
                    hovertemplate="%{y}<br>" + before_name + ": %{customdata}<extra></extra>")
    fig.add_scatter(x=after, y=labels, mode="markers", name=after_name,
                    marker=dict(symbol="diamond", size=11, color=PALETTE["blue"]),
                    customdata=[percent_text(v) for v in after],
                    hovertemplate="%{y}<br>" + after_name + ": %{customdata}<extra></extra>")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(range=[-2, 102], ticksuffix="%")
    base_layout(fig, title=title, source=source, x_title=x_title)
    # Each row's name above its dots, so the dots keep the chart's whole width on a phone.
    lines = label_rows_above(fig, labels, marker_px=12)
    stack_header(fig, plot_height=max(row_pitch(lines, 12) * len(labels), 60), legend_entries=2)
    return fig


def change_dots(df: pd.DataFrame, *, source: str, year: int, previous_year: int) -> go.Figure:
    """Share with the support in place or partly (e.g. in development) per question, previous round against this one.

    Expects gaps.change_since_previous().
    """
    labels = [f"{t} (standard {s})" for t, s in zip(df["topic"], df["standard"], strict=True)]
    return paired_dots(
        labels, df["previous_available_or_dev"], df["available_or_dev"],
        before_name=str(previous_year), after_name=str(year), source=source,
        title=f"Support in place or partly, {previous_year} and {year}",
        x_title="Share of responding councils (%)",
    )


def published_dots(df: pd.DataFrame, *, source: str, year: int) -> go.Figure:
    """Each published national figure against the same share in this database.

    Expects gaps.published_comparison().
    """
    labels = [f"{t}: {a}" for t, a in zip(df["topic"], df["answer"], strict=True)]
    # Two figures can share a topic and answer wording; keep every row on its own line.
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return paired_dots(
        unique, df["published"], df["database"], before_name="Published in the 2015 report",
        after_name="This database", source=f"{source}; published figures: 2015 survey report",
        title=f"Published national figures for {year} and this database's shares",
        x_title="Share of responding councils (%)",
    )
