"""The address: view state kept in the URL (?round=, ?authority=, ...) so that a link reproduces
a view, text from the address made inert before it is shown, and where the request comes from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.base.formatting import escape_markdown


def query_param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value if value else None


#: Longest text from the address that is shown back on a page.
ECHO_LIMIT = 60
_URL_INT = re.compile(r"[0-9]{1,6}")


def url_int(value: str | None) -> int | None:
    """A whole number from the address: ASCII digits only (str.isdigit would accept '²' or '٣'),
    at most six of them (a 5,000-digit value is refused before int() sees it); else None."""
    text = (value or "").strip()
    return int(text) if _URL_INT.fullmatch(text) else None


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """Text from the address (or other untrusted text) made inert for Streamlit's Markdown: cut to
    `limit` characters, and every character other than a letter, digit or space written as an HTML
    character reference followed by a zero-width space, so nothing in it is formatting, HTML or a
    link ("www.x.org", "http://", "a@b" are not made into links)."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    # Streamlit's Markdown decodes character references before it looks for bare addresses, so
    # "https&#58;&#47;&#47;x" still became a link in a browser: a zero-width space after each such
    # character keeps "https://", "www." and "a@b" from ever being contiguous, and shows nothing.
    return "".join(ch if (ch.isascii() and ch.isalnum()) or ch == " " else f"&#{ord(ch)};&#8203;" for ch in text)


def echo_plain(text: str) -> str:
    """A message that may hold paths and program output, made inert for Markdown (no formatting,
    no links) but readable: only Markdown's special characters are escaped."""
    return escape_markdown(text)


def set_query_params(**values: str | int | list[str] | None) -> None:
    """Write view state into the URL so a link reproduces the view; None removes a key."""
    for key, value in values.items():
        if value is None or value == "" or value == []:
            if key in st.query_params:
                del st.query_params[key]
        elif isinstance(value, list):
            st.query_params[key] = ",".join(str(v) for v in value)
        else:
            st.query_params[key] = str(value)


def url_choice(widget: Callable[..., Any], label: str, options: list, *, key: str, param: str,
               default: Any = None, format_func: Callable[[Any], str] = str,
               url_value: str | None = None, absent_means_default: bool = False,
               **kwargs: Any) -> Any:
    """A selectbox or radio whose choice lives in the URL (?param=), so a link reproduces the view.

    The widget follows the URL when a link changed ?param= since the widget last wrote it, and
    writes its choice back (None removes the parameter). `url_value` stands in for the URL's
    value when the caller has translated it first (the council picker maps old codes). With
    `absent_means_default`, a link without ?param= also puts the widget back to `default` (for a
    default that is written as no parameter at all). Other keyword arguments go to `widget`.
    """
    raw = query_param(param) if url_value is None else url_value
    wanted = next((o for o in options if o is not None and str(o) == raw), None) if raw else None
    target = default if wanted is None and absent_means_default else wanted
    url_key = f"{key}__url"
    if st.session_state.get(key) not in options or (
        (wanted is not None or absent_means_default) and st.session_state.get(url_key) != target
    ):
        st.session_state[key] = wanted if wanted is not None else default
    value = widget(label, options, key=key, format_func=format_func, **kwargs)
    st.session_state[url_key] = value
    set_query_params(**{param: None if value is None else str(value)})
    return value


def url_multichoice(label: str, options: list, *, key: str, param: str,
                    format_func: Callable[[Any], str] = str, **kwargs: Any) -> list:
    """A multiselect whose choices live in the URL as ?param=a,b (the good-practice filters).

    A link that brings a different ?param= replaces the choices; choices are written back in
    the order picked. Other keyword arguments go to st.multiselect.
    """
    raw = query_param(param)
    url_key = f"{key}__url"
    if key not in st.session_state or (raw and st.session_state.get(url_key) != raw):
        picked = raw.split(",") if raw else []
        st.session_state[key] = [o for o in options if str(o) in picked]
    value = st.multiselect(label, options, key=key, format_func=format_func, **kwargs)
    written = ",".join(str(v) for v in value) or None
    st.session_state[url_key] = written
    set_query_params(**{param: written})
    return value


def url_text(label: str, *, key: str, param: str, **kwargs: Any) -> str:
    """A text box whose words live in the URL as ?param= (trimmed; empty removes it)."""
    raw = query_param(param)
    url_key = f"{key}__url"
    if key not in st.session_state or (raw and st.session_state.get(url_key) != raw):
        st.session_state[key] = raw or ""
    value = st.text_input(label, key=key, **kwargs)
    written = value.strip() or None
    st.session_state[url_key] = written
    set_query_params(**{param: written})
    return value


# --------------------------------------------------------------------------------------------
# Where the request comes from
# --------------------------------------------------------------------------------------------

def base_url() -> str:
    """This server's address as the browser sees it, for the survey links (scheme, host, port)."""
    try:
        url = str(st.context.url or "")
    except Exception:  # noqa: BLE001 - outside a browser session (AppTest) there is none
        url = ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "http://localhost:8501"


def client_address() -> str:
    """Who is asking, to slow down repeated bad survey links: the client's address, or, where the
    server cannot see it (a local or same-host proxy), this browser session, so that one client's
    bad links never slow everyone else down."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - outside a browser session (AppTest) there is none
        address = None
    if address:
        return str(address)
    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id}" if ctx is not None else "session:unknown"
