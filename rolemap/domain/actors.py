"""Who is calling: an actor with a role and a scope, and the rules of who may change what.

Actors come from credentials (an API key or an OIDC access token, see rolemap/api/auth.py), never
from input. Each use case declares its `Rule` next to its definition (rolemap/registry.py) and
checks it inside its transaction, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .errors import Code, UserError, UserErrors


class Role(StrEnum):
    ADMIN = "ADMIN"
    """Everything: cities, the capability taxonomy, themes, keys."""
    CITY = "CITY"
    """A city's (or a region's) CIO office: needs, goals, pilots, stances, use of services,
    decisions, verifying vendors' claims — within its city, or its region and the members."""
    PROCUREMENT = "PROCUREMENT"
    """Procurement of a city or region: decisions and procurement references; reads everything."""
    VENDOR = "VENDOR"
    """One vendor: its own profile and offerings, and claims that a city uses its service."""
    READER = "READER"
    """Reads only."""


ROLES = tuple(r.value for r in Role)


@dataclass(frozen=True)
class Actor:
    id: str
    """Stable: `ApiKey:<id>` for a key, `oidc:<issuer>#<subject>` for a token, `cli:<user>`."""
    name: str
    role: Role | None
    """None for an anonymous caller."""
    city_id: str | None = None
    vendor_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.role is None

    def as_record(self) -> dict[str, str | None]:
        return {"id": self.id, "name": self.name, "role": self.role.value if self.role else None}


ANONYMOUS = Actor(id="anonymous", name="anonymous", role=None)


@dataclass(frozen=True)
class Rule:
    """Who may run a use case. ADMIN always may; the other roles listed may act within their scope:
    CITY and PROCUREMENT on a city their own city covers (itself, or a member of their region),
    VENDOR on its own vendor."""

    roles: frozenset[Role] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *roles: Role) -> Rule:
        return cls(frozenset({Role.ADMIN, *roles}))

    def describe(self) -> str:
        scoped = {
            Role.CITY: "CITY (its city or region)",
            Role.PROCUREMENT: "PROCUREMENT (its city or region)",
            Role.VENDOR: "VENDOR (its own vendor)",
        }
        others = [scoped[r] for r in (Role.CITY, Role.PROCUREMENT, Role.VENDOR) if r in self.roles]
        return "Who may call: " + ", ".join(["ADMIN", *others]) + "."


def refuse(actor: Actor, field: str | None, why: str) -> UserErrors:
    """UNAUTHENTICATED for an anonymous caller, FORBIDDEN otherwise, naming the field."""
    if actor.anonymous:
        return UserErrors(
            [UserError(Code.UNAUTHENTICATED, field, "sign in: send Authorization: Bearer <token>")]
        )
    return UserErrors([UserError(Code.FORBIDDEN, field, why)])
