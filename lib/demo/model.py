"""The demo's model, apart from its generator: the rules and constants it follows, and the
text that describes it (DESCRIPTION, ASSUMPTIONS). The Methodology page and the build read these;
only `python -m lib.demo.generator` runs the generator itself.
"""

from __future__ import annotations

import numpy as np

SEED = 20151
ROUND_SIZES = {2012: 54, 2013: 64, 2014: 75, 2015: 95}
EXCLUDED_FROM_SURVEY = {"E06000053"}  # Isles of Scilly: outside the report's 151 councils.

# Councils answering both of two consecutive rounds. 2014-2015 is published (report,
# "Other findings": 51 councils took part in both); the earlier overlaps are assumptions.
OVERLAPS = {(2014, 2015): 51, (2013, 2014): 50, (2012, 2013): 44}
PUBLISHED_OVERLAPS = {(2014, 2015)}
# The round whose evidence a cited council's example comes from. The advice note draws on the
# 2012 and 2013 research and was written after the 2013 report, so its examples are set in
# 2013; the report's case studies in 2015. Every cited council also answers 2015, the round the
# dashboard opens on, and is held at or above the national median there too.
EVIDENCE_ROUND = {"advice_note": 2013, "report_2015": 2015}

# No council's overall score falls below this ("a strong core offer", report executive summary).
OVERALL_FLOOR = 20.0
# A council's general readiness: a personal part plus small regional and council-type parts
# (in standard deviations of the personal part). Region effects are drawn from their own seed.
REGION_EFFECT_SD = 0.15
REGION_EFFECT_SEED = SEED + 1
TYPE_EFFECTS = {"county": 0.1, "unitary": -0.05, "metropolitan district": -0.05,
                "London borough": 0.0, "other": 0.0}
QUESTION_NOISE_SD = 1.1
LINKED_NOISE_SD = 0.45

# Questions whose answers follow another's closely (a council with a PA register usually
# lets PAs promote their services on it, and so on). child -> parent.
LINKED = {
    "pa_promote_services": "emp_pa_register",
    "pa_register_training": "emp_pa_register",
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
# The same kind of support asked about employers and about PAs (report figures 2.1-2.2): the
# share of councils offering it to PAs is kept at or below the share offering it to employers.
PAIRED = {
    "pa_info_working": "emp_info_employing",
    "pa_relationship_breakdown": "emp_relationship_breakdown",
    "pa_legal_info": "emp_legal_info",
    "pa_relationship_building": "emp_relationship_building",
    "pa_rates_of_pay": "emp_rates_of_pay",
    "pa_dbs": "emp_dbs",
    "pa_peer_support": "emp_peer_support",
    "pa_pre_employment_training": "emp_pre_employment_training",
    "pa_safeguarding": "emp_qa_safeguarding",
    "pa_promote_services": "emp_pa_register",
    "network_pas": "network_employers",
}
# Answers swapped together when the generator moves an answer between two councils, so that
# related answers keep agreeing (a register and training on it; a DBS service and its route).
BUNDLES = {
    "emp_pa_register": ("emp_pa_register", "pa_register_training"),
    "pa_register_training": ("emp_pa_register", "pa_register_training"),
    "emp_dbs": ("emp_dbs", "dbs_route"),
}
# Pay bands a council may tick (report figure 4.1: several may be ticked; every council uses one).
PAY_BANDS = ("pay_rate_below_785", "pay_rate_785_10", "pay_rate_10_plus")

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
    # Figure 1.4 gives four of the six answers; the other two share the rest (assumption).
    "care_cert_support": {"trained_assessors": 0.2, "contract": 0.06, "on_request": 0.15,
                          "exploring": 0.32, "not_available": 0.14, "dont_know": 0.13},
    "tick": {"selected": 0.3, "not_selected": 0.7},
    "dbs_route": {"la": 0.45, "support_org": 0.35, "employer": 0.1, "other": 0.05, "dont_know": 0.05},
}
# Defaults for one question where its set's defaults do not fit: PAs' safeguarding offer is
# taken as never required (figure 2.7 gives 78% voluntary, against 80% for employers in all).
QUESTION_SHARES = {
    "pa_safeguarding": {"required": 0.0, "voluntary": 0.78, "in_development": 0.06,
                        "not_available": 0.12, "dont_know": 0.04},
}
# Invented levels for the questions the survey never asked ("new"): less common than the core offer.
NEW_QUESTION_SHARES = {
    "availability": {"available": 0.38, "in_development": 0.22, "not_available": 0.3, "dont_know": 0.1},
    "yes_partly_no": {"yes": 0.3, "in_development": 0.25, "no": 0.35, "dont_know": 0.1},
}
# Share "available" in 2015 where the report says only that most councils offer the support
# (figure 1.1: the majority offer information, relationship-breakdown advice, payroll, legal
# information, rates of pay and DBS help to employers). Assumptions, set above the PA levels.
ASSUMED_AVAILABLE_2015 = {
    "emp_relationship_breakdown": 0.78,
    "emp_payroll": 0.82,
    "emp_legal_info": 0.72,
    "emp_pre_employment_training": 0.62,
    # The indicative-rate band the report gives no share for (figure 4.1 shows only two).
    "pay_rate_below_785": 0.25,
}
# Share of a question's responding councils naming each provider, where the report gives no
# figure (assumptions, guided by what it says):
# - employers, figure 1.5: the council is not the only source of information about employing,
#   rates of pay or DBS help, so support and voluntary organisations also provide them;
# - employers, figures 1.6-1.7: payroll, relationship advice, pre-employment training and legal
#   information come more often from support or voluntary organisations than from the council;
# - PAs, figures 2.3-2.4: councils and other voluntary bodies also provide the kinds of support
#   support organisations lead on, "but not to the same extent".
# Published provider figures always take precedence over these.
ASSUMED_PROVIDERS_2015: dict[str, dict[str, float]] = {
    "emp_info_employing": {"support_org": 0.45, "other_cvo": 0.12},
    "emp_rates_of_pay": {"support_org": 0.38, "other_cvo": 0.08},
    "emp_dbs": {"support_org": 0.40, "other_cvo": 0.04},
    "emp_payroll": {"la": 0.25, "support_org": 0.62, "other_cvo": 0.15},
    "emp_relationship_breakdown": {"la": 0.3, "support_org": 0.58, "other_cvo": 0.15},
    "emp_relationship_building": {"la": 0.25, "support_org": 0.5, "other_cvo": 0.14},
    "emp_legal_info": {"la": 0.28, "support_org": 0.52, "other_cvo": 0.12},
    "emp_pre_employment_training": {"la": 0.22, "support_org": 0.45, "other_cvo": 0.12},
    "emp_pa_register": {"la": 0.3, "support_org": 0.42, "other_cvo": 0.08},
    "pa_dbs": {"support_org": 0.33, "other_cvo": 0.03},
    "pa_rates_of_pay": {"support_org": 0.3, "other_cvo": 0.07},
    "pa_learning_development": {"support_org": 0.32, "other_cvo": 0.12},
    "pa_pre_employment_training": {"other_cvo": 0.08},
    "pa_info_working": {"la": 0.22, "other_cvo": 0.12},
    "pa_relationship_breakdown": {"la": 0.2, "other_cvo": 0.1},
    "pa_legal_info": {"la": 0.15, "other_cvo": 0.08},
    "pa_relationship_building": {"la": 0.15, "other_cvo": 0.1},
    "pa_promote_services": {"la": 0.2, "other_cvo": 0.07},
    "pa_peer_support": {"la": 0.13, "other_cvo": 0.1},
    "emp_pensions": {"other_cvo": 0.03},
}
# Share of a council's support that each kind of provider gives, when nothing else is known.
DEFAULT_PROVIDER_RATES = {"la": 0.5, "support_org": 0.55, "other_cvo": 0.15}
# Points of "available" above the largest published provider share, when the level is not given.
PROVIDER_HEADROOM = 12.0
# Points by which the share "available" was lower one round earlier, when the report is silent.
YEARLY_GROWTH = 0.06
# Councils by which a PA-side count is kept below the matching employer count (more than one,
# so that rounding to whole councils cannot lift the PA side above the employer side).
PA_GAP_COUNCILS = 1.5

