"""Seeded generator of the synthetic demonstration rounds (2012-2015).

No per-council answers were ever published, so the dashboard ships with made-up answers
that are clearly labelled as such (see DESCRIPTION and ASSUMPTIONS in lib.demo.model, shown on
the Methodology page). They are calibrated: for every national figure in data/published_figures.csv that maps
to a question, the synthetic national share is set to the published one (exact counts are
drawn, so the share differs only by rounding to whole councils). Everything else is plausible
but invented, and the rules it follows are listed in ASSUMPTIONS.

Here: who answers each round, each council's readiness, and answers drawn in exact counts from
the targets of lib.demo.calibration, then repaired by lib.demo.repair (checked against the
scoring views) and written as Parquet.

Run `uv run python -m lib.demo.generator` to regenerate data/demo/*.parquet byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.base.paths import DATA_DIR, DEMO_DIR
from lib.demo.calibration import Target, build_targets, load_figures
from lib.demo.model import (
    EVIDENCE_ROUND,
    EXCLUDED_FROM_SURVEY,
    LINKED,
    LINKED_NOISE_SD,
    OVERLAPS,
    PAY_BANDS,
    QUESTION_NOISE_SD,
    ROUND_SIZES,
    SEED,
    TYPE_EFFECTS,
    region_effects,
)
from lib.demo.repair import _repair, _Scorer
from lib.scoring.config import StandardsConfig
from lib.scoring.standards import load_config


def _exact_counts(shares: dict[str, float], n: int) -> dict[str, int]:
    """Whole-council counts closest to the shares that add up to n (largest remainder)."""
    raw = {k: v * n for k, v in shares.items()}
    counts = {k: int(np.floor(v)) for k, v in raw.items()}
    short = n - sum(counts.values())
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[:short]:
        counts[k] += 1
    return counts


# ---- Who answered which round -------------------------------------------------------------------

def _cited_councils(data_dir: Path) -> dict[str, dict[int, set[int]]]:
    """Council code -> round -> standards its cited example illustrates (data/case_studies.csv)."""
    cases = pd.read_csv(data_dir / "case_studies.csv", dtype=str, keep_default_na=False)
    out: dict[str, dict[int, set[int]]] = {}
    for row in cases.itertuples():
        if not row.authority_code:
            continue
        standards = {int(s) for s in row.standards.split(";") if s}
        for year in {EVIDENCE_ROUND[row.source_document], max(ROUND_SIZES)}:
            out.setdefault(row.authority_code, {}).setdefault(year, set()).update(standards)
    return out


def _pick_round(by_region: dict[str, list[str]], n: int, previous: set[str] | None, overlap: int,
                forced: set[str], loyalty: dict[str, float]) -> list[str]:
    """n councils spread over regions in proportion to their size, `overlap` of them from
    `previous`, every council in `forced` included."""
    total = sum(len(c) for c in by_region.values())
    quota = _exact_counts({r: len(c) / total for r, c in by_region.items()}, n)
    prev = previous if previous is not None else set()
    lo, hi, want = {}, {}, {}
    for r, codes in by_region.items():
        inside = [c for c in codes if c in prev]
        forced_in = sum(c in forced for c in inside)
        forced_out = sum(c in forced for c in codes if c not in prev)
        lo[r] = max(forced_in, quota[r] - (len(codes) - len(inside)))
        hi[r] = min(len(inside), quota[r] - forced_out)
        if previous is None:
            lo[r] = hi[r] = 0
    if previous is not None:
        want = _exact_counts({r: quota[r] / n for r in by_region}, overlap)
        want = {r: min(max(want[r], lo[r]), hi[r]) for r in by_region}
        regions = sorted(by_region)
        while sum(want.values()) != overlap:
            step = 1 if sum(want.values()) < overlap else -1
            movable = [r for r in regions if (want[r] < hi[r] if step > 0 else want[r] > lo[r])]
            if not movable:
                raise ValueError("cannot meet the round overlap with these quotas")
            r = max(movable, key=lambda r: (step * (quota[r] * overlap / n - want[r]), r))
            want[r] += step
    else:
        want = dict.fromkeys(by_region, 0)
    picked: list[str] = []
    for r, codes in by_region.items():
        key = lambda c: (c not in forced, loyalty[c])  # noqa: E731 - forced first, then loyalty
        if previous is None:
            picked += sorted(codes, key=key)[: quota[r]]
            continue
        inside = sorted((c for c in codes if c in prev), key=key)
        outside = sorted((c for c in codes if c not in prev), key=key)
        picked += inside[: want[r]] + outside[: quota[r] - want[r]]
    return sorted(picked)


def choose_respondents(councils: pd.DataFrame, rng: np.random.Generator,
                       cited: dict[str, dict[int, set[int]]] | None = None) -> dict[int, list[str]]:
    """Who answered each round: regionally balanced; councils come and go between rounds with the
    overlaps in OVERLAPS; every cited council answers the rounds its evidence needs."""
    cited = cited or {}
    eligible = councils[~councils["code"].isin(EXCLUDED_FROM_SURVEY)]
    loyalty = dict(zip(eligible["code"], rng.random(len(eligible)), strict=True))
    by_region = {r: sorted(g["code"]) for r, g in eligible.groupby("region_code")}
    chosen: dict[int, list[str]] = {}
    later: set[str] | None = None
    for year in sorted(ROUND_SIZES, reverse=True):
        forced = {c for c, rounds in cited.items() if year in rounds}
        overlap = OVERLAPS.get((year, year + 1), 0)
        chosen[year] = _pick_round(by_region, ROUND_SIZES[year], later, overlap, forced, loyalty)
        later = set(chosen[year])
    return dict(sorted(chosen.items()))


# ---- Effects ------------------------------------------------------------------------------------

def _personal_readiness(councils: pd.DataFrame, rng: np.random.Generator) -> dict[str, float]:
    """Each council's own readiness: within every region the councils take evenly spread points
    of a standard normal distribution in random order, so that regions differ only by their
    stated effect rather than by the luck of the draw."""
    out: dict[str, float] = {}
    normal = NormalDist()
    for _, group in councils.groupby("region_code"):
        codes = list(group["code"])
        points = [normal.inv_cdf((i + 0.5) / len(codes)) for i in range(len(codes))]
        for c, i in zip(codes, rng.permutation(len(codes)), strict=True):
            out[c] = points[int(i)]
    return out


def _councils(data_dir: Path) -> pd.DataFrame:
    authorities = pd.read_csv(data_dir / "authorities.csv", dtype=str, keep_default_na=False)
    day = date(2015, 4, 1).isoformat()
    councils = authorities[((authorities["valid_from"] == "") | (authorities["valid_from"] <= day))
                           & ((authorities["valid_to"] == "") | (authorities["valid_to"] > day))]
    return councils.sort_values("code").reset_index(drop=True)


# ---- Answers ------------------------------------------------------------------------------------

def generate(config: StandardsConfig | None = None, data_dir: Path = DATA_DIR,
             seed: int = SEED) -> dict[int, pd.DataFrame]:
    """Synthetic long-format answers per round: authority_code, question_id, answer, providers, comment."""
    config = config or load_config()
    rng = np.random.default_rng(seed)
    councils = _councils(data_dir)
    cited = _cited_councils(data_dir)
    respondents = choose_respondents(councils, rng, cited)
    targets = build_targets(config, load_figures(data_dir))

    regions = region_effects(sorted(councils["region_code"].unique()))
    personal = _personal_readiness(councils, rng)
    readiness = {c: personal[c] + regions[r] + TYPE_EFFECTS.get(t, 0.0)
                 for c, r, t in zip(councils["code"], councils["region_code"], councils["type"], strict=True)}
    question_noise = {q.id: {c: rng.normal(0, 1) for c in councils["code"]} for q in config.questions}

    scorer = _Scorer(config, data_dir)
    rounds: dict[int, pd.DataFrame] = {}
    for year, codes in respondents.items():
        protected = {c: cited[c][year] for c in codes if c in cited and year in cited[c]}
        answers: dict[str, dict[str, str]] = {}
        keys_by_q: dict[str, dict[str, float]] = {}
        for q in config.questions:
            if year < q.asked_from:
                continue
            parent = LINKED.get(q.id)
            base = keys_by_q.get(parent) if parent else None
            keys = {c: (base[c] + LINKED_NOISE_SD * question_noise[q.id][c]) if base is not None
                    else readiness[c] + QUESTION_NOISE_SD * question_noise[q.id][c] for c in codes}
            boosted = {c for c, stds in protected.items() if q.standard in stds}
            for c in boosted:
                keys[c] += 10.0  # cited councils rank first on the standards they illustrate
            keys_by_q[q.id] = keys
            forced = _forced_answers(q.id, answers, codes)
            answers[q.id] = _assign(config, q.answer_set, targets[year][q.id].answers, codes, keys, rng,
                                    forced, boosted)
        providers = _all_providers(config, targets[year], answers, codes, rng)
        _repair(config, scorer, year, codes, answers, providers, protected)
        rows = [{"authority_code": c, "question_id": qid, "answer": by_c[c],
                 "providers": providers.get(qid, {}).get(c, []), "comment": None}
                for qid, by_c in answers.items() for c in codes]
        rounds[year] = pd.DataFrame(rows).sort_values(["authority_code", "question_id"], ignore_index=True)
    scorer.close()
    return rounds


def _forced_answers(qid: str, answers: dict[str, dict[str, str]], codes: list[str]) -> dict[str, str]:
    """Answers that follow from answers already given, so that related answers agree."""
    forced: dict[str, str] = {}
    if qid == "pa_register_training" and "emp_pa_register" in answers:
        register = answers["emp_pa_register"]
        for c in codes:
            if register[c] not in ("available", "in_development"):
                forced[c] = "no"  # no register, so no training for PAs on it
            elif register[c] == "in_development":
                forced[c] = "in_development"
    if qid == "dbs_route" and "emp_dbs" in answers:
        for c in codes:
            if answers["emp_dbs"][c] not in ("available", "in_development"):
                forced[c] = "employer"  # no checking service: the employer arranges it
    return forced


def _assign(config: StandardsConfig, answer_set: str, shares: dict[str, float], codes: list[str],
            keys: dict[str, float], rng: np.random.Generator, forced: dict[str, str] | None = None,
            boosted: set[str] | None = None) -> dict[str, str]:
    """Give exact counts of each answer: forced ones first, "don't know" at random among the
    rest (never a boosted council), the remainder by readiness."""
    counts = _exact_counts(shares, len(codes))
    out: dict[str, str] = dict(forced or {})
    for value in out.values():
        counts[value] = counts.get(value, 0) - 1
    # Forced answers beyond their count are taken from the best free answers' counts.
    for value in [v for v in counts if counts[v] < 0]:
        while counts[value] < 0:
            donor = max((v for v in counts if counts[v] > 0), key=lambda v: (counts[v], v))
            counts[donor] -= 1
            counts[value] += 1
    unknown = [o.value for o in config.answer_sets[answer_set].options if o.unknown]
    pool = [c for c in codes if c not in out]
    boosted = boosted or set()
    for value in unknown:
        eligible = [c for c in pool if c not in boosted]
        n = min(counts.get(value, 0), len(eligible))
        picks: Iterable[int] = rng.choice(len(eligible), size=n, replace=False) if n else []
        for i in picks:
            out[eligible[i]] = value
        counts[value] = counts.get(value, 0) - n
    pool = sorted((c for c in pool if c not in out), key=lambda c: -keys[c])
    start = 0
    order = [v for v in shares if v not in unknown] + unknown
    for value in order:  # options in the set's order: best first
        for c in pool[start:start + max(counts.get(value, 0), 0)]:
            out[c] = value
        start += max(counts.get(value, 0), 0)
    return out


def _spread(quota: dict[str, int], need: list[str], rng: np.random.Generator,
            required: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
    """Hand out exact quotas of labels (providers, or pay bands) so that every council in `need`
    gets at least one and each council its `required` labels."""
    required = required or {}
    quota = dict(quota)
    out: dict[str, list[str]] = {c: [] for c in need}
    for c in need:
        for p in sorted(required.get(c, ())):
            if p in quota:
                out[c].append(p)
                quota[p] -= 1
    shuffled = [need[i] for i in rng.permutation(len(need))]
    for c in shuffled:
        if out[c]:
            continue
        p = max(quota, key=lambda k: (quota[k], k))
        out[c].append(p)
        quota[p] -= 1
    for p, left in quota.items():
        others = [c for c in shuffled if p not in out[c]]
        for i in sorted(rng.choice(len(others), size=min(max(left, 0), len(others)), replace=False)):
            out[others[i]].append(p)
    order = list(quota)
    return {c: sorted(ps, key=order.index) for c, ps in out.items()}


def _provider_quota(target: Target, n: int, need: int, order: list[str]) -> dict[str, int]:
    """Whole-council counts per provider: the targets, raised where needed so that every council
    needing a provider can name one (assumed providers are raised before published ones)."""
    quota = {p: min(int(round(target.providers.get(p, 0.0) * n)), need) for p in order
             if target.providers.get(p, 0.0) > 0}
    if not quota:
        quota = {order[0]: need}
    while sum(quota.values()) < need:
        assumed = [p for p in quota if p not in target.published_providers and quota[p] < need]
        pool = assumed or [p for p in quota if quota[p] < need]
        # The provider whose share overshoots its target least once raised by one council.
        p = min(pool, key=lambda k: ((quota[k] + 1) / n - target.providers.get(k, 0.0), k))
        quota[p] += 1
    return quota


def _all_providers(config: StandardsConfig, targets: dict[str, Target], answers: dict[str, dict[str, str]],
                   codes: list[str], rng: np.random.Generator) -> dict[str, dict[str, list[str]]]:
    """Providers for every question that asks who provides the support, and the pay-band ticks."""
    out: dict[str, dict[str, list[str]]] = {}
    order = list(config.providers)
    for qid, by_c in answers.items():
        aset = config.answer_sets[config.question(qid).answer_set]
        if not aset.providers:
            continue
        need = sorted(c for c in codes if by_c[c] in aset.provider_options)
        if not need:
            continue
        required: dict[str, set[str]] = {}
        if qid == "emp_dbs" and "dbs_route" in answers:
            required = {c: {answers["dbs_route"][c]} for c in need
                        if answers["dbs_route"][c] in ("la", "support_org")}
        quota = _provider_quota(targets[qid], len(codes), len(need), order)
        for ps in required.values():
            for p in ps:
                quota[p] = max(quota.get(p, 0), sum(p in r for r in required.values()))
        out[qid] = _spread(quota, need, rng, required)
    if all(b in answers for b in PAY_BANDS):
        quota = {b: sum(answers[b][c] == "selected" for c in codes) for b in PAY_BANDS}
        ticks = _spread(quota, sorted(codes), rng)
        for b in PAY_BANDS:
            answers[b] = {c: "selected" if b in ticks[c] else "not_selected" for c in codes}
    return out


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

