"""Mutations. Each returns a payload with the object and `errors { code field message }`; when
`errors` is not empty nothing was written.
"""

from __future__ import annotations

from typing import Any

import graphene

from .analysis import PilotMatch, pilot_warnings
from .payloads import UserError, plain, run
from .types import TYPES, CityKind, NeedStatus, Outcome


class LocalizedTextInput(graphene.InputObjectType):
    lang = graphene.String(required=True, description="fi, sv or en")
    text = graphene.String(required=True)


def _localized(*fields: str) -> dict[str, Any]:
    return {f: graphene.List(graphene.NonNull(LocalizedTextInput)) for f in fields}


def _input(name: str, fields: dict[str, Any]) -> type[graphene.InputObjectType]:
    return type(name, (graphene.InputObjectType,), fields)


_ids = graphene.List(graphene.NonNull(graphene.ID))
CreateCityInput = _input(
    "CreateCityInput",
    {
        "name": graphene.String(required=True),
        "kind": CityKind(required=True),
        "description": graphene.String(),
        "country": graphene.String(description="ISO 3166-1 alpha-2"),
        "code": graphene.String(),
        "population": graphene.Int(),
        "website": graphene.String(),
        "part_of_id": graphene.ID(),
        **_localized("names", "descriptions"),
    },
)
CreateThemeInput = _input(
    "CreateThemeInput",
    {
        "name": graphene.String(required=True),
        "description": graphene.String(),
        **_localized("names", "descriptions"),
    },
)
_complements = graphene.List(
    graphene.NonNull(graphene.ID),
    description="Capabilities this one works together with, e.g. booking and identification: "
    "services whose only common ground is complementary capabilities are not duplicates.",
)
CreateCapabilityInput = _input(
    "CreateCapabilityInput",
    {
        "name": graphene.String(required=True),
        "description": graphene.String(),
        "broader_id": graphene.ID(),
        "complement_ids": _complements,
        **_localized("names", "descriptions"),
    },
)
UpdateCapabilityInput = _input(
    "UpdateCapabilityInput",
    {
        "name": graphene.String(),
        "description": graphene.String(),
        "complement_ids": _complements,
        **_localized("names", "descriptions"),
    },
)
CreateGoalInput = _input(
    "CreateGoalInput",
    {
        "city_id": graphene.ID(required=True),
        "name": graphene.String(required=True),
        "description": graphene.String(),
        "target_year": graphene.Int(),
        **_localized("names", "descriptions"),
    },
)
_vendor_fields = {
    "description": graphene.String(),
    "business_id": graphene.String(),
    "country": graphene.String(),
    "website": graphene.String(),
    **_localized("names", "descriptions"),
}
RegisterVendorInput = _input(
    "RegisterVendorInput", {"name": graphene.String(required=True), **_vendor_fields}
)
UpdateVendorInput = _input("UpdateVendorInput", {"name": graphene.String(), **_vendor_fields})
_service_fields = {
    "description": graphene.String(),
    "capability_ids": _ids,
    "need_ids": _ids,
    "theme_ids": _ids,
    "website": graphene.String(),
    **_localized("names", "descriptions"),
}
RegisterServiceInput = _input(
    "RegisterServiceInput",
    {
        "vendor_id": graphene.ID(description="The vendor offering it (or give operatorCityId)."),
        "operator_city_id": graphene.ID(description="The city running it in-house."),
        "name": graphene.String(required=True),
        "external_id": graphene.String(
            description="The vendor's own id: registering it again updates the same service."
        ),
        **_service_fields,
    },
)
UpdateServiceInput = _input("UpdateServiceInput", {"name": graphene.String(), **_service_fields})
_need_fields = {
    "description": graphene.String(),
    "theme_ids": _ids,
    "capability_ids": _ids,
    "goal_ids": _ids,
    **_localized("titles", "descriptions"),
}
CreateNeedInput = _input(
    "CreateNeedInput",
    {"city_id": graphene.ID(required=True), "title": graphene.String(required=True), **_need_fields},
)
UpdateNeedInput = _input(
    "UpdateNeedInput", {"title": graphene.String(), "status": NeedStatus(), **_need_fields}
)


class SuccessCriterionInput(graphene.InputObjectType):
    name = graphene.String(required=True)
    target = graphene.Float()
    unit = graphene.String()


class MeasuredResultInput(graphene.InputObjectType):
    name = graphene.String(required=True, description="The success criterion measured.")
    measured = graphene.Float()
    met = graphene.Boolean(required=True)


