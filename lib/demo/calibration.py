"""Calibration of the synthetic demonstration rounds: the answer and provider shares each round
aims at, per question.

For every national figure in data/published_figures.csv that maps to a question, the target is
the published share (a change "up N points since 2014" implies the earlier level). Other rounds
and questions are extrapolated from the published ones and the defaults in lib.demo.model, and
the PA-side shares are kept below the employer side's (PAIRED). lib.demo.generator draws exact
counts from these targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lib.base.paths import DATA_DIR
from lib.demo.model import (
    ASSUMED_AVAILABLE_2015,
    ASSUMED_PROVIDERS_2015,
    DEFAULT_PROVIDER_RATES,
    DEFAULT_SHARES,
    NEW_QUESTION_SHARES,
    PA_GAP_COUNCILS,
    PAIRED,
    PROVIDER_HEADROOM,
    QUESTION_SHARES,
    ROUND_SIZES,
    YEARLY_GROWTH,
)
from lib.scoring.config import StandardsConfig


@dataclass(frozen=True)
class Target:
    """Answer shares and provider shares for one question in one round."""

    answers: dict[str, float]
    providers: dict[str, float]
    published_providers: frozenset[str] = frozenset()


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
    """Shares for each option meeting the single- and multi-option constraints (percent).

    Single options are pinned first; a wider constraint then shares out what is left of it. When
    a wider constraint covers only pinned options and disagrees with their sum (figure 1.4's
    parts add to 27% where the text says "a quarter"), the parts are scaled to the total."""
    known: dict[str, float] = {}
    for values, pct in sorted(constraints, key=lambda c: len(c[0])):
        missing = [v for v in values if v not in known]
        rest = pct / 100 - sum(known.get(v, 0.0) for v in values if v in known)
        if not missing:
            held = sum(known[v] for v in values)
            if len(values) > 1 and held > 0 and abs(held - pct / 100) > 1e-9:
                for v in values:
                    known[v] *= (pct / 100) / held
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


def _good(config: StandardsConfig, qid: str) -> list[str]:
    """The answers that mean a council has the support (scored 1, or the set's first option)."""
    aset = config.answer_sets[config.question(qid).answer_set]
    full = [o.value for o in aset.options if o.score == 1.0]
    return full or [aset.options[0].value]


def _cap_pa_shares(config: StandardsConfig, pa: dict[str, float], emp: dict[str, float], pa_q: str,
                   emp_q: str, gap: float) -> dict[str, float]:
    """Keep the PA-side share "available" (and "available or in development") below the employer side."""
    out = dict(pa)
    good_pa, good_emp = _good(config, pa_q), _good(config, emp_q)
    limit = max(sum(emp.get(v, 0.0) for v in good_emp) - gap, 0.0)
    held = sum(out.get(v, 0.0) for v in good_pa)
    if held > limit:
        out = _shift_measure(out, good_pa, held - limit)
    if "in_development" in out and "in_development" in emp:
        limit2 = sum(emp.get(v, 0.0) for v in [*good_emp, "in_development"]) - gap
        both = [*good_pa, "in_development"]
        held2 = sum(out.get(v, 0.0) for v in both)
        bottom = [v for v in out if v not in (*both, "dont_know")]
        if held2 > limit2 and bottom:
            moved = min(held2 - limit2, out["in_development"])
            out["in_development"] -= moved
            out[bottom[-1]] += moved
    return out


def build_targets(config: StandardsConfig, figures: pd.DataFrame) -> dict[int, dict[str, Target]]:
    """Targets per round and question: published where known, extrapolated otherwise."""
    levels = implied_levels(figures)
    loose = unanchored_changes(figures)
    targets: dict[int, dict[str, Target]] = {y: {} for y in ROUND_SIZES}
    pinned: dict[tuple[int, str], bool] = {}
    for q in config.questions:
        options = list(config.answer_sets[q.answer_set].values)
        has_providers = config.answer_sets[q.answer_set].providers
        new = q.report_ref == "new"
        defaults = QUESTION_SHARES.get(q.id) or (NEW_QUESTION_SHARES if new else DEFAULT_SHARES).get(
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
            published = frozenset(provider_c)
            pinned[(year, q.id)] = bool(answer_c)
            if year == 2015 and q.id in ASSUMED_AVAILABLE_2015 and not any(options[0] in v for v, _ in answer_c):
                answer_c = [*answer_c, ([options[0]], 100 * ASSUMED_AVAILABLE_2015[q.id])]
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
            if year == 2015 and has_providers:
                assumed = ASSUMED_PROVIDERS_2015.get(q.id)
                if assumed is None:
                    assumed = {} if provider_c else {k: r * top for k, r in DEFAULT_PROVIDER_RATES.items()}
                provider_c = {**assumed, **provider_c}
            elif previous is not None and not provider_c and previous.providers:
                scale = top / max(previous.answers.get(options[0], 1e-9), 1e-9)
                provider_c = {k: v * scale for k, v in previous.providers.items()}
            if not provider_c and has_providers:
                provider_c = {k: r * top for k, r in DEFAULT_PROVIDER_RATES.items()}
            targets[year][q.id] = previous = Target(answers, provider_c, published)
    for year, by_q in targets.items():
        for pa_q, emp_q in PAIRED.items():
            if pa_q in by_q and emp_q in by_q:
                capped = _cap_pa_shares(config, by_q[pa_q].answers, by_q[emp_q].answers, pa_q, emp_q,
                                        PA_GAP_COUNCILS / ROUND_SIZES[year])
                by_q[pa_q] = Target(capped, by_q[pa_q].providers, by_q[pa_q].published_providers)
    return targets

