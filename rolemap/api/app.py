"""HTTP: GraphQL over HTTP at /graphql (POST and GET), GraphiQL for browsers, /healthz, /readyz.

Follows the GraphQL-over-HTTP spec: `application/graphql-response+json` when the client accepts
it (request errors then get 4xx), `application/json` otherwise (always 200 once the request is
well formed); mutations are refused over GET (405).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..analysis import checkpoint, report
from ..analysis.index import IndexCache
from ..analysis.tables import decisions_table, role_map_table
from ..bundle import bundle_text, export_bundle
from ..config import Settings
from ..domain.errors import UserErrors
from ..graph.access import Graph
from ..graph.schema import OUTCOMES, change_id
from ..graph.store import Store, StoreError
from ..registry import Registry
from ..web.pages import session_middleware, web_routes
from ..workers import AnalysisTimeout
from . import limits
from .analysis import REVIEW_FILTERS, AnalysisQuery
from .auth import TokenBackend, refused
from .context import Context
from .execution import Execution, is_awaitable
from .logs import RequestIds, log, masked
from .records import RecordCache
from .requests import RequestError, parse_json, read_json
from .schema import schema
from .selections import field_names
from .trust import change_json
from .types import camel

STATIC = Path(__file__).parent / "static"
FEED_PAGE = 500
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
DEFAULT_QUERY = """# Which services does the Tampere region use or run, and who offers them?
# Ctrl-Enter runs the query; the Docs panel (top left) lists everything you can ask.
# Anyone may read. To write, paste your key in the Headers tab below:
#   {"Authorization": "Bearer rmk_..."}
{
  city(id: "City:tampere-region") {
    name(lang: "sv")
    members(first: 10) {
      edges {
        node {
          name
          services {
            edges {
              relation
              since
              node {
                name
                vendor { name }
                capabilities { edges { node { name } } }
              }
            }
          }
        }
      }
    }
  }
}
"""


def create_app(store: Store, settings: Settings | None = None, **changes: Any) -> Starlette:
    """The ASGI app over `store`, with `settings` (the defaults when left out; `changes` replace
    single settings, e.g. `public_read=False`)."""
    settings = replace(settings or Settings(), **changes)
    public_read, oidc = settings.public_read, settings.oidc
    registry = Registry(store)
    kept = RecordCache()
    index = IndexCache(
        store,
        settings.analysis_workers,
        settings.analysis_timeout_seconds,
        saved=checkpoint.path_for(settings.analysis_saved, store),
    )

    async def analysed(fn, *args, **kwargs):
        """`fn` on the registry as of today, on an analysis thread within the analysis timeout."""
        day = datetime.now(UTC).date()
        return await index.run(index.read, lambda current: fn(current.at(day), *args, **kwargs))

    def may_read(request: Request) -> bool:
        return public_read or request.user.is_authenticated

    graphiql_page = (STATIC / "graphiql.html").read_text(encoding="utf-8")
    graphiql_page = graphiql_page.replace(
        "__DEFAULT_QUERY__", json.dumps(DEFAULT_QUERY).replace("<", "\\u003c")
    )

    async def graphql_endpoint(request: Request) -> Response:
        accept = request.headers.get("accept", "")
        if request.method == "GET" and _wants_html(accept) and "query" not in request.query_params:
            return HTMLResponse(graphiql_page)
        media = _response_media(accept)
        if media is None:
            return PlainTextResponse(f"Not Acceptable: ask for {GRAPHQL_RESPONSE} or {JSON}", status_code=406)
        if not may_read(request):
            return _unauthenticated(media)
        try:
            params = await _request_params(request)
        except _BadRequest as exc:
            return _errors(media, str(exc), exc.status)
        context = Context(store, registry, index, settings, actor=request.user.actor, kept=kept)
        try:
            return await _run(params, request, media, context)
        finally:
            context.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            await asyncio.to_thread(store.ping)
        except Exception as exc:  # any failure means "not ready", with the reason
            log.warning("not ready: %s", exc)
            reason = "the database does not answer" if isinstance(exc, StoreError) else "not ready"
            return JSONResponse({"status": "unavailable", "store": store.dialect, "error": reason}, 503)
        if not index.ready:  # analyses would wait for the build of their read model: not yet
            index.start_once()
            body = {"status": "starting", "store": store.dialect, "analyses": "building"}
            if index.failure:
                body["error"] = "building the analysis read model failed; retrying"
            return JSONResponse(body, 503)
        return JSONResponse({"status": "ok", "store": store.dialect, "analyses": "ready"})

    async def role_map_csv(request: Request) -> Response:
        if not may_read(request):
            return _unauthenticated(JSON)
        city_id = request.path_params["city_id"]
        try:  # the index too is read (and maybe rebuilt) in the worker thread, never on the loop
            text = await analysed(role_map_table, city_id)
        except AnalysisTimeout as exc:
            return PlainTextResponse(f"{exc}\n", status_code=503)
        except UserErrors as exc:
            return PlainTextResponse(exc.errors[0].message + "\n", status_code=404)
        return _csv(text, f"rolemap-{city_id[:100]}.csv")

    async def decisions_csv(request: Request) -> Response:
        if not may_read(request):
            return _unauthenticated(JSON)
        try:
            filters = _review_filters(request.query_params)
            text = await analysed(decisions_table, **filters)
        except AnalysisTimeout as exc:
            return PlainTextResponse(f"{exc}\n", status_code=503)
        except (ValueError, UserErrors) as exc:
            message = exc.errors[0].message if isinstance(exc, UserErrors) else str(exc)
            return PlainTextResponse(message + "\n", status_code=400)
        return _csv(text, "decisions.csv")

    async def changes_feed(request: Request) -> Response:
        """The change log since a revision, as NDJSON, oldest first: one change per line."""
        if not may_read(request):
            return _unauthenticated(JSON)
        raw = request.query_params.get("since", "0")
        if not raw.isdigit():
            return PlainTextResponse("since must be a revision: a whole number ≥ 0\n", status_code=400)
        graph = Graph(store.read)

        async def lines():
            after = change_id(int(raw))
            while True:
                page = await asyncio.to_thread(graph.page, "Change", {}, after, FEED_PAGE)
                for change in page:
                    yield json.dumps(change_json(change), ensure_ascii=False) + "\n"
                if len(page) < FEED_PAGE:
                    return
                after = page[-1]["id"]

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def city_report(request: Request) -> Response:
        """`rolemap report` served: GET /report/{cityId}.md or .csv, `?year=`."""
        if not may_read(request):
            return _unauthenticated(JSON)
        city_id, kind = request.path_params["city_id"], request.path_params["kind"]
        if kind not in ("md", "csv"):
            return PlainTextResponse("ask for .md or .csv\n", status_code=404)
        today = datetime.now(UTC).date()
        raw_year = request.query_params.get("year") or str(today.year)
        if not raw_year.isdigit() or not 1900 <= int(raw_year) <= 9999:
            return PlainTextResponse("year must be a year, e.g. 2026\n", status_code=400)

        def write(view) -> str:
            found = report.city_report(view, city_id, int(raw_year), today, settings.max_pilot_months)
            return report.markdown(view, found) if kind == "md" else report.table(view, found)

        try:
            text = await analysed(write)
        except AnalysisTimeout as exc:
            return PlainTextResponse(f"{exc}\n", status_code=503)
        except UserErrors as exc:
            return PlainTextResponse(exc.errors[0].message + "\n", status_code=404)
        if kind == "csv":
            return _csv(text, f"report-{city_id[:100]}-{raw_year}.csv")
        return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")

    async def export(request: Request) -> Response:
        """The whole registry as a bundle (`rolemap export` while the server owns the store): ADMIN."""
        actor = request.user.actor
        if actor.role is None or actor.role.value != "ADMIN":
            status = 401 if actor.anonymous else 403
            return JSONResponse({"errors": [{"message": "only an ADMIN may export the registry"}]}, status)
        bundle = await asyncio.to_thread(export_bundle, store)
        return Response(bundle_text(bundle), media_type=JSON)

    routes = [
        Route("/changes", changes_feed),
        Route("/export.json", export),
        Route("/report/{city_id}.{kind:str}", city_report),
        Route("/decisions.csv", decisions_csv),
        Route("/rolemap/{city_id}.csv", role_map_csv),
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *web_routes(store, registry, index, settings),  # the pages: /, /city/…, /assets
    ]
    middleware = [
        Middleware(RequestIds),
        session_middleware(settings),  # the pages' sign-in; /graphql ignores it (see auth.py)
        Middleware(AuthenticationMiddleware, backend=TokenBackend(registry, oidc), on_error=refused),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        index.start_once()  # the first analysis should not wait for the read model's build
        try:
            yield
        finally:
            await asyncio.to_thread(index.stop)
            try:  # the next start begins from here (analysis/checkpoint.py)
                await asyncio.to_thread(store.flush_writes)  # memory the save can use instead
                await asyncio.to_thread(index.save)
            except Exception as exc:  # the store may be gone already: the next start builds
                log.warning("could not save the analysis read model: %s", exc)

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.store = store
    app.state.index = index
    app.state.kept = kept
    app.state.max_body_bytes = settings.max_body_bytes
    return app


def _unauthenticated(media: str) -> Response:
    """Reads need a token here (ROLEMAP_PUBLIC_READ=false)."""
    body = {
        "errors": [
            {
                "message": "sign in to read: send Authorization: Bearer <token>",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    return Response(json.dumps(body), 401, media_type=media, headers={"WWW-Authenticate": "Bearer"})


def _csv(text: str, filename: str) -> Response:
    """A CSV download. Its file name keeps only [A-Za-z0-9._-] (anything else becomes `-`), so no id
    can break out of the header's quotes, add a header line or name a path."""
    filename = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in filename)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


