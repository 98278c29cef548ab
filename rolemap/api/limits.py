"""Limits on what one query may ask for, checked before it runs.

`first` caps each connection at 100, but nesting multiplies: cities(100) → pilots(100) →
services(100) would be a million objects. So each query's size is estimated as the number of
values it could return (every field counted once per parent, a field with `first` multiplying its
subtree by that number, or by its declared default; a list without `first` by `LIST_ITEMS`; an
analysis at the root adding `ANALYSIS_COST`) and refused above `MAX_OBJECTS`, as is a selection
nested deeper than `MAX_DEPTH`. Introspection is not counted.

The document itself is bounded too, so that parsing and validating a hostile one stays fast (a
fraction of a second): at most `MAX_QUERY_LENGTH` characters, `MAX_TOKENS` tokens and
`MAX_FRAGMENTS` fragments; `MAX_ROOT_FIELDS` fields at the root of an operation and `MAX_FIELDS`
in any selection set, counted after aliases and fragments are expanded; `MAX_SELECTIONS` in all
once fragments are expanded, and one field selected at most `MAX_SAME_FIELD` times at one place
(validation compares every pair of fields merged at one place).

The estimates take time linear in the document's size: each fragment is measured once (its
values per parent, its fields and its depth) and scaled wherever it is spread, so a fragment
spread twice in one spread twice in another … costs one visit each, yet counts every expansion.

`prepare` does all of this and validation; it is CPU work, so the app runs it off the event loop.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_interface_type,
    is_list_type,
    is_object_type,
    parse,
    validate,
    value_from_ast,
)

MAX_OBJECTS = 100_000
DEFAULT_FIRST = 20
MAX_DEPTH = 25

ANALYSIS_COST = 1_000
"""What one analysis at the root counts for, on top of the values it returns: it reads the whole
registry index."""
ANALYSES = frozenset(
    {
        "decisions",
        "pilotOutcomes",
        "pilotsAwaitingDecision",
        "overlaps",
        "similarPilots",
        "coverageGaps",
        "roleMap",
        "radar",
    }
)
"""The root query fields that run an analysis (rolemap/api/analysis.py, `AnalysisQuery`)."""
LIST_ITEMS = 20
"""How many items a list without `first` counts for (a connection's default page); a connection's
`edges` count once, since its `first` already multiplies them."""

MAX_ROOT_FIELDS = 50
"""Fields at the root of an operation (aliases and fragments expanded): analyses, or mutations."""
MAX_FIELDS = 500
"""Fields in any one selection set, aliases and fragments expanded."""
MAX_SELECTIONS = 5_000
"""Fields, fragment spreads and inline fragments in a whole query once its fragments are expanded."""
MAX_SAME_FIELD = 10
"""Times one response name may be selected at one place (repeated, or through fragments)."""
MAX_FRAGMENTS = 100
MAX_TOKENS = 5_000
"""Tokens in the query text: the largest in the README or the tests has about 100, GraphiQL's
introspection query about 200."""
MAX_COMMENTS = 1_000
MAX_QUERY_LENGTH = 100_000
"""Characters in the query text; large inputs belong in `variables`."""


@dataclass
class Prepared:
    """A request's document and operation ready to execute, or the errors that refuse it. The
    operation is None (with no errors) when the document does not say which one to run."""

    document: DocumentNode | None = None
    operation: OperationDefinitionNode | None = None
    errors: list[GraphQLError] = field(default_factory=list)


PREPARED_KEPT = 512
"""Distinct valid documents whose parse and validation are kept (least recently used go first)."""
_valid: LRUCache[tuple[int, str, str | None], tuple[DocumentNode, OperationDefinitionNode | None]] = LRUCache(
    PREPARED_KEPT
)
_valid_lock = threading.Lock()


def prepared_before(
    schema: GraphQLSchema, query: str, operation_name: str | None, variables: dict[str, Any] | None
) -> Prepared | None:
    """A document parsed and validated by an earlier request, its limits checked again with these
    variables (they size the estimate); None when it is not kept."""
    with _valid_lock:
        found = _valid.get((id(schema), query, operation_name))
    if found is None:
        return None
    document, operation = found
    return Prepared(document, operation, check(schema, document, operation, variables))


def prepare(
    schema: GraphQLSchema, query: str, operation_name: str | None, variables: dict[str, Any] | None
) -> Prepared:
    """Parse, check the limits, validate. The limits come before validation, whose work grows
    faster than the document (fields compared pairwise); each step is bounded by the one before.
    A valid document is kept (`prepared_before`): the next request with it skips both."""
    found = prepared_before(schema, query, operation_name, variables)
    if found is not None:
        return found
    if len(query) > MAX_QUERY_LENGTH:
        return Prepared(
            errors=[_too_long(f"it is {len(query):,} characters, more than the {MAX_QUERY_LENGTH:,}")]
        )
    try:
        document = parse(query, max_lexical_tokens=MAX_TOKENS, max_comments=MAX_COMMENTS)
    except GraphQLError as error:
        return Prepared(errors=[_parse_error(error)])
    operation = get_operation_ast(document, operation_name)
    try:
        errors = check(schema, document, operation, variables)
        if not errors:
            errors = validate(schema, document)
            if not errors:
                with _valid_lock:
                    _valid[id(schema), query, operation_name] = (document, operation)
    except RecursionError:
        errors = [_too_deep("too many")]
    return Prepared(document, operation, list(errors))


def _parse_error(error: GraphQLError) -> GraphQLError:
    """The parser's own limits as errors with a code; other syntax errors as they are."""
    message = error.message.removeprefix("Syntax Error: ").removesuffix(" Parsing aborted.")
    if message.startswith("Document contains more than"):
        limit = MAX_TOKENS if message.endswith("tokens.") else MAX_COMMENTS
        kind = "tokens" if message.endswith("tokens.") else "comments"
        return _too_long(f"it has more than the {limit:,} {kind}")
    if message.startswith("Document is nested too deeply"):
        return _too_deep("too many")
    return error


def _too_long(detail: str) -> GraphQLError:
    return GraphQLError(
        f"this query is too long: {detail} allowed; ask for less in one request, and pass large "
        "inputs as `variables`",
        extensions={"code": "QUERY_TOO_LONG"},
    )


def _too_deep(levels: str) -> GraphQLError:
    return GraphQLError(
        f"this query is nested {levels} levels deep, more than the {MAX_DEPTH} allowed",
        extensions={"code": "QUERY_TOO_DEEP"},
    )


def _is_list(definition) -> bool:
    return is_list_type(get_nullable_type(definition.type))


def _is_connection(parent) -> bool:
    return "edges" in parent.fields and "pageInfo" in parent.fields


class _Fields:
    """How many fields each selection set holds once its fragments are expanded, aliases and
    repeats included. Each fragment is counted once and its count reused."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.counted: dict[str, int] = {}
        self.open: set[str] = set()
        self.widest = 0
        self.widest_at = ""

    def count(self, selections: SelectionSetNode, at: str | None) -> int:
        """Fields in `selections` (checking the sets inside it too); `at` names it in a message,
        None for an operation's root, which has a limit of its own."""
        fields = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                if selection.selection_set is not None:
                    self.count(selection.selection_set, f"`{selection.name.value}`")
            elif isinstance(selection, InlineFragmentNode):
                fields += self.count(selection.selection_set, at)
            elif isinstance(selection, FragmentSpreadNode):
                fields += self.fragment(selection.name.value)
        if at is not None and fields > self.widest:
            self.widest, self.widest_at = fields, at
        return fields

    def fragment(self, name: str) -> int:
        if name in self.counted:
            return self.counted[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0  # unknown or a cycle: validation reports it
        self.open.add(name)
        self.counted[name] = self.count(fragment.selection_set, f"fragment `{name}`")
        self.open.discard(name)
        return self.counted[name]


class _Estimate:
    """Values per parent object and depth below it, of a selection set; each fragment is measured
    once (its values per parent scale with the parent's multiplier) and reused."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.measured: dict[str, tuple[int, int]] = {}
        self.open: set[str] = set()

    def of(self, selections: SelectionSetNode, parent) -> tuple[int, int]:
        """(values, depth): the values one `parent` object returns for `selections`, and how many
        selection sets nest below this one."""
        values = depth = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                more, below = self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                on = selection.type_condition
                inner = self.schema.get_type(on.name.value) if on else parent
                more, below = self.of(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                more, below = self._fragment(selection.name.value)
            else:
                continue
            values += more
            depth = max(depth, below)
        return values, depth

    def _fragment(self, name: str) -> tuple[int, int]:
        if name in self.measured:
            return self.measured[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0, 0
        self.open.add(name)
        inner = self.schema.get_type(fragment.type_condition.name.value)
        self.measured[name] = self.of(fragment.selection_set, inner)
        self.open.discard(name)
        return self.measured[name]

    def _field(self, node: FieldNode, parent) -> tuple[int, int]:
        name = node.name.value
        if name.startswith("__") or not (is_object_type(parent) or is_interface_type(parent)):
            return 0, 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0, 0
        items = self._items(node, definition, parent)
        weight = ANALYSIS_COST if parent is self.schema.query_type and name in ANALYSES else 0
        if node.selection_set is None:
            return weight + items, 0
        values, depth = self.of(node.selection_set, get_named_type(definition.type))
        return weight + items * (1 + values), depth + 1

    def _items(self, node: FieldNode, definition, parent) -> int:
        declared = definition.args.get("first")
        if declared is None:
            return LIST_ITEMS if _is_list(definition) and not _is_connection(parent) else 1
        given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        value = value_from_ast(given, declared.type, self.variables) if given is not None else None
        if not isinstance(value, int):
            value = declared.default_value if isinstance(declared.default_value, int) else DEFAULT_FIRST
        return max(1, value)


def check(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode | None,
    variables: dict[str, Any] | None,
) -> list[GraphQLError]:
    """Errors for a query too wide, too large or too deep to run; none when it is within the
    limits. Safe on a document not yet validated. With no `operation`, every operation in the
    document is checked."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if len(fragments) > MAX_FRAGMENTS:
        return [_too_long(f"it defines {len(fragments):,} fragments, more than the {MAX_FRAGMENTS}")]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fields = _Fields(fragments)
    root_fields = max((fields.count(o.selection_set, None) for o in operations), default=0)
    unused = [f for name, f in fragments.items() if name not in fields.counted]
    for name in fragments:
        fields.fragment(name)
    estimate = _Estimate(schema, fragments, variables or {})
    objects = depth = 0
    for checked in [operation] if operation is not None else operations:
        root = schema.get_root_type(checked.operation)
        if root is not None:
            values, below = estimate.of(checked.selection_set, root)
            objects, depth = max(objects, values), max(depth, below)
    errors = []
    if root_fields > MAX_ROOT_FIELDS:
        errors.append(
            _too_many(
                f"this query asks for {root_fields:,} fields at its root (aliases and fragments "
                f"included), more than the {MAX_ROOT_FIELDS} allowed: send fewer in one request"
            )
        )
    if fields.widest > MAX_FIELDS:
        errors.append(
            _too_many(
                f"the selection of {fields.widest_at} holds {_number(fields.widest)} fields once aliases and "
                f"fragments are expanded, more than the {MAX_FIELDS} allowed in one selection"
            )
        )
    if objects > MAX_OBJECTS:
        errors.append(
            GraphQLError(
                f"this query could return about {_number(objects)} values, more than the {MAX_OBJECTS:,} "
                "allowed: ask for fewer with smaller `first` values, or page with `after`",
                extensions={"code": "QUERY_TOO_LARGE"},
            )
        )
    if depth > MAX_DEPTH:
        errors.append(_too_deep(str(depth)))
    if not errors:
        errors += _Merged(fragments).check([*operations, *unused])
    return errors


def _too_many(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_MANY_FIELDS"})


class _Merged:
    """Fields as execution merges them: by response name at each place, through fragments, each
    repeat counted. Validation compares every pair of fields merged at one place, so the most at
    one place, and all of them together, bound its work. Walked within `MAX_SELECTIONS`."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.selections = 0
        self.most = 0
        self.most_at = ""

    def check(self, roots: list[OperationDefinitionNode | FragmentDefinitionNode]) -> list[GraphQLError]:
        places = [([root.selection_set], "") for root in roots]
        while places:
            sets, at = places.pop()
            groups = self._group(sets)
            if groups is None:
                return [
                    _too_many(
                        f"this query holds more than {MAX_SELECTIONS:,} selections once its fragments "
                        "are expanded: ask for less in one request"
                    )
                ]
            for name, nodes in groups.items():
                where = f"{at}.{name}" if at else name
                if len(nodes) > self.most:
                    self.most, self.most_at = len(nodes), where
                below = [node.selection_set for node in nodes if node.selection_set is not None]
                if below:
                    places.append((below, where))
        if self.most > MAX_SAME_FIELD:
            name = self.most_at.rsplit(".", 1)[-1]
            return [
                _too_many(
                    f"`{name}` is selected {self.most:,} times at `{self.most_at}` (repeated, or through "
                    f"fragments), more than the {MAX_SAME_FIELD} allowed: select it once"
                )
            ]
        return []

    def _group(self, sets: list[SelectionSetNode]) -> dict[str, list[FieldNode]] | None:
        """The fields of `sets` by response name, fragments expanded (not those already being
        expanded: a cycle); None past the budget."""
        groups: dict[str, list[FieldNode]] = {}
        pending: list[tuple[SelectionSetNode, frozenset[str]]] = [(s, frozenset()) for s in sets]
        while pending:
            selections, expanding = pending.pop()
            for selection in selections.selections:
                self.selections += 1
                if self.selections > MAX_SELECTIONS:
                    return None
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    groups.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    pending.append((selection.selection_set, expanding))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is not None and name not in expanding:
                        pending.append((fragment.selection_set, expanding | {name}))
        return groups


def _number(n: int) -> str:
    """1,234,567; or 10^42 for a number too long to print in full."""
    return f"{n:,}" if n < 10**18 else f"10^{math.floor(math.log10(n))}"
