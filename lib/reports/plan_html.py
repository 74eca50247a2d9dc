"""The improvement plan as one self-contained HTML page to print (A4) or share.

Inline CSS only, its own (in the briefing's style but tighter, so a plan of three alternatives
fits one page, and independent of the briefing's print layout); every value from data goes
through html.escape.
"""

from __future__ import annotations

import html
from datetime import date

import duckdb

from lib.analysis import plan as planning
from lib.base.formatting import format_score

DEMO_TITLE = "Synthetic demonstration data"
DEMO_TEXT = (
    "No council's own survey answers are published, so the answers behind this plan were generated "
    "to match the national picture in the 2015 report. They describe no real council: use this plan "
    "to see what the tool produces, not to judge or direct the council named."
)

CSS = """
@page { size: A4; margin: 9mm 10mm 9mm 10mm; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: #1b1b1b; background: #fff; margin: 0;
       font-size: 8.5pt; line-height: 1.25; }
main { max-width: 190mm; margin: 0 auto; padding: 4mm 3mm; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
h2 { font-size: 10pt; margin: 2.5mm 0 .8mm; padding-bottom: .4mm; border-bottom: 2px solid #0072B2;
     break-after: avoid; }
p, li { margin: 0 0 1mm; }
ul { margin: 0 0 1mm; padding-left: 6mm; }
.kicker { text-transform: uppercase; letter-spacing: .05em; font-size: 8pt; color: #4d4d4d; margin: 0; }
.meta { color: #333; margin: 0 0 2mm; }
.demo { border: 3px solid #D55E00; background: #fff4ec; padding: 1.5mm 3mm; margin: 0 0 2.5mm;
        -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.demo strong { font-size: 10pt; display: inline; margin-right: 1.5mm; }
table { border-collapse: collapse; width: 100%; font-size: 7.8pt; margin: 0 0 1mm; }
thead { display: table-header-group; }
th, td { border-bottom: 1px solid #d9d9d9; padding: .4mm 1.2mm; text-align: left; vertical-align: middle; }
th { background: #f2f2f2; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
.note, cite { font-size: 7.8pt; color: #333; }
cite { font-style: normal; color: #4d4d4d; }
footer { margin-top: 3mm; border-top: 1px solid #bfbfbf; padding-top: 1mm; font-size: 7.5pt; color: #4d4d4d; }
table.changes { table-layout: fixed; }
li { font-size: 7.8pt; }
.plan { break-inside: avoid; page-break-inside: avoid; margin: 0 0 2mm; }
@media print { main { padding: 0; } }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def plan_html(con: duckdb.DuckDBPyConnection, result: planning.PlanResult, *, is_demo: bool,
              generated: date | None = None) -> str:
    """The plan page. `con` supplies the standards' 'what good looks like' and their source."""
    when = (generated or date.today()).isoformat()
    target = result.target
    parts = [f"<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
             f"<title>Improvement plan: {_e(result.council_name)}, {result.year}</title>"
             f"<style>{CSS}</style></head><body><main>"]
    parts.append(f"<p class=\"kicker\">PA Support Benchmark · improvement plan · {result.year} survey round</p>")
    parts.append(f"<h1>{_e(result.council_name)}</h1>")
    if is_demo:
        parts.append(f"<div class=\"demo\" role=\"note\"><strong>{DEMO_TITLE}.</strong>{_e(DEMO_TEXT)}</div>")
    if target is not None:
        now = (f"{format_score(target.current_score)} ({target.current_band_label})"
               if target.current_score is not None else target.current_band_label)
        parts.append(f"<p class=\"meta\"><b>Target:</b> {_e(target.description)}. "
                     f"<b>Now:</b> {_e(now)}. Produced {when}.</p>")
    if result.status != planning.PLANNED:
        parts.append(f"<p>{_e(result.message)}</p>")
    else:
        n = len(result.plans[0].changes)
        fewest = ("No plan with fewer changes exists." if result.fewest_proven else
                  "The search was bounded, so a plan with fewer changes may exist.")
        parts.append(f"<p>The fewest answer changes that reach the target: <b>{n}</b>. {_e(fewest)} "
                     f"{len(result.plans)} alternative{'s' if len(result.plans) != 1 else ''}, cheapest first: "
                     "a change is cheaper the more similar councils already give that answer or better.</p>")
        for i, p in enumerate(result.plans, start=1):
            parts.append(_plan_block(i, p, target, full=i == 1))
        parts.append(_good_practice(con, result))
    parts.append("<footer>" + _method(result) + " Standards and what good looks like: Skills for Care, Minimum standards of support for "
                 "individual employers and personal assistants (advice note), cited by standard." + (f" {DEMO_TITLE}." if is_demo else "") + "</footer>")
    parts.append("</main></body></html>")
    return "".join(parts)


