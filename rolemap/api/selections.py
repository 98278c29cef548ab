"""What a selection asks for: the fields it selects, through fragments too."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

Fragments = Mapping[str, FragmentDefinitionNode]


def fields(selection_sets: Iterable[SelectionSetNode | None], fragments: Fragments) -> Iterator[FieldNode]:
    """The fields selected directly in `selection_sets` (one level: a fragment's fields count at
    the level it is spread at; each fragment once)."""
    seen: set[str] = set()
    todo = [s for s in selection_sets if s is not None]
    while todo:
        for selection in todo.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                todo.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                if selection.name.value in fragments:
                    todo.append(fragments[selection.name.value].selection_set)


def field_names(selection_sets: Iterable[SelectionSetNode | None], fragments: Fragments) -> set[str]:
    """The names of the fields selected directly in `selection_sets`."""
    return {field.name.value for field in fields(selection_sets, fragments)}


def sub_selections(
    selection_sets: Iterable[SelectionSetNode | None], name: str, fragments: Fragments
) -> list[SelectionSetNode]:
    """The selection sets of the fields called `name` selected in `selection_sets`."""
    return [
        field.selection_set
        for field in fields(selection_sets, fragments)
        if field.name.value == name and field.selection_set is not None
    ]