_pilot_fields = {
    "description": graphene.String(),
    "capability_ids": graphene.List(
        graphene.NonNull(graphene.ID),
        description="Capabilities the pilot is about besides those of the services it trials.",
    ),
    "need_ids": _ids,
    "service_ids": _ids,
    "vendor_ids": _ids,
    "start_date": graphene.Date(),
    "end_date": graphene.Date(),
    "budget_eur": graphene.Float(),
    "success_criteria": graphene.List(graphene.NonNull(SuccessCriterionInput)),
    **_localized("titles", "descriptions"),
}
CreatePilotInput = _input(
    "CreatePilotInput",
    {"city_id": graphene.ID(required=True), "title": graphene.String(required=True), **_pilot_fields},
)
UpdatePilotInput = _input("UpdatePilotInput", {"title": graphene.String(), **_pilot_fields})
RecordDecisionInput = _input(
    "RecordDecisionInput",
    {
        "pilot_id": graphene.ID(required=True),
        "outcome": Outcome(required=True),
        "rationale": graphene.String(description="Why; at least 20 characters (RATIONALE_TOO_SHORT)."),
        "lessons": graphene.List(
            graphene.NonNull(graphene.String), description="At least one (LESSONS_REQUIRED)."
        ),
        "next_steps": graphene.List(
            graphene.NonNull(graphene.String), description="At least one for DEVELOP (NEXT_STEPS_REQUIRED)."
        ),
        "decided_by": graphene.String(
            description="A display name, e.g. the board that decided; who recorded it comes from the "
            "credentials."
        ),
        "results": graphene.List(graphene.NonNull(MeasuredResultInput)),
        "procurement_ref": graphene.String(
            description="DEVELOP only: an OCDS ocid or the city's own reference."
        ),
    },
)


def payload(name: str, field: str, type_name: str, extra: dict | None = None):
    attrs = {
        field: graphene.Field(lambda: TYPES[type_name]),
        "errors": graphene.List(graphene.NonNull(UserError), required=True),
        **(extra or {}),
    }
    return type(f"{name}Payload", (graphene.ObjectType,), attrs)


def simple(name: str, field: str, type_name: str, input_type, method: str, doc: str):
    """A mutation taking `input` and returning `{field, errors}`."""
    Payload = payload(name, field, type_name)

    async def mutate(root, info, input):
        result, errors = await run(info, getattr(info.context.registry, method), plain(input))
        return Payload(**{field: result, "errors": errors})

    return graphene.Field(
        Payload, required=True, input=input_type(required=True), resolver=mutate, description=doc
    )


def updating(name: str, field: str, type_name: str, input_type, method: str, doc: str):
    """A mutation taking `id` and `input` (absent fields stay as they are)."""
    Payload = payload(name, field, type_name)

    async def mutate(root, info, id, input):
        result, errors = await run(info, getattr(info.context.registry, method), id, plain(input))
        return Payload(**{field: result, "errors": errors})

    return graphene.Field(
        Payload,
        required=True,
        id=graphene.ID(required=True),
        input=input_type(required=True),
        resolver=mutate,
        description=doc,
    )


def pilot_action(name: str, method: str, doc: str, **args):
    Payload = payload(name, "pilot", "Pilot")

    async def mutate(root, info, id, **kwargs):
        fn = getattr(info.context.registry, method)
        result, errors = await run(info, fn, id, *kwargs.values())
        return Payload(pilot=result, errors=errors)

    return graphene.Field(
        Payload, required=True, id=graphene.ID(required=True), resolver=mutate, description=doc, **args
    )


RetireServicePayload = payload("RetireService", "service", "Service")
CreatePilotPayload = payload(
    "CreatePilot",
    "pilot",
    "Pilot",
    {"warnings": graphene.List(graphene.NonNull(PilotMatch), required=True, description="Similar pilots.")},
)
RegisterServicesPayload = type(
    "RegisterServicesPayload",
    (graphene.ObjectType,),
    {
        "services": graphene.List(graphene.NonNull(lambda: TYPES["Service"]), required=True),
        "errors": graphene.List(graphene.NonNull(UserError), required=True),
    },
)
UseServicePayload = payload(
    "UseService", "service", "Service", {"city": graphene.Field(lambda: TYPES["City"])}
)
RecordDecisionPayload = payload(
    "RecordDecision", "decision", "Decision", {"pilot": graphene.Field(lambda: TYPES["Pilot"])}
)


