"""The one-council briefing: a self-contained HTML document a director can file, email or print.

Self-contained means inline CSS only: no scripts, no stylesheets or images fetched from
anywhere, so it opens the same offline and years later. Bars are inline SVG. Every value
that comes from data goes through html.escape.

The briefing itself prints on at most two A4 pages, so it can be forwarded: the headline,
the standards at a glance, the top gaps (at most TOP_GAPS, in the scorecard's weakest-first
order) with one good-practice example each cut to a sentence or two, a note when the council
has been reorganised since the round, and a link back to the scorecard. The full detail that
used to make it seven to fourteen pages long (every gap, the answers behind it, all actions,
the 2015 report's recommendations, every example in full) is an optional appendix that
starts on a new page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import duckdb

from lib.analysis import scorecard
from lib.base.formatting import council_type_text, is_missing
from lib.charts import BAND_COLOURS, COMPARATOR_COLOURS, PALETTE
from lib.reference import geography

DEMO_NOTE_TITLE = "Synthetic demonstration data"
DEMO_NOTE_TEXT = (
    "No council's own survey answers are published, so the answers behind this briefing were "
    "generated to match the national picture in the 2015 report. They describe no real council: "
    "use this briefing to see what the tool produces, not to judge the council named."
)

SOURCES = (
    ("Skills for Care, Minimum standards of support for individual employers and personal assistants "
     "(advice note for local authorities)", "the nine standards and the good-practice examples cited as "
     "\u201cAdvice note, standard N\u201d."),
    ("Skills for Care with Learn to Care and ADASS, Support for individual employers and personal "
     "assistants: fourth annual survey report (2015; 95 of 151 councils responded)",
     "the survey questions, the recommendations and the case studies cited as \u201c2015 report\u201d with their page."),
)


#: How many gaps the two-page briefing shows in full; the rest are named in one line.
TOP_GAPS = 3
#: Gap kinds that can be a top gap. A standard the round's questionnaire did not ask about is
#: no failing of the council's, so it is only named, never one of the top gaps.
TOP_GAP_KINDS = (scorecard.GAP_NO_EVIDENCE, scorecard.GAP_BELOW)
TOP_GAP_RULE = (
    "The gaps shown are the first {n} of the scorecard\u2019s gap list, which puts the weakest first: "
    "standards with no evidence, then the lowest scores (a tie goes to the lower-numbered standard). "
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


def briefing_html(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool,
                  generated: date | None = None, base_url: str | None = None, appendix: bool = False) -> str:
    """The briefing for a council and round as one HTML document (two A4 pages at most), with
    the full details as an appendix on pages of its own when `appendix` is True."""
    data = briefing_data(con, code, year, is_demo=is_demo, generated=generated, base_url=base_url)
    return render(data, appendix=appendix)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 12mm 13mm 13mm 13mm; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: #1b1b1b; line-height: 1.32; margin: 0;
       font-size: 10pt; background: #fff; }
main { max-width: 184mm; margin: 0 auto; padding: 8mm 4mm; }
h1 { font-size: 18pt; margin: 0 0 1mm; }
h2 { font-size: 12.5pt; margin: 4mm 0 1.5mm; border-bottom: 2px solid #0072B2; padding-bottom: .8mm; }
h3 { font-size: 10.5pt; margin: 0 0 .8mm; }
h4 { font-size: 10pt; margin: 2.5mm 0 .8mm; }
p, li { margin: 0 0 1.2mm; }
ul, ol { margin: 0 0 1.5mm; padding-left: 6mm; }
a { color: #004f7c; }
.kicker { text-transform: uppercase; letter-spacing: .05em; font-size: 8.5pt; color: #4d4d4d; margin: 0; }
.meta { color: #333; margin: 0 0 2mm; }
.demo, .reorg { padding: 2mm 3mm; margin: 0 0 2.5mm; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.demo { border: 3px solid #D55E00; background: #fff4ec; }
.reorg { border: 2px solid #0072B2; background: #eef6fb; }
.demo strong, .reorg strong { font-size: 11pt; display: block; }
.facts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 1.5mm; margin: 0 0 1.5mm; }
.fact { border: 1px solid #bfbfbf; padding: 1.2mm 2.5mm; }
.fact .label { font-size: 8.5pt; color: #4d4d4d; display: block; }
.fact .value { font-size: 13pt; font-weight: bold; }
.note { font-size: 8.5pt; color: #333; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; margin: 0 0 1mm; }
thead { display: table-header-group; }
th, td { border-bottom: 1px solid #d9d9d9; padding: .7mm 1.2mm; text-align: left; vertical-align: middle; }
th { background: #f2f2f2; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
tbody th { width: 30%; }
tbody td:nth-of-type(1), tbody td:nth-of-type(2) { white-space: normal; min-width: 17mm; }
tbody td:nth-of-type(2) { min-width: 25mm; }
tr, .gap, .example, .demo, .reorg, .facts { break-inside: avoid; page-break-inside: avoid; }
svg { display: block; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.gap { border-left: 4px solid #E69F00; padding: 0 0 .5mm 3mm; margin: 0 0 2.5mm; }
.gap.no-evidence { border-left-color: #7F7F7F; }
.gap .label { font-weight: bold; }
.tag { display: inline-block; font-size: 8pt; border: 1px solid #0072B2; color: #004f7c;
       padding: 0 1.5mm; margin-left: 1mm; }
cite { font-style: normal; color: #4d4d4d; font-size: 8.5pt; }
.url { word-break: break-all; }
footer { margin-top: 3mm; border-top: 1px solid #bfbfbf; padding-top: 1.5mm; font-size: 8.5pt; color: #4d4d4d; }
.appendix { break-before: page; page-break-before: always; }
.appendix .gap { border-left-width: 3px; break-inside: auto; page-break-inside: auto; }
.lead { break-after: avoid; page-break-after: avoid; break-inside: avoid; page-break-inside: avoid; }
@media print { main { padding: 0; max-width: none; } h2, h3, h4 { break-after: avoid; page-break-after: avoid; } }
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _bar(row: StandardRow) -> str:
    """A small inline SVG: the council's score as a bar, the England median as a tick."""
    width, height = 110, 12
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{_e(f"Score {row.score_text}; England median {row.england_text}")}">',
             f'<rect x="0" y="3" width="{width}" height="6" fill="#eeeeee"/>']
    if row.score is not None:
        colour = BAND_COLOURS.get(row.band, PALETTE["light_grey"])
        parts.append(f'<rect x="0" y="3" width="{width * max(0.0, min(row.score, 100.0)) / 100:.1f}" '
                     f'height="6" fill="{colour}"/>')
    if row.england_median is not None:
        x = width * max(0.0, min(row.england_median, 100.0)) / 100
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" '
                     f'stroke="{COMPARATOR_COLOURS["council"]}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def _fact(label: str, value: str, extra: str = "") -> str:
    return (f'<div class="fact"><span class="label">{_e(label)}</span><span class="value">{_e(value)}</span>'
            + (f'<span class="label">{_e(extra)}</span>' if extra else "") + "</div>")


