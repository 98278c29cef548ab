"""The registry's use cases: validate the input (domain), check it against the graph, and write
it in one transaction — or raise `UserErrors` and write nothing.

The API's mutations and the CLI both call these; they block, so the API runs them in a worker
thread.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from .domain import pilots
from .domain.errors import Code, UserError, UserErrors
from .domain.inputs import (
    CancelInput,
    CapabilityInput,
    CityInput,
    DecisionInput,
    GoalInput,
    Input,
    NeedInput,
    NeedUpdate,
    PilotInput,
    PilotUpdate,
    ServiceInput,
    ServiceUpdate,
    StanceInput,
    ThemeInput,
    VendorInput,
    VendorUpdate,
    validate,
)
from .graph.access import Graph, Record, external_key, now
from .graph.store import DuplicateKeyError, Store

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
        ("needIds", "FOR_NEED", "Need"),
        ("serviceIds", "TRIALS", "Service"),
        ("vendorIds", "PARTNER", "Vendor"),
    ),
}


def _check_links(g: Graph, label: str, inp: Input) -> None:
    """NOT_FOUND for any linked id that is not a node of the right label."""
    for field, _, target in LINKS[label]:
        g.require(target, getattr(inp, field) or [], field)


def _set_links(g: Graph, label: str, node_id: str, inp: Input, replace: bool) -> None:
    """Make the node's links what the input says; on update, a field not given stays as it is."""
    for field, rel, target in LINKS[label]:
        ids = getattr(inp, field)
        if ids is None and replace:
            continue
        g.relink(rel, label, target, node_id, ids or [])


MAX_BULK = 500
DUPLICATE_FIELDS = {"externalKey": "externalId"}
"""The input field to name when the store refuses a unique value (where the names differ)."""


def _json(models) -> str | None:
    """Lists of small records (criteria, results) are kept as JSON text: both stores hold it."""
    return json.dumps([m.model_dump() for m in models], ensure_ascii=False) if models else None


def _each(items: list, fn) -> list:
    """`fn` over every item, collecting every item's errors with its index in the field name."""
    results, errors = [], []
    for i, item in enumerate(items):
        try:
            results.append(fn(item))
        except UserErrors as exc:
            errors += [
                UserError(e.code, f"input[{i}].{e.field}" if e.field else f"input[{i}]", e.message)
                for e in exc.errors
            ]
    if errors:
        raise UserErrors(errors)
    return results


def _props(inp: Input, *fields: str) -> dict[str, Any]:
    """The given scalar fields plus language variants, leaving out what was not given."""
    data = {f: getattr(inp, f) for f in fields if getattr(inp, f) is not None}
    data.update(inp.translated())
    return data


