"""Identity, the change log, vendors' claims and the feed: what makes one party's writes
trustworthy to the others."""

from __future__ import annotations

import json
import logging
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from rolemap.api.app import create_app
from rolemap.bundle import export_bundle, import_bundle
from rolemap.config import ConfigError, OidcSettings, Settings
from rolemap.graph.schema import INTERNAL

from .conftest import Api
from .test_permissions import DECISION, H, T, world

ERRORS = "errors { code field message }"


def test_changes_list_every_mutation_of_a_walk_through_with_its_actor(api, store):
    import_bundle(store, world())
    city = api.key("CITY", city=T)
    vendor = api.key("VENDOR", vendor="Vendor:a")
    since = api("{ changes(first: 100) { edges { node { revision } } } }")["changes"]["edges"][-1]["node"][
        "revision"
    ]

    service = vendor(
        f'mutation {{ registerService(input: {{vendorId: "Vendor:a", name: "Kiosk", capabilityIds: ["Capability:a"]}}) {{ service {{ id }} {ERRORS} }} }}'
    )["registerService"]["service"]["id"]
    vendor(f'mutation {{ useService(cityId: "{T}", serviceId: "{service}") {{ {ERRORS} }} }}')
    city(
        f'mutation {{ reviewClaim(input: {{kind: USES, serviceId: "{service}", targetId: "{T}", verdict: VERIFIED}}) {{ {ERRORS} }} }}'
    )
    city(
        "mutation($i: RecordDecisionInput!) { recordDecision(input: $i) { errors { code } } }",
        i={"pilotId": "Pilot:t-ended", **DECISION},
    )

    found = api(
        """query($since: Int) { changes(since: $since, first: 100) { edges { node {
             revision operation actor { id name role } nodeIds fields { nodeId name before after } } } } }""",
        since=since,
    )["changes"]["edges"]
    changes = [e["node"] for e in found]
    assert [(c["operation"], c["actor"]["role"]) for c in changes] == [
        ("registerService", "VENDOR"),
        ("useService", "VENDOR"),
        ("reviewClaim", "CITY"),
        ("recordDecision", "CITY"),
    ]
    revisions = [c["revision"] for c in changes]
    assert revisions == sorted(revisions) and len(set(revisions)) == 4  # monotonic
    registered = changes[0]
    assert service in registered["nodeIds"] and "Vendor:a" in registered["nodeIds"]
    assert {"nodeId": service, "name": "name", "before": None, "after": "Kiosk"} in registered["fields"]
    links = {f["name"]: f for f in registered["fields"] if f["nodeId"] == service and f["name"].isupper()}
    capability = links["HAS_CAPABILITY"]  # a link, edge by edge, with who claimed it
    assert capability["before"] is None and capability["after"]["to"] == "Capability:a"
    assert capability["after"]["status"] == "CLAIMED" and capability["after"]["claimedBy"].startswith(
        "ApiKey:"
    )
    reviewed = next(f for f in changes[2]["fields"] if f["name"] == "USES")
    assert reviewed["after"]["status"] == "VERIFIED" and reviewed["after"]["to"] == service

    # Every node has its history; the change records are in the export, and never change.
    history = api(f'{{ service(id: "{service}") {{ history {{ edges {{ node {{ operation }} }} }} }} }}')
    assert [e["node"]["operation"] for e in history["service"]["history"]["edges"]] == ["registerService"]
    by_actor = api("query($a: ID) { changes(actorId: $a) { totalCount } }", a=changes[3]["actor"]["id"])[
        "changes"
    ]["totalCount"]
    assert by_actor == 2
    exported = export_bundle(store)["nodes"]["Change"]
    assert [c["revision"] for c in exported][-4:] == revisions
    assert not any(name.lower().endswith("change") for name in _mutations(api))  # never edited or deleted


def _mutations(api: Api) -> list[str]:
    return [
        f["name"]
        for f in api("{ __schema { mutationType { fields { name } } } }")["__schema"]["mutationType"][
            "fields"
        ]
    ]