def _gap_class(gap: Gap) -> str:
    return "gap" if gap.kind == scorecard.GAP_BELOW else "gap no-evidence"


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


def _short_gap(gap: Gap, example: Example | None) -> str:
    out = [f'<section class="{_gap_class(gap)}"><h3>{_e(gap.heading)}</h3><p>{_e(gap.reason)}</p>']
    if gap.actions:
        out.append(f'<p><span class="label">First step:</span> {_e(gap.actions[0])}</p>')
    if example is not None:
        tag = '<span class="tag">Same region</span>' if example.same_region else ""
        out.append(f'<p class="example"><span class="label">Good practice:</span> {_e(example.title)}{tag}. '
                   f"{_e(example.short_summary)} <cite>({_e(example.citation)})</cite></p>")
    out.append("</section>")
    return "".join(out)


def _full_gap(gap: Gap) -> str:
    out = [f'<section class="{_gap_class(gap)}"><h3>{_e(gap.heading)}</h3><p>{_e(gap.reason)}</p>']
    if gap.answers:
        out.append("<h4>Answers behind the gap</h4><ul>")
        out += [f"<li>{_e(topic)}: <strong>{_e(answer)}</strong></li>" for topic, answer in gap.answers]
        out.append("</ul>")
    if gap.actions:
        out.append("<h4>Actions to consider</h4><ol>")
        out += [f"<li>{_e(a)}</li>" for a in gap.actions]
        out.append("</ol>")
    if gap.recommendations:
        out.append("<h4>2015 report recommendations</h4><ul>")
        out += [f"<li><strong>Recommendation {_e(n)}</strong> ({_e(theme)}): {_e(summary)}</li>"
                for n, theme, summary in gap.recommendations]
        out.append("</ul>")
    if gap.examples:
        out.append("<h4>Good practice</h4><ul>")
        for ex in gap.examples:
            tag = '<span class="tag">Same region</span>' if ex.same_region else ""
            out.append(f'<li class="example"><strong>{_e(ex.title)}</strong>{tag}<br>{_e(ex.organisation)}. '
                       f"{_e(ex.summary)} <cite>({_e(ex.citation)})</cite></li>")
        out.append("</ul>")
    out.append("</section>")
    return "".join(out)


