"""Values from the address never crash a page and are never rendered as formatting or links."""

from __future__ import annotations

import pytest

from lib.analysis import gaps, peers, regions
from lib.store import db
from lib.web import urlstate
from tests.apptest import open_page
from tests.test_ingest import db_checksum

pytestmark = pytest.mark.usefixtures("app_db")


@pytest.fixture()
def app_con(app_db):
    """A connection to the database the pages are pointed at (app_db), to check that opening a
    page never writes to it."""
    con = db.connect(app_db)
    yield con
    con.close()


@pytest.mark.parametrize(("raw", "expected"), [
    ("2015", 2015), (" 2015 ", 2015), ("²", None), ("٣", None), ("2015²", None), ("9" * 5000, None),
    ("-1", None), ("1e3", None), ("", None), (None, None), ("1234567", None),
])
def test_url_int_takes_ascii_digits_of_bounded_length(raw, expected):
    assert urlstate.url_int(raw) == expected


def test_parsers_of_other_parameters_refuse_unicode_digits_and_huge_numbers():
    assert regions.parse_standard("²", [1, 2]) is None and regions.parse_standard("2", [1, 2]) == 2
    assert regions.parse_standard("9" * 5000, [9]) is None
    assert gaps.valid_sort("²", range(1, 10)) == "overall" and gaps.valid_sort("3", range(1, 10)) == "3"
    assert gaps.valid_sort("3" * 5000, range(1, 10)) == "overall"
    assert peers.parse_k("9" * 5000) == peers.K_DEFAULT and peers.parse_k("²") == peers.K_DEFAULT


def test_echo_makes_addresses_and_markdown_inert():
    text = urlstate.echo("see www.evil.example/x or https://evil.example and me@evil.example **now** [a](b)")
    assert "www." not in text and "://" not in text and "@" not in text and "*" not in text and "[" not in text
    # Each character reference is followed by a zero-width space (&#8203;): a browser decodes the
    # references before it looks for addresses, so "https&#58;&#47;&#47;" alone still became a link.
    assert text.startswith("see www&#46;&#8203;evil&#46;&#8203;example&#47;&#8203;x or https&#58;&#8203;&#47;&#8203;&#47;&#8203;evil")
    assert urlstate.echo("x" * 500) == "x" * 59 + "&#8230;&#8203;"


def test_odd_round_values_do_not_crash_any_page(app_con, latest_year):
    before = db_checksum(app_con)
    for value in ("²", "9" * 5000):
        at = open_page(None, round=value)  # asserts no exception
        assert at.sidebar.selectbox(key="round_select").value == latest_year
    at = open_page("pages/regions.py", round="9" * 5000, standard="²")
    assert at.title[0].value
    assert db_checksum(app_con) == before


def test_text_echoed_from_the_address_is_not_a_link(app_con, latest_year):
    before = db_checksum(app_con)
    at = open_page("pages/regions.py", standard="www.evil.example")
    shown = " ".join(i.value for i in at.info)
    assert "Standard www&#46;&#8203;evil&#46;&#8203;example was not asked about" in shown and "www.evil" not in shown
    at = open_page("pages/what_if.py", authority="https://evil.example/" + "x" * 200)
    shown = " ".join(w.value for w in at.warning)
    assert "There is no council with the code https&#58;&#8203;&#47;&#8203;&#47;&#8203;evil&#46;&#8203;example&#47;&#8203;xxx" in shown
    assert "://" not in shown and "x" * 100 not in shown
    assert db_checksum(app_con) == before
