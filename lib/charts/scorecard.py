"""Charts for the council scorecard: standard-by-standard spine chart and trends across rounds.

Each function takes a DataFrame from lib.analysis.scorecard or lib.analysis.scorecard_trend and returns a plotly figure. Marker shape
as well as colour tells the council apart from its comparators, bands are named in text on
the chart, and a standard without evidence is a labelled gap, never a zero.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.analysis.scorecard import NOT_ASKED
from lib.charts import (
    BAND_NAMES_PX,
    COMPARATOR_COLOURS,
    PALETTE,
    add_band_shading,
    base_layout,
    label_rows_above,
    row_pitch,
    stack_header,
    wrap_text,
)

COUNCIL_MARKER = dict(symbol="diamond", size=17, color=COMPARATOR_COLOURS["council"],
                      line=dict(width=1.5, color="#FFFFFF"))


def standard_profile_chart(profile: pd.DataFrame, *, source: str, council_name: str,
                           region_name: str, type_name: str,
                           bands: list[tuple[str, str, float]]) -> go.Figure:
    """Dot (spine) chart: the council's score on each standard against three medians.

    Expects scorecard.standard_profile(): standard_label, score, band_text, score_text and
    england_median / region_median / type_median. `bands` is lib.scoring.views.band_scale().
    """
    fig = go.Figure()
    labels = list(profile["standard_label"])
    add_band_shading(fig, bands, show_minimum=True)
    comparators = (
        ("england_median", "England median", COMPARATOR_COLOURS["England"], "circle"),
        ("region_median", f"{region_name} median", COMPARATOR_COLOURS["Region"], "square"),
        ("type_median", f"{type_name} median", COMPARATOR_COLOURS["Peer group"], "triangle-up"),
    )
    for col, name, colour, symbol in comparators:
        fig.add_scatter(
            x=profile[col], y=labels, mode="markers", name=name,
            marker=dict(symbol=symbol, size=11, color=colour, line=dict(width=1, color="#FFFFFF")),
            hovertemplate="%{y}<br>" + name + ": %{x:.0f}<extra></extra>",
        )
    has_score = profile["score"].notna()
    fig.add_scatter(
        x=profile.loc[has_score, "score"], y=[lab for lab, ok in zip(labels, has_score, strict=True) if ok],
        mode="markers", name=council_name, marker=COUNCIL_MARKER,
        customdata=profile.loc[has_score, ["band_text"]].to_numpy(),
        hovertemplate="%{y}<br>" + council_name.replace("%", "%%") + ": %{x:.0f} (%{customdata[0]})<extra></extra>",
    )
    for label, text in zip(profile.loc[~has_score, "standard_label"], profile.loc[~has_score, "score_text"], strict=True):
        fig.add_annotation(x=1, y=label, xref="x", yref="y", xanchor="left", showarrow=False,
                           text=("Not asked in this round's questionnaire" if text == NOT_ASKED
                                 else f"{council_name}: {text}"),
                           font=dict(size=12, color="#1B1B1B"),
                           bgcolor="rgba(255,255,255,0.85)")
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels)
    fig.update_xaxes(range=[-2, 102], dtick=20)
    fig = base_layout(fig, title=f"{council_name}: score on each standard against the medians",
                      source=source, x_title="Score (0-100)")
    # Each standard's name above its row, so the dots keep the chart's whole width on a phone.
    lines = label_rows_above(fig, labels)
    stack_header(fig, plot_height=row_pitch(lines) * len(labels), legend_entries=len(comparators) + 1,
                 extra_px=BAND_NAMES_PX)
    fig.update_layout(legend=dict(traceorder="reversed"))
    return fig


def _round_axis(fig: go.Figure, overall: pd.DataFrame, with_counts: bool, **where) -> None:
    """Rounds as a numeric axis (one tick per round), optionally naming how many standards each asked."""
    rounds = overall.drop_duplicates("round_year").sort_values("round_year")
    years = [int(y) for y in rounds["round_year"]]
    if with_counts and "standards_asked" in rounds:
        text = [f"{y}<br>({int(n)})" if pd.notna(n) else str(y)
                for y, n in zip(years, rounds["standards_asked"], strict=True)]
    else:
        text = [str(y) for y in years]
    lo, hi = (min(years), max(years)) if years else (0, 1)
    fig.update_xaxes(tickmode="array", tickvals=years, ticktext=text, range=[lo - 0.5, hi + 0.5],
                     showgrid=False, tickangle=0, **where)


def overall_trend_chart(overall: pd.DataFrame, *, source: str,
                        bands: list[tuple[str, str, float]]) -> go.Figure:
    """Overall score per round against the England median; open markers mark figures taken
    through a reorganisation (via lineage), and rounds without a response are named.

    Expects scorecard_trend.trend()[0].
    """
    fig = go.Figure()
    add_band_shading(fig, bands, axis="y", opacity=0.08)
    medians = overall.drop_duplicates("round_year").sort_values("round_year")
    fig.add_scatter(x=medians["round_year"].astype(int), y=medians["england_median"],
                    mode="lines+markers", name="England median (ranked councils)",
                    line=dict(color=COMPARATOR_COLOURS["England"], dash="dash", width=2),
                    marker=dict(symbol="circle", size=9, color=COMPARATOR_COLOURS["England"]),
                    hovertemplate="%{x}: England median %{y:.0f}<extra></extra>")
    names = list(dict.fromkeys(overall["display_name"]))
    colours = [COMPARATOR_COLOURS["council"], PALETTE["purple"], PALETTE["sky"], PALETTE["yellow"]]
    for i, name in enumerate(names):
        part = overall[overall["display_name"] == name].sort_values("round_year")
        symbols = ["diamond-open" if v else "diamond" for v in part["via_lineage"]]
        notes = [n if n else "same council" for n in part["lineage_note"]]
        fig.add_scatter(
            x=part["round_year"].astype(int), y=part["score"], mode="lines+markers",
            name=str(name) + (" (via lineage)" if part["via_lineage"].all() else ""),
            line=dict(color=colours[i % len(colours)], width=2.5),
            marker=dict(symbol=symbols, size=15, color=colours[i % len(colours)], line=dict(width=2)),
            customdata=[[n] for n in notes],
            hovertemplate="%{x}: %{y:.0f}<br>%{customdata[0]}<extra>" + str(name).replace("%", "%%") + "</extra>",
        )
    silent = overall.groupby("round_year")["responded"].any()
    for year, answered in silent.items():
        if not answered:
            fig.add_annotation(x=int(year), y=6, xref="x", yref="y", text="No response",
                               showarrow=False, font=dict(size=12, color="#1B1B1B"))
    _round_axis(fig, overall, with_counts=True)
    fig.update_yaxes(range=[0, 102], dtick=20)
    fig = base_layout(fig, title="Overall score in each survey round", source=source,
                      x_title="Survey round (standards it asked)", y_title="Overall score (0-100)")
    stack_header(fig, plot_height=300, legend_entries=1 + len(names), bottom=120, source_below=82)
    fig.update_layout(margin=dict(r=75))
    return fig


#: The small multiples of standard_trend_chart, one standard per row at the chart's whole width
#: (a 3 x 3 grid leaves each panel about 100 px on a phone): panel and gap heights in pixels.
TREND_PANEL_PX, TREND_GAP_PX = 90, 74


def trend_grid(standards: int) -> dict:
    """make_subplots arguments for standard_trend_chart's panels (one column, a row each)."""
    plot = standards * TREND_PANEL_PX + (standards - 1) * TREND_GAP_PX
    return dict(rows=max(standards, 1), cols=1, vertical_spacing=TREND_GAP_PX / plot if standards > 1 else 0)


