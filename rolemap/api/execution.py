"""graphql-core's execution, with two shortcuts for what most of an answer is made of.

- `is_awaitable`: graphql-core asks it of every field's value, twice; plain values answer at once.
- `Execution.execute_field`: a leaf field (a scalar or an enum) with no arguments that graphene's
  default resolver answers (a record's property, or an object's attribute), or a resolver that
  says how it answers from its source alone (`at_once`, e.g. a localised name without `lang`),
  is read and serialized at once, without the resolve info, argument coercion and completion
  dispatch every field otherwise costs (about half of a field's time; a role map at M has 7,000
  fields). A null for a nullable field is answered at once too. Anything else on the way (a null
  for a required field, a value that does not serialize, an error) takes graphql-core's own path,
  so the answer and its errors are the same either way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from types import CoroutineType
from typing import Any, NamedTuple

from graphql import (
    ExecutionContext,
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    located_error,
)
from graphql.pyutils import Path

from .lookahead import MISSING, ready_key
from .needs import default_read

_PLAIN = frozenset({str, int, float, bool, type(None), dict, list, tuple, date, datetime})


def is_awaitable(value: Any) -> bool:
    """The resolvers here return coroutines, never old-style generator coroutines."""
    return type(value) not in _PLAIN and (type(value) is CoroutineType or hasattr(value, "__await__"))


class _Leaf(NamedTuple):
    read: Callable[[Any], Any]
    """The field's value, of its source."""
    serialize: Callable[[Any], Any]
    nullable: bool


class Execution(ExecutionContext):
    def execute_field(
        self, parent_type: GraphQLObjectType, source: Any, field_nodes: list[FieldNode], path: Path
    ) -> Any:
        node = field_nodes[0]
        if not node.arguments and self.middleware_manager is None:
            leaf = _leaf(parent_type, node.name.value)
            if leaf is not None:
                try:
                    value = leaf.read(source)
                    if value is None:
                        if leaf.nullable:
                            return None
                    else:
                        serialized = leaf.serialize(value)
                        if serialized is not None and serialized is not Undefined:
                            return serialized
                except Exception:  # noqa: BLE001 - graphql-core's path below reports it
                    pass
        if self.middleware_manager is None and type(source) is dict:
            field = _read_ahead(parent_type, node.name.value)
            ready = (
                MISSING
                if field is None
                else self.context_value.ready.get(ready_key(field_nodes, source["id"]), MISSING)
            )
            if ready is not MISSING:
                return self._complete_ready(field, field_nodes, parent_type, path, ready)
        return super().execute_field(parent_type, source, field_nodes, path)

    def _complete_ready(
        self,
        field: GraphQLField,
        field_nodes: list[FieldNode],
        parent_type: GraphQLObjectType,
        path: Path,
        value: Any,
    ) -> Any:
        """A relationship field read ahead (`lookahead`): what graphql-core's `execute_field` does
        once its resolver answered `value`, without the argument coercion and the call (the value
        was read with the same arguments, and its resolver would give it as it is)."""
        info = self.build_resolve_info(field, field_nodes, parent_type, path)
        try:
            completed = self.complete_value(field.type, field_nodes, info, path, value)
        except Exception as raw_error:
            self.handle_field_error(located_error(raw_error, field_nodes, path.as_list()), field.type)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(located_error(raw_error, field_nodes, path.as_list()), field.type)
                return None

        return await_completed()


@functools.cache
def _read_ahead(parent_type: GraphQLObjectType, name: str) -> GraphQLField | None:
    """The field `name` of `parent_type` when it is a relationship that `lookahead` reads ahead."""
    field = parent_type.fields.get(name)
    return field if field is not None and getattr(field.resolve, "hop", None) is not None else None


@functools.cache
def _leaf(parent_type: GraphQLObjectType, name: str) -> _Leaf | None:
    """How to answer `name` on `parent_type` at once (when the query gives it no arguments), when
    it is a scalar or an enum that the default resolver answers, or its resolver's `at_once`;
    None otherwise."""
    field = parent_type.fields.get(name)
    if field is None or not is_leaf_type(get_named_type(field.type)):
        return None
    read = getattr(field.resolve, "at_once", None)
    if read is None:
        default = default_read(field.resolve)
        if default is None:
            return None
        read = functools.partial(_read, *default)
    return _Leaf(read, get_named_type(field.type).serialize, not is_non_null_type(field.type))


def _read(key: str, attname: str, source: Any) -> Any:
    """What the default resolver reads: a record's property `key` (camelCase), or an object's
    attribute `attname`."""
    if type(source) is dict:
        return source.get(key)
    return getattr(source, attname, None)
