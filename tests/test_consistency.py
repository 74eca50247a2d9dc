"""Cross-page consistency: a figure shown in more than one place is the same everywhere.

For the demo database, councils are picked where rounding and ties could make places disagree:
exact scores ending in .5 (Python's round() would round half of them down), scores on either
side of a band boundary, and councils that share a shown overall score. For each, the score,
band and ranks are read from what the pages render (AppTest), from the briefing and the
downloaded files, and from the CLI, and compared with each other.
"""

from __future__ import annotations

import io
import re
import shutil
from contextlib import redirect_stdout

import pandas as pd
import pytest

from lib.analysis import gap_tables, gaps, national, regions, scorecard
from lib.base import exports
from lib.base.formatting import (
    format_percent,
    format_score,
    rank_range_text,
    score_range_text,
    score_with_range,
)
from lib.cli import main as cli
from lib.reports import briefing_html, scorecard_files
from tests.apptest import open_page, table_with

pytestmark = pytest.mark.usefixtures("app_db")

YEAR = 2015


def _pick_councils(con) -> list[str]:
    """Up to four ranked councils: a tie on the shown overall score, an exact .5 score, and
    scores just either side of a band minimum."""
    df = con.execute(
        "SELECT authority_code, score, score_unrounded, rank FROM overall_scores "
        "WHERE round_year = ? AND ranked ORDER BY score_unrounded DESC", [YEAR]).df()
    picks: list[str] = []
    tied = df[df.duplicated("score", keep=False)]
    if len(tied):
        picks += list(tied["authority_code"].iloc[:2])
    frac = (df["score_unrounded"] % 1 - 0.5).abs()
    picks.append(df.loc[frac.idxmin(), "authority_code"])
    mins = [m for (m,) in con.execute("SELECT min_score FROM bands WHERE min_score > 0").fetchall()]
    for m in mins[:1]:
        picks.append(df.loc[(df["score_unrounded"] - m).abs().idxmin(), "authority_code"])
    return list(dict.fromkeys(picks))[:4]


@pytest.fixture()
def picks(repo_con) -> list[str]:
    return _pick_councils(repo_con)


@pytest.fixture()
def truth(repo_con) -> pd.DataFrame:
    return repo_con.execute(
        "SELECT o.*, b.label AS band_label FROM overall_scores o LEFT JOIN bands b ON b.key = o.band "
        "WHERE o.round_year = ?", [YEAR]).df().set_index("authority_code")


def test_the_picked_councils_exercise_rounding_and_ties(picks, truth):
    assert len(picks) >= 3
    rows = truth.loc[picks]
    # At least one pair shares a shown score, and so a rank.
    tied = truth[truth["ranked"] & truth.duplicated("score", keep=False)]
    assert len(tied), "the demo has no tied shown scores to check"
    for _, group in tied.groupby("score"):
        assert group["rank"].nunique() == 1
    # The exact score behind each pick rounds (half up) to the score every page shows.
    assert [int(format_score(v)) for v in rows["score_unrounded"]] == [int(v) for v in rows["score"]]


def test_equal_shown_scores_share_a_rank_and_band_follows_shown_score(repo_con, truth):
    bands = repo_con.execute("SELECT key, min_score FROM bands ORDER BY min_score DESC").fetchall()
    for code, row in truth[truth["ranked"]].iterrows():
        shown = int(format_score(row["score"]))
        assert row["band"] == next(k for k, m in bands if shown >= m), code
        # rank = 1 + councils shown higher (England), and the same within the region
        assert row["rank"] == 1 + int((truth.loc[truth["ranked"], "score"] > row["score"]).sum())
        region = truth[truth["ranked"] & (truth["region_code"] == row["region_code"])]
        assert row["region_rank"] == 1 + int((region["score"] > row["score"]).sum())
    standards = repo_con.execute("SELECT score, band FROM standard_scores WHERE evidence").fetchall()
    for score, band in standards:
        assert band == next(k for k, m in bands if score >= m)


