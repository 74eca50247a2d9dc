"""The read-only HTTP API, /api/v1/, served by the dashboard's own server (see dashboard.py).

Starlette routes only (no Streamlit import): dashboard.py hands `routes()` to `st.App`, and the
tests mount them on a bare Starlette app. Every data endpoint serves a dataset of lib.reports.opendata,
so its columns are those of the matching download; JSON by default, CSV with `format=csv`.

- Reads only the published version (lib.store.publish), opened read-only; the pointer is checked on
  every request (one stat), so a new publication is served at once. The working database is
  never read here (on a fresh database the first publication is made, as the dashboard does).
- Responses carry an ETag made from the published version and the request, and
  `Cache-Control: public, no-cache` (keep it, but ask again each time); a request whose
  If-None-Match holds that ETag gets 304 with no body.
- A parameter that cannot be used gets 400 with {"error": ..., "parameter": ...}.
- A body once built is kept in memory by its ETag (bounded), since a published version never
  changes: a repeat request costs the parameter check only.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lib.base import exports
from lib.base.paths import default_db_path
from lib.reference import schema
from lib.reports import opendata, opendata_files
from lib.store import db, publish, versions
from lib.store.store import Store

PREFIX = "/api/v1"
#: Part of every ETag: change it when a response's layout changes, so no client keeps an old one.
API_REVISION = "3"  # 3: health names the version served under "published"; 2: council takes a list; answers take question
CACHE_CONTROL = "public, no-cache"


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Endpoint:
    path: str  # under PREFIX
    dataset: str
    summary: str
    params: tuple[Param, ...] = ()


_ROUND = Param("round", "Survey round (a year of four digits); all rounds when left out.",
               {"type": "integer", "example": 2015})
_COUNCIL = Param("council", "A council's ONS code (see councils), or several separated by commas.",
                 {"type": "string", "example": "E10000023,E06000001"})
_REGION = Param("region", "An ONS region code, e.g. E12000004.", {"type": "string"})
_TYPE = Param("type", "Council type.", {"type": "string",
                                        "enum": ["county", "unitary", "metropolitan district", "London borough"]})

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("rounds", "rounds", "The survey rounds held, their council set, provenance and publication policy."),
    Endpoint("councils", "councils", "Councils whose code was valid on a date (default today).",
             (Param("on", "A date, YYYY-MM-DD; default today.", {"type": "string", "format": "date"}),)),
    Endpoint("standards", "standards", "The nine minimum standards."),
    Endpoint("questions", "questions", "The survey questions, their standard and answer codes."),
    Endpoint("scores", "scores", "Overall and per-standard scores of responding councils (level says which).",
             (_ROUND, _COUNCIL, _REGION, _TYPE,
              Param("level", "overall or standard; both when left out.",
                    {"type": "string", "enum": ["overall", "standard"]}))),
    Endpoint("summary", "question_summary",
             "Per question: shares of councils with each kind of answer, for England, regions and council types.",
             (_ROUND, Param("region", "Only this region's rows (an ONS region code)."),
              Param("type", "Only this council type's rows.", _TYPE.schema),
              Param("scope", "england, region or type.", {"type": "string", "enum": ["england", "region", "type"]}))),
    Endpoint("answers", "answers",
             "Councils' own answers, only for rounds whose answers may be published (403 otherwise).",
             (_ROUND, _COUNCIL, _REGION, _TYPE,
              Param("question", "One question's answers (a question_id; see questions).", {"type": "string"}))),
    Endpoint("good-practice", "good_practice", "Examples of good practice, optionally for one standard.",
             (Param("standard", "A standard's number, 1 to 9.", {"type": "integer"}),)),
)

_FORMAT = Param("format", "json (default) or csv.", {"type": "string", "enum": ["json", "csv"]})


# --------------------------------------------------------------------------------------------
# The published version and its connection
# --------------------------------------------------------------------------------------------

class Unavailable(Exception):
    """No published version can be read; the message says why."""


def working_path() -> Path:
    return default_db_path()


def store() -> Store:
    """The Store of the working database: every connection the API opens comes from it."""
    return schema.store(working_path())


def current_version() -> versions.Version:
    """The published version CURRENT names (one stat while it is unchanged); on a database never
    published, or after an update of the app, the first publication is made."""
    working = store()
    snap = working.current()
    if snap is not None and working.usable(snap):
        return snap
    try:
        return working.ensure_published()
    except (publish.PublishError, db.SchemaError, duckdb.Error, OSError) as exc:
        raise Unavailable(f"No published version of the data can be read: {exc}") from None


_connections: dict[str, duckdb.DuckDBPyConnection] = {}
_connections_lock = threading.Lock()
_KEEP_CONNECTIONS = 4


def _connection(snap: versions.Version) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published file in this process (requests take cursors)."""
    with _connections_lock:
        con = _connections.get(snap.key)
        if con is None:
            con = store().connect(snap.path, read_only=True)
            _connections[snap.key] = con
            while len(_connections) > _KEEP_CONNECTIONS:  # oldest first: dicts keep insertion order
                _connections.pop(next(iter(_connections)))
        return con


