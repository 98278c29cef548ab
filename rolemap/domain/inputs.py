"""Input models for every write, validated by pydantic before anything touches the graph.

Each rule that can fail raises a `PydanticCustomError` whose type is a stable error code; `validate`
turns a pydantic failure into the `UserError`s a mutation payload carries.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..graph.schema import CITY_KINDS, LANGUAGES, NEED_STATUSES, OUTCOMES, RINGS
from .errors import Code, UserError, UserErrors

NAME_MAX = 200
TEXT_MAX = 10_000


def _text(max_len: int):
    def check(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise PydanticCustomError(Code.INVALID, "must be text")
        value = value.strip()
        if len(value) > max_len:
            raise PydanticCustomError(Code.TOO_LONG, "must be at most {max} characters", {"max": max_len})
        return value

    return BeforeValidator(check)


def _not_empty(value: str | None) -> str | None:
    if value is not None and not value:
        raise PydanticCustomError(Code.REQUIRED, "must not be empty")
    return value


def _url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise PydanticCustomError(Code.INVALID_URL, "must be an http(s) URL with a host")
    return value


def _non_negative(value: float | None) -> float | None:
    if value is not None and value < 0:
        raise PydanticCustomError(Code.NEGATIVE, "must not be negative")
    return value


def _one_of(allowed: tuple[str, ...]):
    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise PydanticCustomError(
                Code.INVALID, "must be one of {allowed}", {"allowed": ", ".join(allowed)}
            )
        return value

    return AfterValidator(check)


def _ids(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    seen: list[str] = []
    for item in value:
        if item not in seen:
            seen.append(item)
    return seen


def _fail(code: Code, field: str, message: str) -> PydanticCustomError:
    """A model-level rule's error, naming the field it is about."""
    return PydanticCustomError(code, message, {"field": field})


Name = Annotated[str, _text(NAME_MAX), AfterValidator(_not_empty)]
OptName = Annotated[str | None, _text(NAME_MAX), AfterValidator(_not_empty)]
Text = Annotated[str | None, _text(TEXT_MAX)]
RequiredText = Annotated[str, _text(TEXT_MAX), AfterValidator(_not_empty)]
Url = Annotated[str | None, _text(2000), AfterValidator(_url)]
Ids = Annotated[list[str] | None, AfterValidator(_ids)]


class Translation(BaseModel):
    lang: str
    text: Annotated[str, _text(TEXT_MAX), AfterValidator(_not_empty)]

    @model_validator(mode="after")
    def _known_language(self) -> Translation:
        if self.lang not in LANGUAGES:
            raise _fail(Code.INVALID_LANGUAGE, "lang", f"language must be one of {', '.join(LANGUAGES)}")
        return self


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    def translated(self) -> dict[str, str]:
        """`names`/`titles`/`descriptions` translations as `name_fi`-style properties."""
        out: dict[str, str] = {}
        for field, base in (
            ("names", "name"),
            ("titles", "title"),
            ("descriptions", "description"),
        ):
            for t in getattr(self, field, None) or []:
                out[f"{base}_{t.lang}"] = t.text
        return out


class Localized(Input):
    names: list[Translation] | None = None
    descriptions: list[Translation] | None = None


class CityInput(Localized):
    name: Name
    kind: Annotated[str, _one_of(CITY_KINDS)]
    description: Text = None
    country: Annotated[str | None, _text(2)] = None
    code: OptName = None
    population: Annotated[int | None, Field(ge=0)] = None
    website: Url = None
    partOfId: str | None = None


class ThemeInput(Localized):
    name: Name
    description: Text = None


class CapabilityInput(Localized):
    name: Name
    description: Text = None
    broaderId: str | None = None


class GoalInput(Localized):
    cityId: str
    name: Name
    description: Text = None
    targetYear: Annotated[int | None, Field(ge=1900, le=2200)] = None


class _VendorFields(Localized):
    description: Text = None
    businessId: OptName = None
    country: Annotated[str | None, _text(2)] = None
    website: Url = None


class VendorInput(_VendorFields):
    name: Name


class VendorUpdate(_VendorFields):
    name: OptName = None


class _ServiceFields(Localized):
    description: Text = None
    capabilityIds: Ids = None
    needIds: Ids = None
    themeIds: Ids = None
    website: Url = None


