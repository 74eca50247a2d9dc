"""A lightweight Streamlit client for the capacity bench: one websocket per session, no browser.

It speaks the dashboard's own protocol: a `BackMsg` asking for a run of a page (its url path
and query string, as the browser sends them), then `ForwardMsg`s until `script_finished`. So it
costs the server what a browser visit costs it, minus serving the static files of the front
end, and costs the machine almost nothing itself: a burst of 64 sessions measures the server,
not 64 browsers sharing its cores.

A view is an error when it takes longer than the timeout, when the page shows an exception,
when the page is not found or when the script does not finish successfully.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED_SUCCESSFULLY = 0  # ForwardMsg.ScriptFinishedStatus


@dataclass
class View:
    seconds: float | None  # None: an error
    error: str | None = None
    received_bytes: int = 0
    elements: int = 0


def _request(path: str) -> bytes:
    page, _, query = path.lstrip("/").partition("?")
    msg = BackMsg()
    msg.rerun_script.page_name = page
    msg.rerun_script.page_script_hash = ""
    msg.rerun_script.query_string = query
    return msg.SerializeToString()


def stream_url(base: str) -> str:
    return base.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"


class Session:
    """One open session (one websocket); `view(path)` runs a page in it, like following a link."""

    def __init__(self, base: str, timeout: float = 180.0) -> None:
        self.base = base
        self.timeout = timeout
        self._ws: Any = None

    async def open(self) -> None:
        # No keepalive pings (a browser sends none either): a server busy with 64 page runs
        # answers a ping late, and the client would then drop a connection the browser keeps.
        self._ws = await websockets.connect(stream_url(self.base), subprotocols=["streamlit"],  # type: ignore[list-item]
                                            max_size=None, open_timeout=self.timeout, ping_interval=None)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def view(self, path: str) -> View:
        """Run a page in this session; the seconds run from the request to `script_finished`
        (opening the websocket is not counted)."""
        if self._ws is None:
            await self.open()
        t0 = time.perf_counter()
        try:
            return await asyncio.wait_for(self._run(path, t0), self.timeout)
        except TimeoutError:
            await self.close()  # the run's late messages must not be read as the next view's
            return View(None, "timeout")
        except websockets.ConnectionClosed as exc:
            self._ws = None
            return View(None, f"connection closed ({exc.rcvd.code if exc.rcvd else 'no close frame'})")

    async def _run(self, path: str, t0: float) -> View:
        await self._ws.send(_request(path))
        received = elements = 0
        error: str | None = None
        while True:
            data = await self._ws.recv()
            received += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                elements += 1
                if msg.delta.new_element.WhichOneof("type") == "exception":
                    error = error or "exception on the page"
            elif kind == "page_not_found":
                error = error or "page not found"
            elif kind == "script_finished":
                if msg.script_finished != FINISHED_SUCCESSFULLY:
                    error = error or f"script finished with status {msg.script_finished}"
                seconds = time.perf_counter() - t0
                return View(None if error else seconds, error, received, elements)


async def one_view(base: str, path: str, timeout: float = 180.0) -> View:
    """A new session that views one page and closes."""
    session = Session(base, timeout)
    try:
        await session.open()
        return await session.view(path)
    except (OSError, websockets.WebSocketException, TimeoutError) as exc:
        return View(None, type(exc).__name__)
    finally:
        await session.close()


async def burst(base: str, paths: list[str], timeout: float = 180.0) -> list[View]:
    """len(paths) new sessions at the same moment, each viewing its path once."""
    return list(await asyncio.gather(*(one_view(base, p, timeout) for p in paths)))
