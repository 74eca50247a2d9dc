"""lib.analysis.peers against the session database: peer groups, similarity, medians and the side-by-side table."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from lib.analysis import peers, regions, scorecard
from lib.base.formatting import rank_range_text, score_with_range
from lib.charts import peers as charts
from lib.reports import opendata_files


def _respondent_with_unknowns(con, year: int) -> str:
    """A ranked respondent that answered "don't know" at least once (so the unknown rule matters)."""
    return con.execute(
        """SELECT authority_code FROM question_scores WHERE round_year = ? AND status = 'unknown'
           GROUP BY authority_code ORDER BY count(*) DESC, authority_code LIMIT 1""", [year]).fetchone()[0]


def _hand_distance(con, year: int, a: str, b: str) -> tuple[int, float]:
    """Shared known questions and the weighted mean absolute gap x 100, worked out in pandas."""
    rows = con.execute(
        "SELECT authority_code, question_id, weight, status, score FROM question_scores "
        "WHERE round_year = ? AND authority_code IN (?, ?)", [year, a, b]).df()
    known = rows[rows["status"] == "known"]
    left = known[known["authority_code"] == a].set_index("question_id")
    right = known[known["authority_code"] == b].set_index("question_id")
    shared = left.index.intersection(right.index)
    gaps = (left.loc[shared, "score"] - right.loc[shared, "score"]).abs()
    weights = left.loc[shared, "weight"]
    return len(shared), 100 * float((gaps * weights).sum() / weights.sum())


def test_similar_councils_exclude_the_council_and_are_nearest_first(repo_con, latest_year):
    code = _respondent_with_unknowns(repo_con, latest_year)
    for k in (peers.K_MIN, peers.K_DEFAULT, peers.K_MAX):
        sim = peers.similar_councils(repo_con, latest_year, code, k)
        assert len(sim) == k
        assert code not in set(sim["authority_code"])
        assert sim["distance"].is_monotonic_increasing
        assert ((sim["similarity"] + sim["distance"]) - 100).abs().max() < 1e-9
        assert (sim["shared_questions"] >= peers.MIN_SHARED_SHARE * sim["questions_asked"]).all()
    # No respondent outside the top k is closer than the k-th.
    everyone = peers.similar_councils(repo_con, latest_year, code, 10_000)
    top = peers.similar_councils(repo_con, latest_year, code, peers.K_DEFAULT)
    assert everyone["distance"].iloc[peers.K_DEFAULT] >= top["distance"].iloc[-1]


def test_similarity_of_a_pair_checked_by_hand(repo_con, latest_year):
    code = _respondent_with_unknowns(repo_con, latest_year)
    sim = peers.similar_councils(repo_con, latest_year, code, 10_000)
    for row in (sim.iloc[0], sim.iloc[len(sim) // 2]):
        shared, distance = _hand_distance(repo_con, latest_year, code, row["authority_code"])
        assert row["shared_questions"] == shared
        assert math.isclose(row["distance"], distance, abs_tol=1e-9)
    # "Don't know" answers are left out: the council's own unknowns cut the shared count.
    asked = int(sim["questions_asked"].iloc[0])
    unknown = repo_con.execute(
        "SELECT count(*) FROM question_scores WHERE round_year = ? AND authority_code = ? AND status <> 'known'",
        [latest_year, code]).fetchone()[0]
    assert unknown > 0
    assert sim["shared_questions"].max() <= asked - unknown


def test_similar_councils_of_a_non_respondent_is_empty(repo_con, latest_year):
    code = repo_con.execute(
        "SELECT authority_code FROM round_councils WHERE round_year = ? AND NOT responded LIMIT 1", [latest_year]).fetchone()[0]
    assert peers.similar_councils(repo_con, latest_year, code, 5).empty


def test_area_peers_are_the_rest_of_the_region_or_type(repo_con, latest_year):
    code = "E08000003"
    me = scorecard.council(repo_con, code, latest_year)
    region = peers.area_peers(repo_con, latest_year, code, "region")
    same_region = repo_con.execute(
        "SELECT count(*) FROM round_councils WHERE round_year = ? AND region_code = ?",
        [latest_year, me["region_code"]]).fetchone()[0]
    assert len(region) == same_region - 1
    assert code not in set(region["authority_code"])
    assert set(region["region_name"]) == {me["region_name"]}
    same_type = peers.area_peers(repo_con, latest_year, code, "type")
    assert set(same_type["type"]) == {me["type"]}
    with pytest.raises(ValueError):
        peers.area_peers(repo_con, latest_year, code, "colour")


def test_custom_list_parsing_ignores_unknown_codes_with_a_message():
    known = ["E06000001", "E08000012", "E08000003"]
    parsed = peers.parse_custom(" e06000001,NOPE1, E08000012,E06000001,,E08000003, X ", known, exclude="E08000003")
    assert parsed.codes == ["E06000001", "E08000012"]
    assert parsed.unknown == ["NOPE1", "X"]
    assert "NOPE1" in parsed.message and "X" in parsed.message and "2 codes" in parsed.message
    clean = peers.parse_custom("E06000001", known)
    assert clean.codes == ["E06000001"] and clean.unknown == [] and clean.message is None
    assert peers.parse_custom(None, known).codes == []


def test_k_and_mode_parsing():
    assert peers.parse_k(None) == peers.K_DEFAULT
    assert peers.parse_k("7") == 7
    assert peers.parse_k("1") == peers.K_MIN
    assert peers.parse_k("99") == peers.K_MAX
    assert peers.parse_k("seven") == peers.K_DEFAULT
    assert peers.parse_mode("similar") == "similar"
    assert peers.parse_mode("friends") == peers.DEFAULT_MODE


def test_peer_medians_match_the_peers_scores(repo_con, latest_year):
    group = peers.area_peers(repo_con, latest_year, "E08000003", "region")["authority_code"].tolist()
    medians = peers.peer_medians(repo_con, latest_year, group).set_index("standard")
    scores = repo_con.execute(
        "SELECT standard, score FROM standard_scores WHERE round_year = ? AND list_contains(?, authority_code)",
        [latest_year, group]).df()
    for number, part in scores.groupby("standard"):
        assert math.isclose(medians.loc[number, "median_score"], part["score"].median())
        assert medians.loc[number, "councils"] == part["score"].notna().sum()
    overall = repo_con.execute(
        "SELECT score FROM overall_scores WHERE round_year = ? AND ranked AND list_contains(?, authority_code)",
        [latest_year, group]).df()["score"]
    assert math.isclose(medians.loc[0, "median_score"], overall.median())


def test_side_by_side_puts_the_council_first_then_the_median(repo_con, latest_year):
    code = "E08000003"
    group = peers.peer_codes(repo_con, latest_year, code, "similar", k=4)
    long = regions.council_scores_long(repo_con, latest_year, codes=[code, *group["authority_code"]])
    medians = peers.peer_medians(repo_con, latest_year, list(group["authority_code"]))
    table, bands = peers.side_by_side(code, group, long, medians, latest_year)
    assert table.shape == bands.shape
    assert not table.isna().any().any()
    assert table["Row"].tolist() == [peers.ROW_COUNCIL, peers.ROW_MEDIAN] + [peers.ROW_PEER] * 4
    assert table.iloc[0]["code"] == code
    assert table["code"].iloc[2:].tolist() == group["authority_code"].tolist()
    score, rank, n, low, high, best, worst = repo_con.execute(
        "SELECT score, rank, n_ranked, score_low, score_high, rank_best, rank_worst FROM overall_scores "
        "WHERE round_year = ? AND authority_code = ?", [latest_year, code]).fetchone()
    # With the range the council's "Don't know" and unanswered questions leave, where they leave one.
    assert table.iloc[0]["Overall score"].startswith(f"{score_with_range(score, low, high)} · ")
    assert table.iloc[0]["Rank in England"] == f"{rank} of {n}" + rank_range_text(best, worst)


def test_side_by_side_download_is_the_apis_scores_of_the_councils_shown(repo_con, latest_year):
    """The peers page's download covers the council and its peers (not the median row) with the
    API's scores, and the table's cells say the same numbers."""
    code = "E08000003"
    group = peers.peer_codes(repo_con, latest_year, code, "similar", k=4)
    long = regions.council_scores_long(repo_con, latest_year, codes=[code, *group["authority_code"]])
    medians = peers.peer_medians(repo_con, latest_year, list(group["authority_code"]))
    table, _ = peers.side_by_side(code, group, long, medians, latest_year)
    compared = peers.compared_codes(table)
    assert compared == [code, *group["authority_code"]]
    download = pd.read_csv(io.BytesIO(opendata_files.shown("scores", round=latest_year, council=compared)(repo_con)),
                           encoding="utf-8-sig")
    overall = download[download["level"] == "overall"].set_index("authority_code")
    assert set(overall.index) == set(compared)
    shown = table.set_index("code")
    for c, row in overall.iterrows():
        assert shown.loc[c, "Overall score"] == \
            f"{score_with_range(row['score'], row['score_low'], row['score_high'])} · {row['band_label']}"
        assert shown.loc[c, "Rank in England"] == \
            f"{int(row['rank'])} of {int(row['n_ranked'])}" + rank_range_text(row["rank_best"], row["rank_worst"])


def test_side_by_side_leaves_out_a_council_that_did_not_respond(repo_con, latest_year):
    code = repo_con.execute(
        "SELECT authority_code FROM round_councils WHERE round_year = ? AND NOT responded "
        "ORDER BY authority_code LIMIT 1", [latest_year]).fetchone()[0]
    group = peers.peer_codes(repo_con, latest_year, code, "region")
    long = regions.council_scores_long(repo_con, latest_year, codes=[code, *group["authority_code"]])
    medians = peers.peer_medians(repo_con, latest_year, list(group["authority_code"]))
    table, _ = peers.side_by_side(code, group, long, medians, latest_year)
    assert code not in set(table["code"])
    assert table.iloc[0]["Row"] == peers.ROW_MEDIAN
    assert not table.isna().any().any()


def test_nearest_responded_round(repo_con):
    row = repo_con.execute(
        """SELECT c.round_year, c.authority_code FROM round_councils c WHERE NOT c.responded
           AND EXISTS (SELECT 1 FROM respondents p WHERE p.authority_code = c.authority_code)
           ORDER BY c.round_year, c.authority_code LIMIT 1""").fetchone()
    assert row is not None
    year, code = row
    responded_in = [r[0] for r in repo_con.execute(
        "SELECT round_year FROM respondents WHERE authority_code = ?", [code]).fetchall()]
    expected = min(responded_in, key=lambda y: (abs(y - year), -y))
    assert peers.nearest_responded_round(repo_con, code, year) == expected != year
    never = repo_con.execute(
        """SELECT authority_code FROM round_councils c WHERE round_year = ? AND NOT EXISTS
           (SELECT 1 FROM respondents p WHERE p.authority_code = c.authority_code) LIMIT 1""", [year]).fetchone()
    if never:
        assert peers.nearest_responded_round(repo_con, never[0], year) is None


def test_chart_has_council_median_and_peers(repo_con, latest_year):
    code = "E08000003"
    group = peers.peer_codes(repo_con, latest_year, code, "similar", k=5)
    long = regions.council_scores_long(repo_con, latest_year, codes=[code, *group["authority_code"]])
    medians = peers.peer_medians(repo_con, latest_year, list(group["authority_code"]))
    frame = peers.chart_frame(code, long, medians)
    fig = charts.peer_standards_chart(frame, council_name="Manchester", source="s",
                                      bands=[("meets", "Meets", 75.0), ("partly_meets", "Partly meets", 40.0),
                                             ("does_not_meet", "Does not meet", 0.0)], title="t")
    names = [t.name for t in fig.data]
    assert names[1:] == ["Peer median", "Manchester"]
    council = fig.data[2]
    mine = frame[(frame["role"] == "council") & frame["score"].notna()]
    assert list(council.x) == pytest.approx(list(mine["score"]))
    peer_total = sum(int(c) for c in fig.data[0].customdata[:, 1])
    assert peer_total == int(frame[(frame["role"] == "peer")]["score"].notna().sum())
    table = peers.standards_table(frame, "Manchester")
    assert not table.isna().any().any()
    assert list(table.columns[:3]) == ["Standard", "Manchester", "Peer median"]
    assert isinstance(table, pd.DataFrame)


def test_similarity_method_states_the_credits_from_the_database(repo_con):
    from lib.analysis.methodology import credit_summary

    text = peers.similarity_method(repo_con)
    assert credit_summary(repo_con) in text and "Available" in text
