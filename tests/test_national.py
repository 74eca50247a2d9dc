"""lib.analysis.national on the session database, checked against direct counts."""

from __future__ import annotations

import pytest

from lib.analysis import national


def test_response_summary(repo_con):
    s = national.response_summary(repo_con, 2015)
    assert (s.respondents, s.councils) == (95, 152)
    assert s.previous_year == 2014 and s.previous_respondents == 75
    assert s.report_rate == pytest.approx(95 / 151)
    assert "151" in s.footnote and "Isles of Scilly" in s.footnote


def test_standards_by_band_adds_up(repo_con):
    df = national.standards_by_band(repo_con, 2015)
    per_standard = df.groupby("standard")["councils"].sum()
    assert set(per_standard) == {95}
    direct = repo_con.execute(
        "SELECT count(*) FROM standard_scores WHERE round_year = 2015 AND standard = 1 AND band = 'meets'"
    ).fetchone()[0]
    assert df[(df["standard"] == 1) & (df["band"] == "meets")]["councils"].iloc[0] == direct


def test_map_values_includes_non_respondents(repo_con):
    df = national.map_values(repo_con, 2015)
    assert len(df) == 152
    assert int(df["responded"].sum()) == 95
    assert df.loc[~df["responded"], "value"].isna().all(), "non-respondents are grey (no value)"
    assert df.loc[df["responded"], "value"].notna().all()
    assert df["hex_col"].notna().all() and df["hex_row"].notna().all()
    s3 = national.map_values(repo_con, 2015, standard=3)
    assert s3["value"].max() <= 100


def test_change_since_previous(repo_con):
    df = national.change_since_previous(repo_con, 2015)
    assert list(df["standard"]) == list(range(1, 10))
    assert set(df["previous_year"]) == {2014}
    assert national.change_since_previous(repo_con, 2012).empty


def test_change_and_ranking_tables_are_plain_text(repo_con):
    change = national.change_table(national.change_since_previous(repo_con, 2015), 2015)
    assert len(change) == 9
    text = " ".join(change.astype(str).to_numpy().ravel())
    assert "None" not in text and "nan" not in text.lower()
    # Standard 3 was not asked in 2014: shown as such, not as a blank or a zero.
    row = change[change["Standard"].str.startswith("3.")].iloc[0]
    assert row["Median 2014"] == "Not compared" and row["Median 2015, same questions"] == "Not compared"
    assert row["Compared on"] == "Not asked in 2014"
    ranked = national.overall_distribution(repo_con, 2015)
    table = national.ranking_table(ranked)
    first = repo_con.execute("SELECT display_name FROM overall_scores WHERE round_year = 2015 AND rank = 1 "
                             "ORDER BY display_name LIMIT 1").fetchone()[0]
    assert table.iloc[0]["Council"] == first and table.iloc[0]["Rank"].startswith("1 of ")


def test_change_is_like_for_like_and_adds_up(repo_con):
    """Standard 2 gained questions in 2015: the change is measured on the ones both rounds asked,
    and each change is the difference of the shown figures."""
    change = national.change_since_previous(repo_con, 2015).set_index("standard")
    s2 = change.loc[2]
    n_now, n_before = (repo_con.execute(
        "SELECT count(*) FROM questions WHERE scored AND standard = 2 AND asked_from <= ?", [y]).fetchone()[0]
        for y in (2015, 2014))
    assert n_now > n_before > 0
    assert (s2["questions_now"], s2["questions_before"], s2["questions_common"]) == (n_now, n_before, n_before)
    assert bool(s2["questions_changed"])
    # The 2014 side equals 2014's own figures (2014 asked only the common questions) ...
    own_2014 = repo_con.execute(
        "SELECT median_score, share_meeting FROM standard_summary "
        "WHERE round_year = 2014 AND scope = 'england' AND standard = 2").fetchone()
    assert s2["previous_median"] == own_2014[0]
    assert s2["previous_share_meeting"] == pytest.approx(own_2014[1])
    # ... while the 2015 side is 2015 re-scored on those two questions: not 2015's own figure.
    own_2015 = repo_con.execute(
        "SELECT share_meeting FROM standard_summary "
        "WHERE round_year = 2015 AND scope = 'england' AND standard = 2").fetchone()[0]
    assert s2["share_meeting"] != pytest.approx(own_2015)
    table = national.change_table(change.reset_index(), 2015).set_index("Standard")
    for _, row in table.iterrows():
        if row["Median 2014"] == "Not compared":
            continue
        before, now = int(row["Median 2014"]), int(row["Median 2015, same questions"])
        expected = "No change" if now == before else f"{now - before:+d}"
        assert row["Change (points)"] == expected
        pb, pn = int(row["% meeting 2014"].rstrip("%")), int(row["% meeting 2015, same questions"].rstrip("%"))
        assert row["Change (% points)"] == ("No change" if pn == pb else f"{pn - pb:+d}")
    assert f"standard 2 ({n_before} of its {n_now} questions)" in national.questions_change_note(change.reset_index())