def test_the_feed_streams_changes_since_a_revision_as_ndjson(api, store):
    api('mutation { createTheme(input: {name: "Mobility"}) { errors { code } } }')
    api('mutation { createTheme(input: {name: "Housing"}) { errors { code } } }')
    response = api.client.get("/changes?since=0")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["operation"] for line in lines][-2:] == ["createTheme", "createTheme"]
    last = lines[-1]
    assert set(last) == {"revision", "at", "actor", "operation", "nodeIds", "fields"}
    later = api.client.get(f"/changes?since={lines[-2]['revision']}").text.splitlines()
    assert [json.loads(line)["revision"] for line in later] == [last["revision"]]
    assert api.client.get("/changes?since=soon").status_code == 400


def test_a_vendors_claim_waits_for_the_city_and_verified_only_analyses_leave_it_out(api, store):
    import_bundle(store, world())
    vendor = api.key("VENDOR", vendor="Vendor:b")
    city = api.key("CITY", city=T)
    # B offers Booking; it claims Tampere uses it.
    sid = vendor(
        f'mutation {{ registerService(input: {{vendorId: "Vendor:b", name: "Booking", capabilityIds: ["Capability:b"]}}) {{ service {{ id }} {ERRORS} }} }}'
    )["registerService"]["service"]["id"]
    assert (
        vendor(f'mutation {{ useService(cityId: "{T}", serviceId: "{sid}") {{ {ERRORS} }} }}')["useService"][
            "errors"
        ]
        == []
    )
    used = api(
        f'{{ service(id: "{sid}") {{ usedBy {{ edges {{ status claimedBy node {{ id }} }} }} capabilities {{ edges {{ status }} }} }} }}'
    )
    edge = used["service"]["usedBy"]["edges"][0]
    assert edge["status"] == "CLAIMED" and edge["claimedBy"].startswith("ApiKey:") and edge["node"]["id"] == T
    assert used["service"]["capabilities"]["edges"] == [{"status": "CLAIMED"}]
    claims = api(f'{{ claims(cityId: "{T}") {{ kind status service {{ id }} target {{ id }} }} }}')["claims"]
    assert {"kind": "USES", "status": "CLAIMED", "service": {"id": sid}, "target": {"id": T}} in claims

    role_map = f'query($v: Boolean!) {{ roleMap(cityId: "{T}", verifiedOnly: $v) {{ rows {{ capability {{ id }} cells {{ vendor {{ id }} role }} }} }} }}'

    def role_of_b(verified_only: bool) -> str | None:
        rows = api(role_map, v=verified_only)["roleMap"]["rows"]
        return next(
            (
                c["role"]
                for r in rows
                if r["capability"]["id"] == "Capability:b"
                for c in r["cells"]
                if c["vendor"] and c["vendor"]["id"] == "Vendor:b"
            ),
            None,
        )

    assert role_of_b(False) == "IN_USE"  # the claims count by default…
    assert role_of_b(True) is None  # …but not when only verified links may
    review = (
        "mutation($v: Verdict!, $k: ClaimKind!, $t: ID!) { reviewClaim(input: "
        f'{{kind: $k, serviceId: "{sid}", targetId: $t, verdict: $v}}) {{ claim {{ status reviewedBy }} {ERRORS} }} }}'
    )
    assert city(review, v="VERIFIED", k="USES", t=T)["reviewClaim"]["claim"]["status"] == "VERIFIED"
    assert role_of_b(True) is None  # the use is verified; that B's service can book is not yet
    verified = city(review, v="VERIFIED", k="CAPABILITY", t="Capability:b")["reviewClaim"]["claim"]
    assert verified["status"] == "VERIFIED" and verified["reviewedBy"].startswith("ApiKey:")
    assert role_of_b(True) == "IN_USE"
    # The city changes its mind: a rejected capability is no link at all.
    assert city(review, v="REJECTED", k="CAPABILITY", t="Capability:b")["reviewClaim"]["errors"] == []
    after = api(f'{{ service(id: "{sid}") {{ capabilities {{ totalCount }} }} }}')
    assert after["service"]["capabilities"]["totalCount"] == 0
    assert role_of_b(False) is None
    # …nor does a list filtered by it show the service (from the store, or the read model).
    listed = api(
        '{ services(capabilityId: "Capability:b") { totalCount edges { node { id } } facets { field values { value } } } '
        'vendors(capabilityId: "Capability:b") { edges { node { id } } } }'
    )
    assert sid not in {e["node"]["id"] for e in listed["services"]["edges"]}
    assert listed["services"]["totalCount"] == len(listed["services"]["edges"])
    facet = {f["field"]: [v["value"] for v in f["values"]] for f in listed["services"]["facets"]}
    assert "Vendor:b" not in facet["vendorId"]  # B's one service with it was that one
    assert "Vendor:b" not in {e["node"]["id"] for e in listed["vendors"]["edges"]}
    # Another city cannot judge Tampere's claims.
    helsinki = api.key("CITY", city=H)
    refused = helsinki(review, v="REJECTED", k="USES", t=T)["reviewClaim"]["errors"]
    assert [e["code"] for e in refused] == ["FORBIDDEN"]


