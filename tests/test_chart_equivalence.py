"""Charts rebuilt for speed draw exactly what they drew before.

Each test keeps, verbatim, the loop the chart used to run (one add_shape / add_annotation /
sample_colorscale call per item) and checks the figure built in one go is the same figure.
"""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

import lib.charts as chart_kit
from lib.analysis import gaps, scorecard_trend
from lib.charts import PALETTE
from lib.charts import gaps as gap_charts
from lib.charts import scorecard as scorecard_charts
from lib.reference import hexmap


def _old_paired_dot_shapes(labels: list[str], before: pd.Series, after: pd.Series) -> tuple:
    """The joining lines as paired_dots drew them: one add_shape per row."""
    fig = go.Figure()
    for label, a, b in zip(labels, before, after, strict=True):
        if pd.notna(a) and pd.notna(b):
            fig.add_shape(type="line", x0=a, x1=b, y0=label, y1=label, xref="x", yref="y",
                          line=dict(color=PALETTE["light_grey"], width=3), layer="below")
    return fig.layout.shapes


def test_published_dots_draw_the_same_lines(repo_con, latest_year):
    df = gaps.published_comparison(repo_con, latest_year)
    assert len(df) > 20, "the fixture should have many rows"
    fig = gap_charts.published_dots(df, source="test", year=latest_year)
    labels = list(fig.data[0].y)
    old = _old_paired_dot_shapes(labels, df["published"], df["database"])
    assert len(fig.layout.shapes) == len(old) > 20
    assert [s.to_plotly_json() for s in fig.layout.shapes] == [s.to_plotly_json() for s in old]


def test_paired_dots_skip_rows_with_a_missing_value():
    labels = ["a", "b", "c"]
    before, after = pd.Series([10.0, None, 30.0]), pd.Series([20.0, 5.0, None])
    fig = gap_charts.paired_dots(labels, before, after, before_name="x", after_name="y", source="s",
                                 title="t", x_title="%")
    assert [s.to_plotly_json() for s in fig.layout.shapes] == \
        [s.to_plotly_json() for s in _old_paired_dot_shapes(labels, before, after)]
    assert len(fig.layout.shapes) == 1


def _old_not_asked_annotations(standards: pd.DataFrame) -> list[dict]:
    """The "Not asked" labels as standard_trend_chart drew them: one add_annotation per label
    on a figure with the same subplots."""
    from plotly.subplots import make_subplots

    order = standards.drop_duplicates("standard").sort_values("standard")
    # The same grid as the chart's (one standard per row since the phone layout, issue 14).
    fig = make_subplots(**scorecard_charts.trend_grid(len(order)))
    for idx, number in enumerate(order["standard"]):
        row, col = idx + 1, 1
        med = standards[standards["standard"] == number].sort_values("round_year").drop_duplicates("round_year")
        for year in med.loc[~med["asked"], "round_year"]:
            fig.add_annotation(x=int(year), y=50, text="Not<br>asked", showarrow=False,
                               font=dict(size=11, color="#4D4D4D"), row=row, col=col)
    return [a.to_plotly_json() for a in fig.layout.annotations]


def test_standard_trend_chart_labels_the_same_rounds(repo_con):
    code = repo_con.execute(
        "SELECT authority_code FROM overall_scores WHERE round_year = 2012 AND ranked ORDER BY rank LIMIT 1"
    ).fetchone()[0]
    _, standards = scorecard_trend.trend(repo_con, code)
    fig = scorecard_charts.standard_trend_chart(standards, source="test")
    shown = [a.to_plotly_json() for a in fig.layout.annotations if a.text == "Not<br>asked"]
    old = _old_not_asked_annotations(standards)
    assert len(old) > 0, "the fixture should have rounds that did not ask about a standard"
    assert shown == old
    # The subplot titles come first and the source line last, as before.
    texts = [a.text for a in fig.layout.annotations]
    assert texts[-1].startswith("Source:") and len(texts) == 9 + len(old) + 1


def test_hex_map_colours_match_one_sample_per_hexagon(repo_con):
    cells = hexmap.hex_layout(repo_con, date(2015, 4, 1))
    values = np.linspace(-10, 110, len(cells))  # outside the range too: clipped to its ends
    values[::5] = np.nan
    cells["value"] = values
    fig = hexmap.hex_map_figure(cells, colour_label="Score")
    old = [hexmap.NO_DATA_COLOUR if math.isnan(v) else
           sample_colorscale(hexmap.COLOURSCALE, [min(max(v / 100, 0.0), 1.0)])[0] for v in values]
    assert [s.fillcolor for s in fig.layout.shapes] == old


