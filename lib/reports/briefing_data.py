"""The one-council briefing's content: everything it shows, gathered from lib.analysis.scorecard.

The briefing (lib.reports.briefing_html renders it) prints on at most two A4 pages: the
headline, the standards at a glance, the top gaps (at most TOP_GAPS, in the scorecard's
weakest-first order) with one good-practice example each cut to a sentence or two, a note when
the council has been reorganised since the round, and a link back to the scorecard. The full
detail (every gap, the answers behind it, all actions, the 2015 report's recommendations, every
example in full) is an optional appendix. This module works out those facts and sentences; it
writes no HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import duckdb

from lib.analysis import scorecard
from lib.base.formatting import council_type_text, is_missing
from lib.reference import geography

#: How many gaps the two-page briefing shows in full; the rest are named in one line.
TOP_GAPS = 3
#: Gap kinds that can be a top gap. A standard the round's questionnaire did not ask about is
#: no failing of the council's, so it is only named, never one of the top gaps.
TOP_GAP_KINDS = (scorecard.GAP_NO_EVIDENCE, scorecard.GAP_BELOW)
TOP_GAP_RULE = (
    "The gaps shown are the first {n} of the scorecard\u2019s gap list, which puts the weakest first: "
    "standards with no known answer, then the lowest scores (a tie goes to the lower-numbered standard). "
    "Standards the round\u2019s questionnaire did not ask about are never among them."
)
#: A shortened example stops after the first sentence once it has this many characters.
SHORT_EXAMPLE_CHARS = 110


@dataclass(frozen=True)
class Example:
    title: str
    organisation: str
    summary: str
    citation: str
    same_region: bool = False
    authority_code: str | None = None

    @property
    def short_summary(self) -> str:
        """The summary cut to its first sentence, or its first two when the first is short."""
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\u2018\u201c'\"])", self.summary.strip())
        kept = sentences[0]
        if len(kept) < SHORT_EXAMPLE_CHARS and len(sentences) > 1:
            kept += " " + sentences[1]
        return kept


@dataclass(frozen=True)
class Gap:
    heading: str
    reason: str
    kind: str = scorecard.GAP_BELOW
    answers: list[tuple[str, str]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    recommendations: list[tuple[int, str, str]] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    score_text: str = ""
    band_text: str = ""
    standard: int = 0


@dataclass(frozen=True)
class Reorganisation:
    """What has happened to the council that answered the round since then, in plain words."""

    title: str
    text: str
    today_codes: list[str]
    dates: list[date]


@dataclass(frozen=True)
class StandardRow:
    label: str
    score: float | None
    score_text: str
    band: str | None
    band_text: str
    england_median: float | None
    england_text: str
    region_text: str
    type_text: str
    diff_text: str


@dataclass(frozen=True)
class BriefingData:
    """Everything the briefing shows, already worked out by lib.analysis.scorecard."""

    council_name: str
    council_code: str
    region_name: str
    council_type: str
    type_group: str
    year: int
    is_demo: bool
    score_text: str
    band_text: str
    rank_text: str
    region_rank_text: str
    evidenced: int
    standards_total: int
    unknown_answers: int
    missing_answers: int
    notes: list[str]
    standards: list[StandardRow]
    gaps: list[Gap]
    generated: date
    reorganisation: Reorganisation | None = None
    scorecard_url: str = ""
    link_is_relative: bool = True

    @property
    def top_gaps(self) -> list[Gap]:
        """The gaps the two-page briefing shows (see TOP_GAP_RULE)."""
        return [g for g in self.gaps if g.kind in TOP_GAP_KINDS][:TOP_GAPS]

    @property
    def other_gaps(self) -> list[Gap]:
        shown = {id(g) for g in self.top_gaps}
        return [g for g in self.gaps if id(g) not in shown]


def _num(value) -> float | None:
    return None if is_missing(value) else float(value)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def reorganisation(con: duckdb.DuckDBPyConnection, code: str, year: int, today: date) -> Reorganisation | None:
    """Say whether the council that answered round `year` under `code` has been replaced since.

    Follows the lineage forward from `code` to the council(s) that cover its area on `today`
    (geography.counterparts_on). None when the same code is still in use. A change that only
    gave the same council a new code (a recode between councils of the same name and type) is
    told as a new code; anything else (a county and its districts replaced by a unitary, a
    split, a merger) as a reorganisation, naming today's council(s) and the date(s).
    """
    today_codes = geography.counterparts_on(con, code, today)
    if today_codes == [code]:
        return None
    lineage = geography.Lineage(con)
    after = geography.council_set_on(con, year)
    line = lineage.later(code) | {code}
    steps = lineage.table[lineage.table["predecessor_code"].isin(line) & lineage.table["successor_code"].isin(line)
                          & lineage.table["effective_date"].map(lambda d: after < d <= today)]
    authorities = geography.load_authorities(con).set_index("code")

    def name(c: str) -> str:
        return str(authorities.loc[c, "display_name"]) if c in authorities.index else c

    def kind_of(c: str) -> str:
        """'county council', 'unitary council', 'London borough' (in a sentence)."""
        words = council_type_text(authorities.loc[c, "type"], "council") if c in authorities.index else "Council"
        return words if words.startswith("London") else words[:1].lower() + words[1:]

    dates = sorted(set(steps["effective_date"]))
    when = _listed([geography.describe_day(d) for d in dates]) if dates else "a date we do not hold"
    notes = " ".join(dict.fromkeys(str(n).rstrip(".") + "." for n in steps["note"] if not is_missing(n)))
    recode_only = (len(today_codes) == 1 and set(steps["kind"]) <= {"recode"}
                   and name(today_codes[0]) == name(code) and kind_of(today_codes[0]) == kind_of(code))
    if recode_only:
        new = today_codes[0]
        text = (f"On {when} {name(code)}\u2019s ONS code changed from {code} to {new}. {notes} "
                f"These results are from the {year} round, under the old code.")
        return Reorganisation("New council code since this round", text.strip(), today_codes, dates)
    today_names = _listed([f"{name(c)} ({kind_of(c)}, {c})" for c in today_codes]) if today_codes else ""
    if not today_codes:
        now = "has since been abolished, and no council we hold covers its area today"
    elif len(today_codes) == 1:
        now = f"was replaced by today\u2019s {today_names}"
    else:
        now = f"was abolished; its area is now covered by {today_names}"
    text = (f"On {when} {name(code)} ({kind_of(code)}, {code}), the council "
            f"that answered this survey, {now}. {notes} These results describe the former council as it was "
            f"in {year}, not today\u2019s council.")
    return Reorganisation("Reorganised since this round", " ".join(text.split()), today_codes, dates)


def scorecard_address(code: str, year: int, base_url: str | None) -> tuple[str, bool]:
    """The address of the council's scorecard for the round, and whether it is relative."""
    query = urlencode({"authority": code, "round": int(year)})
    if base_url:
        return f"{base_url.rstrip('/')}/scorecard?{query}", False
    return f"scorecard?{query}", True


