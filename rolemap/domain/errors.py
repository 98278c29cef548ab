"""User errors: what a mutation returns instead of changing anything when the input is wrong.

Codes are stable API: clients branch on them. Add new codes; never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    INVALID_STATE = "INVALID_STATE"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    NEGATIVE = "NEGATIVE"
    INVALID_URL = "INVALID_URL"
    INVALID_LANGUAGE = "INVALID_LANGUAGE"
    RATIONALE_TOO_SHORT = "RATIONALE_TOO_SHORT"
    LESSONS_REQUIRED = "LESSONS_REQUIRED"
    NEXT_STEPS_REQUIRED = "NEXT_STEPS_REQUIRED"
    UNKNOWN_CRITERION = "UNKNOWN_CRITERION"
    INVALID_OCID = "INVALID_OCID"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    TIMEOUT = "TIMEOUT"


@dataclass(frozen=True)
class UserError:
    code: Code
    field: str | None
    message: str


class UserErrors(Exception):
    """Raised inside a use case to abandon it (and its transaction) with these errors."""

    def __init__(self, errors: list[UserError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    @classmethod
    def one(cls, code: Code, field: str | None, message: str) -> UserErrors:
        return cls([UserError(code, field, message)])
