"""Signing in to the pages through the city's identity provider: OpenID Connect's authorization
code flow with PKCE (S256), done by authlib. The access token the provider returns is checked like
any bearer token of the API (`OidcVerifier`: signature, issuer, audience, expiry) and its claims
give the actor, so a person has the same role and scope in the pages as their token has in the API.
"""

from __future__ import annotations

import json
import time
from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.authentication import AuthenticationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..api.auth import OidcVerifier
from ..config import OidcSettings
from ..domain.actors import Actor

DEFAULT_LIFETIME = 3600
"""Seconds a login lasts when the provider does not say when its token expires."""


class LoginFailed(Exception):
    """The provider said no, the state did not match, or the token was refused."""


class OidcLogin:
    def __init__(self, oidc: OidcSettings) -> None:
        login = oidc.login
        assert login is not None
        self.settings = login
        self.verifier = OidcVerifier(oidc)
        metadata: dict[str, Any] = {"issuer": oidc.issuer}
        if login.discovery_url:
            metadata["server_metadata_url"] = login.discovery_url
        else:
            metadata.update(authorize_url=login.authorize_url, access_token_url=login.token_url)
            if oidc.jwks_url:
                metadata["jwks_uri"] = oidc.jwks_url
            elif oidc.jwks_file:
                metadata["jwks"] = json.loads(oidc.jwks_file.read_text(encoding="utf-8"))
        self.client = OAuth().register(
            "rolemap",
            client_id=login.client_id,
            client_secret=login.client_secret,
            client_kwargs={
                "scope": login.scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_post" if login.client_secret else "none",
                "timeout": 10,
            },
            **metadata,
        )

    async def start(self, request: Request, callback_url: str) -> Response:
        """Send the browser to the provider; authlib keeps the state, nonce and PKCE verifier in
        the session until the provider sends it back."""
        return await self.client.authorize_redirect(request, self.settings.redirect_url or callback_url)

    async def finish(self, request: Request) -> tuple[Actor, float]:
        """The actor and when the login ends, from the provider's answer."""
        try:
            token = await self.client.authorize_access_token(request)
        except (OAuthError, ValueError, RuntimeError) as exc:
            raise LoginFailed(str(exc) or exc.__class__.__name__) from None
        except Exception as exc:  # the provider unreachable, or an answer authlib cannot read
            raise LoginFailed(
                f"the identity provider did not answer as expected ({exc.__class__.__name__})"
            ) from None
        access = token.get("access_token")
        if not access:
            raise LoginFailed("the identity provider gave no access token")
        try:
            actor = await run_in_threadpool(self.verifier.actor, access)
        except AuthenticationError as exc:
            raise LoginFailed(str(exc)) from None
        expires = token.get("expires_at") or time.time() + int(token.get("expires_in") or DEFAULT_LIFETIME)
        return actor, float(expires)