REVIEW_PARAMS = {camel(name): name for name in REVIEW_FILTERS}
"""CSV query parameter → `closeout.decisions` keyword: the GraphQL `decisions` arguments, same names."""


def _review_filters(params) -> dict:
    """The `decisions` filters from CSV query parameters, with the same names as in GraphQL."""
    unknown = set(params) - set(REVIEW_PARAMS)
    if unknown:
        raise ValueError(f"unknown parameters: {', '.join(sorted(unknown))}; use {', '.join(REVIEW_PARAMS)}")
    filters: dict = {REVIEW_PARAMS[k]: v for k, v in params.items()}
    for day in ("since", "until"):
        if day in filters:
            try:
                filters[day] = date.fromisoformat(filters[day])
            except ValueError:
                raise ValueError(f"{day} must be a date, YYYY-MM-DD") from None
    if filters.get("outcome") and filters["outcome"] not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    if "current_only" in filters:
        filters["current_only"] = filters["current_only"].lower() in ("1", "true", "yes")
    return filters


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _wants_html(accept: str) -> bool:
    return "text/html" in accept


def _response_media(accept: str) -> str | None:
    """The response type for an Accept header: the spec's type when asked, JSON by default."""
    if not accept.strip():
        return JSON
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for kind in kinds:
        if kind == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if kind in (JSON, "application/*", "*/*"):
            return JSON
    return None


