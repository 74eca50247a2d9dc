"""Charts for the Gap finder: councils x standards heat map, unmet questions, change over time.

Each function takes a frame from lib.gaps and returns a plotly figure; the page places it next
to a table with the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.charts import NO_EVIDENCE_LABEL as NO_EVIDENCE
from lib.charts import PALETTE, SCORE_SCALE, base_layout, wrap_text
from lib.formatting import DASH, format_percent, is_missing
from lib.rounding import NOISE_DECIMALS, shown_int

#: Fill for "No evidence" cells: near-white, outside the score scale, and always labelled.
NO_EVIDENCE_FILL = "#F2F2F2"
ROW_HEIGHT = 24

#: The parts of "without the support", in the order they are stacked, and their colours.
UNMET_PARTS = (
    ("share_in_development", "Partly or in development", PALETTE["orange"]),
    ("share_not_available", "Not available", PALETTE["vermillion"]),
    ("share_dont_know", "Don't know", PALETTE["grey"]),
    ("share_missing", "Not answered", PALETTE["light_grey"]),
)


def _wrap(text: str, width: int = 18) -> str:
    """Break a label over lines of about `width` characters (plotly uses <br>); a word longer
    than a line is hyphenated so narrow columns do not run into each other."""
    words = []
    for word in text.split():
        if len(word) > width + 2:  # e.g. Apprenticeships: break before a common ending
            ending = next((e for e in ("ships", "ship", "ment", "tion", "ing") if word.endswith(e)), None)
            cut = len(word) - len(ending) if ending else len(word) // 2
            words += [word[:cut] + "-", word[cut:]]
        else:
            words.append(word)
    return wrap_text(" ".join(words), width)


def score_heatmap(frame: pd.DataFrame, *, source: str, title: str) -> go.Figure:
    """Councils (rows, in the frame's order) by the nine standards, coloured by score.

    Expects gaps.heatmap_frame(). Every cell carries its score as text; cells with no evidence
    are near-white, outside the colour scale, and say "No evidence" (or "Not asked" for a
    standard the round did not ask about), so colour is never the only carrier of meaning.
    """
    councils = list(dict.fromkeys(frame.sort_values("row")["display_name"]))
    standards = frame.drop_duplicates("standard").sort_values("standard")
    columns = [_wrap(f"{n}. {name}", 12) for n, name in zip(standards["standard"], standards["short_name"], strict=True)]
    # The grid as whole arrays, with no Python work per cell: scores as floats, bands as text.
    def grid(values: str) -> pd.DataFrame:
        wide = frame.pivot(index="display_name", columns="standard", values=values)
        return wide.reindex(index=councils, columns=standards["standard"])

    z = grid("score").to_numpy(dtype=float, na_value=np.nan)
    bands = grid("band_label").to_numpy(dtype=object)
    missing = np.isnan(z)
    # Cells show the score as every page does: whole, rounded half up (lib.rounding).
    shown = np.floor(np.round(np.where(missing, 0.0, z), NOISE_DECIMALS) + 0.5)
    text = np.where(missing, "", np.char.mod("%d", shown.astype(int))).astype(object)
    # "No evidence", or "Not asked" where the round's questionnaire left the standard out.
    empty_text = np.where(missing, bands, "").astype(object)

    fig = go.Figure()
    fig.add_heatmap(
        z=np.where(missing, 1.0, np.nan), x=columns, y=councils,
        colorscale=[[0, NO_EVIDENCE_FILL], [1, NO_EVIDENCE_FILL]], showscale=False,
        text=empty_text, texttemplate="%{text}",
        textfont=dict(size=11, color="#333333"), xgap=1, ygap=1, name=NO_EVIDENCE,
        hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>",
    )
    fig.add_heatmap(
        z=z, x=columns, y=councils, zmin=0, zmax=100,
        colorscale=SCORE_SCALE, text=text, texttemplate="%{text}",
        textfont=dict(size=12), customdata=bands, xgap=1, ygap=1, name="Score",
        colorbar=dict(title=dict(text="Score (0-100)", side="right"), thickness=10, xpad=4, len=min(1.0, 500 / (len(councils) * ROW_HEIGHT + 1)),
                      y=1, yanchor="top"),
        hovertemplate="%{y}<br>%{x}<br>Score %{z:.0f} (%{customdata})<extra></extra>",
    )
    # The standards are named above the grid and again below it, so that a reader scrolled down a
    # long list of councils still sees which column is which: an invisible trace on a second x
    # axis, matched to the first, carries the labels at the bottom.
    fig.add_scatter(x=columns, y=[councils[0]] * len(columns) if councils else [], xaxis="x2",
                    mode="markers", marker=dict(opacity=0), hoverinfo="skip", showlegend=False)
    height = max(320, ROW_HEIGHT * len(councils) + 330)
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=12), showgrid=False)
    fig.update_xaxes(side="top", tickfont=dict(size=10), tickangle=0, showgrid=False, automargin=True)
    base_layout(fig, title=title, source=source, height=height, x_title="Standard",
                y_title="Council")
    fig.update_layout(margin=dict(l=10, r=10, t=190, b=150),
                      title=dict(yref="container", y=1, yanchor="top", pad=dict(t=12)),
                      xaxis2=dict(overlaying="x", matches="x", side="bottom", tickfont=dict(size=10),
                                  tickangle=0, showgrid=False, showline=False, zeroline=False))
    fig.update_xaxes(title_standoff=18, selector=dict(side="top"))
    # A fixed-height source line below the bottom labels: the default sits a fraction of the plot
    # height below the plot.
    fig.layout.annotations[-1].update(y=-125 / (height - 340), yanchor="top")
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
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=12))
    fig.update_xaxes(range=[0, 101], ticksuffix="%", dtick=20)
    fig.update_layout(legend=dict(traceorder="normal"))
    height = max(360, 22 * len(df) + 170)
    base_layout(fig, title=title, source=source, height=height,
                x_title="Share of responding councils without the support (%)")
    fig.update_layout(margin=dict(l=10, r=10, t=90, b=80))
    _source_right(fig, height, 170)
    return fig


def _source_right(fig: go.Figure, height: int, chrome: int) -> None:
    """Keep the source line a fixed distance under the plot, right-aligned so a long line runs
    into the wide label margin instead of off the edge."""
    fig.layout.annotations[-1].update(y=-55 / (height - chrome), yanchor="top", x=1, xanchor="right")


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
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=12), type="category")
    fig.update_xaxes(range=[-2, 102], ticksuffix="%")
    height = max(360, 24 * len(labels) + 170)
    base_layout(fig, title=title, source=source, height=height, x_title=x_title)
    fig.update_layout(margin=dict(l=10, r=10, t=90, b=80))
    _source_right(fig, height, 170)
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
