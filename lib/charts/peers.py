"""Chart for the peer comparison: the council against each peer and the peer median, standard by standard."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from lib.charts import (
    COMPARATOR_COLOURS,
    LINE_PX,
    PALETTE,
    add_band_shading,
    base_layout,
    label_rows_above,
    stack_header,
)


def peer_standards_chart(frame: pd.DataFrame, *, council_name: str, source: str,
                         bands: list[tuple[str, str, float]], title: str) -> go.Figure:
    """One row per standard in two lanes: above, the peers (grey circles, bigger where several
    peers share a score) and the peer median (green diamond); below, the chosen council (black dot).

    Expects lib.analysis.peers.chart_frame(): role ('council' | 'peer' | 'median'), display_name,
    standard, short_name, score (NaN = no evidence). `bands` is [(key, label, min_score)],
    highest first; each band is shaded and named along the top, so the band reads from
    position and text as well as colour. Markers differ in shape and size as well as colour,
    and the two lanes keep the council from hiding a peer or the median with the same score.
    """
    standards = frame.drop_duplicates("standard").sort_values("standard")
    numbers = [int(n) for n in standards["standard"]]
    position = {n: i for i, n in enumerate(numbers)}
    labels = [f"{n}. {name}" for n, name in zip(numbers, standards["short_name"], strict=True)]
    # The row's name sits above the peers' lane, the council's lane under it.
    peer_lane, council_lane = -0.05, 0.3
    fig = go.Figure()
    add_band_shading(fig, bands)
    for i in range(1, len(numbers)):
        fig.add_hline(y=i - 0.5, line={"color": "#D9D9D9", "width": 1})

    peers = frame[(frame["role"] == "peer") & frame["score"].notna()].copy()
    if len(peers):
        peers["rounded"] = peers["score"].round(1)
        stacked = (peers.groupby(["standard", "rounded"], as_index=False)
                   .agg(names=("display_name", lambda s: ", ".join(html.escape(str(n)) for n in sorted(s))),
                        councils=("display_name", "size")))
        fig.add_scatter(
            x=stacked["rounded"], y=[position[int(n)] + peer_lane for n in stacked["standard"]],
            mode="markers", name="Each peer (bigger: several peers)",
            marker={"symbol": "circle-open", "size": [8 + 3 * min(int(c) - 1, 6) for c in stacked["councils"]],
                    "color": PALETTE["grey"], "line": {"width": 1.5}},
            customdata=stacked[["names", "councils"]].to_numpy(),
            hovertemplate="%{customdata[0]}<br>Score %{x:.0f} (%{customdata[1]} peer(s))<extra></extra>",
        )
    median = frame[(frame["role"] == "median") & frame["score"].notna()]
    fig.add_scatter(
        x=median["score"], y=[position[int(n)] + peer_lane for n in median["standard"]],
        mode="markers", name="Peer median",
        marker={"symbol": "diamond", "size": 13, "color": COMPARATOR_COLOURS["Peer group"],
                "line": {"width": 1, "color": "#FFFFFF"}},
        customdata=[[labels[position[int(n)]]] for n in median["standard"]],
        hovertemplate="Peer median<br>%{customdata[0]}: %{x:.0f}<extra></extra>",
    )
    mine = frame[(frame["role"] == "council") & frame["score"].notna()]
    if len(mine):
        fig.add_scatter(
            x=mine["score"], y=[position[int(n)] + council_lane for n in mine["standard"]],
            mode="markers", name=html.escape(council_name),
            marker={"symbol": "circle", "size": 14, "color": COMPARATOR_COLOURS["council"],
                    "line": {"width": 1.5, "color": "#FFFFFF"}},
            customdata=[[labels[position[int(n)]], b or ""] for n, b in
                        zip(mine["standard"], mine["band_label"].astype(object).where(mine["band_label"].notna(), None), strict=True)],
            hovertemplate=html.escape(council_name) + "<br>%{customdata[0]}: %{x:.0f} (%{customdata[1]})<extra></extra>",
        )
    council_rows = frame[frame["role"] == "council"]
    for n in council_rows.loc[council_rows["score"].isna(), "standard"]:
        fig.add_annotation(x=2, y=position[int(n)] + council_lane, xref="x", yref="y", xanchor="left",
                           text=f"{html.escape(council_name)}: no evidence", showarrow=False,
                           font={"size": 12, "color": "#4D4D4D"})
    fig.update_yaxes(range=[len(labels) - 0.5, -0.5], showgrid=False, zeroline=False)
    fig.update_xaxes(range=[-2, 102], dtick=20)
    base_layout(fig, title=title, source=source, x_title="Standard score (0-100)")
    # Each standard's name above its row, so the dots keep the chart's whole width on a phone.
    lines = label_rows_above(fig, labels, [i + peer_lane for i in range(len(labels))], marker_px=16)
    stack_header(fig, plot_height=(LINE_PX[13] * lines + 44) * max(len(labels), 1),
                 legend_entries=sum(1 for t in fig.data if t.showlegend is not False), extra_px=22)
    return fig
