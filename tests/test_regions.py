"""lib.analysis.regions and lib.charts.regions against the session database built from the repo's files.

Regional figures are checked against the scoring views (overall_summary, standard_summary,
overall_scores) or a direct recomputation from round_councils / standard_scores.
"""

from __future__ import annotations

import io
import math

import pandas as pd

from lib.analysis import regions
from lib.base.formatting import rank_range_text, score_with_range
from lib.base.rounding import shown_int
from lib.charts import regions as charts
from lib.reports import opendata_dictionary, opendata_files
from lib.scoring import views as scoring


def _close(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def test_league_matches_overall_summary_for_each_region(repo_con, latest_year):
    league = regions.region_league(repo_con, latest_year).set_index("region_code")
    summary = repo_con.execute(
        "SELECT scope_code, median_score, q1_score, q3_score, ranked, respondents, councils_in_scope, coverage "
        "FROM overall_summary WHERE round_year = ? AND scope = 'region'", [latest_year]).df().set_index("scope_code")
    coverage = repo_con.execute(
        "SELECT scope_code, councils, respondents, coverage FROM scope_coverage "
        "WHERE round_year = ? AND scope = 'region'", [latest_year]).df().set_index("scope_code")
    assert set(league.index) == set(coverage.index)
    for code, row in summary.iterrows():
        got = league.loc[code]
        for col in ("median_score", "q1_score", "q3_score"):
            assert _close(got[col], row[col]), (code, col)
        assert got["ranked"] == row["ranked"]
        assert got["respondents"] == row["respondents"]
        assert got["councils"] == row["councils_in_scope"] == coverage.loc[code, "councils"]
        assert _close(got["coverage"], coverage.loc[code, "coverage"])


def test_league_is_ordered_by_median_and_positions_follow(repo_con, latest_year):
    league = regions.region_league(repo_con, latest_year)
    medians = league["median_score"].dropna().tolist()
    assert medians == sorted(medians, reverse=True)
    # Position = 1 + regions shown at a higher median; regions shown the same share a position.
    shown = [shown_int(v) for v in league["median_score"]]
    for pos, value in zip(league["league_position"], shown, strict=True):
        assert pos == 1 + sum(1 for other in shown if other is not None and value is not None and other > value)
    best = repo_con.execute(
        "SELECT scope_name FROM overall_summary WHERE round_year = ? AND scope = 'region' "
        "ORDER BY median_score DESC LIMIT 1", [latest_year]).fetchone()[0]
    assert league.iloc[0]["region_name"] == best


def test_league_standards_met_by_most_match_standard_summary(repo_con, latest_year):
    league = regions.region_league(repo_con, latest_year).set_index("region_code")
    shares = repo_con.execute(
        "SELECT scope_code, standard, share_meeting FROM standard_summary "
        "WHERE round_year = ? AND scope = 'region'", [latest_year]).df()
    for code, part in shares.groupby("scope_code"):
        expected = sorted(int(s) for s, v in zip(part["standard"], part["share_meeting"], strict=True)
                          if pd.notna(v) and v > 0.5)
        assert [int(s) for s in league.loc[code, "standards_met_by_most"]] == expected, code


def test_type_filter_recomputes_one_region_directly(repo_con, latest_year):
    region, council_type = "E12000002", "county"
    league = regions.region_league(repo_con, latest_year, council_type)
    row = league[league["region_code"] == region].iloc[0]
    councils, respondents = repo_con.execute(
        "SELECT count(*), count(*) FILTER (WHERE responded) FROM round_councils "
        "WHERE round_year = ? AND region_code = ? AND type = ?", [latest_year, region, council_type]).fetchone()
    scores = repo_con.execute(
        "SELECT score FROM overall_scores WHERE round_year = ? AND region_code = ? AND type = ? AND ranked",
        [latest_year, region, council_type]).df()["score"]
    assert row["councils"] == councils
    assert row["respondents"] == respondents
    assert row["ranked"] == len(scores)
    assert _close(row["median_score"], scores.median() if len(scores) else None)
    if len(scores):
        assert _close(row["q1_score"], scores.quantile(0.25))
        assert _close(row["q3_score"], scores.quantile(0.75))
    # All types: the same region counts more councils.
    unfiltered = regions.region_league(repo_con, latest_year).set_index("region_code").loc[region]
    assert unfiltered["councils"] > row["councils"]


def test_type_filter_counts_only_that_type(repo_con, latest_year):
    for council_type in regions.TYPE_FILTERS:
        league = regions.region_league(repo_con, latest_year, council_type)
        total, answered = repo_con.execute(
            "SELECT count(*), count(*) FILTER (WHERE responded) FROM round_councils "
            "WHERE round_year = ? AND type = ?", [latest_year, council_type]).fetchone()
        assert league["councils"].sum() == total
        assert league["respondents"].sum() == answered
        with_type = {r[0] for r in repo_con.execute(
            "SELECT DISTINCT region_code FROM round_councils WHERE round_year = ? AND type = ?",
            [latest_year, council_type]).fetchall()}
        assert set(league["region_code"]) == with_type
    # London has only London boroughs, so a county filter leaves it out.
    counties = regions.region_league(repo_con, latest_year, "county")
    assert "London" not in set(counties["region_name"])


def test_map_cells_rank_is_the_view_rank_without_filter(repo_con, latest_year):
    cells = regions.map_cells(repo_con, latest_year)
    councils = repo_con.execute("SELECT count(*) FROM round_councils WHERE round_year = ?", [latest_year]).fetchone()[0]
    assert len(cells) == councils
    assert cells["in_filter"].all()
    view = repo_con.execute("SELECT authority_code, score, rank FROM overall_scores WHERE round_year = ?",
                            [latest_year]).df().set_index("authority_code")
    responded = cells[cells["responded"]]
    assert len(responded) == len(view)
    for r in responded.itertuples():
        assert _close(r.value, view.loc[r.code, "score"])
        assert (pd.isna(r.rank) and pd.isna(view.loc[r.code, "rank"])) or r.rank == view.loc[r.code, "rank"]
    assert cells.loc[~cells["responded"], "value"].isna().all()


def test_map_cells_type_filter_ranks_within_the_type(repo_con, latest_year):
    cells = regions.map_cells(repo_con, latest_year, None, "unitary")
    inside = cells[cells["in_filter"]]
    assert set(inside["type"]) == {"unitary"}
    assert cells.loc[~cells["in_filter"], "rank"].isna().all()
    ranked = repo_con.execute(
        "SELECT authority_code, score FROM overall_scores WHERE round_year = ? AND type = 'unitary' AND ranked "
        "ORDER BY round(score, 6) DESC", [latest_year]).df()
    assert int(inside["n_ranked"].iloc[0]) == len(ranked)
    best = inside.sort_values("rank").iloc[0]
    assert best["rank"] == 1 and best["code"] == ranked.iloc[0]["authority_code"]


def test_map_cells_for_one_standard_use_its_scores(repo_con, latest_year):
    cells = regions.map_cells(repo_con, latest_year, 3).set_index("code")
    scores = repo_con.execute(
        "SELECT authority_code, score FROM standard_scores WHERE round_year = ? AND standard = 3",
        [latest_year]).df()
    for r in scores.itertuples():
        assert _close(cells.loc[r.authority_code, "value"], r.score)


def test_matrix_matches_standard_summary_by_region(repo_con, latest_year):
    matrix = regions.region_standard_matrix(repo_con, latest_year)
    summary = repo_con.execute(
        "SELECT scope_code AS region_code, standard, median_score, share_meeting, scored "
        "FROM standard_summary WHERE round_year = ? AND scope = 'region'", [latest_year]).df()
    merged = matrix.merge(summary, on=["region_code", "standard"], suffixes=("", "_view"))
    assert len(merged) == len(matrix) == len(summary)
    for r in merged.itertuples():
        assert _close(r.median_score, r.median_score_view)
        assert _close(r.share_meeting, r.share_meeting_view)
        assert r.scored == r.scored_view


def test_matrix_in_an_early_round_has_only_the_standards_asked(repo_con):
    early = int(repo_con.execute("SELECT min(year) FROM survey_rounds").fetchone()[0])
    asked = regions.standards_asked(repo_con, early)
    numbers = set(asked.loc[asked["asked"], "standard"])
    matrix = regions.region_standard_matrix(repo_con, early)
    assert set(matrix["standard"]) == numbers
    assert len(numbers) < 9
    table = regions.matrix_table(matrix, "median")
    assert not table.isna().any().any()


def test_council_grid_names_the_standards_not_met(repo_con, latest_year):
    region = "E12000002"
    long = regions.council_scores_long(repo_con, latest_year, region=region)
    low_key, low_label = scoring.lowest_band(repo_con)
    grid, bands = regions.council_grid(long, low_key, low_label)
    assert not grid.isna().any().any()
    assert grid.shape == bands.shape
    respondents = repo_con.execute(
        "SELECT authority_code FROM round_councils WHERE round_year = ? AND region_code = ? AND responded",
        [latest_year, region]).df()["authority_code"]
    assert set(grid["code"]) == set(respondents)
    checked = 0
    for row in grid.itertuples(index=False):
        record = dict(zip(grid.columns, row, strict=True))
        code = record["code"]
        scores = repo_con.execute(
            "SELECT s.standard, s.score, s.band, b.label, s.score_low, s.score_high FROM standard_scores s "
            "LEFT JOIN bands b ON b.key = s.band "
            "WHERE s.round_year = ? AND s.authority_code = ? ORDER BY s.standard", [latest_year, code]).df()
        not_met = [str(int(s)) for s, b in zip(scores["standard"], scores["band"], strict=True) if b == low_key]
        assert record["Standards not met"] == (", ".join(not_met) if not_met else
                                             f"None: no standard is in the '{low_label}' band")
        first = scores.iloc[0]
        col = next(c for c in grid.columns if c.startswith(f"{int(first['standard'])}. "))
        if pd.notna(first["score"]):
            assert record[col] == f"{score_with_range(first['score'], first['score_low'], first['score_high'])} · {first['label']}"
        checked += 1
    assert checked == len(respondents) > 0
    absent = repo_con.execute(
        "SELECT display_name FROM round_councils WHERE round_year = ? AND region_code = ? AND NOT responded "
        "ORDER BY display_name", [latest_year, region]).df()["display_name"].tolist()
    assert regions.non_respondents(long) == absent


def test_council_grid_download_is_the_apis_scores_and_agrees_with_the_grid(repo_con, latest_year):
    """The region's "download what I see" is the API's scores for the region (numbers and band
    keys in their own columns), and every cell of the grid on the page says the same."""
    region = "E12000002"
    long = regions.council_scores_long(repo_con, latest_year, region=region)
    grid, _ = regions.council_grid(long, scoring.lowest_band(repo_con)[0])
    download = pd.read_csv(io.BytesIO(opendata_files.shown("scores", round=latest_year, region=region)(repo_con)),
                           encoding="utf-8-sig")
    assert list(download.columns) == [c for c, _ in opendata_dictionary.columns(repo_con, "scores")]
    assert "·" not in download.to_csv()
    overall = download[download["level"] == "overall"].set_index("authority_code")
    shown = grid.set_index("code")
    assert set(overall.index) == set(shown.index)
    for code, row in overall.iterrows():
        # A grid cell reads '93 · Meets', or '48 (48–61) · Partly meets' where unknown answers leave a
        # range: the download's whole numbers and band in words.
        assert shown.loc[code, "Overall score"] == \
            f"{score_with_range(row['score'], row['score_low'], row['score_high'])} · {row['band_label']}"
        assert shown.loc[code, "Rank in England"] == \
            f"{int(row['rank'])} of {int(row['n_ranked'])}" + rank_range_text(row["rank_best"], row["rank_worst"])
        assert shown.loc[code, "Rank in region"] == f"{int(row['region_rank'])} of {int(row['region_n_ranked'])}"
    standards = download[download["level"] == "standard"]
    assert len(standards) and standards["score"].notna().all()  # every standard of the round is scored
    for s in standards.itertuples():
        name = next(c for c in grid.columns if c.startswith(f"{int(s.standard)}. "))
        assert shown.loc[s.authority_code, name] == f"{score_with_range(s.score, s.score_low, s.score_high)} · {s.band_label}"


def test_none_not_met_reads_as_words():
    assert regions.none_not_met("Does not meet") == "None: no standard is in the 'Does not meet' band"
    assert regions.none_not_met(None) == "None: no standard is in the lowest band"


def test_parsers():
    assert regions.parse_type("county") == "county"
    assert regions.parse_type("London Borough") == "London borough"
    assert regions.parse_type("metropolitan district") == "metropolitan district"
    assert regions.parse_type("parish") is None
    assert regions.parse_type(None) is None
    assert regions.parse_standard("3", [1, 2, 3]) == 3
    assert regions.parse_standard("4", [1, 2, 3]) is None
    assert regions.parse_standard("overall", [1, 2, 3]) is None
    assert regions.parse_measure("meeting") == "meeting"
    assert regions.parse_measure("bogus") == "median"


def test_hex_map_empties_councils_outside_the_filter(repo_con, latest_year):
    cells = regions.map_cells(repo_con, latest_year, None, "county")
    fig = charts.region_hex_map(cells, colour_label="Score", title="t", source="s",
                                filter_note="Not one of the counties")
    shapes = fig.layout.shapes
    assert len(shapes) == len(cells)
    for shape, inside in zip(shapes, cells["in_filter"], strict=True):
        assert (shape.fillcolor == charts.FILTERED_OUT_FILL) == (not inside)
    markers = next(t for t in fig.data if t.name == "Councils")
    outside = cells.index[~cells["in_filter"]][0]
    assert "Not one of the counties" in markers.hovertext[outside]
    assert any(t.name == "Other types of council" for t in fig.data)
    assert any(a.text.startswith("Source:") for a in fig.layout.annotations)


def test_heatmap_writes_the_numbers_in_the_cells(repo_con, latest_year):
    matrix = regions.region_standard_matrix(repo_con, latest_year)
    fig = charts.region_standard_heatmap(matrix, measure="median", source="s", title="t")
    heat = fig.data[0]
    first = matrix[(matrix["standard"] == matrix["standard"].min())
                   & (matrix["region_name"] == matrix["region_name"].iloc[0])].iloc[0]
    assert heat.text[0][0] == f"{first['median_score']:.0f}"
    fig = charts.region_standard_heatmap(matrix, measure="meeting", source="s", title="t")
    assert fig.data[0].text[0][0] == f"{first['share_meeting'] * 100:.0f}%"
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