def test_scorecard_heatmap_regions_peers_and_what_if_agree(repo_db_path, picks, truth):
    for code in picks:
        row = truth.loc[code]
        score, band = format_score(row["score"]), str(row["band_label"])
        england_rank = f"{int(row['rank'])} of {int(row['n_ranked'])}"
        region_rank = f"{int(row['region_rank'])} of {int(row['region_n_ranked'])}"
        # The scorecard and the peers page show the range the council's unknown answers leave under
        # the score and the rank; the number itself is the same everywhere.
        score_range = score_range_text(row["score_low"], row["score_high"]).strip(" ()")
        rank_range = rank_range_text(row["rank_best"], row["rank_worst"]).strip(" ()")

        card = open_page("pages/scorecard.py", opened=True, authority=code, round=str(YEAR))
        metrics = {m.label: m.value for m in card.metric}
        deltas = {m.label: m.delta for m in card.metric}
        assert metrics["Overall score (out of 100)"] == score
        assert deltas["Overall score (out of 100)"] == (f"Range {score_range}" if score_range else None)
        assert metrics["Band"] == band
        assert metrics["Rank in England"] == england_rank
        assert deltas["Rank in England"] == (f"Range {rank_range}" if rank_range else None)
        assert metrics[f"Rank in {row['region_name']}"] == region_rank
        card_standards = table_with(card, "Standard", "Council score", "Band")

        heat = open_page("pages/gaps.py", opened=True, round=str(YEAR))
        heat_table = table_with(heat, "Council", "Overall score", "Rank").set_index("Council")
        assert heat_table.loc[row["display_name"], "Overall score"] == f"{score} ({band})"
        assert heat_table.loc[row["display_name"], "Rank"] == england_rank
        for s in card_standards.itertuples():
            if s._2 == "Not asked this round":
                continue
            shown_alone = s._2.split(" (")[0]  # "48 (48–61)" -> "48"
            assert heat_table.loc[row["display_name"], s.Standard] == f"{shown_alone} ({s.Band})"

        reg = open_page("pages/regions.py", opened=True, round=str(YEAR))
        map_table = table_with(reg, "Council", "Score and band", "Rank").set_index("Council")
        assert map_table.loc[row["display_name"], "Score and band"] == f"{score} ({band})"
        assert map_table.loc[row["display_name"], "Rank"] == england_rank

        peers = open_page("pages/peers.py", opened=True, authority=code, round=str(YEAR))
        pm = {m.label: m.value for m in peers.metric}
        pd_ = {m.label: m.delta for m in peers.metric}
        assert pm["Overall score"] == score and pm["Rank in England"] == england_rank
        assert pd_["Overall score"] == deltas["Overall score (out of 100)"]
        assert pd_["Rank in England"] == deltas["Rank in England"]

        whatif = open_page("pages/what_if.py", authority=code, round=str(YEAR))
        wm = {m.label: m.value for m in whatif.metric}
        assert wm["Projected overall score"] == score
        assert wm["Projected band"] == band
        assert wm["Projected rank in England"].startswith(england_rank)


