"""Seeded generator of the synthetic demonstration rounds (2012-2015).

No per-council answers were ever published, so the dashboard ships with made-up answers
that are clearly labelled as such. They are calibrated: for every national figure in
data/published_figures.csv that maps to a question, the synthetic national share is set to
the published one (exact counts are drawn, so the share differs only by rounding to whole
councils). Everything else is plausible but invented.

Run `uv run python -m lib.demo` to regenerate data/demo/*.parquet byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.paths import DATA_DIR, DEMO_DIR
from lib.standards import StandardsConfig, load_config

SEED = 20151
ROUND_SIZES = {2012: 54, 2013: 64, 2014: 75, 2015: 95}
EXCLUDED_FROM_SURVEY = {"E06000053"}  # Isles of Scilly: outside the report's 151 councils.

# Questions whose answers follow another's closely (a council with a PA register usually
# lets PAs promote their services on it, and so on). child -> parent.
LINKED = {
    "pa_promote_services": "emp_pa_register",
    "pa_peer_support": "emp_peer_support",
    "pa_dbs": "emp_dbs",
    "pa_rates_of_pay": "emp_rates_of_pay",
    "pa_relationship_breakdown": "emp_relationship_breakdown",
    "pa_relationship_building": "emp_relationship_building",
    "pa_legal_info": "emp_legal_info",
    "pa_pre_employment_training": "emp_pre_employment_training",
    "pa_safeguarding": "emp_qa_safeguarding",
    "pa_info_working": "emp_info_employing",
    "network_employers": "emp_peer_support",
    "network_pas": "network_employers",
    "appr_pa_access": "appr_promoted",
    "ascwds_support": "ascwds_encouraged",
    "enhanced_offer_cultural": "enhanced_offer_conditions",
    "sf_reach_reviewed": "sf_approach",
}

# Spread of answers where the report gives nothing, as shares of responding councils.
DEFAULT_SHARES = {
    "availability": {"available": 0.55, "in_development": 0.15, "not_available": 0.22, "dont_know": 0.08},
    "yes_no": {"yes": 0.6, "no": 0.33, "dont_know": 0.07},
    "yes_no_context": {"yes": 0.55, "no": 0.4, "dont_know": 0.05},
    "yes_partly_no": {"yes": 0.35, "in_development": 0.25, "no": 0.32, "dont_know": 0.08},
    "safeguarding_offer": {"required": 0.08, "voluntary": 0.72, "in_development": 0.06,
                           "not_available": 0.1, "dont_know": 0.04},
    "selffunder_approach": {"same_offer": 0.24, "support_org": 0.12, "online_info": 0.11,
                            "in_development": 0.35, "none": 0.15, "dont_know": 0.03},
    "tick": {"selected": 0.3, "not_selected": 0.7},
    "dbs_route": {"la": 0.45, "support_org": 0.35, "employer": 0.1, "other": 0.05, "dont_know": 0.05},
}
# Invented levels for the questions the survey never asked ("new"): less common than the core offer.
NEW_QUESTION_SHARES = {
    "availability": {"available": 0.38, "in_development": 0.22, "not_available": 0.3, "dont_know": 0.1},
    "yes_partly_no": {"yes": 0.3, "in_development": 0.25, "no": 0.35, "dont_know": 0.1},
}
# Share of an "available" council's support that each kind of provider gives, when unknown.
DEFAULT_PROVIDER_RATES = {"la": 0.5, "support_org": 0.55, "other_cvo": 0.15}
# Points of "available" above the largest published provider share, when the level is not given.
PROVIDER_HEADROOM = 12.0
# Points by which the share "available" was lower one round earlier, when the report is silent.
YEARLY_GROWTH = 0.06


@dataclass(frozen=True)
class Target:
    """Answer shares and provider shares for one question in one round."""

    answers: dict[str, float]
    providers: dict[str, float]


def _parse_measure(measure: str) -> tuple[str, list[str]]:
    kind, _, rest = measure.partition(":")
    return kind, [v for v in rest.split("|") if v]


def load_figures(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Published figures that map to a question and a measure (the calibration targets)."""
    df = pd.read_csv(data_dir / "published_figures.csv", dtype=str, keep_default_na=False)
    df = df[(df["question_id"] != "") & (df["measure"] != "")].copy()
    df["year"] = df["year"].astype(int)
    df["percent"] = df["percent"].astype(float)
    return df


