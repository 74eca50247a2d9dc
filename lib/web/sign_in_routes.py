"""POST /auth/keep: the HTTP half of an administrator's lasting sign-in (lib.collection.sign_ins).

Streamlit cannot set a cookie from a page run, so the Data management page, having checked the
password, hands its browser a one-time ticket; the browser posts it here at once and gets the
session cookie back. Starlette only: dashboard.py hands these routes to `st.App` beside the API.
The cookie is HttpOnly (no script can read it), SameSite=Strict, and Secure when the request
came over HTTPS (directly, or through a proxy that says so in X-Forwarded-Proto).
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lib.base.paths import default_db_path
from lib.collection import sign_ins
from lib.collection.errors import CollectionError

COOKIE = "pa_admin_session"
PATH = "/auth/keep"


def _https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


async def keep(request: Request) -> Response:
    """Exchange the ticket in the body (plain text) for the session cookie: 204, or 403."""
    body = await request.body()
    ticket = body[:200].decode("ascii", errors="replace").strip()
    try:
        token = sign_ins.redeem(default_db_path(), ticket, time.time())
    except CollectionError:
        return Response("The sign-in could not be kept: the survey database is unavailable.", status_code=503,
                        media_type="text/plain")
    if token is None:
        return Response("This sign-in ticket is unknown, used or expired.", status_code=403, media_type="text/plain")
    response = Response(status_code=204)
    response.set_cookie(COOKIE, token, max_age=int(sign_ins.SESSION_SECONDS), path="/", httponly=True,
                        samesite="strict", secure=_https(request))
    response.headers["Cache-Control"] = "no-store"
    return response


def routes() -> list[Route]:
    return [Route(PATH, keep, methods=["POST"])]