class Registry:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _write(self, work):
        try:
            return self.store.write(lambda tx: work(Graph(tx.run)))
        except DuplicateKeyError as exc:
            # Another transaction got there first (the checks above ran before it committed).
            field = DUPLICATE_FIELDS.get(exc.prop, exc.prop)
            raise UserErrors.one(Code.DUPLICATE, field, str(exc)) from None

    # Cities, themes, capabilities, goals -----------------------------------------------------
    def create_city(self, data: dict[str, Any]) -> Record:
        inp = validate(CityInput, data)

        def work(g: Graph) -> Record:
            if inp.partOfId:
                g.require_one("City", inp.partOfId, "partOfId")
            g.unique("City", "code", inp.code, "code")
            props = _props(inp, "name", "kind", "description", "country", "code", "population")
            city = g.create("City", {**props, "website": inp.website})
            if inp.partOfId:
                g.link("PART_OF", "City", "City", [{"src": city["id"], "dst": inp.partOfId}])
            return city

        return self._write(work)

    def create_theme(self, data: dict[str, Any]) -> Record:
        inp = validate(ThemeInput, data)
        return self._write(lambda g: g.create("Theme", _props(inp, "name", "description")))

    def create_capability(self, data: dict[str, Any]) -> Record:
        inp = validate(CapabilityInput, data)

        def work(g: Graph) -> Record:
            if inp.broaderId:
                g.require_one("Capability", inp.broaderId, "broaderId")
            cap = g.create("Capability", _props(inp, "name", "description"))
            if inp.broaderId:
                g.link(
                    "BROADER",
                    "Capability",
                    "Capability",
                    [{"src": cap["id"], "dst": inp.broaderId}],
                )
            return cap

        return self._write(work)

    def create_goal(self, data: dict[str, Any]) -> Record:
        inp = validate(GoalInput, data)

        def work(g: Graph) -> Record:
            g.require_one("City", inp.cityId, "cityId")
            goal = g.create("Goal", _props(inp, "name", "description", "targetYear"))
            g.link("HAS_GOAL", "City", "Goal", [{"src": inp.cityId, "dst": goal["id"]}])
            return goal

        return self._write(work)

    # Vendors and services ------------------------------------------------------------------
    def register_vendor(self, data: dict[str, Any]) -> Record:
        inp = validate(VendorInput, data)

        def work(g: Graph) -> Record:
            g.unique("Vendor", "businessId", inp.businessId, "businessId")
            props = _props(inp, "name", "description", "businessId", "country", "website")
            return g.create("Vendor", {**props, "illustrative": False})

        return self._write(work)

    def update_vendor(self, vendor_id: str, data: dict[str, Any]) -> Record:
        inp = validate(VendorUpdate, data)

        def work(g: Graph) -> Record:
            vendor = g.require_one("Vendor", vendor_id, "id")
            g.unique("Vendor", "businessId", inp.businessId, "businessId", own_id=vendor_id)
            return g.update(vendor, _props(inp, "name", "description", "businessId", "country", "website"))

        return self._write(work)

    def register_service(self, data: dict[str, Any]) -> Record:
        """A vendor's offering or a city's in-house service. With an `externalId` this is an
        upsert per vendor: registering the same external id again updates that service."""
        inp = validate(ServiceInput, data)
        return self._write(lambda g: self._register_service(g, inp))

    def register_services(self, items: list[dict[str, Any]]) -> list[Record]:
        """Many offerings in one transaction: all are registered, or none (errors name the item)."""
        if not items:
            raise UserErrors.one(Code.REQUIRED, "input", "give at least one service")
        if len(items) > MAX_BULK:
            raise UserErrors.one(Code.TOO_LONG, "input", f"at most {MAX_BULK} services at a time")
        inputs = _each(items, lambda item: validate(ServiceInput, item))

        def work(g: Graph) -> list[Record]:
            return _each(inputs, lambda inp: self._register_service(g, inp))

        return self._write(work)

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

    def update_service(self, service_id: str, data: dict[str, Any]) -> Record:
        inp = validate(ServiceUpdate, data)

        def work(g: Graph) -> Record:
            service = g.require_one("Service", service_id, "id")
            if service["lifecycle"] == "RETIRED":
                raise UserErrors.one(Code.INVALID_STATE, "id", "a retired service cannot change")
            _check_links(g, "Service", inp)
            service = g.update(service, _props(inp, "name", "description", "website"))
            _set_links(g, "Service", service_id, inp, replace=True)
            return service

        return self._write(work)

    def retire_service(self, service_id: str, reason: str | None) -> Record:
        def work(g: Graph) -> Record:
            service = g.require_one("Service", service_id, "id")
            if service["lifecycle"] == "RETIRED":
                raise UserErrors.one(Code.INVALID_STATE, "id", "the service is already retired")
            reason_text = (reason or "").strip() or None
            return g.update(
                service, {"lifecycle": "RETIRED", "retiredAt": now(), "retiredReason": reason_text}
            )

        return self._write(work)

    def use_service(self, city_id: str, service_id: str, since: date | None) -> Record:
        """Record that a city uses a service; using it again only updates `since`."""

        def work(g: Graph) -> Record:
            g.require_one("City", city_id, "cityId")
            service = g.require_one("Service", service_id, "serviceId")
            if service["lifecycle"] == "RETIRED":
                raise UserErrors.one(Code.INVALID_STATE, "serviceId", "the service is retired")
            used = g.related("USES", "City", "Service", "out", [city_id])[city_id]
            if any(s["id"] == service_id for s, _ in used):
                g.unlink("USES", "City", "Service", [(city_id, service_id)])
            g.link(
                "USES",
                "City",
                "Service",
                [{"src": city_id, "dst": service_id, "since": since or now().date()}],
            )
            return service

        return self._write(work)

    # Needs ---------------------------------------------------------------------------------
    def create_need(self, data: dict[str, Any]) -> Record:
        inp = validate(NeedInput, data)

        def work(g: Graph) -> Record:
            g.require_one("City", inp.cityId, "cityId")
            _check_links(g, "Need", inp)
            need = g.create("Need", {**_props(inp, "title", "description"), "status": "OPEN"})
            g.link("HAS_NEED", "City", "Need", [{"src": inp.cityId, "dst": need["id"]}])
            _set_links(g, "Need", need["id"], inp, replace=False)
            return need

        return self._write(work)

    def update_need(self, need_id: str, data: dict[str, Any]) -> Record:
        inp = validate(NeedUpdate, data)

        def work(g: Graph) -> Record:
            need = g.require_one("Need", need_id, "id")
            _check_links(g, "Need", inp)
            need = g.update(need, _props(inp, "title", "description", "status"))
            _set_links(g, "Need", need_id, inp, replace=True)
            return need

        return self._write(work)

    # Radar ---------------------------------------------------------------------------------
    def set_stance(
        self, city_id: str, capability_id: str, ring: str, rationale: str | None
    ) -> dict[str, Any]:
        """A new stance of the city on a capability; earlier ones stay as its history."""
        inp = validate(StanceInput, {"ring": ring, "rationale": rationale})

        def work(g: Graph) -> dict[str, Any]:
            g.require_one("City", city_id, "cityId")
            g.require_one("Capability", capability_id, "capabilityId")
            change = {"ring": inp.ring, "since": now(), "rationale": inp.rationale}
            g.link("STANCE", "City", "Capability", [{"src": city_id, "dst": capability_id, **change}])
            return change

        return self._write(work)

    # Pilots and decisions ------------------------------------------------------------------
    def create_pilot(self, data: dict[str, Any]) -> Record:
        inp = validate(PilotInput, data)

        def work(g: Graph) -> Record:
            pilots.check_dates(inp.startDate, inp.endDate)
            g.require_one("City", inp.cityId, "cityId")
            _check_links(g, "Pilot", inp)
            props = _props(inp, "title", "description", "startDate", "endDate", "budgetEur")
            pilot = g.create(
                "Pilot", {**props, "status": "PROPOSED", "successCriteria": _json(inp.successCriteria)}
            )
            g.link("RUNS", "City", "Pilot", [{"src": inp.cityId, "dst": pilot["id"]}])
            _set_links(g, "Pilot", pilot["id"], inp, replace=False)
            return pilot

        return self._write(work)

    def update_pilot(self, pilot_id: str, data: dict[str, Any]) -> Record:
        inp = validate(PilotUpdate, data)

        def work(g: Graph) -> Record:
            pilot = g.require_one("Pilot", pilot_id, "id")
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

        return self._write(work)

    def _transition(self, pilot_id: str, action: str, extra) -> Record:
        def work(g: Graph) -> Record:
            pilot = g.require_one("Pilot", pilot_id, "id")
            status = pilots.next_status(action, pilot["status"])
            return g.update(pilot, {"status": status, **extra(pilot)})

        return self._write(work)

    def start_pilot(self, pilot_id: str) -> Record:
        def stamps(pilot: Record) -> dict[str, Any]:
            return {"startedAt": now(), "startDate": pilot["startDate"] or now().date()}

        return self._transition(pilot_id, "start", stamps)

    def end_pilot(self, pilot_id: str) -> Record:
        def stamps(pilot: Record) -> dict[str, Any]:
            return {"endedAt": now(), "endDate": pilot["endDate"] or now().date()}

        return self._transition(pilot_id, "end", stamps)

    def cancel_pilot(self, pilot_id: str, reason: str | None) -> Record:
        inp = validate(CancelInput, {"id": pilot_id, "reason": reason})
        return self._transition(
            pilot_id, "cancel", lambda _: {"cancelledAt": now(), "cancelReason": inp.reason}
        )

    def record_decision(self, data: dict[str, Any]) -> tuple[Record, Record]:
        """A new decision for the pilot, superseding its current one if it has one."""
        inp = validate(DecisionInput, data)

        def work(g: Graph) -> tuple[Record, Record]:
            pilot = g.require_one("Pilot", inp.pilotId, "pilotId")
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
                    "decidedBy": inp.decidedBy,
                    "decidedAt": now(),
                    "results": _json(inp.results),
                    "procurementRef": inp.procurementRef,
                },
            )
            g.link("DECIDED", "Pilot", "Decision", [{"src": pilot["id"], "dst": decision["id"]}])
            if current:
                g.link(
                    "SUPERSEDES",
                    "Decision",
                    "Decision",
                    [{"src": decision["id"], "dst": current["id"]}],
                )
            return g.update(pilot, {"status": status}), decision

        return self._write(work)
