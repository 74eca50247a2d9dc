"""Dashboard sessions held open in one headless Chromium, for the benchmarks that need a crowd
(bench_api: the API beside open sessions; bench_capacity: sustained views per second)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import Any

from tests.browser import _FINISHED_JS, CHROMIUM, CHROMIUM_ARGS, STABLE_MS, VIEWPORT


class Sessions:
    """N dashboard sessions in one headless Chromium, run by a thread of their own: `open()`
    loads each council's scorecard and waits until every page has finished; `busy(True)` makes
    each reload its page (or open the next council's, see __init__), wait for it to finish, and
    go again until `busy(False)`; `reloads` counts the views finished."""

    def __init__(self, base: str, codes: list[str], cycle: list[str] | None = None) -> None:
        """`codes`: one session per council. `cycle`: when busy, each session goes on to the
        next council of this list on every view (a crowd on different scorecards), instead
        of reloading its own."""
        self.base, self.codes, self.cycle = base, codes, cycle or []
        self._next = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.pages: list = []
        self.reloads = 0
        self.errors: list[str] = []
        self._busy = False
        self._tasks: list = []

    def _run(self, coro: Coroutine[Any, Any, Any], timeout: float = 900) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _open(self) -> float:
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        self._browser = await self._pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                       args=CHROMIUM_ARGS)
        t0 = time.perf_counter()

        async def one(code: str):  # noqa: ANN202
            context = await self._browser.new_context(viewport=VIEWPORT)
            page = await context.new_page()
            await page.goto(f"{self.base}/scorecard?authority={code}", wait_until="domcontentloaded",
                            timeout=600_000)
            await self._finished(page)
            return page

        self.pages = list(await asyncio.gather(*(one(c) for c in self.codes)))
        return time.perf_counter() - t0

    @staticmethod
    async def _finished(page) -> None:  # noqa: ANN001 - a Playwright page
        await page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=600_000)
        await page.evaluate("() => { window.__paFinishedSince = null; }")
        await page.wait_for_function(_FINISHED_JS, arg=STABLE_MS, polling="raf", timeout=600_000)

    async def _reload_loop(self, page) -> None:  # noqa: ANN001 - a Playwright page
        while self._busy:
            try:
                if self.cycle:
                    code = self.cycle[self._next % len(self.cycle)]
                    self._next += 1
                    await page.goto(f"{self.base}/scorecard?authority={code}", wait_until="domcontentloaded",
                                    timeout=600_000)
                else:
                    await page.reload(wait_until="domcontentloaded", timeout=600_000)
                await self._finished(page)
                self.reloads += 1
            except Exception as exc:  # noqa: BLE001 - counted, never retried in place
                self.errors.append(type(exc).__name__)

    async def _start_busy(self) -> None:
        self._busy = True
        self._tasks = [asyncio.ensure_future(self._reload_loop(p)) for p in self.pages]

    async def _stop_busy(self) -> None:
        self._busy = False
        await asyncio.gather(*self._tasks)

    async def _close(self) -> None:
        await self._browser.close()
        await self._pw.stop()

    def open(self) -> float:
        return float(self._run(self._open()))

    def busy(self, on: bool) -> None:
        self._run(self._start_busy() if on else self._stop_busy())

    def close(self) -> None:
        self._run(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
