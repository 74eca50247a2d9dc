"""The one-council briefing as a self-contained HTML document a director can file, email or print.

Self-contained means inline CSS only: no scripts, no stylesheets or images fetched from
anywhere, so it opens the same offline and years later. Bars are inline SVG. Every value
that comes from data goes through html.escape.

What the briefing says is worked out in lib.reports.briefing_data; this module lays it out: the
two A4 pages, and the optional appendix that starts on a new page.
"""

from __future__ import annotations

import html
from datetime import date

import duckdb

from lib.analysis import scorecard
from lib.charts import BAND_COLOURS, COMPARATOR_COLOURS, PALETTE
from lib.reports.briefing_data import (
    TOP_GAP_RULE,
    TOP_GAPS,
    BriefingData,
    Example,
    Gap,
    StandardRow,
    briefing_data,
    other_gaps_text,
    pick_examples,
)

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


def briefing_html(con: duckdb.DuckDBPyConnection, code: str, year: int, *, is_demo: bool,
                  generated: date | None = None, base_url: str | None = None, appendix: bool = False) -> str:
    """The briefing for a council and round as one HTML document (two A4 pages at most), with
    the full details as an appendix on pages of its own when `appendix` is True."""
    data = briefing_data(con, code, year, is_demo=is_demo, generated=generated, base_url=base_url)
    return render(data, appendix=appendix)


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
        '<p class="note">The overall score is the mean of the scores of the standards the round asked about. A '
        "standard\u2019s score is the weighted share of its support that is available (in development counts "
        "half). A \u201cdon\u2019t know\u201d or unanswered question counts as the worst answer, so it can never "
        "raise a score; the figures in brackets are the range that known answers could give.</p></section>"
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
        parts.append(f"<p><strong>{'Also' if top else 'The'} not in the top band"
                     f" ({len(rest)}):</strong> {_e(other_gaps_text(rest, data.year))} Details {_e(where)}.</p>")
    parts.append("</section>")
    return parts


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
        parts.append('<p class="note">Every standard not in the top band, weakest first, '
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
