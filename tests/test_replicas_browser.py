"""Two dashboard replicas behind nginx, started by deploy/local.sh exactly as a person would, and
stopped with SIGTERM (README, "Running several replicas").

One deployment serves the whole module; the tests run in order and the last one stops it:
- a page renders through nginx, and each browser's requests (the page, /_stcore/ routes, the
  websocket) stay on one replica, while two browsers with different affinity keys use both;
- a respondent's answer saved through nginx is still there after a reload;
- an administrator signed in on one replica is still signed in after a reload and on the other;
- every replica shows a new publication without a restart;
- SIGTERM to local.sh leaves no process, port or folder behind.

Skipped, with the reason, without Chromium or nginx (.ci/run installs both when run as root).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploy import replicas
from lib import collection
from lib.base import passwords
from lib.store import db
from tests.browser import (
    ROOT,
    VIEWPORT,
    free_port,
    skip_without_chromium,
    wait_for_app,
    wait_for_rerun_start,
)
from tests.fixtures import copy_db, run_cli

YEAR = 2016
COOKIE = "pa_replica"

pytestmark = [
    pytest.mark.browser,
    skip_without_chromium(),
    pytest.mark.skipif(replicas.find_nginx() is None,
                       reason="nginx is not installed (apt-get install nginx; .ci/run installs it when run as root)"),
]


@dataclass
class Deployment:
    """deploy/local.sh running 2 replicas, as its state file describes it."""

    proc: subprocess.Popen
    url: str
    state: dict
    working: Path
    token: str
    output: list[str]
    keys: dict[str, str] = field(default_factory=dict)  # upstream address -> an affinity key sent there

    @property
    def access_log(self) -> Path:
        return Path(self.state["nginx"]["access_log"])

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)


def _read_output(proc: subprocess.Popen, lines: list[str]) -> None:
    for line in proc.stdout:  # type: ignore[union-attr]
        lines.append(line.rstrip("\n"))


PASSWORD = "a long test password"


def _start_local_sh(working: Path) -> tuple[subprocess.Popen, list[str], str, dict]:
    env = {**os.environ, "PORT": str(free_port()), "PA_BENCHMARK_DB": str(working), "PYTHON": sys.executable,
           passwords.HASH_ENV: passwords.hash_password(PASSWORD, iterations=2_000)}
    proc = subprocess.Popen(["bash", str(ROOT / "deploy" / "local.sh"), "2"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=_read_output, args=(proc, lines), daemon=True).start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state_lines = [line.split()[1] for line in lines if line.strip().startswith("state ")]
        if state_lines:
            state = json.loads(Path(state_lines[0]).read_text())
            return proc, lines, state["url"], state
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("deploy/local.sh did not start:\n" + "\n".join(lines))


@pytest.fixture(scope="module")
def deployment(published_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("replicas")
    working = copy_db(published_db, folder, published=True)
    collection.open_round(working, YEAR, by="tester")
    con = db.connect(working, read_only=True)
    try:
        code = con.execute("SELECT min(authority_code) FROM responses WHERE round_year = 2015").fetchone()[0]
    finally:
        con.close()
    invitation = collection.invite(working, YEAR, code, by="tester")
    assert invitation.token is not None
    proc, lines, url, state = _start_local_sh(working)
    dep = Deployment(proc, url, state, working, invitation.token, lines)
    yield dep
    dep.stop()


# --------------------------------------------------------------------------------------------
# Reading nginx's access log (format "replicas" in deploy/nginx.conf.template)
# --------------------------------------------------------------------------------------------

def log_entries(dep: Deployment) -> list[dict[str, str]]:
    """Each line: method, path, status, upstream ("-": nginx answered from disk), key."""
    entries = []
    for line in dep.access_log.read_text().splitlines():
        words = line.split()
        fields = dict(w.split("=", 1) for w in words if "=" in w)
        entries.append({"method": words[3], "path": words[4], "status": words[5],
                        "upstream": fields["upstream"], "key": fields["key"]})
    return entries


def wait_for_entries(dep: Deployment, key: str, path: str, timeout: float = 10.0) -> list[dict[str, str]]:
    """The log's entries for `key`, once one for `path` is there (a websocket is logged when it closes)."""
    deadline = time.monotonic() + timeout
    while True:
        mine = [e for e in log_entries(dep) if e["key"] == key]
        if any(e["path"] == path for e in mine) or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def key_for_each_replica(dep: Deployment) -> dict[str, str]:
    """An affinity key that nginx sends to each replica, found by asking: which replica answers a
    health check carrying this key?"""
    if not dep.keys:
        for i in range(64):
            key = f"probe-{i}"
            request = urllib.request.Request(f"{dep.url}/_stcore/health", headers={"Cookie": f"{COOKIE}={key}"})
            with urllib.request.urlopen(request, timeout=10) as r:
                assert r.status == 200
            upstream = wait_for_entries(dep, key, "/_stcore/health")[-1]["upstream"]
            dep.keys.setdefault(upstream, key)
            if len(dep.keys) == len(dep.state["replicas"]):
                break
    assert len(dep.keys) == 2, f"64 keys all went to {sorted(dep.keys)}"
    return dep.keys