# --------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------

#: Response bodies already built in this process, by ETag. A published version never changes,
#: so a body is valid for as long as its ETag (which names the version); the bound keeps memory
#: in check, oldest dropped first.
_BODY_CACHE_BYTES = 64 * 1024 * 1024
_bodies: OrderedDict[str, tuple[bytes, str, dict[str, str]]] = OrderedDict()
_bodies_size = [0]
_bodies_lock = threading.Lock()


def _cached_body(etag: str) -> tuple[bytes, str, dict[str, str]] | None:
    with _bodies_lock:
        hit = _bodies.get(etag)
        if hit is not None:
            _bodies.move_to_end(etag)
        return hit


def _keep_body(etag: str, body: bytes, media_type: str, extra: dict[str, str]) -> None:
    if len(body) > _BODY_CACHE_BYTES // 8:
        return
    with _bodies_lock:
        if etag in _bodies:
            return
        _bodies[etag] = (body, media_type, extra)
        _bodies_size[0] += len(body)
        while _bodies_size[0] > _BODY_CACHE_BYTES:
            _, (old, _m, _e) = _bodies.popitem(last=False)
            _bodies_size[0] -= len(old)


def error(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "parameter": parameter}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def _today() -> date:
    """Today's date (the councils endpoint's default day; tests set their own clock here)."""
    return date.today()


def etag_for(snap: versions.Version, request: Request, day: date | None = None) -> str:
    """A strong ETag: the published version, its file, the path and the parameters (in order),
    and `day` for an answer that depends on today's date (councils without ?on=)."""
    items = sorted(request.query_params.multi_items())
    digest = hashlib.sha256(json.dumps([API_REVISION, snap.version, snap.key, request.url.path, items,
                                        day.isoformat() if day else None]).encode()).hexdigest()[:24]
    return f'"v{snap.version}-{digest}"'