@lru_cache(maxsize=8)
def _trend_panels(titles: tuple[str, ...]) -> dict:
    """The panels' axes (anchors and domains) and their titles, as make_subplots lays them out:
    the same for every council, so worked out once per set of standards."""
    fig = make_subplots(subplot_titles=list(titles), **trend_grid(len(titles)))
    return fig.layout.to_plotly_json()


def standard_trend_chart(standards: pd.DataFrame, *, source: str) -> go.Figure:
    """Small multiples, one per standard: the council's score in each round against the
    England median. Rounds that did not ask about a standard are named, not drawn as zero.

    Expects scorecard_trend.trend()[1].

    The panels are written as plotly's plain description rather than through its validating
    object model (make_subplots, add_scatter, update_xaxes over 18 axes): that took a quarter
    of a second per council, most of a scorecard's first view on the server. The figure is the
    same, value for value (tests/test_chart_equivalence.py keeps the old construction).
    """
    order = standards.drop_duplicates("standard").sort_values("standard")
    count = len(order)
    titles = tuple(wrap_text(lab, 40) for lab in order["standard_label"])
    layout = copy.deepcopy(_trend_panels(titles))
    names = list(dict.fromkeys(standards["display_name"]))
    colours = [COMPARATOR_COLOURS["council"], PALETTE["purple"], PALETTE["sky"], PALETTE["yellow"]]
    rounds = standards.drop_duplicates("round_year").sort_values("round_year")
    years = [int(y) for y in rounds["round_year"]]
    lo, hi = (min(years), max(years)) if years else (0, 1)
    grid = dict(gridcolor="#E5E5E5", zerolinecolor="#BFBFBF")
    data, not_asked = [], []
    for idx, number in enumerate(order["standard"]):
        suffix = "" if idx == 0 else str(idx + 1)
        xref, yref = f"x{suffix}", f"y{suffix}"
        part = standards[standards["standard"] == number].sort_values("round_year")
        med = part.drop_duplicates("round_year")
        data.append(dict(
            hovertemplate="%{x}: England median %{y:.0f}<extra></extra>", legendgroup="england",
            line=dict(color=COMPARATOR_COLOURS["England"], dash="dash", width=1.5),
            marker=dict(color=COMPARATOR_COLOURS["England"], size=7, symbol="circle"),
            mode="lines+markers", name="England median", showlegend=idx == 0,
            x=med["round_year"].astype(int).to_numpy(), y=med["england_median"].to_numpy(),
            type="scatter", xaxis=xref, yaxis=yref))
        for i, name in enumerate(names):
            mine = part[part["display_name"] == name]
            data.append(dict(
                hovertemplate="%{x}: %{y:.0f}<extra>" + str(name).replace("%", "%%") + "</extra>",
                legendgroup=f"council{i}", line=dict(color=colours[i % len(colours)], width=2.5),
                marker=dict(color=colours[i % len(colours)], line=dict(width=1.5), size=11,
                            symbol=["diamond-open" if v else "diamond" for v in mine["via_lineage"]]),
                mode="lines+markers", name=str(name), showlegend=idx == 0,
                x=mine["round_year"].astype(int).to_numpy(), y=mine["score"].to_numpy(),
                type="scatter", xaxis=xref, yaxis=yref))
        not_asked += [dict(font=dict(color="#4D4D4D", size=11), showarrow=False, text="Not<br>asked",
                           x=int(year), xref=xref, y=50, yref=yref)
                      for year in med.loc[~med["asked"], "round_year"]]
        layout[f"xaxis{suffix}"].update(
            tickmode="array", tickvals=years, ticktext=[str(y) for y in years], range=[lo - 0.5, hi + 0.5],
            showgrid=False, tickangle=0, **grid)
        layout[f"yaxis{suffix}"].update(title=dict(text="Score", standoff=4), range=[-5, 105], dtick=50, **grid)
    layout["annotations"] = list(layout.get("annotations", ())) + not_asked
    fig = go.Figure(dict(data=data, layout=layout), _validate=False)
    fig = base_layout(fig, title="Score on each standard in each survey round", source=source)
    fig.layout[f"xaxis{count if count > 1 else ''}"].title.text = "Survey round"
    plot = count * TREND_PANEL_PX + (count - 1) * TREND_GAP_PX
    stack_header(fig, plot_height=plot, legend_entries=1 + len(names), extra_px=34, bottom=100, source_below=62)
    return fig