def test_briefing_exports_and_cli_agree_with_the_scorecard(repo_db_path, repo_con, picks, truth, tmp_path):
    # The CLI opens the file read-only, which DuckDB refuses beside this process's read-write
    # connection, so it reads a checkpointed copy of the same database.
    repo_con.execute("CHECKPOINT")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(repo_db_path, copy)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--db", str(copy), "scores", "--round", str(YEAR)]) == 0
    cli_scores = pd.read_csv(io.StringIO(out.getvalue()))
    assert "score_unrounded" in cli_scores.columns
    for code in picks:
        row = truth.loc[code]
        profile = scorecard.standard_profile(repo_con, code, YEAR)
        html = briefing_html.briefing_html(repo_con, code, YEAR, is_demo=True)
        facts = dict(re.findall(r'<div class="fact"><span class="label">([^<]*)</span>'
                                r'<span class="value">([^<]*)</span>', html))
        assert facts["Overall score (out of 100)"] == score_with_range(row["score"], row["score_low"],
                                                                       row["score_high"])
        assert facts["Band"] == str(row["band_label"])
        assert facts["Rank in England"] == (f"{int(row['rank'])} of {int(row['n_ranked'])}"
                                            + rank_range_text(row["rank_best"], row["rank_worst"]))
        assert facts[f"Rank in {row['region_name']}"] == f"{int(row['region_rank'])} of {int(row['region_n_ranked'])}"
        brief_rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td class="num">([^<]*)</td><td>([^<]*)</td>', html)
        assert [(s, b) for _, s, b in brief_rows] == list(zip(profile["score_text"], profile["band_text"], strict=True))

        frames = scorecard_files.export_frames(repo_con, code, YEAR)
        sheet = frames["standards"].set_index("standard")
        mine = cli_scores[(cli_scores["authority_code"] == code)
                          & (cli_scores["level"] == "standard")].set_index("standard")
        for p in profile.itertuples():
            if not p.asked:
                assert pd.isna(sheet.loc[p.standard, "score"])
                assert pd.isna(mine.loc[p.standard, "score"]) and pd.isna(mine.loc[p.standard, "band_label"])
                continue
            # The files carry the score and its range in columns; the page writes "48 (48–61)".
            assert score_with_range(sheet.loc[p.standard, "score"], sheet.loc[p.standard, "score_low"],
                                    sheet.loc[p.standard, "score_high"]) == p.score_text
            assert sheet.loc[p.standard, "band_label"] == p.band_text
            assert score_with_range(mine.loc[p.standard, "score"], mine.loc[p.standard, "score_low"],
                                    mine.loc[p.standard, "score_high"]) == p.score_text
            assert mine.loc[p.standard, "band_label"] == p.band_text
            assert sheet.loc[p.standard, "score_unrounded"] == pytest.approx(mine.loc[p.standard, "score_unrounded"])
            # The difference from England is the difference of the two numbers shown.
            if p.england_median_text != "–":
                diff = int(sheet.loc[p.standard, "score"]) - int(p.england_median_text)
                assert sheet.loc[p.standard, "difference_from_england"] == diff
        xlsx = pd.read_excel(io.BytesIO(exports.to_xlsx_bytes(
            {k: exports.label_demo(v, True) for k, v in frames.items()})), sheet_name="standards")
        assert list(xlsx["score"].dropna().astype(int)) == list(sheet["score"].dropna().astype(int))
        assert (xlsx["data_note"].str.contains("synthetic", case=False)).all()


def test_national_share_meeting_agrees_on_home_gap_finder_and_regions(repo_con):
    medians = national.standard_medians(repo_con, YEAR).set_index("standard")
    by_band = national.standards_by_band(repo_con, YEAR)
    top = repo_con.execute("SELECT key FROM bands ORDER BY min_score DESC LIMIT 1").fetchone()[0]
    meets = by_band[by_band["band"] == top].set_index("standard")
    matrix = regions.region_standard_matrix(repo_con, YEAR)
    for n, m in medians.iterrows():
        if pd.isna(m["share_meeting"]):
            continue
        # Home's band chart counts councils per band; its share meeting is of those scored (every
        # respondent, on a standard the round asked about).
        assert meets.loc[n, "councils"] / m["scored"] == pytest.approx(m["share_meeting"])
        # Regions: the councils meeting it, summed over the regions, are England's.
        part = matrix[matrix["standard"] == n]
        assert int(part["meeting"].sum()) == int(meets.loc[n, "councils"])
        assert int(part["scored"].sum()) == int(m["scored"])
    # The Gap finder's heat map frame holds the same bands.
    frame = gaps.heatmap_frame(repo_con, YEAR)
    for n, m in medians.iterrows():
        rows = frame[(frame["standard"] == n) & frame["asked"]]
        if len(rows):
            assert (rows["band"] == top).mean() == pytest.approx(m["share_meeting"])
            assert format_percent((rows["band"] == top).mean()) == format_percent(m["share_meeting"])