def implied_levels(figures: pd.DataFrame) -> pd.DataFrame:
    """Level rows, plus 2014 levels implied by "up N points since 2014" change rows."""
    levels = figures[figures["kind"] == "level"][["year", "question_id", "measure", "percent"]]
    changes = figures[figures["kind"] == "change"]
    implied = []
    for row in changes.itertuples():
        now = levels[(levels["year"] == row.year) & (levels["question_id"] == row.question_id)
                     & (levels["measure"] == row.measure)]
        if len(now):
            implied.append({"year": row.year - 1, "question_id": row.question_id, "measure": row.measure,
                            "percent": float(now["percent"].iloc[0]) - row.percent})
    out = pd.concat([levels, pd.DataFrame(implied, columns=levels.columns)], ignore_index=True)
    return out.drop_duplicates(["year", "question_id", "measure"], keep="first")


def _answer_target(options: list[str], defaults: dict[str, float], constraints: list[tuple[list[str], float]]) -> dict[str, float]:
    """Shares for each option meeting the single- and multi-option constraints (percent)."""
    known: dict[str, float] = {}
    for values, pct in sorted(constraints, key=lambda c: len(c[0])):
        missing = [v for v in values if v not in known]
        rest = pct / 100 - sum(known.get(v, 0.0) for v in values if v in known)
        if not missing:
            continue
        weights = np.array([defaults.get(v, 0.05) for v in missing])
        for v, w in zip(missing, weights / weights.sum(), strict=True):
            known[v] = max(rest * w, 0.0)
    free = [v for v in options if v not in known]
    remaining = max(1.0 - sum(known.values()), 0.0)
    if free:
        weights = np.array([defaults.get(v, 0.05) for v in free])
        for v, w in zip(free, weights / weights.sum(), strict=True):
            known[v] = remaining * w
    total = sum(known.values())
    return {v: known.get(v, 0.0) / total for v in options} if total > 0 else dict.fromkeys(options, 1 / len(options))


def _shift_back(shares: dict[str, float], points: float) -> dict[str, float]:
    """One round earlier: move `points` of the top answer's share to the bottom non-unknown answer."""
    out = dict(shares)
    order = [v for v in out if v not in ("dont_know",)]
    if len(order) < 2:
        return out
    top, bottom = order[0], order[-1]
    moved = min(points, out[top] * 0.5)
    out[top] -= moved
    out[bottom] += moved
    return out


def unanchored_changes(figures: pd.DataFrame) -> pd.DataFrame:
    """Published changes whose level the report does not give (e.g. pre-employment training
    for employers: "up 34 points since 2014", level only in a chart). The demo reproduces the
    change itself: the earlier round is set that many points lower on the same measure."""
    levels = figures[figures["kind"] == "level"]
    changes = figures[figures["kind"] == "change"]
    keys = set(zip(levels["year"], levels["question_id"], levels["measure"], strict=True))
    mask = [(y, q, m) not in keys for y, q, m in zip(changes["year"], changes["question_id"], changes["measure"], strict=True)]
    return changes[mask][["year", "question_id", "measure", "percent"]].reset_index(drop=True)


def _shift_measure(shares: dict[str, float], values: list[str], points: float) -> dict[str, float]:
    """Move `points` (0-1) of share out of the answers in `values` into the other known answers."""
    out = dict(shares)
    inside = [v for v in values if v in out]
    outside = [v for v in out if v not in values and v != "dont_know"]
    held = sum(out[v] for v in inside)
    moved = min(points, held)
    if not outside or held <= 0:
        return out
    for v in inside:
        out[v] -= moved * out[v] / held
    spread = sum(out[v] for v in outside)
    for v in outside:
        out[v] += moved * (out[v] / spread if spread > 0 else 1 / len(outside))
    return out