def _plan_block(i: int, p: planning.Plan, target: planning.Target | None, *, full: bool) -> str:
    """A plan's table: the first with each question's wording, the alternatives with its topic
    (one line a change), so that three alternatives fit the page."""
    where = "overall" if target is None or target.standard is None else f"on standard {target.standard}"
    rows = "".join(
        f"<tr><td>{c.standard}. {_e(c.standard_name)}</td><td>{_e(c.wording if full else c.topic)}</td>"
        f"<td>{_e(c.current_label)}</td>"
        f"<td><b>{_e(c.proposed_label)}</b></td><td class=\"num\">{c.peers_with} of {c.peers_total}</td></tr>"
        for c in p.changes)
    return (f"<div class=\"plan\"><h2>Plan {i}: {len(p.changes)} change{'s' if len(p.changes) != 1 else ''}, "
            f"projected {format_score(p.score)} ({_e(p.band_label)}) {where}</h2>"
            "<table class=\"changes\"><colgroup><col style=\"width:21%\"><col style=\"width:37%\">"
            "<col style=\"width:13%\"><col style=\"width:18%\"><col style=\"width:11%\"></colgroup>"
            f"<thead><tr><th>Standard</th><th>{'Question' if full else 'Support'}</th><th>Answer now</th>"
            f"<th>Change to</th><th class=\"num\">Similar councils there</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p class=\"note\">With this plan: overall {format_score(p.overall_score)} "
            f"({_e(p.overall_band_label)}), rank {_e(p.rank)}.</p></div>")


def _good_practice(con: duckdb.DuckDBPyConnection, result: planning.PlanResult) -> str:
    numbers = sorted({c.standard for p in result.plans for c in p.changes})
    if not numbers:
        return ""
    rows = con.execute("SELECT number, short_name, looks_like, source FROM standards "
                       "WHERE list_contains(?, number) ORDER BY number", [numbers]).fetchall()
    items = "".join(f"<li><b>{n}. {_e(name)}:</b> {_e(looks)} <cite>({_e(source)})</cite></li>"
                    for n, name, looks, source in rows)
    return ("<h2>What good looks like <cite>(examples for each standard: the Good practice page of "
            "PA Support Benchmark)</cite></h2><ul>" + items + "</ul>")


def _method(result: planning.PlanResult) -> str:
    mode = planning.PEER_MODES.get(result.peer_mode, result.peer_mode).lower()
    peers = ", ".join(result.peer_names) if result.peer_names else "none that responded"
    bounded = (" The search was bounded to keep it quick: not every combination of changes was tried."
               if result.bounded else " Every combination of that many changes was tried.")
    return ("<b>How this plan was made.</b> Each change raises one answer to one with more "
            "credit. Every plan was scored by the same calculation as the published scores and the "
            f"self-assessment. Similar councils ({_e(mode)}, {len(result.peer_names)} that responded): "
            f"{_e(peers)}." + (bounded if result.status == planning.PLANNED else ""))
