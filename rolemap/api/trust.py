"""GraphQL for trust: the change log (`changes`, and `history` on every node), API keys, and
vendors' claims reviewed by cities."""

from __future__ import annotations

import asyncio
import json

import graphene
from graphene.types.generic import GenericScalar
from graphql import GraphQLError

from ..domain.actors import ROLES
from ..graph.schema import change_id, label_of
from .connections import Page, check_first, decode_cursor, paged
from .payloads import UserError, plain, run
from .types import CONNECTIONS, TYPES, ClaimStatus, Node, changes_page, connection

ActorRole = graphene.Enum("ActorRole", [(r, r) for r in ROLES], description="What a caller may do.")
ClaimKind = graphene.Enum(
    "ClaimKind",
    [("USES", "USES"), ("CAPABILITY", "CAPABILITY"), ("NEED", "NEED")],
    description="USES: a city uses the service; CAPABILITY: the service has it; NEED: it addresses it.",
)
Verdict = graphene.Enum("Verdict", [("VERIFIED", "VERIFIED"), ("REJECTED", "REJECTED")])


def change_json(change: dict) -> dict:
    """A change record as the feed (`GET /changes`) gives it: the GraphQL `Change`'s shape."""
    return {
        "revision": change["revision"],
        "at": change["createdAt"].isoformat().replace("+00:00", "Z"),
        "actor": {"id": change["actorId"], "name": change["actorName"], "role": change["actorRole"]},
        "operation": change["operation"],
        "nodeIds": change["nodeIds"] or [],
        "fields": json.loads(change.get("fields") or "[]"),
    }


class ChangeActor(graphene.ObjectType):
    """Who made a change: the authenticated identity, never text from the client."""

    id = graphene.ID(required=True)
    name = graphene.String(required=True)
    role = graphene.Field(ActorRole)


class ChangedField(graphene.ObjectType):
    """One field (or one relationship) of one node, before and after the change (JSON values;
    a relationship's value names the node it points to)."""

    node_id = graphene.ID(required=True)
    name = graphene.String(required=True)
    before = GenericScalar()
    after = GenericScalar()


class Change(graphene.ObjectType):
    class Meta:
        interfaces = (Node,)
        description = "One committed mutation: never edited, never deleted."

    revision = graphene.Int(required=True, description="Monotonic: every write has the next one.")
    at = graphene.DateTime(required=True)
    actor = graphene.Field(ChangeActor, required=True)
    operation = graphene.String(required=True, description="The mutation, e.g. registerService.")
    node_ids = graphene.List(graphene.NonNull(graphene.ID), required=True, description="What it touched.")
    fields = graphene.List(graphene.NonNull(ChangedField), required=True)

    @staticmethod
    def resolve_at(change, info):
        return change["createdAt"]

    @staticmethod
    def resolve_actor(change, info):
        return ChangeActor(id=change["actorId"], name=change["actorName"], role=change["actorRole"])

    @staticmethod
    def resolve_fields(change, info):
        return [
            ChangedField(node_id=f["nodeId"], name=f["name"], before=f.get("before"), after=f.get("after"))
            for f in json.loads(change.get("fields") or "[]")
        ]


class ApiKey(graphene.ObjectType):
    """A machine client's key. The key itself is shown once, when it is created."""

    id = graphene.ID(required=True)
    name = graphene.String(required=True)
    role = graphene.Field(ActorRole, required=True)
    city = graphene.Field(lambda: TYPES["City"])
    vendor = graphene.Field(lambda: TYPES["Vendor"])
    created_at = graphene.DateTime(required=True)
    created_by = graphene.String(required=True)
    revoked_at = graphene.DateTime()

    @staticmethod
    async def resolve_city(key, info):
        return await info.context.node("City", key["cityId"]) if key.get("cityId") else None

    @staticmethod
    async def resolve_vendor(key, info):
        return await info.context.node("Vendor", key["vendorId"]) if key.get("vendorId") else None


class Claim(graphene.ObjectType):
    """A link and its review: a vendor's claim, or a link verified from the start."""

    kind = graphene.Field(ClaimKind, required=True)
    service = graphene.Field(lambda: TYPES["Service"], required=True)
    target = graphene.Field(Node, required=True, description="The city, capability or need.")
    status = graphene.Field(ClaimStatus, required=True)
    claimed_by = graphene.String()
    claimed_at = graphene.DateTime()
    reviewed_by = graphene.String()
    reviewed_at = graphene.DateTime()

    @staticmethod
    async def resolve_service(claim, info):
        return await info.context.node("Service", claim["serviceId"])

    @staticmethod
    async def resolve_target(claim, info):
        return await info.context.node(label_of(claim["targetId"]), claim["targetId"])


