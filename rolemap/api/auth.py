"""Who is calling: `Authorization: Bearer <token>` turned into an `Actor`, at the edge.

Two kinds of token, both standard:
- an API key (`rmk_<id>_<secret>`) for machine clients, looked up by its id and checked against
  the SHA-256 of its secret (see Registry.authenticate);
- an OIDC/JWT access token from the city's identity provider, verified with PyJWT against the
  configured JWKS (URL or file): signature, algorithm (asymmetric ones only), issuer, audience,
  expiry with a small leeway. Claims map to a role and a scope; the claim names are settings.

No header means the anonymous actor, who may read public data (ROLEMAP_PUBLIC_READ) and never
write. A token that is present but not valid is refused with 401, never treated as anonymous.

The pages (rolemap/web) also know a person signed in through a form: with no header, the actor kept
in the signed session cookie is the caller, on every path but /graphql, which takes bearer tokens
only. The cookie holds who the actor is and which key or login it came from, never a key or a
token; a key revoked since, or a login past its expiry, signs the session out.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from ..config import OidcSettings
from ..domain.actors import ANONYMOUS, ROLES, Actor, Role
from ..registry import KEY_PREFIX, Registry


class ActorUser(BaseUser):
    """Starlette's `request.user`, carrying the actor."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    @property
    def is_authenticated(self) -> bool:
        return not self.actor.anonymous

    @property
    def display_name(self) -> str:
        return self.actor.name


class TokenBackend(AuthenticationBackend):
    def __init__(self, registry: Registry, oidc: OidcSettings | None) -> None:
        self.registry = registry
        self.oidc = OidcVerifier(oidc) if oidc else None

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        header = conn.headers.get("authorization")
        if not header:
            actor = await self.session_actor(conn)
            if actor is not None:
                return AuthCredentials(["authenticated", actor.role.value]), ActorUser(actor)
            return AuthCredentials([]), ActorUser(ANONYMOUS)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("send the token as Authorization: Bearer <token>")
        actor = await run_in_threadpool(self.actor_of, token)
        return AuthCredentials(["authenticated", actor.role.value]), ActorUser(actor)

    async def session_actor(self, conn: HTTPConnection) -> Actor | None:
        """The person signed in to the pages, if any and still valid (see `remember`)."""
        if "session" not in conn.scope or conn.url.path.startswith(BEARER_ONLY):
            return None
        kept = conn.session.get(SESSION_ACTOR)
        if not kept:
            return None
        actor = _actor_of(kept)
        if actor is None or not await run_in_threadpool(self._still_valid, kept):
            conn.session.pop(SESSION_ACTOR, None)
            return None
        return actor

    def _still_valid(self, kept: dict[str, Any]) -> bool:
        """A key-backed sign-in lasts while the key is live (one primary-key lookup); a login
        through the identity provider until its access token expires."""
        if kept.get("key"):
            rows = self.registry.store.read("apikey.get", {"ids": [kept["key"]]})
            return bool(rows) and not rows[0]["k"].get("revokedAt")
        expires = kept.get("expires")
        return isinstance(expires, int | float) and time.time() < expires

    def actor_of(self, token: str) -> Actor:
        if token.startswith(f"{KEY_PREFIX}_"):
            actor = self.registry.authenticate(token)
            if actor is None:
                raise AuthenticationError("the API key is not valid, or it was revoked")
            return actor
        if self.oidc is None:
            raise AuthenticationError(
                "not an API key, and no identity provider is configured (ROLEMAP_OIDC_*)"
            )
        return self.oidc.actor(token)


SESSION_ACTOR = "actor"
BEARER_ONLY = ("/graphql",)
"""Paths where only a bearer token says who is calling, never the pages' session cookie."""


def remember(session: dict, actor: Actor, *, key_id: str | None = None, expires: float | None = None) -> None:
    """Keep a signed-in actor in the session: who it is, and the key id (`ApiKey:…`, never the key)
    or the expiry of the login it came from."""
    session[SESSION_ACTOR] = {
        "id": actor.id,
        "name": actor.name,
        "role": actor.role.value if actor.role else None,
        "city": actor.city_id,
        "vendor": actor.vendor_id,
        "key": key_id,
        "expires": int(expires) if expires else None,
    }


def forget(session: dict) -> None:
    session.pop(SESSION_ACTOR, None)


def _actor_of(kept: Any) -> Actor | None:
    if not isinstance(kept, dict) or kept.get("role") not in ROLES:
        return None
    return Actor(kept["id"], kept["name"], Role(kept["role"]), kept.get("city"), kept.get("vendor"))


def refused(conn: HTTPConnection, exc: Exception) -> JSONResponse:
    """401 with the reason, as RFC 6750 describes for a bad bearer token."""
    return JSONResponse(
        {"errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class OidcVerifier:
    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        if settings.jwks_url:
            self._client = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300, timeout=5)
            self._keys = None
        else:
            self._client = None
            self._keys = jwt.PyJWKSet.from_json(settings.jwks_file.read_text(encoding="utf-8"))

    def actor(self, token: str) -> Actor:
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=list(s.algorithms),
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"the access token was refused: {exc}") from None
        role = _role(_claim(claims, s.role_claim))
        return Actor(
            id=f"oidc:{claims['iss']}#{claims['sub']}",
            name=str(_claim(claims, s.name_claim) or claims["sub"]),
            role=role,
            city_id=_text(_claim(claims, s.city_claim)) if role in (Role.CITY, Role.PROCUREMENT) else None,
            vendor_id=_text(_claim(claims, s.vendor_claim)) if role is Role.VENDOR else None,
        )

    def _key(self, token: str):
        try:
            if self._client is not None:
                return self._client.get_signing_key_from_jwt(token).key
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"the access token was refused: {exc}") from None
        keys = [k for k in self._keys.keys if kid is None or k.key_id == kid]
        if len(keys) != 1:
            raise AuthenticationError(
                "the access token was refused: no single key in the JWKS matches its kid"
            )
        return keys[0].key


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested objects (`realm_access.roles`)."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _role(value: Any) -> Role:
    """The role a claim names (a list: its first rolemap role); a token with none only reads."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item.upper() in ROLES:
            return Role(item.upper())
    return Role.READER


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
