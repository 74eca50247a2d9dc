"""The one-council briefing: a self-contained HTML document a director can file, email or print.

Self-contained means inline CSS only: no scripts, no stylesheets or images fetched from
anywhere, so it opens the same offline and years later. Bars are inline SVG. Every value
that comes from data goes through html.escape. It is laid out to print on A4.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date

import duckdb

from lib import scorecard
from lib.charts import BAND_COLOURS, COMPARATOR_COLOURS, PALETTE
from lib.formatting import council_type_text, is_missing

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


@dataclass(frozen=True)
class Example:
    title: str
    organisation: str
    summary: str
    citation: str
    same_region: bool = False


@dataclass(frozen=True)
class Gap:
    heading: str
    reason: str
    kind: str = scorecard.GAP_BELOW
    answers: list[tuple[str, str]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    recommendations: list[tuple[int, str, str]] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)


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
    """Everything the briefing shows, already worked out by lib.scorecard."""

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


def _num(value) -> float | None:
    return None if is_missing(value) else float(value)


def briefing_data(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool,
                  generated: date | None = None) -> BriefingData:
    """Gather the briefing for a council that responded in the round (ValueError otherwise)."""
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
            examples=[Example(str(e.title), str(e.organisation), str(e.summary), str(e.citation), bool(e.same_region))
                      for e in examples.itertuples()],
        ))
    return BriefingData(
        council_name=str(me["display_name"]), council_code=code, region_name=str(me["region_name"]),
        council_type=council_type_text(me["type"], "council"),
        type_group=council_type_text(me["type"], "group"),
        year=int(year), is_demo=is_demo, score_text=head.score_text, band_text=head.band_label,
        rank_text=head.rank_text, region_rank_text=head.region_rank_text, evidenced=head.evidenced,
        standards_total=head.standards_total, unknown_answers=head.unknown_answers,
        missing_answers=head.missing_answers, notes=notes, standards=standards, gaps=gaps,
        generated=generated or date.today(),
    )


def briefing_html(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool,
                  generated: date | None = None) -> str:
    """The briefing for a council and round as one HTML document."""
    return render(briefing_data(con, code, year, is_demo=is_demo, generated=generated))


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 15mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: #1b1b1b; line-height: 1.4; margin: 0;
       font-size: 11pt; background: #fff; }
main { max-width: 190mm; margin: 0 auto; padding: 8mm 4mm; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 7mm 0 2mm; border-bottom: 2px solid #0072B2; padding-bottom: 1mm; }
h3 { font-size: 12pt; margin: 4mm 0 1mm; }
h4 { font-size: 10.5pt; margin: 3mm 0 1mm; }
p, li { margin: 0 0 1.5mm; }
ul, ol { margin: 0 0 2mm; padding-left: 6mm; }
.kicker { text-transform: uppercase; letter-spacing: .05em; font-size: 9pt; color: #4d4d4d; margin: 0; }
.meta { color: #333; margin: 0 0 4mm; }
.demo { border: 3px solid #D55E00; background: #fff4ec; padding: 3mm 4mm; margin: 0 0 5mm;
        -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.demo strong { font-size: 13pt; display: block; }
.facts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2mm; margin: 0 0 3mm; }
.fact { border: 1px solid #bfbfbf; padding: 2mm 3mm; }
.fact .label { font-size: 9pt; color: #4d4d4d; display: block; }
.fact .value { font-size: 15pt; font-weight: bold; }
.note { font-size: 9.5pt; color: #333; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 0 0 2mm; }
thead { display: table-header-group; }
th, td { border-bottom: 1px solid #d9d9d9; padding: 1.2mm 1.5mm; text-align: left; vertical-align: middle; }
th { background: #f2f2f2; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
tr, .gap, .example { break-inside: avoid; page-break-inside: avoid; }
svg { display: block; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.gap { border-left: 4px solid #E69F00; padding: 0 0 1mm 3mm; margin: 0 0 4mm; }
.gap.no-evidence { border-left-color: #7F7F7F; }
.tag { display: inline-block; font-size: 8.5pt; border: 1px solid #0072B2; color: #004f7c;
       padding: 0 1.5mm; margin-left: 1mm; }
cite { font-style: normal; color: #4d4d4d; font-size: 9pt; }
footer { margin-top: 8mm; border-top: 1px solid #bfbfbf; padding-top: 2mm; font-size: 9pt; color: #4d4d4d; }
@media print { main { padding: 0; max-width: none; } h2 { break-after: avoid; } h3, h4 { break-after: avoid; } }
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _bar(row: StandardRow) -> str:
    """A small inline SVG: the council's score as a bar, the England median as a tick."""
    width, height = 120, 16
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{_e(f"Score {row.score_text}; England median {row.england_text}")}">',
             f'<rect x="0" y="4" width="{width}" height="8" fill="#eeeeee"/>']
    if row.score is not None:
        colour = BAND_COLOURS.get(row.band, PALETTE["light_grey"])
        parts.append(f'<rect x="0" y="4" width="{width * max(0.0, min(row.score, 100.0)) / 100:.1f}" '
                     f'height="8" fill="{colour}"/>')
    if row.england_median is not None:
        x = width * max(0.0, min(row.england_median, 100.0)) / 100
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" '
                     f'stroke="{COMPARATOR_COLOURS["council"]}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def _fact(label: str, value: str, extra: str = "") -> str:
    return (f'<div class="fact"><span class="label">{_e(label)}</span><span class="value">{_e(value)}</span>'
            + (f'<span class="label">{_e(extra)}</span>' if extra else "") + "</div>")