def test_region_medians_agree_in_league_table_and_heat_map(repo_db_path, repo_con):
    at = open_page("pages/regions.py", round=str(YEAR))
    league = table_with(at, "Region", "Median overall score").set_index("Region")
    direct = regions.region_league(repo_con, YEAR).set_index("region_name")
    for name, r in direct.iterrows():
        assert league.loc[name, "Median overall score"] == format_score(r["median_score"])
    # Regions shown at the same median share a league position.
    positions = league.reset_index()
    for _, group in positions.groupby("Median overall score"):
        assert group["Position"].nunique() == 1
    matrix = regions.region_standard_matrix(repo_con, YEAR)
    medians = repo_con.execute(
        "SELECT scope_name, standard, median_score FROM standard_summary WHERE round_year = ? "
        "AND scope = 'region'", [YEAR]).df()
    merged = matrix.merge(medians, left_on=["region_name", "standard"], right_on=["scope_name", "standard"],
                          suffixes=("", "_view"))
    assert len(merged)
    for r in merged.itertuples():
        assert format_score(r.median_score) == format_score(r.median_score_view)


def test_home_change_adds_up_as_shown(repo_db_path):
    at = open_page(None, round=str(YEAR))
    table = table_with(at, "Standard", "Change (points)")
    prev = YEAR - 1
    for r in table.to_dict("records"):
        if r[f"Median {prev}"] == "Not compared":
            continue
        diff = int(r[f"Median {YEAR}, same questions"]) - int(r[f"Median {prev}"])
        assert r["Change (points)"] == ("No change" if diff == 0 else f"{diff:+d}")
    assert any(re.search(r"gained or lost questions", c.value) for c in at.caption)


def test_peer_difference_is_the_difference_of_the_shown_numbers():
    """A council at 45 beside a peer median of 77.5 (shown 78) is 33 below, never -32 (which
    the exact difference 32.5 rounded half to even would give)."""
    from lib.analysis import peers

    frame = pd.DataFrame({
        "role": ["council", "median", "peer", "peer"],
        "display_name": ["Ours", "Peer median", "A", "B"],
        "standard": [5, 5, 5, 5], "short_name": ["Training"] * 4,
        "score": [45.0, 77.5, 75.0, 80.0], "band_label": ["Partly meets", None, "Meets", "Meets"],
    })
    row = peers.standards_table(frame, "Ours").iloc[0]
    assert (row["Ours"], row["Peer median"]) == ("45", "78")
    assert row["Difference from the median (points)"] == "-33"


def test_chart_hovers_show_percentages_as_tables_do():
    """A share of 0.125 is 13% in the table and on hover (Plotly's own %{x:.0f} would be free to
    round 12.5 either way, and is given 12.5 after round(1))."""
    from lib.charts import gaps as gap_charts
    from lib.charts import national as national_charts

    unmet = pd.DataFrame({
        "question_id": ["q"], "topic": ["Topic"], "standard": [1], "short_name": ["S"],
        "share_without": [0.875], "share_in_development": [0.125], "share_not_available": [0.745],
        "share_dont_know": [0.005], "share_missing": [0.0], "share_available": [0.125],
    })
    fig = gap_charts.unmet_bars(unmet, source="Source: test", title="t", england=unmet)
    hovers = {t.name: t.customdata[0] for t in fig.data}
    assert hovers["Partly or in development"] == "13%"
    assert hovers["Not available"] == "75%"  # 74.5 shown half up
    assert hovers["England, all reasons"] == "88%"
    table = gap_tables.unmet_table(unmet, unmet).iloc[0]
    assert table["Partly or in development (%)"] == 13 and table["Not available (%)"] == 75
    bands = pd.DataFrame({"standard": [1, 1], "short_name": ["S", "S"], "band": ["meets", "partly_meets"],
                          "band_label": ["Meets", "Partly meets"], "position": [0, 1], "councils": [5, 35],
                          "share": [0.125, 0.875]})
    fig = national_charts.standards_band_bar(bands, source="Source: test")
    assert [t.customdata[0][1] for t in fig.data] == ["13%", "88%"]
