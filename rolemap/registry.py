"""The registry's use cases: check who is calling, validate the input (domain), check it against
the graph, and write it in one transaction together with its change record — or raise
`UserErrors` and write nothing.

Each use case declares, next to its definition, who may call it (`@operation(Rule.of(...))`):
`OPERATIONS` is the one place to read who may do what, and the GraphQL schema shows it. The role
is checked before anything else; the scope (which city, which vendor) inside the transaction,
before anything is written — a journalled graph refuses to write until it has been checked.

The API's mutations and the CLI both call these with the caller's `Actor`; they block, so the API
runs them in a worker thread.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from .domain import pilots
from .domain.actors import Actor, Role, Rule, refuse
from .domain.errors import Code, UserError, UserErrors
from .domain.inputs import (
    ApiKeyInput,
    CancelInput,
    CapabilityInput,
    CapabilityUpdate,
    CityInput,
    DecisionInput,
    GoalInput,
    Input,
    NeedInput,
    NeedUpdate,
    PilotInput,
    PilotUpdate,
    RetireInput,
    ReviewInput,
    ServiceInput,
    ServiceUpdate,
    StanceInput,
    StopUseInput,
    ThemeInput,
    VendorInput,
    VendorUpdate,
    validate,
)
from .graph.access import Graph, Journal, PermissionNotChecked, Record, external_key, now
from .graph.schema import CLAIMABLE, INTERNAL
from .graph.store import DuplicateKeyError, Store

T = TypeVar("T")

# The to-many links a node's input sets: (input field, relationship, target label).
LINKS = {
    "Service": (
        ("capabilityIds", "HAS_CAPABILITY", "Capability"),
        ("needIds", "ADDRESSES", "Need"),
        ("themeIds", "ADDRESSES", "Theme"),
    ),
    "Need": (
        ("themeIds", "IN_THEME", "Theme"),
        ("capabilityIds", "REQUIRES", "Capability"),
        ("goalIds", "SUPPORTS", "Goal"),
    ),
    "Pilot": (
        ("capabilityIds", "TARGETS", "Capability"),
        ("needIds", "FOR_NEED", "Need"),
        ("serviceIds", "TRIALS", "Service"),
        ("vendorIds", "PARTNER", "Vendor"),
    ),
}
CLAIMS = {("HAS_CAPABILITY", "Capability"), ("ADDRESSES", "Need")}
"""Links a vendor asserts about its service: claims until the city verifies them."""


def _check_links(g: Graph, label: str, inp: Input) -> None:
    """NOT_FOUND for any linked id that is not a node of the right label."""
    for field, _, target in LINKS[label]:
        g.require(target, getattr(inp, field) or [], field)


def _set_links(g: Graph, label: str, node_id: str, inp: Input, replace: bool) -> None:
    """Make the node's links what the input says; on update, a field not given stays as it is.
    New links a vendor makes are claims; links that stay keep their status."""
    for field, rel, target in LINKS[label]:
        ids = getattr(inp, field)
        if ids is None and replace:
            continue
        props = None
        if rel in CLAIMABLE:
            props = claim(g.journal.actor)
            if (rel, target) not in CLAIMS:
                props["status"] = "VERIFIED"  # a theme is not a city's to verify
        g.relink(rel, label, target, node_id, ids or [], props)


def claim(actor: Actor) -> dict[str, Any]:
    """The status of a link `actor` makes: a vendor's is CLAIMED, anyone else's VERIFIED."""
    status = "CLAIMED" if actor.role is Role.VENDOR else "VERIFIED"
    return {
        "status": status,
        "claimedBy": actor.id,
        "claimedAt": now(),
        "reviewedBy": None,
        "reviewedAt": None,
    }


MAX_BULK = 500
DUPLICATE_FIELDS = {"externalKey": "externalId"}
"""The input field to name when the store refuses a unique value (where the names differ)."""


def _json(models) -> str | None:
    """Lists of small records (criteria, results) are kept as JSON text: both stores hold it."""
    return json.dumps([m.model_dump() for m in models], ensure_ascii=False) if models else None


def _gather(pairs, fn) -> tuple[list[tuple[int, Any]], list[UserError]]:
    """`fn` over (index, item) pairs: the results that succeeded, and every failure's errors with
    its item's index in the field name (`input[3].name`), so a bulk call reports every bad item."""
    done, errors = [], []
    for i, item in pairs:
        try:
            done.append((i, fn(item)))
        except UserErrors as exc:
            errors += [
                UserError(e.code, f"input[{i}].{e.field}" if e.field else f"input[{i}]", e.message)
                for e in exc.errors
            ]
    return done, errors