DESCRIPTION = (
    "Synthetic demonstration data generated by lib/demo/generator.py from a fixed seed and calibrated so "
    "that national percentages, including who provides each kind of support, match the figures "
    "published in the 2015 report (within 2 percentage points). Councils come and go between "
    "rounds (51 answered both 2014 and 2015, as the report says). Every council cited as good "
    "practice by the advice note or the report answers the round its example comes from (and "
    "2015), with answers at or above the national median on each standard its example "
    "illustrates. It describes no real council."
)
ASSUMPTIONS = (
    "Which councils answered each round is invented, keeping the published counts (54, 64, 75, "
    "95), a regional spread close to the national one and the published overlap of 51 councils "
    "between 2014 and 2015; the overlaps of 2012-2013 (44) and 2013-2014 (50) are assumptions.",
    "Councils cited as good practice are placed at or above the national median on the standards "
    "their example illustrates, in the round the example comes from and in 2015. This is a "
    "choice of the demo, not a finding.",
    "Each council has a general readiness that carries across questions and rounds. Regional and "
    "council-type parts of it are small: region effects are drawn with a standard deviation of "
    f"{REGION_EFFECT_SD} (seed {REGION_EFFECT_SEED}), council-type effects are fixed at "
    + ", ".join(f"{k} {v:+g}" for k, v in TYPE_EFFECTS.items() if k != "other")
    + ", against a personal part of standard deviation 1.",
    f"No council's overall score is below {OVERALL_FLOOR:g}: the report finds a core offer in "
    "place across most councils, so the demo keeps one everywhere.",
    "Where the report gives no figure, answer shares follow fixed defaults, and the share "
    "available one round earlier is a few points lower. Questions the survey never asked "
    "('new') are set less common than the core offer.",
    "Support to PAs is kept below support to employers on each kind of support asked about both "
    "(report figures 2.1-2.2).",
    "Where the report names no provider share, support and voluntary organisations and councils "
    "are given invented shares that follow its statements (figures 1.5-1.7, 2.3-2.4). Every "
    "council with a kind of support available or in development names at least one provider, and "
    "a council whose DBS checks go through a support organisation (or the council) names it as a "
    "DBS provider.",
    "The share of councils using an indicative PA rate below £7.85 an hour (25%) is invented; "
    "the report gives only the two higher bands. Every council ticks at least one band.",
    "Figure 1.4 gives four of the six answers to the Care Certificate assessment question; the "
    "split of the rest between council-trained assessors (or similar) and approaches still being "
    "explored is invented.",
    "PAs on a register are offered training only where the council has, or is developing, a "
    "register.",
)


def region_effects(regions: list[str]) -> dict[str, float]:
    """Small regional parts of readiness, drawn from their own seed (stated in ASSUMPTIONS)."""
    rng = np.random.default_rng(REGION_EFFECT_SEED)
    return dict(zip(sorted(regions), rng.normal(0, REGION_EFFECT_SD, len(regions)), strict=True))
