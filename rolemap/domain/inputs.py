"""Input models for every write, validated by pydantic before anything touches the graph.

Each rule that can fail raises a `PydanticCustomError` whose type is a stable error code; `validate`
turns a pydantic failure into the `UserError`s a mutation payload carries.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

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
from . import rules
from .actors import ROLES
from .errors import Code, UserError, UserErrors
from .rules import COUNTRY, NAME, RANGES, TEXT, UNIT, URL, RuleError, TextRule

NAME_MAX, TEXT_MAX = rules.NAME_MAX, rules.TEXT_MAX
"""Kept importable from here; the rules themselves live in `rules.py`."""


def _text(rule: TextRule):
    """The shared text rule (`rules.check_text`): type, control characters, length, URL."""

    def check(value: Any) -> Any:
        if value is None:
            return None
        try:
            return rules.check_text(value, rule)
        except RuleError as exc:
            raise PydanticCustomError(exc.code, exc.template, exc.ctx) from None

    return BeforeValidator(check)


def _not_empty(value: str | None) -> str | None:
    if value is not None and not value:
        raise PydanticCustomError(Code.REQUIRED, "must not be empty")
    return value


def _url(value: str | None) -> str | None:
    return value or None


def _in_range(prop: str):
    """The bounds `rules.RANGES` gives `prop`."""

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        try:
            return rules.check_number(prop, value)
        except RuleError as exc:
            raise PydanticCustomError(exc.code, exc.template, exc.ctx) from None

    return AfterValidator(check)


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


Name = Annotated[str, _text(NAME), AfterValidator(_not_empty)]
OptName = Annotated[str | None, _text(NAME), AfterValidator(_not_empty)]
Text = Annotated[str | None, _text(TEXT)]
RequiredText = Annotated[str, _text(TEXT), AfterValidator(_not_empty)]
Url = Annotated[str | None, _text(URL), AfterValidator(_url)]
Country = Annotated[str | None, _text(COUNTRY)]
Ids = Annotated[list[str] | None, AfterValidator(_ids)]


class Translation(BaseModel):
    """A description in one language: multi-line, up to `TEXT_MAX`."""

    lang: str
    text: RequiredText

    @model_validator(mode="after")
    def _known_language(self) -> Translation:
        if self.lang not in LANGUAGES:
            raise _fail(Code.INVALID_LANGUAGE, "lang", f"language must be one of {', '.join(LANGUAGES)}")
        return self


class NameTranslation(Translation):
    """A name or title in one language: one line, up to `NAME_MAX`, like the name itself."""

    text: Name


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, allow_inf_nan=False)

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
    names: list[NameTranslation] | None = None
    descriptions: list[Translation] | None = None


class CityInput(Localized):
    name: Name
    kind: Annotated[str, _one_of(CITY_KINDS)]
    description: Text = None
    country: Country = None
    code: OptName = None
    population: Annotated[int | None, Field(ge=RANGES["population"][0])] = None
    website: Url = None
    partOfId: str | None = None


class ThemeInput(Localized):
    name: Name
    description: Text = None


class CapabilityInput(Localized):
    name: Name
    description: Text = None
    broaderId: str | None = None
    complementIds: Ids = None
    """Capabilities this one works together with (booking and identification): a pair of
    services whose only common ground is complementary capabilities is not a duplicate."""


class CapabilityUpdate(Localized):
    name: OptName = None
    description: Text = None
    complementIds: Ids = None


class StopUseInput(Input):
    until: date | None = None


class GoalInput(Localized):
    cityId: str
    name: Name
    description: Text = None
    targetYear: Annotated[int | None, Field(ge=RANGES["targetYear"][0], le=RANGES["targetYear"][1])] = None


class _VendorFields(Localized):
    description: Text = None
    businessId: OptName = None
    country: Country = None
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
    titles: list[NameTranslation] | None = None
    descriptions: list[Translation] | None = None


class NeedInput(_NeedFields):
    cityId: str
    title: Name


class NeedUpdate(_NeedFields):
    title: OptName = None
    status: Annotated[str | None, _one_of(NEED_STATUSES)] = None


class _PilotFields(Input):
    description: Text = None
    capabilityIds: Ids = None
    needIds: Ids = None
    serviceIds: Ids = None
    vendorIds: Ids = None
    startDate: date | None = None
    endDate: date | None = None
    budgetEur: Annotated[float | None, _in_range("budgetEur")] = None
    successCriteria: Criteria = None
    titles: list[NameTranslation] | None = None
    descriptions: list[Translation] | None = None


class PilotInput(_PilotFields):
    cityId: str
    title: Name


class PilotUpdate(_PilotFields):
    title: OptName = None


class Criterion(Input):
    """A pilot's success criterion: what will be measured, the target, and its unit."""

    name: Name
    target: float | None = None
    unit: Annotated[str | None, _text(UNIT)] = None


class Result(Input):
    """What was measured against one success criterion, and whether it met the target."""

    name: Name
    measured: float | None = None
    met: bool


def _named_once(criteria: list[Criterion] | None) -> list[Criterion] | None:
    names = [c.name for c in criteria or []]
    if len(names) != len(set(names)):
        raise PydanticCustomError(Code.DUPLICATE, "each success criterion needs its own name")
    return criteria


Criteria = Annotated[list[Criterion] | None, AfterValidator(_named_once)]

JSON_LISTS: dict[str, Any] = {"successCriteria": Criteria, "results": list[Result] | None}
"""Properties stored as JSON text (a list of records), with the input type of that list: the importer
checks a bundle's JSON against the same types."""


class DecisionInput(Input):
    """Only types here; what a decision must contain is checked by `pilots.decision_problems`, which
    reports every missing part at once, each with its own code."""

    pilotId: str
    outcome: Annotated[str, _one_of(OUTCOMES)]
    rationale: Text = None
    lessons: list[Annotated[str | None, _text(TEXT)]] | None = None
    nextSteps: list[Annotated[str | None, _text(TEXT)]] | None = None
    decidedBy: OptName = None  # a display name; who recorded it comes from the credentials
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


class RetireInput(Input):
    reason: Text = None


class ApiKeyInput(Input):
    """A new API key: CITY and PROCUREMENT keys act for a city (or region), VENDOR keys for one
    vendor."""

    role: Annotated[str, _one_of(ROLES)]
    name: Name
    cityId: str | None = None
    vendorId: str | None = None

    @model_validator(mode="after")
    def _scope_fits_the_role(self) -> ApiKeyInput:
        needs = {"CITY": "cityId", "PROCUREMENT": "cityId", "VENDOR": "vendorId"}.get(self.role)
        for field in ("cityId", "vendorId"):
            if field == needs and not getattr(self, field):
                raise _fail(
                    Code.REQUIRED, field, f"a {self.role} key acts for one {field[:-2]}: give {field}"
                )
            if field != needs and getattr(self, field):
                raise _fail(Code.INVALID, field, f"a {self.role} key takes no {field}")
        return self


class ReviewInput(Input):
    """A city's verdict on a vendor's claim: the link from `serviceId` to `targetId`."""

    kind: Annotated[str, _one_of(("USES", "CAPABILITY", "NEED"))]
    serviceId: str
    targetId: str
    verdict: Annotated[str, _one_of(("VERIFIED", "REJECTED"))]


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