def _headline(data: BriefingData) -> list[str]:
    parts = [
        "<section><h2>Headline</h2><div class=\"facts\">",
        _fact("Overall score (out of 100)", data.score_text),
        _fact("Band", data.band_text),
        _fact("Rank in England", data.rank_text, "among ranked councils"),
        _fact(f"Rank in {data.region_name}", data.region_rank_text),
        _fact("Standards with evidence", f"{data.evidenced} of {data.standards_total}"),
        _fact("\u201cDon\u2019t know\u201d or not answered", f"{data.unknown_answers + data.missing_answers}",
              f"{data.unknown_answers} don\u2019t know, {data.missing_answers} not answered"),
        "</div>",
    ]
    parts += [f'<p class="note">{_e(n)}</p>' for n in data.notes]
    parts.append(
        '<p class="note">The overall score is the mean of the standard scores that have evidence. A standard\u2019s '
        "score is the weighted share of its support that is available (in development counts half, "
        "\u201cdon\u2019t know\u201d none); a standard with no known answer is left out, never counted as "
        "zero.</p></section>"
    )
    return parts


def _glance(data: BriefingData) -> list[str]:
    parts = [
        "<section><h2>Standards at a glance</h2>",
        '<table><thead><tr><th scope="col">Standard</th><th scope="col" class="num">Score</th>'
        '<th scope="col">Band</th><th scope="col">Score and England median</th>'
        '<th scope="col" class="num">England</th>'
        f'<th scope="col" class="num">{_e(data.region_name)}</th>'
        f'<th scope="col" class="num">{_e(data.type_group)}</th>'
        '<th scope="col" class="num">Against England</th></tr></thead><tbody>',
    ]
    for row in data.standards:
        parts.append(
            f'<tr><th scope="row">{_e(row.label)}</th><td class="num">{_e(row.score_text)}</td>'
            f'<td>{_e(row.band_text)}</td><td>{_bar(row)}</td><td class="num">{_e(row.england_text)}</td>'
            f'<td class="num">{_e(row.region_text)}</td><td class="num">{_e(row.type_text)}</td>'
            f'<td class="num">{_e(row.diff_text)}</td></tr>'
        )
    parts.append(
        "</tbody></table><p class=\"note\">Scores out of 100. England, region and type columns are medians of the "
        "councils that responded in the round; \u201cagainst England\u201d is the difference in points. Bar: the "
        "council\u2019s score, coloured by band; black tick: the England median.</p></section>"
    )
    return parts


def _top_gaps(data: BriefingData, appendix: bool) -> list[str]:
    top, rest = data.top_gaps, data.other_gaps
    if not data.gaps:
        return ["<section><h2>Gaps</h2><p>The council is in the top band on every standard.</p></section>"]
    heading = (f"The {len(top)} biggest gap{'s' if len(top) != 1 else ''}" if top
               else "Gaps")
    parts = [f"<section><h2>{_e(heading)}</h2>"]
    if top:
        parts.append(f'<p class="note lead">{_e(TOP_GAP_RULE.format(n=TOP_GAPS))} Each has the first action to consider '
                     "and one example of good practice, shortened (from the council\u2019s own region where there "
                     "is one).</p>")
        parts += [_short_gap(g, ex) for g, ex in zip(top, pick_examples(top, data.council_code), strict=True)]
    if rest:
        where = "in the appendix" if appendix else "on the scorecard and in the briefing with appendix"
        parts.append(f"<p><strong>{'Also' if top else 'The'} not in the top band or without evidence"
                     f" ({len(rest)}):</strong> {_e(_other_gaps_text(rest, data.year))} Details {_e(where)}.</p>")
    parts.append("</section>")
    return parts


def _other_gaps_text(rest: list[Gap], year: int) -> str:
    """The gaps beyond the top ones in a sentence or two: each named with its score or
    'no evidence', and the standards the round did not ask about grouped by number."""
    named = [f"{g.heading} ({g.score_text if g.kind == scorecard.GAP_BELOW else 'no evidence'})"
             for g in rest if g.kind != scorecard.GAP_NOT_ASKED]
    not_asked = [str(g.standard) for g in rest if g.kind == scorecard.GAP_NOT_ASKED]
    text = "; ".join(named) + ("." if named else "")
    if not_asked:
        which = f"standard {not_asked[0]}" if len(not_asked) == 1 else f"standards {_listed(not_asked)}"
        text += f" The {year} questionnaire did not ask about {which}."
    return text.strip()


