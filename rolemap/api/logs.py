"""Server logs as JSON lines, each with the request id; what clients see of an error is masked.

Every request gets an id: the caller's `X-Request-Id` when it is a plain token, a new one
otherwise. It is echoed in the response header and in every log line written while the request
runs, so a user's report ("request 3f2a…") finds the server's full story — the traceback, the
statement — which the client itself never sees.
"""

from __future__ import annotations

import contextvars
import logging
import logging.config
import re
import uuid

from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..graph.store import StoreUnavailableError

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = logging.getLogger("rolemap")
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIds:
    """ASGI middleware: a request id per HTTP request, in the context and the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


class _WithRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def logging_config(level: str = "INFO") -> dict:
    """rolemap's and uvicorn's logs as JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": _WithRequestId}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "rolemap": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def masked(error: GraphQLError) -> GraphQLError:
    """An execution error as a client may see it. Errors rolemap raised on purpose (a GraphQL
    error, a refused input) pass as they are; anything else — a database failure, a bug — is
    logged whole and reaches the client as a message with the request id and no internals."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error
    rid = request_id.get()
    if isinstance(original, StoreUnavailableError):
        log.warning("database unavailable: %s", original, extra={"path": error.path})
        message, code = f"the database is unavailable; try again shortly (request {rid})", "UNAVAILABLE"
    else:
        log.error("error in %s", error.path, exc_info=original)
        message, code = f"internal error (request {rid}); it has been logged", "INTERNAL"
    return GraphQLError(message, error.nodes, path=error.path, extensions={"code": code, "requestId": rid})
