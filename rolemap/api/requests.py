"""Reading a GraphQL request: the body bounded in size, its JSON bounded in nesting depth.

A body larger than the limit is refused with 413 from its `Content-Length`, or, without one, as
soon as the bytes read pass the limit: it is never buffered whole. JSON nested deeper than
`MAX_JSON_DEPTH` is refused with 400 before `json.loads` sees it (the decoder recurses once per
level, so a 100,000-deep array would end in a RecursionError).
"""

from __future__ import annotations

import asyncio
import json
import re
from itertools import accumulate, count
from operator import sub
from typing import Any

from starlette.requests import Request

MAX_JSON_DEPTH = 64
PARSE_INLINE = 16 * 1024
"""Bodies up to this size are decoded on the event loop; larger ones in a worker thread."""

_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.S)
"""A JSON string; one left open runs to the end (so every quote starts a match, and none is
scanned from twice: linear)."""
_MARKS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{]}")


class RequestError(Exception):
    """A request refused before it reaches GraphQL, with its HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int) -> bytes:
    """The body, if it is at most `limit` bytes; RequestError 413 otherwise, without reading on."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise RequestError("Content-Length is not a number of bytes")
        if int(declared) > limit:
            raise RequestError(_too_large(f"{int(declared):,} bytes", limit), 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(_too_large(f"more than {limit:,} bytes", limit), 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: str, limit: int) -> str:
    return f"the body is {size}, more than the {limit:,} allowed: send large inputs in several requests"


async def read_json(request: Request, limit: int) -> Any:
    """The body decoded as JSON: RequestError 413 when too large, 400 when too deep or not JSON."""
    body = await read_body(request, limit)
    if len(body) <= PARSE_INLINE:
        return parse_json(body)
    return await asyncio.to_thread(parse_json, body)


def parse_json(data: bytes | str, what: str = "the body") -> Any:
    """`json.loads`, after checking the nesting; RequestError 400 naming `what` otherwise."""
    if depth(data) > MAX_JSON_DEPTH:
        raise RequestError(f"{what} is JSON nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(data)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer too long to read
        raise RequestError(f"{what} is not JSON: {exc}") from None


def depth(data: bytes | str) -> int:
    """How deeply the JSON in `data` nests: the most arrays and objects open at once, brackets in
    strings left out. Linear, and done by the regex engine and C iterators, not a Python loop."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    marks = _STRING.sub(b"", raw).translate(_MARKS, _NOT_BRACKETS)
    # An opening bracket is 2 and a closing one 0: after k brackets, their sum minus k is how
    # many are open.
    return max(map(sub, accumulate(marks), count(1)), default=0)
