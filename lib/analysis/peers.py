"""Peer comparison: a council set beside councils like it - same region, same type, most similar
answers, or a list the user picks.

"Most similar answers" compares two councils question by question over the round's scored
questions (the question_scores view): the distance is the weighted mean absolute difference
of their question scores, in points out of 100, over the questions both answered with a known
answer. "Don't know" and unanswered questions say nothing about what a council provides, so
they are left out of that pair's comparison rather than counted as 0, and a pair must share a
known answer on at least half of the round's scored questions to count as peers. Similarity
is 100 minus the distance. Everything is computed in SQL from the views.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pandas as pd

from lib.base.formatting import (
    DASH,
    NO_EVIDENCE,
    NOT_ASKED,
    council_type_text,
    format_points,
    format_score,
    is_missing,
    rank_range_text,
    score_with_range,
)
from lib.base.rounding import shown_change

MODES = {
    "region": "Same region",
    "type": "Same type of council",
    "similar": "Most similar answers",
    "custom": "Councils I choose",
}
DEFAULT_MODE = "region"
K_DEFAULT, K_MIN, K_MAX = 5, 3, 15
#: Share of the round's scored questions two councils must both have answered to be compared.
MIN_SHARED_SHARE = 0.5

def similarity_method(con: duckdb.DuckDBPyConnection) -> str:
    """One sentence on how similarity is measured, with the answer credits read from the
    database (standards/scoring.toml), so the words follow the scoring rules."""
    from lib.analysis.methodology import credit_summary

    return (
        "Similarity compares the two councils' answers to each scored question in the round, "
        f"each answer counted at its credit ({credit_summary(con)}): it is 100 minus the average "
        "gap between their answers, in points out of 100, so 100 means identical answers; "
        "\"Don't know\" and unanswered questions are left out of a pair's comparison, and councils "
        "sharing known answers on fewer than half of the questions are not offered as peers."
    )


@dataclass(frozen=True)
class CustomList:
    """Council codes parsed from ?custom=, and the entries that matched no council in the round."""

    codes: list[str]
    unknown: list[str]

    @property
    def message(self) -> str | None:
        if not self.unknown:
            return None
        listed = ", ".join(self.unknown)
        one = len(self.unknown) == 1
        return (f"Left out {len(self.unknown)} code{'' if one else 's'} that "
                f"match{'es' if one else ''} no council in this round: {listed}.")


def parse_mode(value: str | None) -> str:
    return value if value in MODES else DEFAULT_MODE


def parse_k(value: str | None) -> int:
    """?k= as a whole number between K_MIN and K_MAX (default K_DEFAULT)."""
    text = str(value or "").strip()
    if not re.fullmatch(r"[0-9]{1,3}", text):  # ASCII digits, a few of them: never int() of 5,000 digits
        return K_DEFAULT
    return min(max(int(text), K_MIN), K_MAX)


def parse_custom(value: str | None, known: Iterable[str], exclude: str | None = None) -> CustomList:
    """?custom=E06000001,E08000012 -> codes of councils in the round, in order, without repeats.

    Codes are matched case-insensitively; the chosen council itself is dropped silently (it is
    always shown); anything else that is not a council of the round is reported back.
    """
    by_upper = {c.upper(): c for c in known}
    codes: list[str] = []
    unknown: list[str] = []
    for raw in (value or "").split(","):
        item = raw.strip()
        if not item:
            continue
        code = by_upper.get(item.upper())
        if code is None:
            if item not in unknown:
                unknown.append(item)
        elif code != exclude and code not in codes:
            codes.append(code)
    return CustomList(codes, unknown)


# --------------------------------------------------------------------------------------------
# Councils and rounds
# --------------------------------------------------------------------------------------------

def nearest_responded_round(con: duckdb.DuckDBPyConnection, code: str, year: int) -> int | None:
    """The round closest to `year` in which the council responded (the later one on a tie)."""
    row = con.execute(
        """
        SELECT round_year FROM respondents WHERE authority_code = ? AND round_year <> ?
        ORDER BY abs(round_year - ?), round_year DESC LIMIT 1
        """,
        [code, year, year],
    ).fetchone()
    return int(row[0]) if row else None


# --------------------------------------------------------------------------------------------
# Peer groups
# --------------------------------------------------------------------------------------------

def similar_councils(con: duckdb.DuckDBPyConnection, year: int, code: str,
                     k: int = K_DEFAULT) -> pd.DataFrame:
    """The k respondents whose answers are closest to the council's, nearest first.

    Columns: authority_code, display_name, shared_questions, questions_asked, distance (0-100,
    lower is closer), similarity (100 - distance). Empty when the council did not respond.
    Ties are broken by more shared questions, then by name, so the order is stable.
    """
    return con.execute(
        """
        WITH asked AS (
            SELECT count(DISTINCT id) AS n FROM round_questions WHERE round_year = $year
        ), mine AS (
            SELECT question_id, weight, score FROM question_scores
            WHERE round_year = $year AND authority_code = $code AND status = 'known'
        ), pairs AS (
            SELECT q.authority_code,
                   count(*) AS shared_questions,
                   sum(m.weight * abs(q.score - m.score)) / sum(m.weight) AS gap
            FROM question_scores q JOIN mine m USING (question_id)
            WHERE q.round_year = $year AND q.authority_code <> $code AND q.status = 'known'
            GROUP BY q.authority_code
        )
        SELECT p.authority_code, c.display_name, c.region_name, c.type,
               p.shared_questions, asked.n AS questions_asked,
               100 * p.gap AS distance, 100 * (1 - p.gap) AS similarity
        FROM pairs p CROSS JOIN asked
        JOIN round_councils c ON c.round_year = $year AND c.authority_code = p.authority_code
        WHERE p.shared_questions >= $min_share * asked.n
        ORDER BY p.gap, p.shared_questions DESC, c.display_name
        LIMIT $k
        """,
        {"year": year, "code": code, "k": int(k), "min_share": MIN_SHARED_SHARE},
    ).df()


def area_peers(con: duckdb.DuckDBPyConnection, year: int, code: str, by: str) -> pd.DataFrame:
    """Every other council of the round in the same region (by='region') or of the same type."""
    if by not in ("region", "type"):
        raise ValueError(f"by must be 'region' or 'type', not {by!r}")
    return con.execute(
        """
        SELECT c.authority_code, c.display_name, c.region_name, c.type, c.responded
        FROM round_councils c
        JOIN round_councils me ON me.round_year = c.round_year AND me.authority_code = $code
        WHERE c.round_year = $year AND c.authority_code <> $code
          AND CASE WHEN $by = 'region' THEN c.region_code = me.region_code ELSE c.type = me.type END
        ORDER BY c.display_name
        """,
        {"year": year, "code": code, "by": by},
    ).df()


def peer_codes(con: duckdb.DuckDBPyConnection, year: int, code: str, mode: str, *,
               k: int = K_DEFAULT, custom: list[str] | None = None) -> pd.DataFrame:
    """The peer group for a mode: authority_code plus similarity (similar mode only, else NaN)."""
    if mode == "similar":
        sim = similar_councils(con, year, code, k)
        return sim[["authority_code", "similarity", "shared_questions"]]
    if mode in ("region", "type"):
        peers = area_peers(con, year, code, mode)
        return peers[["authority_code"]].assign(similarity=float("nan"), shared_questions=pd.NA)
    return pd.DataFrame({"authority_code": list(custom or []), "similarity": float("nan"),
                         "shared_questions": pd.NA})


# --------------------------------------------------------------------------------------------
# Scores side by side
# --------------------------------------------------------------------------------------------

def peer_medians(con: duckdb.DuckDBPyConnection, year: int, codes: list[str]) -> pd.DataFrame:
    """The peer group's median per standard asked (over peers with evidence) and overall.

    The overall row has standard = 0 and is the median over ranked peers, as in the
    overall_summary view. Each median carries its band and how many peers stand behind it.
    """
    return con.execute(
        """
        WITH per_standard AS (
            SELECT s.standard, st.short_name, median(s.score) AS median_score,
                   count(s.score) AS councils
            FROM standard_scores s JOIN standards st ON st.number = s.standard
            WHERE s.round_year = $year AND list_contains($codes, s.authority_code)
              AND s.standard IN (SELECT DISTINCT standard FROM round_questions
                                 WHERE round_year = $year)
            GROUP BY ALL
        ), overall AS (
            SELECT 0 AS standard, 'Overall' AS short_name,
                   median(score) FILTER (WHERE ranked) AS median_score,
                   count(*) FILTER (WHERE ranked) AS councils
            FROM overall_scores WHERE round_year = $year AND list_contains($codes, authority_code)
        ), together AS (SELECT * FROM overall UNION ALL SELECT * FROM per_standard)
        SELECT t.*, band_for(t.median_score) AS band, b.label AS band_label
        FROM together t LEFT JOIN bands b ON b.key = band_for(t.median_score)
        ORDER BY t.standard
        """,
        {"year": year, "codes": list(codes)},
    ).df()


def score_cell(score: object, band_label: object, low: object = None, high: object = None) -> str:
    """'62 · Partly meets', '48 (48–61) · Partly meets' where unknown or missing answers leave a
    range, or 'Not asked' - never NaN."""
    if is_missing(score):
        return NOT_ASKED
    text = score_with_range(score, low, high)
    return f"{text} · {band_label}" if not is_missing(band_label) else text


ROW_COUNCIL = "Selected council"
ROW_MEDIAN = "Peer median"
ROW_PEER = "Peer"


def _standard_columns(long: pd.DataFrame, medians: pd.DataFrame) -> list[tuple[int, str]]:
    """(number, column heading) of each standard in the table, in order: the standards the
    councils have scores on, else those the medians cover."""
    standard_cols = [(int(s), f"{int(s)}. {n}") for s, n in
                     long.dropna(subset=["standard"]).drop_duplicates("standard")[["standard", "short_name"]]
                     .sort_values("standard").itertuples(index=False)]
    if not standard_cols and len(medians):
        standard_cols = [(int(s), f"{int(s)}. {n}") for s, n in
                         medians[medians["standard"] > 0][["standard", "short_name"]].itertuples(index=False)]
    return standard_cols


def _council_row(part: pd.DataFrame, kind: str, year: int, standard_cols: list[tuple[int, str]],
                 similarity: dict[str, object], has_similarity: bool
                 ) -> tuple[dict[str, object], dict[str, object]]:
    """One council's row of the table and the band key behind each of its cells (a Similarity
    column only when the peers have a similarity)."""
    first = part.iloc[0]
    responded = bool(first["responded"])
    row: dict[str, object] = {
        "Row": kind,
        "Council": first["display_name"],
        "Region": first["region_name"],
        "Type": council_type_text(first["type"]),
    }
    if has_similarity:
        sim = similarity.get(first["authority_code"])
        row["Similarity"] = DASH if kind == ROW_COUNCIL or is_missing(sim) else format_score(sim)
    if not responded:
        row["Overall score"] = f"No response in {year}"
        row["Rank in England"] = DASH
    else:
        row["Overall score"] = score_cell(first["overall_score"], first["overall_band_label"],
                                          first["overall_score_low"], first["overall_score_high"])
        row["Rank in England"] = (f"{int(first['rank'])} of {int(first['n_ranked'])}"
                                  + rank_range_text(first["rank_best"], first["rank_worst"])
                                  if not is_missing(first["rank"]) else "Not ranked")
    bands: dict[str, object] = {k: None for k in row}
    bands["Overall score"] = None if not responded else first["overall_band"]
    by_standard = {int(r.standard): r for r in part.itertuples() if not is_missing(r.standard)}
    for number, column in standard_cols:
        r = by_standard.get(number)
        if not responded:
            row[column], bands[column] = DASH, None
        elif r is None or not bool(r.asked):
            row[column], bands[column] = NOT_ASKED, None
        else:
            row[column], bands[column] = score_cell(r.score, r.band_label, r.score_low, r.score_high), r.band
    row["code"] = bands["code"] = first["authority_code"]
    return row, bands


def _median_row(peer_long: pd.DataFrame, medians: pd.DataFrame, standard_cols: list[tuple[int, str]],
                has_similarity: bool) -> tuple[dict[str, object], dict[str, object]]:
    """The peer median's row of the table and the band key behind each of its cells."""
    med = {int(m.standard): m for m in medians.itertuples()}
    overall = med.get(0)
    answered = int(peer_long.drop_duplicates("authority_code")["responded"].sum())
    row: dict[str, object] = {
        "Row": ROW_MEDIAN, "Council": f"{answered} responding peer{'s' if answered != 1 else ''}",
        "Region": DASH, "Type": DASH}
    if has_similarity:
        row["Similarity"] = DASH
    row["Overall score"] = (score_cell(overall.median_score, overall.band_label)
                            if overall is not None else NO_EVIDENCE)
    row["Rank in England"] = DASH
    bands: dict[str, object] = {k: None for k in row}
    bands["Overall score"] = overall.band if overall is not None else None
    for number, column in standard_cols:
        m = med.get(number)
        row[column] = score_cell(m.median_score, m.band_label) if m is not None else NO_EVIDENCE
        bands[column] = None if m is None or is_missing(m.band) else m.band
    row["code"] = bands["code"] = ""
    return row, bands