async def _request_params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        try:
            for name in ("variables", "extensions"):
                if name in params:
                    params[name] = parse_json(params[name], f"`{name}`")
        except RequestError as exc:
            raise _BadRequest(str(exc), exc.status) from None
    else:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != JSON:
            raise _BadRequest("POST /graphql needs Content-Type: application/json", 415)
        try:
            params = await read_json(request, request.app.state.max_body_bytes)
        except RequestError as exc:
            raise _BadRequest(str(exc), exc.status) from None
        if not isinstance(params, dict):
            raise _BadRequest("the body must be a JSON object with a `query`")
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        raise _BadRequest("a `query` string is required")
    if params.get("variables") is not None and not isinstance(params["variables"], dict):
        raise _BadRequest("`variables` must be a JSON object")
    if params.get("operationName") is not None and not isinstance(params["operationName"], str):
        raise _BadRequest("`operationName` must be a string")
    params["method"] = request.method
    return params


async def _run(params: dict[str, Any], request: Request, media: str, context: Context) -> Response:
    gql_schema = schema.graphql_schema
    # Parsing, the limits and validation: CPU work that a hostile document could make long, so in
    # a worker thread, never on the event loop (/healthz and other requests keep being answered).
    args = (gql_schema, params["query"], params.get("operationName"), params.get("variables"))
    # A document seen before skips parsing and validation; only its limits are checked again (a
    # walk over the document, bounded when it was first accepted), so it stays on the loop.
    prepared = limits.prepared_before(*args)
    if prepared is None:
        prepared = await asyncio.to_thread(limits.prepare, *args)
    if prepared.errors:
        return _result(media, ExecutionResult(None, prepared.errors), request_error=True)
    document, operation = prepared.document, prepared.operation
    if operation is None:
        return _errors(media, "no operation with that name (or several and no operationName)", 400)
    if params["method"] == "GET" and _is_mutation(operation):
        return Response(
            json.dumps({"errors": [{"message": "mutations are only accepted over POST"}]}),
            status_code=405,
            media_type=media,
            headers={"Allow": "POST"},
        )

    async def executed() -> Response:
        result = execute(
            gql_schema,
            document,
            context_value=context,
            variable_values=params.get("variables"),
            operation_name=params.get("operationName"),
            is_awaitable=is_awaitable,
            execution_context_class=Execution,
        )
        if asyncio.iscoroutine(result):
            result = await result
        return _result(media, result, request_error=False)

    if ANALYSIS_FIELDS.isdisjoint(_root_fields(document, operation.selection_set)):
        return await executed()
    # Its answer may have thousands of fields: resolved on the analyses' own loop, not this one.
    return await context.index_cache.pool.loop.run(executed)


ANALYSIS_FIELDS = frozenset(camel(name) for name in AnalysisQuery._meta.fields)
"""The root fields answered from the analysis read model (roleMap, overlaps, decisions, ...)."""


def _root_fields(document: DocumentNode, selection_set: SelectionSetNode) -> set[str]:
    """The names of the root fields an operation selects, through fragments too."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return field_names([selection_set], fragments)


def _is_mutation(operation: OperationDefinitionNode) -> bool:
    return operation.operation == OperationType.MUTATION


def _result(media: str, result: ExecutionResult, request_error: bool) -> Response:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [masked(error).formatted for error in result.errors]
    if not request_error:
        body["data"] = result.data
    # Variable coercion failures surface as execution errors with no data: a request error too.
    bad_request = request_error or (result.data is None and result.errors)
    status = 400 if (media == GRAPHQL_RESPONSE and bad_request) else 200
    return Response(orjson.dumps(body, default=str), status_code=status, media_type=media)


def _errors(media: str, message: str, status: int) -> Response:
    return Response(json.dumps({"errors": [{"message": message}]}), status_code=status, media_type=media)