def test_a_vendor_cannot_turn_a_rejected_claim_back_into_a_claim(api, store):
    import_bundle(store, world())
    city = api.key("CITY", city=T)
    vendor = api.key("VENDOR", vendor="Vendor:a")
    city(
        f'mutation {{ reviewClaim(input: {{kind: USES, serviceId: "Service:a", targetId: "{T}", verdict: REJECTED}}) {{ {ERRORS} }} }}'
    )
    again = vendor(f'mutation {{ useService(cityId: "{T}", serviceId: "Service:a") {{ {ERRORS} }} }}')[
        "useService"
    ]
    assert [e["code"] for e in again["errors"]] == ["INVALID_STATE"]
    assert (
        city(f'mutation {{ useService(cityId: "{T}", serviceId: "Service:a") {{ {ERRORS} }} }}')[
            "useService"
        ]["errors"]
        == []
    )
    edges = api(f'{{ city(id: "{T}") {{ services {{ edges {{ status node {{ id }} }} }} }} }}')["city"][
        "services"
    ]["edges"]
    assert {"status": "VERIFIED", "node": {"id": "Service:a"}} in edges


# API keys ------------------------------------------------------------------------------------


def test_keys_store_only_a_hash_and_a_revoked_key_stops_working_at_once(api, store):
    created = api(
        'mutation { createApiKey(input: {role: READER, name: "dashboard"}) { key apiKey { id role createdBy } errors { code } } }'
    )["createApiKey"]
    key, record = created["key"], created["apiKey"]
    assert key.startswith("rmk_") and record["role"] == "READER" and record["createdBy"].startswith("ApiKey:")
    rows = store.read("apikey.all")
    assert all(key.split("_", 2)[2] not in json.dumps(row, default=str) for row in rows)  # no secret kept
    assert "hash" not in api("{ apiKeys { id } }") and {p.name for p in INTERNAL["ApiKey"]} >= {"hash"}
    reader = api.as_(key)
    assert reader("{ cities { totalCount } }")
    assert [
        e["code"]
        for e in reader('mutation { createTheme(input: {name: "x"}) { errors { code } } }')["createTheme"][
            "errors"
        ]
    ] == ["FORBIDDEN"]
    assert (
        api(f'mutation {{ revokeApiKey(id: "{record["id"]}") {{ apiKey {{ revokedAt }} {ERRORS} }} }}')[
            "revokeApiKey"
        ]["errors"]
        == []
    )
    refused = api.client.post(
        "/graphql", json={"query": "{ cities { totalCount } }"}, headers={"authorization": f"Bearer {key}"}
    )
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    forged = api.client.post(
        "/graphql",
        json={"query": "{ cities { totalCount } }"},
        headers={"authorization": f"Bearer {key[:-2]}xx"},
    )
    assert forged.status_code == 401