def _old_heatmap_cells(frame: pd.DataFrame) -> dict[str, list]:
    """The heat map's cells as score_heatmap used to build them: pivots and a Python call per cell."""
    councils = list(dict.fromkeys(frame.sort_values("row")["display_name"]))
    standards = list(frame.drop_duplicates("standard").sort_values("standard")["standard"])
    scores = frame.pivot(index="display_name", columns="standard", values="score").reindex(index=councils, columns=standards)
    bands = frame.pivot(index="display_name", columns="standard", values="band_label").reindex(index=councils, columns=standards)
    missing = scores.isna()
    return {"no_evidence_z": missing.where(missing).astype(float).to_numpy().tolist(),
            "no_evidence_text": bands.where(missing, "").to_numpy().tolist(),
            "z": scores.to_numpy(dtype=float).tolist(),
            "text": scores.map(lambda v: "" if pd.isna(v) else f"{v:.0f}").to_numpy().tolist(),
            "customdata": bands.to_numpy().tolist()}


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        len(ra) == len(rb) and all((isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
                                   or x == y for x, y in zip(ra, rb, strict=True))
        for ra, rb in zip(a, b, strict=True))


def test_score_heatmap_cells_are_unchanged(repo_con):
    for year, where in [(2015, {}), (2012, {}), (2014, {"region": "E12000007"})]:
        frame = gaps.heatmap_frame(repo_con, year, **where)
        fig = gap_charts.score_heatmap(frame, source="test", title="t")
        old = _old_heatmap_cells(frame)
        blank, scored, bottom = fig.data
        # The standards are named above the grid and again below it (a matched second x axis).
        assert list(bottom.x) == list(scored.x) and bottom.xaxis == "x2" and bottom.marker.opacity == 0
        assert fig.layout.xaxis.side == "top" and fig.layout.xaxis2.side == "bottom"
        assert fig.layout.xaxis2.matches == "x" and fig.layout.xaxis2.overlaying == "x"
        assert _same(np.asarray(blank.z, dtype=float).tolist(), old["no_evidence_z"])
        assert _same(np.asarray(blank.text).tolist(), old["no_evidence_text"])
        assert _same(np.asarray(scored.z, dtype=float).tolist(), old["z"])
        assert _same(np.asarray(scored.text).tolist(), old["text"])
        assert _same(np.asarray(scored.customdata).tolist(), old["customdata"])
        assert list(scored.y) == list(dict.fromkeys(frame.sort_values("row")["display_name"]))


def _old_standard_trend_chart(standards: pd.DataFrame, *, source: str) -> go.Figure:
    """standard_trend_chart as it was built before issue 27, through make_subplots and
    add_scatter, kept verbatim. Small multiples, one per standard: the council's score in each round against the
    England median. Rounds that did not ask about a standard are named, not drawn as zero.

    Expects scorecard_trend.trend()[1].
    """
    order = standards.drop_duplicates("standard").sort_values("standard")
    count = len(order)
    titles = [chart_kit.wrap_text(lab, 40) for lab in order["standard_label"]]
    fig = make_subplots(subplot_titles=titles, **scorecard_charts.trend_grid(count))
    names = list(dict.fromkeys(standards["display_name"]))
    colours = [chart_kit.COMPARATOR_COLOURS["council"], chart_kit.PALETTE["purple"], chart_kit.PALETTE["sky"], chart_kit.PALETTE["yellow"]]
    not_asked = []  # set in one go below: add_annotation per label re-validates the whole list
    for idx, number in enumerate(order["standard"]):
        row, col = idx + 1, 1
        part = standards[standards["standard"] == number].sort_values("round_year")
        med = part.drop_duplicates("round_year")
        fig.add_scatter(x=med["round_year"].astype(int), y=med["england_median"],
                        mode="lines+markers", name="England median", legendgroup="england",
                        showlegend=idx == 0,
                        line=dict(color=chart_kit.COMPARATOR_COLOURS["England"], dash="dash", width=1.5),
                        marker=dict(symbol="circle", size=7, color=chart_kit.COMPARATOR_COLOURS["England"]),
                        hovertemplate="%{x}: England median %{y:.0f}<extra></extra>", row=row, col=col)
        for i, name in enumerate(names):
            mine = part[part["display_name"] == name]
            fig.add_scatter(
                x=mine["round_year"].astype(int), y=mine["score"], mode="lines+markers",
                name=str(name), legendgroup=f"council{i}", showlegend=idx == 0,
                line=dict(color=colours[i % len(colours)], width=2.5),
                marker=dict(symbol=["diamond-open" if v else "diamond" for v in mine["via_lineage"]],
                            size=11, color=colours[i % len(colours)], line=dict(width=1.5)),
                hovertemplate="%{x}: %{y:.0f}<extra>" + str(name).replace("%", "%%") + "</extra>",
                row=row, col=col,
            )
        axes = fig.get_subplot(row, col)
        xref, yref = axes.xaxis.plotly_name.replace("axis", ""), axes.yaxis.plotly_name.replace("axis", "")
        not_asked += [dict(x=int(year), y=50, text="Not<br>asked", showarrow=False,
                           font=dict(size=11, color="#4D4D4D"), xref=xref, yref=yref)
                      for year in med.loc[~med["asked"], "round_year"]]
    # Assigned, not passed to update_layout, which walks every existing annotation again.
    fig.layout.annotations = fig.layout.annotations + tuple(go.layout.Annotation(a) for a in not_asked)
    scorecard_charts._round_axis(fig, standards, with_counts=False)  # the same rounds on every panel: one update
    fig.update_yaxes(range=[-5, 105], dtick=50, title_text="Score", title_standoff=4)
    fig = chart_kit.base_layout(fig, title="Score on each standard in each survey round", source=source)
    fig.update_xaxes(title_text="Survey round", row=count, col=1)
    plot = count * scorecard_charts.TREND_PANEL_PX + (count - 1) * scorecard_charts.TREND_GAP_PX
    chart_kit.stack_header(fig, plot_height=plot, legend_entries=1 + len(names), extra_px=34, bottom=100, source_below=62)
    return fig


