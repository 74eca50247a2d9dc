"""Helpers for browser tests: a real `streamlit run` server and Debian's headless Chromium.

Browser tests are skipped, with the reason, when Chromium is not installed; .ci/run installs it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 900}


def chromium_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium); .ci/run installs it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (uv sync installs the dev group)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_process(db_path: Path, port: int | None = None, script: Path | None = None,
                      cwd: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start `streamlit run <script>` (default dashboard.py) on a loopback port; yield its base
    URL and the server process (benchmarks read its CPU time and memory). `cwd` (default the
    repository) is where Streamlit reads .streamlit/config.toml: a benchmark serving another
    checkout passes that checkout."""
    port = port or free_port()
    env = {**os.environ, "PA_BENCHMARK_DB": str(db_path), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "dashboard.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
           "--server.fileWatcherType", "none"]
    log = (ARTIFACTS / f"server-{port}.log")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd or ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited early; see {log}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.25)
            else:
                raise RuntimeError(f"streamlit did not become healthy within 60 s; see {log}")
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def streamlit_server(db_path: Path, port: int | None = None) -> Iterator[str]:
    """Start `streamlit run dashboard.py` on a loopback port and yield its base URL."""
    with streamlit_process(db_path, port) as (url, _proc):
        yield url


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


#: How long the page must stay finished (script not running, nothing stale, every chart drawn)
#: before it counts as finished. The time returned is when it first became so, not this later.
STABLE_MS = 250

# Polled in the page on every animation frame: how many milliseconds ago the page became (and
# stayed) finished once that is at least `stableMs`, otherwise false. "Finished" means
# Streamlit's own script-run state is notRunning after at least one run, the connection is up,
# the running indicator is gone, no element is stale (left from the previous run), no element is
# still a loading skeleton (served through st.App, elements' code can arrive after the run has
# finished) and every plotly chart has drawn its SVG.
_FINISHED_JS = """
(stableMs) => {
  const finished = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (!document.querySelector('[data-testid="stMainBlockContainer"] h1')) return false;
    if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    // Elements whose code is still loading are drawn as grey skeletons first.
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
      if (!chart.querySelector('.js-plotly-plot .main-svg')) return false;
    }
    return true;
  };
  const now = performance.now();
  if (!finished()) { window.__paFinishedSince = null; return false; }
  if (window.__paFinishedSince == null) window.__paFinishedSince = now;
  const held = now - window.__paFinishedSince;
  return held >= stableMs ? held : false;
}
"""


def wait_for_app(page, timeout_ms: int = 60_000, stable_ms: int = STABLE_MS) -> float:
    """Wait until Streamlit has finished running the script and drawing the page.

    Finished: the app's script-run state is "notRunning" (after a run, not the initial state),
    the running indicator is gone, no element is stale and every plotly chart is drawn, all
    holding for `stable_ms`. Returns the `time.perf_counter()` moment the page became finished,
    so a caller timing a visit does not count the stable interval.
    """
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout_ms)
    page.evaluate("() => { window.__paFinishedSince = null; }")
    held_ms = page.wait_for_function(_FINISHED_JS, arg=stable_ms, polling="raf",
                                     timeout=timeout_ms).json_value()
    return time.perf_counter() - float(held_ms) / 1000


def wait_for_rerun_start(page, timeout_ms: int = 5_000) -> None:
    """After an interaction, wait until the app has noticed it (its script state leaves
    "notRunning"), so that wait_for_app then waits for that rerun, not the previous one."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # a rerun so quick it was over before we looked
        page.wait_for_function(
            "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
            " return a && a.getAttribute('data-test-script-state') !== 'notRunning'; }",
            timeout=timeout_ms, polling=10,
        )


def skip_without_chromium() -> pytest.MarkDecorator:
    reason = chromium_missing_reason()
    return pytest.mark.skipif(reason is not None, reason=reason or "")