def build_targets(config: StandardsConfig, figures: pd.DataFrame) -> dict[int, dict[str, Target]]:
    """Targets per round and question: published where known, extrapolated otherwise."""
    levels = implied_levels(figures)
    loose = unanchored_changes(figures)
    targets: dict[int, dict[str, Target]] = {y: {} for y in ROUND_SIZES}
    for q in config.questions:
        options = list(config.answer_sets[q.answer_set].values)
        new = q.report_ref == "new"
        defaults = (NEW_QUESTION_SHARES if new else DEFAULT_SHARES).get(
            q.answer_set, DEFAULT_SHARES.get(q.answer_set, {}))
        previous: Target | None = None
        for year in sorted(ROUND_SIZES, reverse=True):
            if year < q.asked_from:
                continue
            rows = levels[(levels["question_id"] == q.id) & (levels["year"] == year)]
            answer_c = [(_parse_measure(r.measure)[1], r.percent) for r in rows.itertuples()
                        if r.measure.startswith("answer:")]
            provider_c = {_parse_measure(r.measure)[1][0]: r.percent / 100 for r in rows.itertuples()
                          if r.measure.startswith("provider:")}
            if answer_c or previous is None:
                # Providers are named only by councils where the support is available, so a
                # published provider share is also a floor for the share "available".
                top_pinned = any(options[0] in vals for vals, _ in answer_c)
                if provider_c and not top_pinned:
                    floor = min(100.0, 100 * max(provider_c.values()) + PROVIDER_HEADROOM)
                    answer_c = [*answer_c, ([options[0]], max(floor, 100 * defaults.get(options[0], 0.0)))]
                answers = _answer_target(options, defaults, answer_c)
            else:
                change = loose[(loose["question_id"] == q.id) & (loose["year"] == year + 1)]
                if len(change):
                    _, values = _parse_measure(change["measure"].iloc[0])
                    answers = _shift_measure(previous.answers, values, float(change["percent"].iloc[0]) / 100)
                else:
                    answers = _shift_back(previous.answers, YEARLY_GROWTH)
            top = answers.get(options[0], 0.0)
            if previous is not None and not provider_c and previous.providers:
                scale = top / max(previous.answers.get(options[0], 1e-9), 1e-9)
                provider_c = {k: v * scale for k, v in previous.providers.items()}
            if not provider_c and config.answer_sets[q.answer_set].providers:
                provider_c = {k: r * top for k, r in DEFAULT_PROVIDER_RATES.items()}
            targets[year][q.id] = previous = Target(answers, provider_c)
    return targets


def _exact_counts(shares: dict[str, float], n: int) -> dict[str, int]:
    """Whole-council counts closest to the shares that add up to n (largest remainder)."""
    raw = {k: v * n for k, v in shares.items()}
    counts = {k: int(np.floor(v)) for k, v in raw.items()}
    short = n - sum(counts.values())
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[:short]:
        counts[k] += 1
    return counts


def choose_respondents(councils: pd.DataFrame, rng: np.random.Generator) -> dict[int, list[str]]:
    """Who answered each round: regionally balanced, and mostly the same councils year to year."""
    eligible = councils[~councils["code"].isin(EXCLUDED_FROM_SURVEY)]
    loyalty = pd.Series(rng.random(len(eligible)), index=eligible["code"].to_numpy())
    chosen: dict[int, list[str]] = {}
    for year, n in sorted(ROUND_SIZES.items()):
        by_region = eligible.groupby("region_code")["code"].apply(list)
        quota = _exact_counts((by_region.map(len) / len(eligible)).to_dict(), n)
        picked: list[str] = []
        for region, codes in by_region.items():
            # Earlier respondents come first, so participation grows rather than churns.
            ranked = sorted(codes, key=lambda c: (-(c in set(chosen.get(year - 1, []))), loyalty[c]))
            picked += ranked[: quota[region]]
        chosen[year] = sorted(picked)
    return chosen