def _trend_cases(con) -> dict[str, str]:
    """Councils whose trends exercise each branch: every round answered, a gap in answering, a
    figure taken through lineage."""
    cases: dict[str, str] = {}
    # Successor councils first (the lineage case is among them), then the rest: trend() takes
    # about 0.2 s a council on the working database, too slow to try them all.
    codes = [r[0] for r in con.execute(
        "SELECT authority_code FROM (SELECT DISTINCT authority_code FROM overall_scores) "
        "ORDER BY authority_code NOT IN (SELECT successor_code FROM authority_lineage), authority_code").fetchall()]
    for code in codes:
        _, standards = scorecard_trend.trend(con, code)
        kinds = {"answered": bool(standards["responded"].all()),
                 "silent round": not standards["responded"].all() and standards["responded"].any(),
                 "via lineage": bool(standards["via_lineage"].any())}
        for kind, yes in kinds.items():
            if yes and kind not in cases:
                cases[kind] = code
        if len(cases) == len(kinds):
            break
    return cases


def test_standard_trend_chart_is_the_figure_make_subplots_built(repo_con):
    # What the browser is sent (plotly's JSON, compared as values: key order aside) is the same
    # as the old construction's, for a council of each kind the data holds.
    cases = _trend_cases(repo_con)
    assert set(cases) == {"answered", "silent round", "via lineage"}, cases
    trends = {kind: scorecard_trend.trend(repo_con, code)[1] for kind, code in cases.items()}
    # Two councils in one history (the demo data has none): the lineage case with its earliest
    # round under another name, as a predecessor council's figures are shown.
    several = trends["via lineage"].copy()
    earliest = several["round_year"] == several["round_year"].min()
    several.loc[earliest, "display_name"] = "Predecessor council"
    trends["several councils"] = several
    for kind, standards in trends.items():
        code = cases.get(kind, "constructed")
        new = scorecard_charts.standard_trend_chart(standards, source="Synthetic demo data")
        old = _old_standard_trend_chart(standards, source="Synthetic demo data")
        assert json.loads(new.to_json()) == json.loads(old.to_json()), f"{kind}: {code}"


def _old_change_dots_marks(df: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """The joining lines and "No evidence" labels as score_change_dots drew them: one add_shape
    and one add_annotation per item."""
    fig = go.Figure()
    labels = list(df["standard_label"])
    for label, a, p in zip(labels, df["actual_score"], df["projected_score"], strict=True):
        if pd.notna(a) and pd.notna(p) and abs(a - p) > 1e-9:
            fig.add_shape(type="line", x0=a, x1=p, y0=label, y1=label, xref="x", yref="y",
                          line=dict(color=chart_kit.PALETTE["grey"], width=2), layer="below")
    no_evidence = df["actual_score"].isna() & df["projected_score"].isna()
    for label in [lab for lab, gone in zip(labels, no_evidence, strict=True) if gone]:
        fig.add_annotation(x=2, y=label, xref="x", yref="y", xanchor="left", text="Not asked this round",
                           showarrow=False, font=dict(size=12, color="#4D4D4D"))
    return ([s.to_plotly_json() for s in fig.layout.shapes],
            [a.to_plotly_json() for a in fig.layout.annotations])


def test_score_change_dots_draw_the_same_lines_and_labels():
    from lib.charts import whatif as whatif_charts

    # Rows: changed (a line), unchanged (no line), projected only, not asked on either side
    # (a label), actual only, and a second change: 2 lines and 1 label.
    df = pd.DataFrame({
        "standard_label": ["1. One", "2. Two", "3. Three", "4. Four", "5. Five", "6. Six"],
        "actual_score": [40.0, 60.0, np.nan, np.nan, 30.0, 10.0],
        "projected_score": [55.0, 60.0, 45.0, np.nan, np.nan, 90.0],
    })
    df["actual_band_text"] = df["projected_band_text"] = "a band"
    fig = whatif_charts.score_change_dots(df, source="test", actual_name="Actual", projected_name="Projected",
                                          bands=[("high", "High", 75.0), ("low", "Low", 0.0)])
    old_shapes, old_notes = _old_change_dots_marks(df)
    lines = [s.to_plotly_json() for s in fig.layout.shapes if s.type == "line"]
    labels = [a.to_plotly_json() for a in fig.layout.annotations if a.text == "Not asked this round"]
    assert len(lines) == 2 and len(labels) == 1
    assert lines == old_shapes and labels == old_notes
