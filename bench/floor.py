"""Floors for the page benchmarks: what Streamlit alone costs, and what the app's frame costs.

- `one_line_app(dir)`: a one-line Streamlit app (a title), served by its own server.
- `framed_app(dir)`: the dashboard with one extra page, "Empty page" at /bench_floor, that draws
  only a title inside the app's own frame (navigation, round picker, demo banner). The entry
  script lives in `dir` beside links to the repository's pages/, so every real page resolves as
  usual; nothing in the repository is changed.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_PATH = "bench_floor"

ONE_LINE_APP = 'import streamlit as st\n\nst.title("Empty page")\n'

_FLOOR_PAGE = '''import streamlit as st

from lib.web import frame

frame.require_frame(__file__)
st.title("Empty page")
'''

_FRAMED_ENTRY = '''import sys

sys.path.insert(0, {root!r})

import streamlit as st

from lib.web import frame

# Wrap the navigation once per process (this script runs on every rerun).
if not hasattr(frame, "_bench_pages"):
    frame._bench_pages = frame.navigation_pages

    def _with_floor():
        pages = frame._bench_pages()
        pages["Benchmark"] = [st.Page("floor_page.py", title="Empty page", url_path={floor!r})]
        return pages

    frame.navigation_pages = _with_floor
frame.run_app()
'''


def one_line_app(directory: Path) -> Path:
    path = directory / "one_line.py"
    path.write_text(ONE_LINE_APP)
    return path


def framed_app(directory: Path, root: Path = ROOT) -> Path:
    """The dashboard of the checkout `root` (default this one) plus an empty page in its frame;
    returns the entry script to `streamlit run`."""
    directory = directory / f"framed-{abs(hash(str(root)))}"
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "pages"
    if not link.exists():
        link.symlink_to(root / "pages", target_is_directory=True)
    (directory / "floor_page.py").write_text(_FLOOR_PAGE)
    entry = directory / "dashboard.py"
    entry.write_text(_FRAMED_ENTRY.format(root=str(root), floor=FLOOR_PATH))
    return entry
