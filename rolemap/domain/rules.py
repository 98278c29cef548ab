"""The rules for every value the registry stores: texts, URLs, ids and numbers.

One definition for both ways in: the API's input models (`inputs.py`) and the bundle importer
(`bundle.py`, which also loads the sample) call these checks, so a record the API would refuse
cannot be imported either. A failed check raises `RuleError` with a stable error code.
"""

from __future__ import annotations

import functools
import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import Code

NAME_MAX = 200
TEXT_MAX = 10_000
URL_MAX = 2000
COUNTRY_MAX = 2
UNIT_MAX = 50
ID_SLUG_MAX = 80
"""`new_id` makes slugs of at most 47 characters (40 from the name, a dash, 6 random hex digits)."""
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
"""Both stores keep whole numbers as signed 64-bit integers."""


class RuleError(ValueError):
    """A value breaks a rule: `code` is the stable error code, `template` the message with `{ctx}`
    placeholders (pydantic's form), `str()` the message filled in."""

    def __init__(self, code: Code, template: str, ctx: dict[str, Any] | None = None) -> None:
        self.code = code
        self.template = template
        self.ctx = ctx or {}
        super().__init__(template.format(**self.ctx))


@dataclass(frozen=True)
class TextRule:
    max_len: int
    multiline: bool = False
    """Multi-line texts (descriptions, rationales, lessons) may hold newlines and tabs."""
    url: bool = False
    non_empty: bool = False
    """Refuse a text that is empty once stripped (leave the field out instead)."""


NAME = TextRule(NAME_MAX, non_empty=True)
"""Names, titles, short codes and references: one line, not empty."""
TEXT = TextRule(TEXT_MAX, multiline=True)
"""Descriptions, rationales, reasons, lessons and next steps."""
URL = TextRule(URL_MAX, url=True)
COUNTRY = TextRule(COUNTRY_MAX)
UNIT = TextRule(UNIT_MAX)

TEXT_RULES: dict[str, TextRule] = {
    **dict.fromkeys(
        ("name", "title", "code", "businessId", "externalId", "decidedBy", "procurementRef", "source"), NAME
    ),
    **dict.fromkeys(
        ("description", "rationale", "cancelReason", "retiredReason", "lessons", "nextSteps"), TEXT
    ),
    "website": URL,
    "country": COUNTRY,
    # Enumerations (checked against their values too) and the derived `<owner id>|<externalId>`.
    **dict.fromkeys(("kind", "status", "lifecycle", "outcome", "ring"), NAME),
    "externalKey": TextRule(NAME_MAX + ID_SLUG_MAX + 20),
    # Who did what: actors are named by their credentials, operations by the schema.
    **dict.fromkeys(
        ("actorId", "actorName", "actorRole", "operation", "decidedById", "claimedBy", "reviewedBy"), NAME
    ),
}
"""The rule of each stored text property; a language variant (`name_fi`) follows its base (`name`)."""
UNLISTED = TextRule(sys.maxsize, multiline=True)
"""Any other stored text (ids, bookkeeping): no length rule of its own, but no control characters."""

RANGES: dict[str, tuple[int | None, int | None]] = {
    "population": (0, None),
    "budgetEur": (0, None),
    "targetYear": (1900, 2200),
}
"""Inclusive bounds of the numeric properties that have them."""

ID_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""A node id is `Label:slug`: lowercase ascii letters and digits in dash-separated runs."""

_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (Unicode category Cc: C0, DEL and C1) and lone surrogates (Cs)."""
_FORBIDDEN_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""The same, less newline and tab."""


@functools.cache
def text_rule(prop: str) -> TextRule:
    """The rule of a stored text property (`name_fi` → the rule of `name`), `UNLISTED` if none."""
    return TEXT_RULES.get(prop) or TEXT_RULES.get(prop.split("_", 1)[0]) or UNLISTED


def check_text(value: Any, rule: TextRule) -> str:
    """`value` stripped, or `RuleError`: not text, a control character (newline and tab are allowed in
    multi-line texts) or a lone surrogate, empty (where the rule says so), too long, or (URL rule) not
    an http(s) URL with a host."""
    if not isinstance(value, str):
        raise RuleError(Code.INVALID, "must be text")
    bad = (_FORBIDDEN_MULTILINE if rule.multiline else _FORBIDDEN).search(value)
    if bad:
        ch = bad.group()
        what = "a lone surrogate" if unicodedata.category(ch) == "Cs" else "a control character"
        raise RuleError(Code.INVALID, "must not contain {what} ({char})", {"what": what, "char": _u(ch)})
    value = value.strip()
    if rule.non_empty and not value:
        raise RuleError(Code.REQUIRED, "must not be empty")
    if len(value) > rule.max_len:
        raise RuleError(Code.TOO_LONG, "must be at most {max} characters", {"max": rule.max_len})
    if rule.url and value:
        check_url(value)
    return value


def check_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme not in ("http", "https") or " " in value:
        raise RuleError(Code.INVALID_URL, "must be an http(s) URL with a host")
    return value


def check_id(value: Any, label: str) -> str:
    """A node id of `label`: `Label:slug`, the slug as `ID_SLUG` and at most `ID_SLUG_MAX` long."""
    prefix = f"{label}:"
    slug = value[len(prefix) :] if isinstance(value, str) and value.startswith(prefix) else None
    if slug is None or len(slug) > ID_SLUG_MAX or not ID_SLUG.fullmatch(slug):
        raise RuleError(
            Code.INVALID,
            "must be a string '{label}:<slug>' (the slug: lowercase letters a-z, digits and single dashes, "
            "at most {max} characters)",
            {"label": label, "max": ID_SLUG_MAX},
        )
    return value


def check_number(prop: str, value: int | float) -> int | float:
    """`value` within its property's `RANGES` (and finite), or `RuleError`."""
    if isinstance(value, float) and not math.isfinite(value):
        raise RuleError(Code.INVALID, "must be a finite number")
    low, high = RANGES.get(prop, (None, None))
    if low == 0 and value < 0:
        raise RuleError(Code.NEGATIVE, "must not be negative")
    if (low is not None and value < low) or (high is not None and value > high):
        raise RuleError(Code.INVALID, "must be between {low} and {high}", {"low": low, "high": high})
    return value


def _u(ch: str) -> str:
    return f"U+{ord(ch):04X}"