class TrustQuery(graphene.ObjectType):
    changes = paged(
        lambda: CONNECTIONS["Change"],
        since=graphene.Int(description="Only changes after this revision."),
        node_id=graphene.ID(description="Only changes that touched this node."),
        actor_id=graphene.ID(description="Only changes by this actor."),
        description="The change log, oldest first: every committed mutation, with its actor.",
    )
    api_keys = graphene.List(graphene.NonNull(ApiKey), required=True, description="ADMIN only.")
    claims = graphene.List(
        graphene.NonNull(Claim),
        required=True,
        city_id=graphene.ID(required=True),
        status=ClaimStatus(required=True, default_value="CLAIMED"),
        description="Vendors' claims a city may review: that it uses their service, that a service "
        "addresses one of its needs, or has a capability (for services it uses).",
    )

    @staticmethod
    async def resolve_claims(root, info, city_id, status="CLAIMED"):
        status = getattr(status, "value", status)
        ctx = info.context
        if label_of(city_id) != "City" or await ctx.node("City", city_id) is None:
            raise GraphQLError(f"cityId: no City with id {city_id}")
        uses, needs = await asyncio.gather(
            ctx.edges("USES", "City", "Service", "out", city_id),
            ctx.edges("HAS_NEED", "City", "Need", "out", city_id),
        )
        # One batch per relationship, however many needs and services (DataLoaders).
        addressing, capable = await asyncio.gather(
            asyncio.gather(*(ctx.edges("ADDRESSES", "Service", "Need", "in", n["id"]) for n, _ in needs)),
            asyncio.gather(
                *(ctx.edges("HAS_CAPABILITY", "Service", "Capability", "out", s["id"]) for s, _ in uses)
            ),
        )
        found = [("USES", service["id"], city_id, props) for service, props in uses]
        for (need, _), edges in zip(needs, addressing, strict=True):
            found += [("NEED", service["id"], need["id"], props) for service, props in edges]
        for (service, _), edges in zip(uses, capable, strict=True):
            found += [("CAPABILITY", service["id"], cap["id"], props) for cap, props in edges]
        return [
            {"kind": kind, "serviceId": sid, "targetId": tid, **props}
            for kind, sid, tid, props in found
            if props.get("status") == status
        ]

    @staticmethod
    async def resolve_changes(root, info, first=None, after=None, since=None, node_id=None, actor_id=None):
        limit = check_first(first)
        after_id = decode_cursor(after)
        if since is not None:
            after_id = max(after_id, change_id(since))
        if node_id is not None:
            label = label_of(node_id)
            if label is None or label == "Change":
                raise GraphQLError(f"nodeId: {node_id!r} is not the id of a registry record")
            edges = await info.context.edges("TOUCHED", "Change", label, "in", node_id)
            found = [n for n, _ in edges if n["id"] > after_id and actor_id in (None, n["actorId"])]
            return changes_page(found, limit, after)
        filters = {"actorId": actor_id}
        graph = info.context.graph
        rows = await info.context.call(graph.page, "Change", filters, after_id, limit + 1)

        async def total() -> int:
            return await info.context.call(graph.count, "Change", filters)

        return Page(rows[:limit], len(rows) > limit, bool(after_id), total, lambda r: r["id"])

    @staticmethod
    async def resolve_api_keys(root, info):
        actor = info.context.actor
        if actor.role is None or actor.role.value != "ADMIN":
            raise GraphQLError("only an ADMIN may list API keys", extensions={"code": "FORBIDDEN"})
        return await info.context.call(info.context.registry.api_keys)


class CreateApiKeyInput(graphene.InputObjectType):
    role = ActorRole(required=True)
    name = graphene.String(required=True, description="Who or what uses it.")
    city_id = graphene.ID(description="CITY and PROCUREMENT keys: the city or region they act for.")
    vendor_id = graphene.ID(description="VENDOR keys: the vendor they act for.")


class CreateApiKeyPayload(graphene.ObjectType):
    key = graphene.String(description="The key: shown this once, keep it secret.")
    api_key = graphene.Field(ApiKey)
    errors = graphene.List(graphene.NonNull(UserError), required=True)


class RevokeApiKeyPayload(graphene.ObjectType):
    api_key = graphene.Field(ApiKey)
    errors = graphene.List(graphene.NonNull(UserError), required=True)


class ReviewClaimInput(graphene.InputObjectType):
    kind = ClaimKind(required=True)
    service_id = graphene.ID(required=True)
    target_id = graphene.ID(required=True, description="The city (USES), capability or need.")
    verdict = Verdict(required=True)


class ReviewClaimPayload(graphene.ObjectType):
    claim = graphene.Field(Claim)
    errors = graphene.List(graphene.NonNull(UserError), required=True)


class TrustMutation(graphene.ObjectType):
    create_api_key = graphene.Field(
        CreateApiKeyPayload, required=True, input=CreateApiKeyInput(required=True)
    )
    revoke_api_key = graphene.Field(RevokeApiKeyPayload, required=True, id=graphene.ID(required=True))
    review_claim = graphene.Field(
        ReviewClaimPayload,
        required=True,
        input=ReviewClaimInput(required=True),
        description="Verify or reject a vendor's claim about the city's use, a need or a capability.",
    )

    @staticmethod
    async def resolve_create_api_key(root, info, input):
        found, errors = await run(info, info.context.registry.create_api_key, plain(input))
        key, record = found or (None, None)
        return CreateApiKeyPayload(key=key, api_key=record, errors=errors)

    @staticmethod
    async def resolve_revoke_api_key(root, info, id):
        record, errors = await run(info, info.context.registry.revoke_api_key, id)
        return RevokeApiKeyPayload(api_key=record, errors=errors)

    @staticmethod
    async def resolve_review_claim(root, info, input):
        claim, errors = await run(info, info.context.registry.review_claim, plain(input))
        return ReviewClaimPayload(claim=claim, errors=errors)


TYPES["Change"] = Change
CONNECTIONS["Change"] = connection(Change)