def _item_of(field: str | None) -> int:
    return int(field.split("]")[0].removeprefix("input[")) if field and field.startswith("input[") else -1


def _props(inp: Input, *fields: str) -> dict[str, Any]:
    """The given scalar fields plus language variants, leaving out what was not given."""
    data = {f: getattr(inp, f) for f in fields if getattr(inp, f) is not None}
    data.update(inp.translated())
    return data


# Who may call what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    name: str
    rule: Rule
    field: str
    """The argument a refusal names when the role itself may not call it."""


OPERATIONS: dict[str, Operation] = {}
"""Every use case by its GraphQL name, with who may call it."""
_current: contextvars.ContextVar[Operation] = contextvars.ContextVar("operation")


def operation(rule: Rule, field: str = "input"):
    """Declare a use case and who may call it. The role is checked before the body runs."""

    def declare(fn):
        head, *rest = fn.__name__.split("_")
        op = Operation(head + "".join(part.title() for part in rest), rule, field)
        OPERATIONS[op.name] = op

        @functools.wraps(fn)
        def checked(self, actor: Actor, *args, **kwargs):
            if actor.anonymous or (actor.role is not Role.ADMIN and actor.role not in rule.roles):
                raise refuse(actor, field, f"a {actor.role} key may not {op.name}")
            token = _current.set(op)
            try:
                return fn(self, actor, *args, **kwargs)
            finally:
                _current.reset(token)

        checked.operation = op
        return checked

    return declare


ANY_CITY = Rule.of(Role.CITY)
KEY_PREFIX = "rmk"