def _gap(gap: Gap) -> str:
    cls = "gap" if gap.kind == scorecard.GAP_BELOW else "gap no-evidence"
    out = [f'<section class="{cls}"><h3>{_e(gap.heading)}</h3><p>{_e(gap.reason)}</p>']
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


def render(data: BriefingData) -> str:
    """The briefing as a complete HTML document (no scripts, no external resources)."""
    title = f"{data.council_name}: support for individual employers and PAs, {data.year} round"
    parts = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>",
    ]
    if data.is_demo:
        parts.append(f'<div class="demo" role="note"><strong>{_e(DEMO_NOTE_TITLE)}</strong>{_e(DEMO_NOTE_TEXT)}</div>')
    parts += [
        '<header><p class="kicker">PA Support Benchmark: council briefing</p>',
        f"<h1>{_e(data.council_name)}</h1>",
        f'<p class="meta">{_e(data.council_type)}, {_e(data.region_name)} ({_e(data.council_code)}). '
        f"Survey round {_e(data.year)}"
        + (" (synthetic demonstration data)" if data.is_demo else "") + ".</p></header>",
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
        '<p class="note">The overall score is the mean of the standard scores that have evidence. Each '
        "standard\u2019s score is the weighted share of its support that is available (in development "
        "counts half; \u201cdon\u2019t know\u201d counts as none). A standard with no known answer has no "
        "evidence and is left out, never counted as zero.</p></section>"
    )
    parts += [
        "<section><h2>Standard by standard</h2>",
        '<table><thead><tr><th scope="col">Standard</th><th scope="col" class="num">Score</th>'
        '<th scope="col">Band</th><th scope="col">Score and England median</th>'
        '<th scope="col" class="num">England median</th>'
        f'<th scope="col" class="num">{_e(data.region_name)} median</th>'
        f'<th scope="col" class="num">{_e(data.type_group)} median</th>'
        '<th scope="col" class="num">Difference from England</th></tr></thead><tbody>',
    ]
    for row in data.standards:
        parts.append(
            f'<tr><th scope="row">{_e(row.label)}</th><td class="num">{_e(row.score_text)}</td>'
            f"<td>{_e(row.band_text)}</td><td>{_bar(row)}</td><td class=\"num\">{_e(row.england_text)}</td>"
            f'<td class="num">{_e(row.region_text)}</td><td class="num">{_e(row.type_text)}</td>'
            f'<td class="num">{_e(row.diff_text)}</td></tr>'
        )
    parts.append(
        "</tbody></table><p class=\"note\">Bar: the council\u2019s score out of 100, coloured by band; "
        "black tick: the England median. Medians are of the councils that responded in the round; "
        "differences are in points.</p></section>"
    )
    parts.append("<section><h2>Gaps and what to do about them</h2>")
    if data.gaps:
        parts.append('<p class="note">Every standard not in the top band, or without evidence, weakest first, '
                     "with the answers behind it, actions to consider, the 2015 report\u2019s recommendations and "
                     "examples of good practice (from the council\u2019s own region first).</p>")
        parts += [_gap(g) for g in data.gaps]
    else:
        parts.append("<p>The council is in the top band on every standard.</p>")
    parts.append("</section>")
    parts.append("<section><h2>Sources</h2><ul>")
    parts += [f"<li>{_e(doc)}: {_e(use)}</li>" for doc, use in SOURCES]
    parts.append(
        "</ul><p class=\"note\">Standards, examples and recommendations are summarised in this project\u2019s "
        "own words; see the documents for the original text.</p></section>"
    )
    parts.append(
        f"<footer>Generated on {_e(data.generated.strftime('%d %B %Y'))} by PA Support Benchmark from the "
        f"{_e(data.year)} survey round"
        + (f". {_e(DEMO_NOTE_TITLE)}: not real council responses." if data.is_demo else ".")
        + "</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts)