def briefing_data(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool,
                  generated: date | None = None, base_url: str | None = None) -> BriefingData:
    """Gather the briefing for a council that responded in the round (ValueError otherwise).

    `base_url` is the app's address (lib.web.urlstate.base_url) for an absolute link back to the
    scorecard; without it the link is relative and the briefing says where it leads.
    """
    me = scorecard.council(con, code, year)
    head = scorecard.headline(con, code, year)
    if me is None or head is None:
        raise ValueError(f"{code} did not respond in the {year} round")
    profile = scorecard.standard_profile(con, code, year)
    questions = scorecard.question_answers(con, code, year)
    gap_rows = scorecard.gaps_from_profile(con, profile, year)
    notes = [n for n in (head.coverage_note(year), head.not_ranked_reason(year)) if n]
    standards = [
        StandardRow(label=r.standard_label, score=_num(r.score), score_text=r.score_text,
                    band=None if is_missing(r.band) else str(r.band), band_text=r.band_text,
                    england_median=_num(r.england_median), england_text=r.england_median_text,
                    region_text=r.region_median_text, type_text=r.type_median_text,
                    diff_text=r.diff_england_text)
        for r in profile.itertuples()
    ]
    gaps = []
    for g in gap_rows.itertuples():
        n = int(g.standard)
        heading = f"Standard {n}: {g.short_name}"
        behind = scorecard.gap_questions(questions, n)
        recs = scorecard.recommendations_for(con, n)
        examples = scorecard.good_practice(con, n, me["region_code"], year)
        gaps.append(Gap(
            heading=heading,
            reason=str(g.reason_text),
            kind=str(g.reason),
            answers=[(str(t), str(a)) for t, a in behind[["topic", "answer_text"]].itertuples(index=False)],
            actions=[str(a) for a in g.actions],
            recommendations=[(int(r.number), str(r.theme), str(r.summary)) for r in recs.itertuples()],
            examples=[Example(str(e.title), str(e.organisation), str(e.summary), str(e.citation), bool(e.same_region),
                              None if is_missing(e.authority_code) else str(e.authority_code))
                      for e in examples.itertuples()],
            score_text=str(g.score_text), band_text=str(g.band_text), standard=n,
        ))
    generated = generated or date.today()
    url, relative = scorecard_address(code, year, base_url)
    return BriefingData(
        council_name=str(me["display_name"]), council_code=code, region_name=str(me["region_name"]),
        council_type=council_type_text(me["type"], "council"),
        type_group=council_type_text(me["type"], "group"),
        year=int(year), is_demo=is_demo, score_text=head.score_text, band_text=head.band_label,
        rank_text=head.rank_text, region_rank_text=head.region_rank_text, evidenced=head.evidenced,
        standards_total=head.standards_total, unknown_answers=head.unknown_answers,
        missing_answers=head.missing_answers, notes=notes, standards=standards, gaps=gaps,
        generated=generated, reorganisation=reorganisation(con, code, year, generated),
        scorecard_url=url, link_is_relative=relative,
    )


def pick_examples(gaps: list[Gap], council_code: str) -> list[Example | None]:
    """One example for each gap: the first in the scorecard's order (the council's own region
    first) that is not about the council itself and not already used for an earlier gap; failing
    that the first not about the council; None when the standard has no example."""
    used: set[tuple[str, str]] = set()
    chosen: list[Example | None] = []
    for gap in gaps:
        others = [e for e in gap.examples if e.authority_code != council_code]
        fresh = [e for e in others if (e.title, e.citation) not in used]
        pick = (fresh or others)[0] if others else None
        if pick is not None:
            used.add((pick.title, pick.citation))
        chosen.append(pick)
    return chosen


def other_gaps_text(rest: list[Gap], year: int) -> str:
    """The gaps beyond the top ones in a sentence or two: each named with its score (and the range
    its unknown answers leave), and the standards the round did not ask about grouped by number."""
    named = [f"{g.heading} ({g.score_text}{'' if g.kind == scorecard.GAP_BELOW else ', no known answer'})"
             for g in rest if g.kind != scorecard.GAP_NOT_ASKED]
    not_asked = [str(g.standard) for g in rest if g.kind == scorecard.GAP_NOT_ASKED]
    text = "; ".join(named) + ("." if named else "")
    if not_asked:
        which = f"standard {not_asked[0]}" if len(not_asked) == 1 else f"standards {_listed(not_asked)}"
        text += f" The {year} questionnaire did not ask about {which}."
    return text.strip()