class Registry:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _write(self, actor: Actor, work: Callable[[Graph], T]) -> T:
        """`work` in one transaction with its change record; the caller is checked by `work`
        (`g.authorize`) before it writes."""
        op = _current.get()

        def unit(tx) -> T:
            graph = Graph(tx.run, Journal(actor, op.rule, op.name))
            result = work(graph)
            if not graph.journal.authorized:
                raise PermissionNotChecked(f"{op.name} did not check its caller")
            graph.record_change(tx.revision)
            return result

        try:
            return self.store.write(unit, recorded=True)
        except DuplicateKeyError as exc:
            # Another transaction got there first (the checks above ran before it committed).
            field = DUPLICATE_FIELDS.get(exc.prop, exc.prop)
            raise UserErrors.one(Code.DUPLICATE, field, str(exc)) from None

    # Cities, themes, capabilities, goals -----------------------------------------------------
    @operation(Rule.of())
    def create_city(self, actor: Actor, data: dict[str, Any]) -> Record:
        inp = validate(CityInput, data)

        def work(g: Graph) -> Record:
            g.authorize("input")
            if inp.partOfId:
                g.require_one("City", inp.partOfId, "partOfId")
            g.unique("City", "code", inp.code, "code")
            props = _props(inp, "name", "kind", "description", "country", "code", "population")
            city = g.create("City", {**props, "website": inp.website})
            if inp.partOfId:
                g.link("PART_OF", "City", "City", [{"src": city["id"], "dst": inp.partOfId}])
            return city

        return self._write(actor, work)

    @operation(Rule.of())
    def create_theme(self, actor: Actor, data: dict[str, Any]) -> Record:
        inp = validate(ThemeInput, data)

        def work(g: Graph) -> Record:
            g.authorize("input")
            return g.create("Theme", _props(inp, "name", "description"))

        return self._write(actor, work)

    @operation(Rule.of())
    def create_capability(self, actor: Actor, data: dict[str, Any]) -> Record:
        inp = validate(CapabilityInput, data)

        def work(g: Graph) -> Record:
            g.authorize("input")
            if inp.broaderId:
                g.require_one("Capability", inp.broaderId, "broaderId")
            g.require("Capability", inp.complementIds or [], "complementIds")
            cap = g.create("Capability", _props(inp, "name", "description"))
            if inp.broaderId:
                g.link("BROADER", "Capability", "Capability", [{"src": cap["id"], "dst": inp.broaderId}])
            self._complements(g, cap["id"], inp.complementIds or [])
            return cap

        return self._write(actor, work)

    @operation(Rule.of(), field="id")
    def update_capability(self, actor: Actor, capability_id: str, data: dict[str, Any]) -> Record:
        inp = validate(CapabilityUpdate, data)

        def work(g: Graph) -> Record:
            g.authorize("id")
            cap = g.require_one("Capability", capability_id, "id")
            g.require("Capability", inp.complementIds or [], "complementIds")
            if capability_id in (inp.complementIds or []):
                raise UserErrors.one(Code.INVALID, "complementIds", "a capability does not complement itself")
            cap = g.update(cap, _props(inp, "name", "description"))
            if inp.complementIds is not None:
                self._complements(g, capability_id, inp.complementIds)
            return cap

        return self._write(actor, work)

    @staticmethod
    def _complements(g: Graph, cap: str, others: list[str]) -> None:
        """Complementary is symmetric: both directions are stored, and kept together."""
        before = {n["id"] for n, _ in g.related("COMPLEMENTS", "Capability", "Capability", "out", [cap])[cap]}
        g.relink("COMPLEMENTS", "Capability", "Capability", cap, others)
        for gone in before - set(others):
            g.unlink("COMPLEMENTS", "Capability", "Capability", [(gone, cap)])
        back = g.related("COMPLEMENTS", "Capability", "Capability", "in", [cap])[cap]
        has_back = {n["id"] for n, _ in back}
        g.link(
            "COMPLEMENTS",
            "Capability",
            "Capability",
            [{"src": o, "dst": cap} for o in others if o not in has_back],
        )

    @operation(ANY_CITY)
    def create_goal(self, actor: Actor, data: dict[str, Any]) -> Record:
        inp = validate(GoalInput, data)

        def work(g: Graph) -> Record:
            g.require_one("City", inp.cityId, "cityId")
            g.authorize("cityId", city=inp.cityId)
            goal = g.create("Goal", _props(inp, "name", "description", "targetYear"))
            g.link("HAS_GOAL", "City", "Goal", [{"src": inp.cityId, "dst": goal["id"]}])
            return goal

        return self._write(actor, work)

    # Vendors and services ------------------------------------------------------------------
    @operation(Rule.of())
    def register_vendor(self, actor: Actor, data: dict[str, Any]) -> Record:
        """A new vendor; the same business id with the same name again returns the existing one."""
        inp = validate(VendorInput, data)

        def work(g: Graph) -> Record:
            g.authorize("input")
            holder = g.holder("Vendor", "businessId", inp.businessId) if inp.businessId else None
            if holder:  # a retry, or the same organisation again: idempotent by business id
                existing = g.require_one("Vendor", holder, "businessId")
                if existing["name"] == inp.name:
                    return existing
                raise UserErrors.one(
                    Code.DUPLICATE,
                    "businessId",
                    f"{holder} ({existing['name']}) already has business id {inp.businessId!r}",
                )
            props = _props(inp, "name", "description", "businessId", "country", "website")
            return g.create("Vendor", {**props, "illustrative": False})

        return self._write(actor, work)

    @operation(Rule.of(Role.VENDOR), field="id")
    def update_vendor(self, actor: Actor, vendor_id: str, data: dict[str, Any]) -> Record:
        inp = validate(VendorUpdate, data)

        def work(g: Graph) -> Record:
            g.authorize("id", vendor=vendor_id)
            vendor = g.require_one("Vendor", vendor_id, "id")
            g.unique("Vendor", "businessId", inp.businessId, "businessId", own_id=vendor_id)
            return g.update(vendor, _props(inp, "name", "description", "businessId", "country", "website"))

        return self._write(actor, work)

    @operation(Rule.of(Role.VENDOR, Role.CITY))
    def register_service(self, actor: Actor, data: dict[str, Any]) -> Record:
        """A vendor's offering or a city's in-house service. With an `externalId` this is an
        upsert per vendor: registering the same external id again updates that service."""
        inp = validate(ServiceInput, data)

        def work(g: Graph) -> Record:
            self._authorize_owner(g, inp)
            return self._register_service(g, inp)

        return self._write(actor, work)

    @operation(Rule.of(Role.VENDOR, Role.CITY))
    def register_services(self, actor: Actor, items: list[dict[str, Any]]) -> list[Record]:
        """Many offerings in one transaction: all are registered, or none (errors name the item).
        Every item is checked against the caller first: one forbidden item refuses the call."""
        if not items:
            raise UserErrors.one(Code.REQUIRED, "input", "give at least one service")
        if len(items) > MAX_BULK:
            raise UserErrors.one(Code.TOO_LONG, "input", f"at most {MAX_BULK} services at a time")
        valid, invalid = _gather(enumerate(items), lambda item: validate(ServiceInput, item))

        def work(g: Graph) -> list[Record]:
            allowed, forbidden = _gather(valid, lambda inp: self._authorize_owner(g, inp) or inp)
            if forbidden:  # one forbidden item refuses the whole call, before anything is written
                raise UserErrors(invalid + forbidden)
            done, failed = _gather(allowed, lambda inp: self._register_service(g, inp))
            if invalid or failed:
                raise UserErrors(sorted(invalid + failed, key=lambda e: _item_of(e.field)))
            return [service for _, service in done]

        return self._write(actor, work)

    @staticmethod
    def _authorize_owner(g: Graph, inp: ServiceInput) -> None:
        if inp.vendorId:
            g.authorize("vendorId", vendor=inp.vendorId)
        else:
            g.authorize("operatorCityId", city=inp.operatorCityId)

    def _register_service(self, g: Graph, inp: ServiceInput) -> Record:
        if inp.vendorId:
            g.require_one("Vendor", inp.vendorId, "vendorId")
        else:
            g.require_one("City", inp.operatorCityId, "operatorCityId")
        _check_links(g, "Service", inp)
        owner_id = inp.vendorId or inp.operatorCityId
        key = external_key(owner_id, inp.externalId)
        holder = g.holder("Service", "externalKey", key) if key else None
        existing = g.require_one("Service", holder, "externalId") if holder else None
        props = _props(inp, "name", "description", "externalId", "website")
        if existing:
            if existing["lifecycle"] == "RETIRED":
                raise UserErrors.one(Code.INVALID_STATE, "externalId", f"service {existing['id']} is retired")
            service = g.update(existing, props)
        else:
            service = g.create("Service", {**props, "externalKey": key, "lifecycle": "ACTIVE"})
            owner, rel = ("Vendor", "OFFERS") if inp.vendorId else ("City", "OPERATES")
            g.link(rel, owner, "Service", [{"src": owner_id, "dst": service["id"]}])
        _set_links(g, "Service", service["id"], inp, replace=existing is not None)
        return service

    def _own_service(self, g: Graph, service_id: str, field: str) -> Record:
        """The service, once the caller is checked against its vendor (or operating city)."""
        service_owner = self._owner(g, service_id)
        g.authorize(field, **service_owner)
        return g.require_one("Service", service_id, field)

    @staticmethod
    def _owner(g: Graph, service_id: str) -> dict[str, str | None]:
        vendors = g.related("OFFERS", "Vendor", "Service", "in", [service_id]).get(service_id, [])
        operators = g.related("OPERATES", "City", "Service", "in", [service_id]).get(service_id, [])
        return {
            "vendor": vendors[0][0]["id"] if vendors else None,
            "city": operators[0][0]["id"] if operators else None,
        }

    @operation(Rule.of(Role.VENDOR, Role.CITY), field="id")
    def update_service(self, actor: Actor, service_id: str, data: dict[str, Any]) -> Record:
        inp = validate(ServiceUpdate, data)

        def work(g: Graph) -> Record:
            service = self._own_service(g, service_id, "id")
            if service["lifecycle"] == "RETIRED":
                raise UserErrors.one(Code.INVALID_STATE, "id", "a retired service cannot change")
            _check_links(g, "Service", inp)
            service = g.update(service, _props(inp, "name", "description", "website"))
            _set_links(g, "Service", service_id, inp, replace=True)
            return service

        return self._write(actor, work)

    @operation(Rule.of(Role.VENDOR, Role.CITY), field="id")
    def retire_service(self, actor: Actor, service_id: str, reason: str | None) -> Record:
        inp = validate(RetireInput, {"reason": reason})

        def work(g: Graph) -> Record:
            service = self._own_service(g, service_id, "id")
            if service["lifecycle"] == "RETIRED":
                raise UserErrors.one(Code.INVALID_STATE, "id", "the service is already retired")
            retired = {"lifecycle": "RETIRED", "retiredAt": now(), "retiredReason": inp.reason or None}
            return g.update(service, retired)

        return self._write(actor, work)

    @operation(Rule.of(Role.CITY, Role.VENDOR), field="cityId")
    def use_service(self, actor: Actor, city_id: str, service_id: str, since: date | None) -> Record:
        """A city records that it uses a service (using it again updates `since`), or the
        service's vendor claims it does: the claim waits for the city to verify it."""

        def work(g: Graph) -> Record:
            g.require_one("City", city_id, "cityId")
            vendor = self._owner(g, service_id)["vendor"]
            g.authorize("cityId", city=city_id, vendor=vendor, vendor_field="serviceId")
            service = g.require_one("Service", service_id, "serviceId")
            if service["lifecycle"] == "RETIRED":
                raise UserErrors.one(Code.INVALID_STATE, "serviceId", "the service is retired")
            used = g.related("USES", "City", "Service", "out", [city_id])[city_id]
            edge = next((props for s, props in used if s["id"] == service_id), None)
            row = {"src": city_id, "dst": service_id, "since": since or now().date(), **claim(actor)}
            was = [{"src": city_id, "dst": service_id, **(edge or {})}]
            if edge is None:
                g.link("USES", "City", "Service", [row])
            elif actor.role is Role.VENDOR:
                if edge["status"] == "REJECTED":
                    raise UserErrors.one(Code.INVALID_STATE, "serviceId", f"{city_id} rejected this claim")
                if edge["status"] == "CLAIMED":
                    g.set_edges("USES", "City", "Service", [{**edge, **row}], was)
            else:  # the city itself: its word verifies a vendor's claim too; an ended use starts again
                start = since or (now().date() if edge["until"] else edge["since"])
                g.set_edges("USES", "City", "Service", [{**edge, **row, "since": start, "until": None}], was)
            return service

        return self._write(actor, work)

    @operation(ANY_CITY, field="cityId")
    def stop_using_service(self, actor: Actor, city_id: str, service_id: str, until: date | None) -> Record:
        """A city records that it stopped using a service on `until` (default today); the use
        stays on record, and analyses as of that day or later leave it out."""
        inp = validate(StopUseInput, {"until": until})

        def work(g: Graph) -> Record:
            g.require_one("City", city_id, "cityId")
            g.authorize("cityId", city=city_id)
            service = g.require_one("Service", service_id, "serviceId")
            used = g.related("USES", "City", "Service", "out", [city_id])[city_id]
            edge = next((props for s, props in used if s["id"] == service_id), None)
            if edge is None or edge["status"] == "REJECTED":
                raise UserErrors.one(Code.NOT_FOUND, "serviceId", f"{city_id} does not use {service_id}")
            if edge["until"] is not None:
                raise UserErrors.one(
                    Code.INVALID_STATE, "serviceId", f"the use already ended on {edge['until']}"
                )
            end = inp.until or now().date()
            if edge["since"] and end < edge["since"]:
                raise UserErrors.one(
                    Code.INVALID_DATE_RANGE, "until", f"is before the use began ({edge['since']})"
                )
            was = {**edge, "src": city_id, "dst": service_id}
            g.set_edges("USES", "City", "Service", [{**was, "until": end}], [was])
            return service

        return self._write(actor, work)

    @operation(ANY_CITY)
    def review_claim(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        """Verify or reject a vendor's claim: that a city uses its service, or that its service
        has a capability or addresses a need."""
        inp = validate(ReviewInput, data)
        rel, src, dst = {
            "USES": ("USES", "City", "Service"),
            "CAPABILITY": ("HAS_CAPABILITY", "Service", "Capability"),
            "NEED": ("ADDRESSES", "Service", "Need"),
        }[inp.kind]

        def work(g: Graph) -> dict[str, Any]:
            g.require_one("Service", inp.serviceId, "serviceId")
            g.require_one(dst if rel != "USES" else "City", inp.targetId, "targetId")
            if inp.kind == "USES":
                g.authorize("targetId", city=inp.targetId)
            elif inp.kind == "NEED":
                owner = g.related("HAS_NEED", "City", "Need", "in", [inp.targetId]).get(inp.targetId, [])
                g.authorize("targetId", city=owner[0][0]["id"] if owner else None)
            else:  # a capability claim: a city that uses or runs the service may judge it
                users = g.related("USES", "City", "Service", "in", [inp.serviceId]).get(inp.serviceId, [])
                operator = self._owner(g, inp.serviceId)["city"]
                g.authorize(
                    "serviceId", cities=[c["id"] for c, _ in users] + ([operator] if operator else [])
                )
            a, b = (inp.targetId, inp.serviceId) if rel == "USES" else (inp.serviceId, inp.targetId)
            edge = next((p for n, p in g.related(rel, src, dst, "out", [a]).get(a, []) if n["id"] == b), None)
            if edge is None:
                raise UserErrors.one(Code.NOT_FOUND, "targetId", f"no link from {a} to {b} to review")
            reviewed = {**edge, "src": a, "dst": b, "status": inp.verdict, "reviewedBy": actor.id}
            g.set_edges(rel, src, dst, [{**reviewed, "reviewedAt": now()}], [{**edge, "src": a, "dst": b}])
            return {"kind": inp.kind, "serviceId": inp.serviceId, "targetId": inp.targetId, **reviewed}

        return self._write(actor, work)

    # Needs ---------------------------------------------------------------------------------
    @operation(ANY_CITY)
    def create_need(self, actor: Actor, data: dict[str, Any]) -> Record:
        inp = validate(NeedInput, data)

        def work(g: Graph) -> Record:
            g.require_one("City", inp.cityId, "cityId")
            g.authorize("cityId", city=inp.cityId)
            _check_links(g, "Need", inp)
            need = g.create("Need", {**_props(inp, "title", "description"), "status": "OPEN"})
            g.link("HAS_NEED", "City", "Need", [{"src": inp.cityId, "dst": need["id"]}])
            _set_links(g, "Need", need["id"], inp, replace=False)
            return need

        return self._write(actor, work)

    @operation(ANY_CITY, field="id")
    def update_need(self, actor: Actor, need_id: str, data: dict[str, Any]) -> Record:
        inp = validate(NeedUpdate, data)

        def work(g: Graph) -> Record:
            need = g.require_one("Need", need_id, "id")
            g.authorize("id", city=self._city_of(g, "HAS_NEED", "Need", need_id))
            _check_links(g, "Need", inp)
            need = g.update(need, _props(inp, "title", "description", "status"))
            _set_links(g, "Need", need_id, inp, replace=True)
            return need

        return self._write(actor, work)

    @staticmethod
    def _city_of(g: Graph, rel: str, label: str, node_id: str) -> str | None:
        owners = g.related(rel, "City", label, "in", [node_id]).get(node_id, [])
        return owners[0][0]["id"] if owners else None

    # Radar ---------------------------------------------------------------------------------
    @operation(ANY_CITY, field="cityId")
    def set_stance(
        self, actor: Actor, city_id: str, capability_id: str, ring: str, rationale: str | None
    ) -> dict[str, Any]:
        """A new stance of the city on a capability; earlier ones stay as its history."""
        inp = validate(StanceInput, {"ring": ring, "rationale": rationale})

        def work(g: Graph) -> dict[str, Any]:
            g.require_one("City", city_id, "cityId")
            g.authorize("cityId", city=city_id)
            g.require_one("Capability", capability_id, "capabilityId")
            change = {"ring": inp.ring, "since": now(), "rationale": inp.rationale}
            g.link("STANCE", "City", "Capability", [{"src": city_id, "dst": capability_id, **change}])
            return change

        return self._write(actor, work)

    # Pilots and decisions ------------------------------------------------------------------
    @operation(ANY_CITY)
    def create_pilot(self, actor: Actor, data: dict[str, Any]) -> Record:
        inp = validate(PilotInput, data)

        def work(g: Graph) -> Record:
            pilots.check_dates(inp.startDate, inp.endDate)
            g.require_one("City", inp.cityId, "cityId")
            g.authorize("cityId", city=inp.cityId)
            _check_links(g, "Pilot", inp)
            props = _props(inp, "title", "description", "startDate", "endDate", "budgetEur")
            pilot = g.create(
                "Pilot", {**props, "status": "PROPOSED", "successCriteria": _json(inp.successCriteria)}
            )
            g.link("RUNS", "City", "Pilot", [{"src": inp.cityId, "dst": pilot["id"]}])
            _set_links(g, "Pilot", pilot["id"], inp, replace=False)
            return pilot

        return self._write(actor, work)

    def _own_pilot(self, g: Graph, pilot_id: str, field: str) -> Record:
        pilot = g.require_one("Pilot", pilot_id, field)
        g.authorize(field, city=self._city_of(g, "RUNS", "Pilot", pilot_id))
        return pilot

    @operation(ANY_CITY, field="id")
    def update_pilot(self, actor: Actor, pilot_id: str, data: dict[str, Any]) -> Record:
        inp = validate(PilotUpdate, data)

        def work(g: Graph) -> Record:
            pilot = self._own_pilot(g, pilot_id, "id")
            pilots.check_editable(pilot["status"])
            _check_links(g, "Pilot", inp)
            changes = _props(inp, "title", "description", "startDate", "endDate", "budgetEur")
            if inp.successCriteria is not None:
                changes["successCriteria"] = _json(inp.successCriteria)
            pilots.check_dates(
                changes.get("startDate", pilot["startDate"]), changes.get("endDate", pilot["endDate"])
            )
            pilot = g.update(pilot, changes)
            _set_links(g, "Pilot", pilot_id, inp, replace=True)
            return pilot

        return self._write(actor, work)

    def _transition(self, actor: Actor, pilot_id: str, action: str, extra) -> Record:
        def work(g: Graph) -> Record:
            pilot = self._own_pilot(g, pilot_id, "id")
            status = pilots.next_status(action, pilot["status"])
            return g.update(pilot, {"status": status, **extra(pilot)})

        return self._write(actor, work)

    @operation(ANY_CITY, field="id")
    def start_pilot(self, actor: Actor, pilot_id: str) -> Record:
        def stamps(pilot: Record) -> dict[str, Any]:
            return {"startedAt": now(), "startDate": pilot["startDate"] or now().date()}

        return self._transition(actor, pilot_id, "start", stamps)

    @operation(ANY_CITY, field="id")
    def end_pilot(self, actor: Actor, pilot_id: str) -> Record:
        def stamps(pilot: Record) -> dict[str, Any]:
            return {"endedAt": now(), "endDate": pilot["endDate"] or now().date()}

        return self._transition(actor, pilot_id, "end", stamps)

    @operation(ANY_CITY, field="id")
    def cancel_pilot(self, actor: Actor, pilot_id: str, reason: str | None) -> Record:
        inp = validate(CancelInput, {"id": pilot_id, "reason": reason})
        return self._transition(
            actor, pilot_id, "cancel", lambda _: {"cancelledAt": now(), "cancelReason": inp.reason}
        )

    @operation(Rule.of(Role.CITY, Role.PROCUREMENT))
    def record_decision(self, actor: Actor, data: dict[str, Any]) -> tuple[Record, Record]:
        """A new decision for the pilot, superseding its current one if it has one. Who recorded
        it is the caller (`decidedById`); `decidedBy` is a display name, the caller's by default."""
        inp = validate(DecisionInput, data)

        def work(g: Graph) -> tuple[Record, Record]:
            pilot = self._own_pilot(g, inp.pilotId, "pilotId")
            problems = pilots.decision_problems(inp, pilots.criteria_of(pilot))
            if problems:
                raise UserErrors(problems)
            status = pilots.next_status("decide", pilot["status"])
            decided = g.related("DECIDED", "Pilot", "Decision", "out", [pilot["id"]])
            current = pilots.current_decision([d for d, _ in decided[pilot["id"]]])
            decision = g.create(
                "Decision",
                {
                    "outcome": inp.outcome,
                    "rationale": inp.rationale,
                    "lessons": inp.lessons,
                    "nextSteps": inp.nextSteps or [],
                    "decidedBy": inp.decidedBy or actor.name,
                    "decidedById": actor.id,
                    "decidedAt": now(),
                    "results": _json(inp.results),
                    "procurementRef": inp.procurementRef,
                },
            )
            g.link("DECIDED", "Pilot", "Decision", [{"src": pilot["id"], "dst": decision["id"]}])
            if current:
                g.link("SUPERSEDES", "Decision", "Decision", [{"src": decision["id"], "dst": current["id"]}])
            return g.update(pilot, {"status": status}), decision

        return self._write(actor, work)

    # API keys --------------------------------------------------------------------------------
    @operation(Rule.of())
    def create_api_key(self, actor: Actor, data: dict[str, Any]) -> tuple[str, Record]:
        """A new key for a machine client. Returns the key itself, shown this once (only the
        SHA-256 of its secret is kept), and its record."""
        inp = validate(ApiKeyInput, data)
        public, secret = secrets.token_hex(8), secrets.token_urlsafe(32)

        def work(g: Graph) -> Record:
            g.authorize("input")
            if inp.cityId:
                g.require_one("City", inp.cityId, "cityId")
            if inp.vendorId:
                g.require_one("Vendor", inp.vendorId, "vendorId")
            key = {
                "id": f"ApiKey:{public}",
                "name": inp.name,
                "role": inp.role,
                "cityId": inp.cityId,
                "vendorId": inp.vendorId,
                "hash": _digest(secret),
                "createdAt": now(),
                "createdBy": actor.id,
                "revokedAt": None,
            }
            g.run("apikey.create", {"rows": [key]})
            for name in ("name", "role", "cityId", "vendorId"):
                if key[name] is not None:
                    g.journal.field(key["id"], name, None, key[name])
            return key

        return f"{KEY_PREFIX}_{public}_{secret}", self._write(actor, work)

    @operation(Rule.of(), field="id")
    def revoke_api_key(self, actor: Actor, key_id: str) -> Record:
        def work(g: Graph) -> Record:
            g.authorize("id")
            found = g.run("apikey.get", {"ids": [key_id]})
            if not found:
                raise UserErrors.one(Code.NOT_FOUND, "id", f"no API key {key_id}")
            if found[0]["k"].get("revokedAt"):
                raise UserErrors.one(Code.INVALID_STATE, "id", f"{key_id} is already revoked")
            at = now()
            g.run("apikey.revoke", {"id": key_id, "at": at})
            g.journal.field(key_id, "revokedAt", None, at)
            return api_key_record({**found[0]["k"], "revokedAt": at})

        return self._write(actor, work)

    def api_keys(self) -> list[Record]:
        return [api_key_record(row["k"]) for row in self.store.read("apikey.all")]

    def has_admin_key(self) -> bool:
        return self.store.read("apikey.admins", {"role": Role.ADMIN.value})[0]["count"] > 0

    def authenticate(self, token: str) -> Actor | None:
        """The actor an API key stands for; None for anything that is not a live key."""
        prefix, _, rest = token.partition("_")
        public, _, secret = rest.partition("_")
        if prefix != KEY_PREFIX or not public or not secret:
            return None
        rows = self.store.read("apikey.get", {"ids": [f"ApiKey:{public}"]})
        if not rows:
            return None
        key = rows[0]["k"]
        if key.get("revokedAt") or not hmac.compare_digest(key["hash"], _digest(secret)):
            return None
        return Actor(key["id"], key["name"], Role(key["role"]), key.get("cityId"), key.get("vendorId"))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_record(key: dict[str, Any]) -> Record:
    """A key's record without its hash."""
    return {p.name: key.get(p.name) for p in INTERNAL["ApiKey"] if p.name != "hash"}
