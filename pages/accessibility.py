"""Accessibility statement: how accessible the dashboard is, what is known not to work well, how
it is checked and how to report a problem. UK public-sector websites must publish one (the Public
Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018)."""

from __future__ import annotations

import streamlit as st

from lib.base.formatting import escape_markdown as md
from lib.web import auth, frame

frame.require_frame(__file__)

st.title("Accessibility statement")
st.markdown(
    "This statement covers the PA Support Benchmark dashboard: every page listed in the menu, and "
    "the files it offers for download. We want as many people as possible to be able to use it. "
    "You should be able to:\n\n"
    "- use the menu, the pickers, the buttons and the links with a keyboard, with a clearly visible "
    "focus ring;\n"
    "- read the figures behind the charts in tables on the same page (mostly in a **Table:** section "
    "under the chart, which opens with Enter or Space and is filled in as it opens) on the Home, Gap "
    "finder, Council scorecard, Regional comparison and Peer comparison pages;\n"
    "- use the dashboard on a phone, where the menu starts closed so the page's headline comes first;\n"
    "- tell the bands and chart series apart with the common forms of colour-vision deficiency "
    "(the colours come from the Okabe-Ito palette, and bands are named in words as well);\n"
    "- choose a council by typing part of its name or its ONS code rather than finding it on a map."
)

st.header("How accessible the dashboard is")
st.markdown(
    "We believe the dashboard is **partially compliant** with the Web Content Accessibility "
    "Guidelines (WCAG) version 2.2 at level AA, because of the problems listed below."
)
st.subheader("Known problems", anchor=False)
st.markdown(
    "- Charts are drawn as images made of shapes. A screen reader can reach the table of the same "
    "figures, but not the chart itself, and some details (such as a council's exact position on a "
    "chart) are shown only when a pointer hovers over it.\n"
    "- The hexagon maps need a pointer to pick a council by clicking; the council picker on the same "
    "pages does the same job from the keyboard.\n"
    "- Tables are drawn by Streamlit's data grid. It can be used with a keyboard, but some screen "
    "readers announce its cells less clearly than a plain HTML table.\n"
    "- The dashboard has not yet been audited by an accessibility specialist or tested by disabled "
    "users with their own assistive technology."
)

st.header("How it is checked")
st.markdown(
    "Every change to the dashboard runs automated browser tests that open each page in a real "
    "browser and check it with axe-core, failing on any serious or critical problem. These checks "
    "find many problems, but not all of them: they do not replace testing by people."
)

st.header("Reporting a problem")
contact = auth.contact_address()
if contact:
    st.markdown(f"If you find a problem not listed here, or need the information in another format, "
                f"contact **{md(contact)}**. Say which page and what you were trying to do.")
else:
    st.markdown("The organisation running this copy of the dashboard has not given a contact address "
                f"(it is set with `{auth.CONTACT_ENV}`). Please tell the person or organisation who "
                "sent you the link.")
st.markdown(
    "If you are not happy with how a complaint about accessibility is handled, the Equality and "
    "Human Rights Commission (EHRC) enforces the accessibility regulations, and the Equality "
    "Advisory and Support Service (EASS) can advise you."
)

st.header("About this statement")
st.markdown("This statement was prepared on 1 December 2026. It is reviewed whenever the known "
            "problems above change.")