def test_only_an_admin_lists_keys(api, store):
    import_bundle(store, world())
    body = api.key("CITY", city=T).raw("{ apiKeys { id } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(api("{ apiKeys { id } }")["apiKeys"]) == 2


def test_reads_need_a_token_when_public_read_is_off(store):
    from .conftest import admin_key

    key = admin_key(store)
    with TestClient(create_app(store, public_read=False)) as client:
        anonymous = client.post("/graphql", json={"query": "{ cities { totalCount } }"})
        assert anonymous.status_code == 401
        assert client.get("/changes").status_code == 401 and client.get("/decisions.csv").status_code == 401
        signed = client.post(
            "/graphql",
            json={"query": "{ cities { totalCount } }"},
            headers={"authorization": f"Bearer {key}"},
        )
        assert signed.status_code == 200 and "errors" not in signed.json()
    assert Settings.from_env({"ROLEMAP_PUBLIC_READ": "false"}).public_read is False
    with pytest.raises(ConfigError, match="ROLEMAP_PUBLIC_READ"):
        Settings.from_env({"ROLEMAP_PUBLIC_READ": "maybe"})


def test_anonymous_callers_read_but_never_write(api):
    anonymous = api.as_(None)
    assert anonymous("{ cities { totalCount } }")
    errors = anonymous('mutation { createTheme(input: {name: "x"}) { errors { code field } } }')[
        "createTheme"
    ]["errors"]
    assert errors == [{"code": "UNAUTHENTICATED", "field": "input"}]
    bad_scheme = api.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": "Basic abc"}
    )
    assert bad_scheme.status_code == 401


# OIDC ------------------------------------------------------------------------------------------

ISSUER, AUDIENCE = "https://id.tampere.example", "rolemap"