class ServiceInput(_ServiceFields):
    vendorId: str | None = None
    operatorCityId: str | None = None
    name: Name
    externalId: OptName = None

    @model_validator(mode="after")
    def _one_provider(self) -> ServiceInput:
        if bool(self.vendorId) == bool(self.operatorCityId):
            raise _fail(
                Code.REQUIRED,
                "vendorId",
                "give exactly one of vendorId (a vendor's offering) or "
                "operatorCityId (a city's in-house service)",
            )
        return self


class ServiceUpdate(_ServiceFields):
    name: OptName = None


class _NeedFields(Input):
    description: Text = None
    themeIds: Ids = None
    capabilityIds: Ids = None
    goalIds: Ids = None
    titles: list[Translation] | None = None
    descriptions: list[Translation] | None = None


class NeedInput(_NeedFields):
    cityId: str
    title: Name


class NeedUpdate(_NeedFields):
    title: OptName = None
    status: Annotated[str | None, _one_of(NEED_STATUSES)] = None


class _PilotFields(Input):
    description: Text = None
    needIds: Ids = None
    serviceIds: Ids = None
    vendorIds: Ids = None
    startDate: date | None = None
    endDate: date | None = None
    budgetEur: Annotated[float | None, AfterValidator(_non_negative)] = None
    successCriteria: list[Criterion] | None = None
    titles: list[Translation] | None = None
    descriptions: list[Translation] | None = None


class PilotInput(_PilotFields):
    cityId: str
    title: Name

    @model_validator(mode="after")
    def _criteria_named_once(self) -> PilotInput:
        names = [c.name for c in self.successCriteria or []]
        if len(names) != len(set(names)):
            raise _fail(Code.DUPLICATE, "successCriteria", "each success criterion needs its own name")
        return self


class PilotUpdate(_PilotFields):
    title: OptName = None


class Criterion(Input):
    """A pilot's success criterion: what will be measured, the target, and its unit."""

    name: Name
    target: float | None = None
    unit: Annotated[str | None, _text(50)] = None


class Result(Input):
    """What was measured against one success criterion, and whether it met the target."""

    name: Name
    measured: float | None = None
    met: bool


class DecisionInput(Input):
    """Only types here; what a decision must contain is checked by `pilots.decision_problems`, which
    reports every missing part at once, each with its own code."""

    pilotId: str
    outcome: Annotated[str, _one_of(OUTCOMES)]
    rationale: Text = None
    lessons: list[Annotated[str | None, _text(TEXT_MAX)]] | None = None
    nextSteps: list[Annotated[str | None, _text(TEXT_MAX)]] | None = None
    decidedBy: Name
    results: list[Result] | None = None
    procurementRef: OptName = None

    @model_validator(mode="after")
    def _drop_blank_items(self) -> DecisionInput:
        self.lessons = [x for x in self.lessons or [] if x]
        self.nextSteps = [x for x in self.nextSteps or [] if x]
        return self


class StanceInput(Input):
    ring: Annotated[str, _one_of(RINGS)]
    rationale: Text = None

    @model_validator(mode="after")
    def _negative_choices_say_why(self) -> StanceInput:
        if self.ring == "EXCLUDE" and not self.rationale:
            raise _fail(Code.REQUIRED, "rationale", "excluding a capability needs a rationale")
        return self


class CancelInput(Input):
    id: str
    reason: RequiredText


M = TypeVar("M", bound=BaseModel)

_PYDANTIC_CODES = {
    "missing": Code.REQUIRED,
    "greater_than_equal": Code.NEGATIVE,
    "less_than_equal": Code.INVALID,
}


def validate(model: type[M], data: dict[str, Any]) -> M:
    """The validated model, or `UserErrors` naming each bad field with its code."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UserErrors([_user_error(e) for e in exc.errors()]) from None


def _user_error(error: dict[str, Any]) -> UserError:
    loc = [str(part) for part in error["loc"]]
    named = (error.get("ctx") or {}).get("field")
    if named:  # a model-level rule names the field it is about
        loc = [*loc, named]
    field = ".".join(f"[{p}]" if p.isdigit() else p for p in loc).replace(".[", "[") or None
    code_text = error["type"]
    code = Code(code_text) if code_text in Code.__members__ else _PYDANTIC_CODES.get(code_text)
    return UserError(code or Code.INVALID, field, error["msg"])