def _peer_order(peer_long: pd.DataFrame, similarity: dict[str, object], has_similarity: bool) -> list[str]:
    """The peers' codes in table order: by similarity when there is one, else by rank with
    non-respondents last, then by name."""
    order = peer_long.drop_duplicates("authority_code").assign(
        _sim=lambda d: d["authority_code"].map(similarity).astype(float),
        _rank=lambda d: d["rank"].astype("Float64"),
    )
    if has_similarity:
        order = order.sort_values(["_sim", "display_name"], ascending=[False, True])
    else:
        order = order.sort_values(["responded", "_rank", "display_name"], ascending=[False, True, True],
                                  na_position="last")
    return list(order["authority_code"])


def side_by_side(code: str, peers: pd.DataFrame, long: pd.DataFrame, medians: pd.DataFrame,
                 year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table people read: the council, then the peer median, then each peer.

    A council that did not respond has no row of its own: its peers are shown without it.

    Returns (table, bands): text cells only (no NaN), and a frame of the same shape holding the
    band key behind each score cell, so the page can tint cells (the text carries the band too).
    Peers are ordered by similarity when there is one, else by rank; non-respondents last.
    """
    similarity = dict(zip(peers["authority_code"], peers["similarity"], strict=True))
    has_similarity = bool(peers["similarity"].notna().any())
    standard_cols = _standard_columns(long, medians)

    rows: list[dict[str, object]] = []
    band_rows: list[dict[str, object]] = []
    mine = long[long["authority_code"] == code]
    if len(mine) and bool(mine.iloc[0]["responded"]):
        r, b = _council_row(mine, ROW_COUNCIL, year, standard_cols, similarity, has_similarity)
        rows.append(r)
        band_rows.append(b)

    peer_long = long[long["authority_code"] != code]
    if len(peers) and len(medians):
        r, b = _median_row(peer_long, medians, standard_cols, has_similarity)
        rows.append(r)
        band_rows.append(b)

    for peer in _peer_order(peer_long, similarity, has_similarity):
        r, b = _council_row(peer_long[peer_long["authority_code"] == peer], ROW_PEER, year, standard_cols,
                            similarity, has_similarity)
        rows.append(r)
        band_rows.append(b)
    table = pd.DataFrame(rows)
    return table, pd.DataFrame(band_rows)[table.columns] if rows else pd.DataFrame()


def compared_codes(table: pd.DataFrame) -> list[str]:
    """The councils in a side_by_side table (the chosen council first, then the peers), without
    the median row: what the page's download and API link cover."""
    return [str(c) for c in table["code"] if isinstance(c, str) and c] if "code" in table else []


def chart_frame(code: str, long: pd.DataFrame, medians: pd.DataFrame) -> pd.DataFrame:
    """Long frame for the standards chart: role (council / peer / median), name, standard, score."""
    scored = long.dropna(subset=["standard"]).copy()
    scored = scored[scored["responded"]]
    scored["role"] = ["council" if c == code else "peer" for c in scored["authority_code"]]
    scored["standard"] = scored["standard"].astype(int)
    scored["score"] = scored["score"].where(scored["asked"].fillna(False).astype(bool))
    parts = [scored[["role", "display_name", "standard", "short_name", "score", "band_label"]]]
    med = medians[medians["standard"] > 0]
    if len(med):
        parts.append(pd.DataFrame({"role": "median", "display_name": ROW_MEDIAN,
                                   "standard": med["standard"].astype(int), "short_name": med["short_name"],
                                   "score": med["median_score"], "band_label": med["band_label"]}))
    return pd.concat(parts, ignore_index=True)


def standards_table(frame: pd.DataFrame, council_name: str, responded: bool = True) -> pd.DataFrame:
    """The chart's text equivalent: per standard, the council, the peer median and range, the gap."""
    missing_text = NO_EVIDENCE if responded else "No response"
    rows = []
    for (number, name), part in frame.groupby(["standard", "short_name"], sort=True):
        mine = part[part["role"] == "council"]["score"]
        med = part[part["role"] == "median"]["score"]
        peers = part[part["role"] == "peer"]["score"].dropna()
        m = mine.iloc[0] if len(mine) else None
        p = med.iloc[0] if len(med) else None
        # The difference of the two numbers shown beside it (both whole, half up).
        gap = shown_change(m, p) if not is_missing(m) and not is_missing(p) else None
        rows.append({
            "Standard": f"{int(number)}. {name}",
            council_name: format_score(m) if not is_missing(m) else missing_text,
            "Peer median": format_score(p) if not is_missing(p) else NO_EVIDENCE,
            "Peer range": f"{format_score(peers.min())} to {format_score(peers.max())}" if len(peers) else DASH,
            "Difference from the median (points)": DASH if gap is None else format_points(gap),
            "Peers with evidence": f"{len(peers)}",
        })
    return pd.DataFrame(rows)