def new_context(browser, dep: Deployment, key: str | None = None):
    context = browser.new_context(viewport=VIEWPORT)
    if key is not None:
        context.add_cookies([{"name": COOKIE, "value": key, "url": dep.url}])
    return context


def cookie_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == COOKIE)


# --------------------------------------------------------------------------------------------
# Tests, in order
# --------------------------------------------------------------------------------------------

def test_each_browser_stays_on_one_replica_and_two_browsers_use_both(deployment, browser):
    dep = deployment
    first = new_context(browser, dep)  # no cookie yet: nginx gives it one with the page
    page = first.new_page()
    page.goto(f"{dep.url}/")
    wait_for_app(page)
    assert page.locator('[data-testid="stMainBlockContainer"] h1').count() >= 1
    first_key = cookie_of(first)
    first.close()  # closes the websocket, which nginx then logs
    first_entries = wait_for_entries(dep, first_key, "/_stcore/stream")

    # The page itself came from nginx's folder, and set the cookie every later request carried.
    assert any(e["path"] == "/index.html" and e["upstream"] == "-" for e in first_entries), first_entries
    proxied = [e for e in first_entries if e["upstream"] != "-"]
    assert {e["path"] for e in proxied} >= {"/_stcore/stream", "/_stcore/health", "/_stcore/host-config"}
    assert any(e["path"] == "/_stcore/stream" and e["status"] == "101" for e in proxied)
    first_replica = {e["upstream"] for e in proxied}
    assert len(first_replica) == 1, f"one browser's requests went to several replicas: {proxied}"

    # A second browser whose key nginx sends to the other replica.
    other_upstream, other_key = next((u, k) for u, k in key_for_each_replica(dep).items() if u not in first_replica)
    second = new_context(browser, dep, other_key)
    page = second.new_page()
    page.goto(f"{dep.url}/good_practice")
    wait_for_app(page)
    assert page.locator('[data-testid="stMainBlockContainer"] h1').count() >= 1
    second.close()
    second_proxied = [e for e in wait_for_entries(dep, other_key, "/_stcore/stream") if e["upstream"] != "-"]
    assert any(e["path"] == "/_stcore/stream" and e["status"] == "101" for e in second_proxied)
    assert {e["upstream"] for e in second_proxied} == {other_upstream}
    # Both replicas served a browser.
    assert first_replica | {other_upstream} == {f"127.0.0.1:{r['port']}" for r in dep.state["replicas"]}


_CHANGE_FIRST_ANSWER_JS = """() => {
  const group = document.querySelector('[data-testid="stRadio"]');
  const label = [...group.querySelectorAll('input[type=radio]')].find(i => !i.checked).closest('label');
  label.click();
  return label.innerText.trim();
}"""
_FIRST_ANSWER_JS = """() => {
  const group = document.querySelector('[data-testid="stRadio"]');
  const checked = group.querySelector('input[type=radio]:checked');
  return checked ? checked.closest('label').innerText.trim() : null;
}"""


