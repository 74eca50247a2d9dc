"""The import file's format, in one place: the sheet a workbook's answers are on, and the
suffixes that mark a question's providers and comment columns in the wide layout. The template
(lib.ingest.template) writes it, the readers and the validation read it, and the what-if
download (lib.analysis.whatif) is such a file too, so its provider suffix is the one used here.
"""

from __future__ import annotations

from lib.analysis.whatif import PROVIDER_SUFFIX

#: The template's sheets: the answers, the questions as a reference, and the answer lists.
SHEET_RESPONSES = "responses"
SHEET_QUESTIONS = "questions"
SHEET_LISTS = "answer lists"

#: Headers accepted for the council column (ONS code or name), compared without case.
COUNCIL_HEADERS = {"council", "authority", "authority_code", "council_code", "ons_code", "code"}

#: Wide layout: `<question id>__comment` holds the comment on that question's answer ...
COMMENT_SUFFIX = "__comment"
#: ... and `<question id>__providers` the providers, separated by ";" or ",".
__all__ = ["COMMENT_SUFFIX", "COUNCIL_HEADERS", "PROVIDER_SUFFIX", "SHEET_LISTS", "SHEET_QUESTIONS", "SHEET_RESPONSES"]