def _more(data: BriefingData, appendix: bool) -> list[str]:
    url = _e(data.scorecard_url)
    if data.link_is_relative:
        where = (f"Open the Scorecard page of PA Support Benchmark (the dashboard this briefing came from), choose "
                 f"{_e(data.council_name)} and the {_e(data.year)} round; its address ends "
                 f'<a class="url" href="{url}">{url}</a>.')
    else:
        where = f'<a class="url" href="{url}">{url}</a>'
    details = ("every gap in full, with the answers behind it, all the actions, the 2015 report\u2019s "
               "recommendations and every good-practice example")
    if appendix:
        details_text = f"The appendix after this briefing, on pages of its own, has {details}."
    else:
        details_text = (f"The scorecard has {details}; so does this briefing downloaded with its appendix "
                        "(\u201cBriefing with appendix\u201d on the scorecard).")
    return [
        "<section><h2>The full scorecard</h2>",
        f"<p><strong>{_e(data.council_name)}, {_e(data.year)} round:</strong> {where}</p>",
        f"<p>{_e(details_text)}</p>",
        '<p class="note">Sources, summarised in this project\u2019s own words: '
        + "; ".join(f"{_e(doc)}" for doc, _ in SOURCES) + ".</p></section>",
    ]


def _appendix(data: BriefingData) -> list[str]:
    parts = ['<section class="appendix"><h2>Appendix: every gap in full</h2>']
    if data.gaps:
        parts.append('<p class="note">Every standard not in the top band, or without evidence, weakest first, '
                     "with the answers behind it, actions to consider, the 2015 report\u2019s recommendations and "
                     "examples of good practice (from the council\u2019s own region first).</p>")
        parts += [_full_gap(g) for g in data.gaps]
    else:
        parts.append("<p>The council is in the top band on every standard.</p>")
    parts.append("<h2>Sources</h2><ul>")
    parts += [f"<li>{_e(doc)}: {_e(use)}</li>" for doc, use in SOURCES]
    parts.append(
        "</ul><p class=\"note\">Standards, examples and recommendations are summarised in this project\u2019s "
        "own words; see the documents for the original text.</p></section>"
    )
    return parts


def _page_css(data: BriefingData) -> str:
    """Running lines printed in every page's margin: the council and round with the page number,
    and for a demo round the synthetic label, so a page forwarded on its own still carries it."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ") + '"'

    left = f"{data.council_name}, {data.year} round"
    css = ["@page { @bottom-left { content: " + quoted(left) + "; font: 8pt Arial, sans-serif; color: #4d4d4d; }",
           '@bottom-right { content: "Page " counter(page) " of " counter(pages); '
           "font: 8pt Arial, sans-serif; color: #4d4d4d; }"]
    if data.is_demo:
        css.append("@top-center { content: " + quoted(f"{DEMO_NOTE_TITLE}: not real council responses")
                   + "; font: bold 8.5pt Arial, sans-serif; color: #A33F00; }")
    css.append("}")
    return " ".join(css)


def render(data: BriefingData, *, appendix: bool = False) -> str:
    """The briefing as a complete HTML document (no scripts, no external resources)."""
    title = f"{data.council_name}: support for individual employers and PAs, {data.year} round"
    parts = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}\n{_page_css(data)}</style></head><body><main>",
    ]
    if data.is_demo:
        parts.append(f'<div class="demo" role="note"><strong>{_e(DEMO_NOTE_TITLE)}</strong>{_e(DEMO_NOTE_TEXT)}</div>')
    parts += [
        '<header><p class="kicker">PA Support Benchmark: council briefing</p>',
        f"<h1>{_e(data.council_name)}</h1>",
        f'<p class="meta">{_e(data.council_type)}, {_e(data.region_name)} ({_e(data.council_code)}). '
        f"Survey round {_e(data.year)}"
        + (" (synthetic demonstration data)" if data.is_demo else "") + ".</p></header>",
    ]
    if data.reorganisation is not None:
        parts.append(f'<div class="reorg" role="note"><strong>{_e(data.reorganisation.title)}</strong>'
                     f"{_e(data.reorganisation.text)}</div>")
    parts += _headline(data) + _glance(data) + _top_gaps(data, appendix) + _more(data, appendix)
    parts.append(
        f"<footer>Generated on {_e(data.generated.strftime('%d %B %Y'))} by PA Support Benchmark from the "
        f"{_e(data.year)} survey round"
        + (f". {_e(DEMO_NOTE_TITLE)}: not real council responses." if data.is_demo else ".")
        + "</footer>"
    )
    if appendix:
        parts += _appendix(data)
        if data.is_demo:
            parts.append(f'<p class="note"><strong>{_e(DEMO_NOTE_TITLE)}</strong>: not real council responses.</p>')
    parts.append("</main></body></html>")
    return "\n".join(parts)
