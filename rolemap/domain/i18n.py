"""Language variants of names and descriptions: `name(lang: "sv")` falls back to the default."""

from __future__ import annotations

from ..graph.schema import LANGUAGES


def localized(record: dict, field: str, lang: str | None) -> str | None:
    """The text of `field` in `lang` when the record has it, else the default text."""
    if lang and lang in LANGUAGES:
        value = record.get(f"{field}_{lang}")
        if value:
            return value
    return record.get(field)
