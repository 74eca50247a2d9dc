"""Nothing from the address bar is shown as markup (issue 30): every page opened with a web
address, a Markdown link and an HTML link in every query parameter it reads shows them, if at
all, as plain text, never as a link to another site."""

from __future__ import annotations

import re

import pytest

from lib.base.paths import ROOT
from tests.apptest import open_page

HOSTILE = "https://evil.example/a [b](https://evil.example/b) <a href='https://evil.example/c'>c</a> www.evil.example"
#: What Streamlit's Markdown would turn into a link: an address, a Markdown link, an HTML anchor.
LINKISH = re.compile(r"https?://|www\.|\]\(|<a[\s>]", re.IGNORECASE)

PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name != "data.py")  # data.py: sign-in first


def _parameters() -> list[str]:
    """Every query parameter a page or the web glue reads (pickers read theirs for the pages), and
    the survey link's token."""
    names = {"authority", "token", "round"}
    for path in sorted((ROOT / "pages").glob("*.py")) + sorted((ROOT / "lib" / "web").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        names |= {a or b for a, b in re.findall(r'query_param\("([a-z_]+)"\)|param="([a-z_]+)"', source)}
    return sorted(names)


def _shown_text(at) -> list[str]:
    """The Markdown source of everything on the page that Streamlit renders as Markdown."""
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader")
    return [str(getattr(element, "body", getattr(element, "value", ""))) for kind in kinds for element in getattr(at, kind)]


def test_the_check_sees_each_kind_of_link():
    assert [bool(LINKISH.search(t)) for t in ("see https://x.org", "[a](b)", "<a href=x>", "www.x.org", "plain")] \
        == [True, True, True, True, False]


@pytest.mark.parametrize("page", PAGES)
def test_no_address_parameter_comes_back_as_a_link(app_db, page):
    params = {name: HOSTILE for name in _parameters()}
    at = open_page(f"pages/{page}", **params)
    linked = [text for text in _shown_text(at) if "evil" in text and LINKISH.search(text)]
    assert linked == [], (page, sorted(params), linked)
