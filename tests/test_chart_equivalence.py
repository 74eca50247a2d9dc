"""Charts rebuilt for speed draw exactly what they drew before.

Each test keeps, verbatim, the loop the chart used to run (one add_shape / add_annotation /
sample_colorscale call per item) and checks the figure built in one go is the same figure.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lib import gaps, hexmap, scorecard
from lib.charts import PALETTE
from lib.charts import gaps as gap_charts
from lib.charts import scorecard as scorecard_charts


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
    _, standards = scorecard.trend(repo_con, code)
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