def _not_modified(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if not wanted:
        return False
    tags = [t.strip().removeprefix("W/") for t in wanted.split(",")]
    return "*" in tags or etag in tags


def _records(df: pd.DataFrame) -> str:
    """The rows as a JSON array: dates as YYYY-MM-DD, missing values as null."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.to_json(orient="records", force_ascii=False, double_precision=15) or "[]"


def _version_info(snap: versions.Version) -> dict[str, Any]:
    return {"version": snap.version, "published_at": snap.published_at.isoformat()}


def _data_endpoint(endpoint: Endpoint) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        names = [k for k, _ in request.query_params.multi_items()]
        for name in names:
            if names.count(name) > 1:
                return error(400, f"{name} is given more than once; give it once.", name)
        params = dict(request.query_params)
        fmt = params.pop("format", "json").strip().lower()
        if fmt not in ("json", "csv"):
            return error(400, "format must be json or csv.", "format")
        try:
            snap = current_version()
        except Unavailable as exc:
            return error(503, str(exc))
        cur = _connection(snap).cursor()
        try:
            try:
                filters = opendata.check_params(cur, endpoint.dataset, params)
            except opendata.BadParameter as exc:
                return error(400, str(exc), exc.parameter)
            today = _today() if endpoint.dataset == "councils" and "on" not in filters else None
            etag = etag_for(snap, request, today)
            if today is not None:
                filters["on"] = today  # the same day as the ETag, even across midnight
            headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL,
                       "X-Published-Version": str(snap.version)}
            if _not_modified(request, etag):
                return Response(status_code=304, headers=headers)
            hit = _cached_body(etag)
            if hit is not None:
                return Response(hit[0], media_type=hit[1], headers={**headers, **hit[2]})
            try:
                df = opendata.query(cur, endpoint.dataset, filters)
            except opendata.DetailWithheld as exc:
                return error(403, str(exc), "round")
        finally:
            cur.close()
        synthetic = "data_note" in df.columns and bool(df["data_note"].notna().any())
        if fmt == "csv":
            name = opendata_files.file_name(endpoint.dataset, filters.get("round"), "csv")
            extra = {"Content-Disposition": f'attachment; filename="{name}"'}
            data, media = exports.to_csv_bytes(df), "text/csv; charset=utf-8"
            _keep_body(etag, data, media, extra)
            return Response(data, media_type=media, headers={**headers, **extra})
        meta: dict[str, Any] = {
            "dataset": endpoint.dataset, "parameters": {k: ",".join(v) if isinstance(v, list) else str(v)
                                                    for k, v in filters.items()},
            "published": _version_info(snap), "synthetic": synthetic,
            "data_note": opendata.DEMO_NOTE if synthetic else None,
            "count": len(df), "columns": [str(c) for c in df.columns],
        }
        body = (json.dumps(meta, ensure_ascii=False)[:-1] + ', "rows": ' + _records(df) + "}").encode("utf-8")
        _keep_body(etag, body, "application/json", {})
        return Response(body, media_type="application/json", headers=headers)

    handle.__name__ = f"api_{endpoint.dataset}"
    return handle


def health(request: Request) -> Response:
    """Whether the published data can be read: its version and when it was published."""
    try:
        snap = current_version()
        cur = _connection(snap).cursor()
        try:
            rounds = opendata.round_years(cur)
        finally:
            cur.close()
    except (Unavailable, duckdb.Error, db.SchemaError) as exc:
        return JSONResponse({"status": "unavailable", "database": {"status": "unavailable", "detail": str(exc)},
                             "published": None}, status_code=503, headers={"Cache-Control": "no-store"})
    return JSONResponse({"status": "ok",
                         "database": {"status": "ok", "schema_version": snap.schema_version,
                                      "rounds": rounds},
                         "published": {**_version_info(snap), "file": snap.path.name,
                                      "reason": snap.reason}},
                        headers={"Cache-Control": "no-store"})


def openapi() -> dict[str, Any]:
    """An OpenAPI 3.1 description of every endpoint."""
    bad = {"description": "A parameter cannot be used: {error, parameter}",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    paths: dict[str, Any] = {}
    for e in ENDPOINTS:
        params = [{"name": p.name, "in": "query", "required": False, "description": p.description,
                   "schema": p.schema} for p in (*e.params, _FORMAT)]
        responses: dict[str, Any] = {
            "200": {"description": f"The {e.dataset} rows (columns as in the download; see the data "
                                   "dictionary on the Download page)",
                    "content": {"application/json": {}, "text/csv": {}},
                    "headers": {"ETag": {"schema": {"type": "string"}},
                                "Cache-Control": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified (If-None-Match held the current ETag)"},
            "400": bad, "503": {"description": "No published data can be read"},
        }
        if e.dataset == "answers":
            responses["403"] = {"description": "The round's answers are not published", **{
                k: v for k, v in bad.items() if k == "content"}}
        paths[f"{PREFIX}/{e.path}"] = {"get": {"summary": e.summary, "operationId": e.dataset.replace("-", "_"),
                                               "parameters": params, "responses": responses}}
    paths[f"{PREFIX}/health"] = {"get": {"summary": "Database and published-version status",
                                         "operationId": "health",
                                         "responses": {"200": {"description": "ok"},
                                                       "503": {"description": "unavailable"}}}}
    paths[f"{PREFIX}/openapi.json"] = {"get": {"summary": "This description", "operationId": "openapi",
                                               "responses": {"200": {"description": "OpenAPI 3.1"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "PA Support Benchmark open data API", "version": API_REVISION,
                 "description": "Read-only. Survey data from synthetic demonstration rounds is "
                                "labelled in each row's data_note column and in `synthetic`."},
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "properties": {
            "error": {"type": "string"}, "parameter": {"type": ["string", "null"]}}}}},
    }


def endpoint_table() -> pd.DataFrame:
    """The endpoints serving data, for the Download page."""
    return pd.DataFrame([{"Address": f"{PREFIX}/{e.path}", "What it returns": e.summary,
                          "Parameters": ", ".join(p.name for p in (*e.params, _FORMAT)),
                          "Dataset": e.dataset} for e in ENDPOINTS])


def openapi_endpoint(request: Request) -> Response:
    return JSONResponse(openapi(), headers={"Cache-Control": CACHE_CONTROL})


def not_found(request: Request) -> Response:
    return error(404, f"There is no endpoint {request.url.path}; see {PREFIX}/openapi.json.")


def routes() -> list[Route]:
    """The API's routes, for st.App (dashboard.py) or any Starlette app."""
    out = [Route(f"{PREFIX}/{e.path}", _data_endpoint(e), methods=["GET"]) for e in ENDPOINTS]
    out += [Route(f"{PREFIX}/health", health, methods=["GET"]),
            Route(f"{PREFIX}/openapi.json", openapi_endpoint, methods=["GET"]),
            Route(f"{PREFIX}/{{rest:path}}", not_found)]
    return out


def asgi_app() -> Starlette:
    """The API alone (tests, or another ASGI server)."""
    return Starlette(routes=routes())