def test_an_answer_saved_through_nginx_is_there_after_a_reload(deployment, browser):
    dep = deployment
    context = new_context(browser, dep)
    page = context.new_page()
    page.goto(f"{dep.url}/respond?token={dep.token}")
    wait_for_app(page)
    chosen = page.evaluate(_CHANGE_FIRST_ANSWER_JS)
    comment = "Saved through nginx, replica test"
    page.get_by_label("Comment (optional)").first.fill(comment)
    page.get_by_role("button", name="Save support for individual employers").click()
    wait_for_rerun_start(page)
    page.get_by_text("Support for individual employers saved.").first.wait_for(timeout=60_000)
    wait_for_app(page)

    page.reload()
    wait_for_app(page)
    assert page.evaluate(_FIRST_ANSWER_JS) == chosen
    assert page.get_by_label("Comment (optional)").first.input_value() == comment
    context.close()

    session = collection.resolve(dep.working, dep.token)
    draft = collection.load_draft(dep.working, session)
    assert comment in {a.comment for a in draft.answers.values()}


def test_a_sign_in_holds_across_a_reload_and_on_the_other_replica(deployment, browser):
    dep = deployment
    (first_upstream, first_key), (_, second_key) = sorted(key_for_each_replica(dep).items())
    context = new_context(browser, dep, first_key)
    page = context.new_page()
    page.goto(f"{dep.url}/data")
    wait_for_app(page)
    page.get_by_label("Administrator password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as the administrator.").wait_for(timeout=60_000)
    for _ in range(50):  # the page's browser exchanges its one-time ticket for the sign-in cookie
        if any(c["name"] == "pa_admin_session" for c in context.cookies()):
            break
        page.wait_for_timeout(100)
    kept = next(c for c in context.cookies() if c["name"] == "pa_admin_session")
    assert kept["httpOnly"] and kept["sameSite"] == "Strict"
    page.reload()
    wait_for_app(page)
    assert page.get_by_text("Signed in as the administrator.").count() == 1
    # The same browser, now sent to the other replica, which never saw the password.
    context.add_cookies([{"name": COOKIE, "value": second_key, "url": dep.url}])
    page.reload()
    wait_for_app(page)
    assert page.get_by_text("Signed in as the administrator.").count() == 1
    # Signing out there ends the sign-in for every tab and replica: the first tab, reloaded, asks again.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Administrator password").wait_for(timeout=60_000)
    context.add_cookies([{"name": COOKIE, "value": first_key, "url": dep.url}])
    page.reload()
    wait_for_app(page)
    assert page.get_by_label("Administrator password").count() == 1
    context.close()
    served = {e["upstream"] for e in wait_for_entries(dep, second_key, "/_stcore/stream") if e["upstream"] != "-"}
    assert served and first_upstream not in served


def _health_version(url: str) -> int:
    with urllib.request.urlopen(f"{url}/api/v1/health", timeout=30) as r:
        return int(json.load(r)["published"]["version"])


def test_every_replica_shows_a_new_publication_without_a_restart(deployment, browser):
    dep = deployment
    direct = [r["url"] for r in dep.state["replicas"]]
    before = {_health_version(url) for url in direct}
    assert len(before) == 1
    code, out, err = run_cli("--db", str(dep.working), "detail", "withhold", "--round", "2015")
    assert code == 0, err
    # Each replica, asked directly, serves the new version.
    assert {_health_version(url) for url in direct} == {before.pop() + 1}
    # And a page on each replica (through nginx, each key kept on its replica) shows the change.
    for key in key_for_each_replica(dep).values():
        context = new_context(browser, dep, key)
        page = context.new_page()
        page.goto(f"{dep.url}/downloads?files=2015")
        wait_for_app(page)
        page.get_by_text("Councils' own answers in the 2015 round are not published").first.wait_for(timeout=30_000)
        context.close()


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_sigterm_to_local_sh_stops_everything_it_started(deployment):
    dep = deployment
    pids = [dep.state["nginx"]["pid"]] + [r["pid"] for r in dep.state["replicas"]]
    ports = [int(dep.url.rsplit(":", 1)[1])] + [r["port"] for r in dep.state["replicas"]]
    assert all(_running(pid) for pid in pids) and all(_port_open(p) for p in ports)
    assert dep.stop() == 0, "\n".join(dep.output)
    assert [pid for pid in pids if _running(pid)] == []
    assert [p for p in ports if _port_open(p)] == []  # nginx's workers too: nobody listens any more
    assert not Path(dep.state["run_dir"]).exists()
