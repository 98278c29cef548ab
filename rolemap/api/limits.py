"""Limits on what one query may ask for, checked before it runs.

`first` caps each connection at 100, but nesting multiplies: cities(100) → pilots(100) →
services(100) would be a million objects. So each query's size is estimated as the number of
values it could return (every field counted once per parent, a field with `first` multiplying its
subtree by that number, or by its declared default) and refused above `MAX_OBJECTS`, as is a
selection nested deeper than `MAX_DEPTH`. Introspection is not counted.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_interface_type,
    is_object_type,
    value_from_ast,
)

MAX_OBJECTS = 100_000
DEFAULT_FIRST = 20
MAX_DEPTH = 25


class _Estimate:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.objects = 0
        self.depth = 0

    def walk(self, selections: SelectionSetNode | None, parent, multiplier: int, depth: int, seen=()) -> None:
        if selections is None:
            return
        self.depth = max(self.depth, depth)
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, parent, multiplier, depth, seen)
            elif isinstance(selection, InlineFragmentNode):
                on = selection.type_condition
                inner = self.schema.get_type(on.name.value) if on else parent
                self.walk(selection.selection_set, inner, multiplier, depth, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    self.walk(fragment.selection_set, inner, multiplier, depth, (*seen, selection.name.value))

    def _field(self, node: FieldNode, parent, multiplier: int, depth: int, seen) -> None:
        name = node.name.value
        if name.startswith("__") or not (is_object_type(parent) or is_interface_type(parent)):
            return
        definition = parent.fields.get(name)
        if definition is None:
            return
        size = multiplier * self._first(node, definition)
        self.objects += size
        self.walk(node.selection_set, get_named_type(definition.type), size, depth + 1, seen)

    def _first(self, node: FieldNode, definition) -> int:
        declared = definition.args.get("first")
        if declared is None:
            return 1
        given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        value = value_from_ast(given, declared.type, self.variables) if given is not None else None
        if not isinstance(value, int):
            value = declared.default_value if isinstance(declared.default_value, int) else DEFAULT_FIRST
        return max(1, value)


def check(
    schema: GraphQLSchema, document, operation: OperationDefinitionNode, variables: dict[str, Any] | None
) -> list[GraphQLError]:
    """Errors for a query too large or too deep to run; none when it is within the limits."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(operation.operation)
    estimate = _Estimate(schema, fragments, variables or {})
    estimate.walk(operation.selection_set, root, 1, 0)
    errors = []
    if estimate.objects > MAX_OBJECTS:
        errors.append(
            GraphQLError(
                f"this query could return about {estimate.objects:,} values, more than the {MAX_OBJECTS:,} "
                "allowed: ask for fewer with smaller `first` values, or page with `after`",
                extensions={"code": "QUERY_TOO_LARGE"},
            )
        )
    if estimate.depth > MAX_DEPTH:
        errors.append(
            GraphQLError(
                f"this query is nested {estimate.depth} levels deep, more than the {MAX_DEPTH} allowed",
                extensions={"code": "QUERY_TOO_DEEP"},
            )
        )
    return errors