def generate(config: StandardsConfig | None = None, data_dir: Path = DATA_DIR,
             seed: int = SEED) -> dict[int, pd.DataFrame]:
    """Synthetic long-format answers per round: authority_code, question_id, answer, providers, comment."""
    config = config or load_config()
    rng = np.random.default_rng(seed)
    authorities = pd.read_csv(data_dir / "authorities.csv", dtype=str, keep_default_na=False)
    day = date(2015, 4, 1).isoformat()
    councils = authorities[((authorities["valid_from"] == "") | (authorities["valid_from"] <= day))
                           & ((authorities["valid_to"] == "") | (authorities["valid_to"] > day))]
    councils = councils.sort_values("code").reset_index(drop=True)
    respondents = choose_respondents(councils, rng)
    targets = build_targets(config, load_figures(data_dir))

    # A council's general readiness persists across rounds, with a regional flavour.
    regions = sorted(councils["region_code"].unique())
    region_effect = dict(zip(regions, rng.normal(0, 0.35, len(regions)), strict=True))
    readiness = {c: rng.normal(0, 1) + region_effect[r]
                 for c, r in zip(councils["code"], councils["region_code"], strict=True)}
    question_noise = {q.id: {c: rng.normal(0, 0.9) for c in councils["code"]} for q in config.questions}

    rounds: dict[int, pd.DataFrame] = {}
    for year, codes in sorted(respondents.items()):
        order_keys: dict[str, dict[str, float]] = {}
        rows: list[dict] = []
        for q in config.questions:
            if year < q.asked_from:
                continue
            target = targets[year][q.id]
            parent = LINKED.get(q.id)
            base = order_keys.get(parent) if parent else None
            keys = {c: (base[c] + 0.35 * question_noise[q.id][c]) if base is not None
                    else readiness[c] + question_noise[q.id][c] for c in codes}
            order_keys[q.id] = keys
            answers = _assign(config, q.answer_set, target.answers, codes, keys, rng)
            providers = _assign_providers(target.providers, answers, len(codes), rng)
            for c in codes:
                rows.append({"authority_code": c, "question_id": q.id, "answer": answers[c],
                             "providers": providers.get(c, []), "comment": None})
        rounds[year] = pd.DataFrame(rows).sort_values(["authority_code", "question_id"], ignore_index=True)
    return rounds


def _assign(config: StandardsConfig, answer_set: str, shares: dict[str, float], codes: list[str],
            keys: dict[str, float], rng: np.random.Generator) -> dict[str, str]:
    """Give exact counts of each answer: "don't know" at random, the rest by readiness."""
    counts = _exact_counts(shares, len(codes))
    unknown = [o.value for o in config.answer_sets[answer_set].options if o.unknown]
    pool = list(codes)
    out: dict[str, str] = {}
    for value in unknown:
        picks = rng.choice(len(pool), size=counts.get(value, 0), replace=False) if counts.get(value, 0) else []
        for i in sorted(picks, reverse=True):
            out[pool.pop(i)] = value
    pool.sort(key=lambda c: -keys[c])
    start = 0
    for value in shares:  # options in the set's order: best first
        if value in unknown:
            continue
        for c in pool[start:start + counts[value]]:
            out[c] = value
        start += counts[value]
    return out


def _assign_providers(shares: dict[str, float], answers: dict[str, str], n: int,
                      rng: np.random.Generator) -> dict[str, list[str]]:
    """Providers for councils answering "available": exact counts, everyone with one at least."""
    available = sorted(c for c, a in answers.items() if a == "available")
    if not shares or not available:
        return {}
    quota = {p: min(int(round(s * n)), len(available)) for p, s in shares.items()}
    out: dict[str, list[str]] = {c: [] for c in available}
    shuffled = [available[i] for i in rng.permutation(len(available))]
    # First make sure each council names someone, taking from the largest remaining quota.
    for c in shuffled:
        p = max(quota, key=lambda k: (quota[k], k))
        if quota[p] == 0:
            break
        out[c].append(p)
        quota[p] -= 1
    for p, left in quota.items():
        others = [c for c in shuffled if p not in out[c]]
        for i in sorted(rng.choice(len(others), size=min(left, len(others)), replace=False)):
            out[others[i]].append(p)
    order = list(shares)
    return {c: sorted(ps, key=order.index) for c, ps in out.items()}


def write_rounds(rounds: dict[int, pd.DataFrame], out_dir: Path = DEMO_DIR) -> list[Path]:
    """Write one Parquet file per round with a fixed schema, so output is byte-for-byte stable."""
    out_dir.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("authority_code", pa.string()), ("question_id", pa.string()),
                        ("answer", pa.string()), ("providers", pa.list_(pa.string())),
                        ("comment", pa.string())])
    paths = []
    for year, df in sorted(rounds.items()):
        table = pa.Table.from_pydict({col: df[col].tolist() for col in schema.names}, schema=schema)
        path = out_dir / f"responses_{year}.parquet"
        pq.write_table(table, path, compression="zstd", write_statistics=False)
        paths.append(path)
    return paths


def main() -> None:
    rounds = generate()
    for path in write_rounds(rounds):
        year = int(re.findall(r"\d{4}", path.stem)[0])
        councils = rounds[year]["authority_code"].nunique()
        print(f"{path.relative_to(DATA_DIR.parent)}: {councils} councils, {len(rounds[year])} answers (synthetic)")


if __name__ == "__main__":
    main()
