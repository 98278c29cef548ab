"""What every mutation payload shares: typed user errors, and running a use case so that its
user errors become the payload's `errors`."""

from __future__ import annotations

from enum import Enum
from typing import Any

import graphene

from ..domain.errors import UserErrors
from .types import camel


class UserError(graphene.ObjectType):
    """Why an input was refused. `code` is stable; `field` names the input field (or is null)."""

    code = graphene.String(required=True)
    field = graphene.String()
    message = graphene.String(required=True)


def plain(value: Any) -> Any:
    """Graphene input containers and enum members as plain dicts, lists and strings."""
    if isinstance(value, dict):
        return {camel(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


async def run(info, fn, *args) -> tuple[Any, list]:
    """Run a registry use case as the caller; user errors become the payload's `errors`."""
    try:
        return await info.context.call(fn, info.context.actor, *args), []
    except UserErrors as exc:
        return None, [UserError(code=e.code.value, field=e.field, message=e.message) for e in exc.errors]