@pytest.fixture(scope="module")
def signing():
    """An RSA key pair; its public half as a JWKS file."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return private, {"keys": [{**public_jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}


def token(private, **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-123",
        "name": "Tiina Tampere",
        "exp": now + 300,
        "iat": now,
        "rolemap_role": "CITY",
        "rolemap_city": T,
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def oidc_api(store, signing, tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(signing[1]))
    settings = OidcSettings.from_env(
        {
            "ROLEMAP_OIDC_ISSUER": ISSUER,
            "ROLEMAP_OIDC_AUDIENCE": AUDIENCE,
            "ROLEMAP_OIDC_JWKS_FILE": str(path),
        }
    )
    import_bundle(store, world())
    with TestClient(create_app(store, oidc=settings)) as client:
        yield Api(client, store)


def test_an_oidc_token_maps_to_a_role_and_a_scope(oidc_api, signing):
    private, _ = signing
    city = oidc_api.as_(token(private))
    created = city(
        f'mutation {{ createNeed(input: {{cityId: "{T}", title: "Mobility"}}) {{ need {{ id }} {ERRORS} }} }}'
    )
    assert created["createNeed"]["errors"] == []
    elsewhere = city(f'mutation {{ createNeed(input: {{cityId: "{H}", title: "Mobility"}}) {{ {ERRORS} }} }}')
    assert [e["code"] for e in elsewhere["createNeed"]["errors"]] == ["FORBIDDEN"]
    actor = city("{ changes { edges { node { actor { id name role } } } } }")["changes"]["edges"][-1]["node"][
        "actor"
    ]
    assert actor == {"id": f"oidc:{ISSUER}#u-123", "name": "Tiina Tampere", "role": "CITY"}
    # A token without a rolemap role reads, and nothing more.
    plain = oidc_api.as_(token(private, rolemap_role=None))
    assert [
        e["code"]
        for e in plain('mutation { createTheme(input: {name: "x"}) { errors { code } } }')["createTheme"][
            "errors"
        ]
    ] == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("wrong audience", lambda p: token(p, aud="someone-else")),
        ("wrong issuer", lambda p: token(p, iss="https://evil.example")),
        ("expired beyond the leeway", lambda p: token(p, exp=int(time.time()) - 120)),
        ("no expiry", lambda p: token(p, exp=None)),
        (
            "signed by another key",
            lambda p: token(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ),
        (
            "alg none",
            lambda p: jwt.encode(
                {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60},
                None,
                algorithm="none",
            ),
        ),
        ("HS256 with the public key as the secret", lambda p: _hs256_confusion(p)),
        ("garbage", lambda p: "a.b.c"),
    ],
)
def test_a_bad_token_is_refused_not_treated_as_anonymous(oidc_api, signing, case, make):
    response = oidc_api.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": f"Bearer {make(signing[0])}"}
    )
    assert response.status_code == 401, case
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _hs256_confusion(private) -> str:
    import base64
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = b64(
        json.dumps(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "x",
                "exp": int(time.time()) + 60,
                "rolemap_role": "ADMIN",
            }
        ).encode()
    )
    signature = hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


def test_a_token_just_expired_is_accepted_within_the_clock_skew(oidc_api, signing):
    fresh_enough = oidc_api.as_(token(signing[0], exp=int(time.time()) - 20))
    assert fresh_enough("{ __typename }") == {"__typename": "Query"}


def test_oidc_settings_are_checked_at_start(tmp_path):
    with pytest.raises(ConfigError, match="ROLEMAP_OIDC_AUDIENCE"):
        OidcSettings.from_env({"ROLEMAP_OIDC_ISSUER": ISSUER})
    with pytest.raises(ConfigError, match="exactly one of"):
        OidcSettings.from_env({"ROLEMAP_OIDC_ISSUER": ISSUER, "ROLEMAP_OIDC_AUDIENCE": AUDIENCE})
    jwks = tmp_path / "k.json"
    jwks.write_text("{}")
    base = {
        "ROLEMAP_OIDC_ISSUER": ISSUER,
        "ROLEMAP_OIDC_AUDIENCE": AUDIENCE,
        "ROLEMAP_OIDC_JWKS_FILE": str(jwks),
    }
    with pytest.raises(ConfigError, match="HS256"):
        OidcSettings.from_env({**base, "ROLEMAP_OIDC_ALGORITHMS": "RS256,HS256"})
    settings = OidcSettings.from_env({**base, "ROLEMAP_OIDC_ROLE_CLAIM": "realm_access.roles"})
    assert settings.role_claim == "realm_access.roles" and settings.algorithms == ("RS256", "ES256")


# Errors and logs -------------------------------------------------------------------------------


def test_an_internal_error_is_logged_with_the_request_id_and_masked_for_the_client(api, monkeypatch, caplog):
    from rolemap.graph.access import Graph

    def broken(self, *args, **kwargs):
        raise RuntimeError("Binder exception: MATCH (n:Secret) in /srv/rolemap/data.lbug")

    monkeypatch.setattr(Graph, "page_ids", broken)  # what a list reads first (goals: from the store)
    with caplog.at_level(logging.ERROR, logger="rolemap"):
        response = api.client.post(
            "/graphql", json={"query": "{ goals { totalCount } }"}, headers={"x-request-id": "req-42"}
        )
    error = response.json()["errors"][0]
    assert "MATCH" not in error["message"] and "/srv" not in error["message"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-42"}
    assert response.headers["x-request-id"] == "req-42"
    logged = [r for r in caplog.records if r.name == "rolemap"]
    assert logged and logged[0].exc_info and "Binder exception" in str(logged[0].exc_info[1])


def test_server_logs_are_json_lines_with_the_request_id(capsys):
    import logging.config

    from rolemap.api.logs import log, logging_config, request_id

    logging.config.dictConfig(logging_config())
    token_ = request_id.set("req-7")
    try:
        log.warning("something %s", "happened")
    finally:
        request_id.reset(token_)
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "loggers": {"rolemap": {"handlers": [], "propagate": True}},
            }
        )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (
        line["message"] == "something happened"
        and line["request_id"] == "req-7"
        and line["level"] == "WARNING"
    )


def test_the_server_stays_on_loopback_without_authentication(store, capsys):
    from rolemap.cli import _safe_host

    settings = Settings.from_env({})
    assert _safe_host("0.0.0.0", store, settings) == "127.0.0.1"
    assert "NOT binding 0.0.0.0" in capsys.readouterr().err
    from .conftest import admin_key

    admin_key(store)
    assert _safe_host("0.0.0.0", store, settings) == "0.0.0.0"