class Mutation(graphene.ObjectType):
    create_city = simple(
        "CreateCity", "city", "City", CreateCityInput, "create_city", "Add a city, region or network."
    )
    create_theme = simple("CreateTheme", "theme", "Theme", CreateThemeInput, "create_theme", "Add a theme.")
    create_capability = simple(
        "CreateCapability",
        "capability",
        "Capability",
        CreateCapabilityInput,
        "create_capability",
        "Add a capability to the taxonomy.",
    )
    update_capability = updating(
        "UpdateCapability",
        "capability",
        "Capability",
        UpdateCapabilityInput,
        "update_capability",
        "Change a capability, or which capabilities complement it.",
    )
    create_goal = simple("CreateGoal", "goal", "Goal", CreateGoalInput, "create_goal", "Add a city's goal.")
    register_vendor = simple(
        "RegisterVendor", "vendor", "Vendor", RegisterVendorInput, "register_vendor", "Register a vendor."
    )
    update_vendor = updating(
        "UpdateVendor", "vendor", "Vendor", UpdateVendorInput, "update_vendor", "Change a vendor."
    )
    register_service = simple(
        "RegisterService",
        "service",
        "Service",
        RegisterServiceInput,
        "register_service",
        "Register an offering; with an externalId, an idempotent upsert per vendor.",
    )
    register_services = graphene.Field(
        RegisterServicesPayload,
        required=True,
        input=graphene.List(graphene.NonNull(RegisterServiceInput), required=True),
        description="Register up to 500 offerings in one transaction: all of them, or none.",
    )
    update_service = updating(
        "UpdateService", "service", "Service", UpdateServiceInput, "update_service", "Change a service."
    )
    retire_service = graphene.Field(
        RetireServicePayload,
        required=True,
        id=graphene.ID(required=True),
        reason=graphene.String(),
        description="Take a service off the market; it stays readable.",
    )
    create_need = simple("CreateNeed", "need", "Need", CreateNeedInput, "create_need", "Add a city's need.")
    update_need = updating("UpdateNeed", "need", "Need", UpdateNeedInput, "update_need", "Change a need.")
    use_service = graphene.Field(
        UseServicePayload,
        required=True,
        city_id=graphene.ID(required=True),
        service_id=graphene.ID(required=True),
        since=graphene.Date(),
        description="Record that a city uses a service (again: updates `since`).",
    )
    stop_using_service = graphene.Field(
        UseServicePayload,
        required=True,
        city_id=graphene.ID(required=True),
        service_id=graphene.ID(required=True),
        until=graphene.Date(description="The day the use ended; today when left out."),
        description="Record that a city stopped using a service; the use stays on record.",
    )
    create_pilot = graphene.Field(
        CreatePilotPayload,
        required=True,
        input=CreatePilotInput(required=True),
        description="Propose a pilot. `warnings` lists pilots DROPped within the cooling-off period that it "
        "would repeat, then similar earlier pilots (prior art); warnings never block.",
    )
    update_pilot = updating(
        "UpdatePilot", "pilot", "Pilot", UpdatePilotInput, "update_pilot", "Change a pilot's plan."
    )
    start_pilot = pilot_action("StartPilot", "start_pilot", "PROPOSED → RUNNING.")
    end_pilot = pilot_action("EndPilot", "end_pilot", "RUNNING → ENDED; a decision is now owed.")
    cancel_pilot = pilot_action(
        "CancelPilot",
        "cancel_pilot",
        "PROPOSED or RUNNING → CANCELLED, with the reason.",
        reason=graphene.String(required=True),
    )
    record_decision = graphene.Field(
        RecordDecisionPayload,
        required=True,
        input=RecordDecisionInput(required=True),
        description="Close a pilot with a decision; on a DECIDED pilot it supersedes the current one.",
    )

    @staticmethod
    async def resolve_register_services(root, info, input):
        services, errors = await run(info, info.context.registry.register_services, plain(input))
        return RegisterServicesPayload(services=services or [], errors=errors)

    @staticmethod
    async def resolve_stop_using_service(root, info, city_id, service_id, until=None):
        fn = info.context.registry.stop_using_service
        service, errors = await run(info, fn, city_id, service_id, until)
        city = None if errors else await info.context.node("City", city_id)
        return UseServicePayload(service=service, city=city, errors=errors)

    @staticmethod
    async def resolve_create_pilot(root, info, input):
        data = plain(input)
        warnings = await pilot_warnings(info, data)
        pilot, errors = await run(info, info.context.registry.create_pilot, data)
        return CreatePilotPayload(pilot=pilot, errors=errors, warnings=[] if errors else warnings)

    @staticmethod
    async def resolve_retire_service(root, info, id, reason=None):
        service, errors = await run(info, info.context.registry.retire_service, id, reason)
        return RetireServicePayload(service=service, errors=errors)

    @staticmethod
    async def resolve_use_service(root, info, city_id, service_id, since=None):
        fn = info.context.registry.use_service
        service, errors = await run(info, fn, city_id, service_id, since)
        city = None if errors else await info.context.node("City", city_id)
        return UseServicePayload(service=service, city=city, errors=errors)

    @staticmethod
    async def resolve_record_decision(root, info, input):
        result, errors = await run(info, info.context.registry.record_decision, plain(input))
        pilot, decision = result or (None, None)
        return RecordDecisionPayload(decision=decision, pilot=pilot, errors=errors)
