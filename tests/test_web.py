"""The pages, through the ASGI app: every page in three languages, signing in (API key and OIDC with
PKCE), CSRF, the close-out form and the vendor's forms going through the same use cases and checks
as the API, and the pages showing what the API answers (one data path).

The same pages in a real Chromium, with axe-core, are in test_web_browser.py."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from rolemap.api.app import create_app
from rolemap.bundle import import_bundle
from rolemap.config import ConfigError, OidcSettings, Settings
from rolemap.registry import Registry
from rolemap.seed import default_seed_dir, seed_bundle
from rolemap.web import i18n

from .conftest import TEST_ADMIN, snapshot

TAMPERE = "City:tampere"
ENDED_PILOT = "Pilot:tampere-kipina-wellbeing-self-check"
"""In the sample: ended in 2017 without a decision (the procurement queue has it)."""
PAGES = [
    "/",
    "/city/tampere",
    "/city/tampere-region",
    "/city/tampere/rolemap",
    "/city/tampere/overlaps",
    "/city/tampere/overlaps?kind=PILOT",
    "/city/varsinais-suomi/overlaps",
    "/city/tampere/overlaps?kind=VENDOR",
    "/city/tampere/radar",
    "/pilot/tampere-kipina-wellbeing-self-check",
    "/pilot/tampere-welfare-chatbot",
    "/procurement",
    "/procurement?city=tampere&outcome=DROP&currentOnly=1",
    "/vendor/example-chatbots",
    "/service/example-chatbots-welfare-advisor",
    "/signin",
]


def sample(store) -> None:
    import_bundle(store, seed_bundle(default_seed_dir()))


def key(store, role: str, **scope) -> str:
    made, _ = Registry(store).create_api_key(TEST_ADMIN, {"role": role, "name": f"{role} web", **scope})
    return made


@pytest.fixture
def web(ladybug_store):
    sample(ladybug_store)
    with TestClient(create_app(ladybug_store)) as client:
        yield client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, token: str, next_url: str = "/") -> None:
    page = client.get("/signin").text
    response = client.post(
        "/signin", data={"key": token, "csrf": csrf_of(page), "next": next_url}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == next_url


def text(page: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# Pages -----------------------------------------------------------------------------------------


def test_every_page_answers_in_finnish_swedish_and_english(store):
    sample(store)
    with TestClient(create_app(store)) as client:
        for lang, role_map in (("fi", "Roolikartta"), ("sv", "Rollkarta"), ("en", "Role map")):
            for path in PAGES:
                response = client.get(path, headers={"accept-language": lang})
                assert response.status_code == 200, (path, lang, response.text[:500])
                assert f'<html lang="{lang}">' in response.text, (path, lang)
                assert response.headers["content-language"] == lang
            city = client.get("/city/tampere", headers={"accept-language": lang}).text
            assert role_map in text(city)
        sv = client.get("/city/tampere", headers={"accept-language": "sv"}).text
        assert "Tammerfors" in text(sv)  # the record's own Swedish name


def test_the_language_comes_from_accept_language_and_the_switch_keeps_it(web):
    page = web.get("/", headers={"accept-language": "de, sv;q=0.8, en;q=0.5"}).text
    assert '<html lang="sv">' in page
    assert 'href="/?lang=fi"' in page and 'href="/?lang=en"' in page  # the switch, on every page
    assert '<html lang="fi">' in web.get("/city/tampere/radar?lang=fi").text
    # the choice stays for the session, whatever the browser says
    assert '<html lang="fi">' in web.get("/city/tampere", headers={"accept-language": "en"}).text
    assert i18n.negotiate("") == "en" and i18n.negotiate("fi-FI,fi;q=0.9,en;q=0.8") == "fi"


def test_every_ui_message_has_finnish_and_swedish():
    missing = [k for k, v in i18n.MESSAGES.items() if not v.get("fi") or not v.get("sv")]
    assert missing == []


def test_unknown_ids_are_404_pages(web):
    for path in (
        "/city/nowhere",
        "/city/nowhere/rolemap",
        "/pilot/nothing",
        "/vendor/nobody",
        "/service/none",
    ):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "<h1>Not found</h1>" in response.text


def test_the_role_map_page_shows_what_the_api_answers(web):
    """One data path: the page's cells are the roleMap query's, cell for cell."""
    query = '{ roleMap(cityId: "City:tampere") { rows { capability { id } cells { role vendor { id } } } } }'
    rows = web.post("/graphql", json={"query": query}).json()["data"]["roleMap"]["rows"]
    page = web.get("/city/tampere/rolemap").text
    cells = re.findall(r'<rect class="cell role-([A-Z_]+)', page)
    assert len(cells) == sum(len(r["cells"]) for r in rows) > 0
    assert sorted(cells) == sorted(c["role"] for r in rows for c in r["cells"])
    assert 'href="/rolemap/City:tampere.csv"' in page
    # every cell links to its entry in the table, which links its services and pilots
    for anchor in re.findall(r'<a href="#(cell-\d+-\d+)"', page):
        assert f'id="{anchor}"' in page


def test_the_role_map_pages_its_rows_in_the_apis_order_and_the_legend_counts_them_all(web, monkeypatch):
    """At scale a city has hundreds of capabilities: the page shows `ROLE_MAP_ROWS` of them, and
    the pages together hold every row of the roleMap query, once, in its order."""
    from rolemap.web import views

    query = '{ roleMap(cityId: "City:tampere") { rows { capability { name } cells { role } } } }'
    rows = web.post("/graphql", json={"query": query}).json()["data"]["roleMap"]["rows"]
    assert len(rows) > 4
    monkeypatch.setattr(views, "ROLE_MAP_ROWS", 3)
    pages = -(-len(rows) // 3)
    shown, legends = [], set()
    for n in range(1, pages + 1):
        page = web.get(f"/city/tampere/rolemap?page={n}").text
        shown += [
            html.unescape(name) for name in re.findall(r'<tr id="row-\d+">\s*<th scope="row">([^<]+)<', page)
        ]
        legends.add(tuple(re.findall(r'<span class="count">(\d+)</span>', page)))
        assert ('rel="prev"' in page) == (n > 1) and ('rel="next"' in page) == (n < pages)
        assert f"{(n - 1) * 3 + 1}–{min(n * 3, len(rows))}" in text(page)
    assert shown == [r["capability"]["name"] for r in rows]
    roles = [c["role"] for r in rows for c in r["cells"]]
    assert legends == {tuple(str(roles.count(role)) for role in ("IN_USE", "PILOTING", "DECIDED", "OFFERED"))}
    # out of range or not a number: the nearest page, never an error
    assert 'rel="next"' not in web.get("/city/tampere/rolemap?page=999").text
    assert 'rel="prev"' not in web.get("/city/tampere/rolemap?page=x").text


def test_overlap_bars_add_up_to_the_score(web):
    query = '{ overlaps(scope: {regionId: "City:varsinais-suomi"}, kind: SERVICE, first: 20) { score } }'
    scores = [o["score"] for o in web.post("/graphql", json={"query": query}).json()["data"]["overlaps"]]
    page = web.get("/city/varsinais-suomi/overlaps").text
    shown = [float(s) for s in re.findall(r'<span class="score">Score <strong>([0-9.]+)</strong>', page)]
    assert shown == [round(s, 2) for s in scores] and shown
    for bar in re.findall(r'<svg class="bar".*?</svg>', page, re.S):
        widths = [
            float(w)
            for w in re.findall(r'<rect x="[0-9.]+" y="0" width="([0-9.]+)" height="18" class="reason-', bar)
        ]
        label = re.search(r'aria-label="Score ([0-9.]+):', bar)
        assert label and abs(sum(widths) / 240 - float(label.group(1))) < 0.01
    assert '<svg class="network"' in page


def test_the_procurement_page_lists_the_queue_and_links_the_csv_with_its_filters(web):
    page = web.get("/procurement?city=tampere&outcome=DROP&current=1").text
    assert "Welfare services advice chatbot" in text(page)  # running past its end
    assert "/decisions.csv?cityId=City%3Atampere&amp;outcome=DROP&amp;currentOnly=true" in page
    csv = web.get("/decisions.csv?cityId=City%3Atampere&outcome=DROP&currentOnly=true")
    assert csv.status_code == 200 and "DROP" in csv.text
    bad = web.get("/procurement?since=yesterday")
    assert bad.status_code == 200 and "not understood" in bad.text


# Signing in, CSRF ----------------------------------------------------------------------------


def test_signing_in_with_a_key_keeps_the_actor_not_the_key_and_a_revoked_key_signs_out(ladybug_store):
    sample(ladybug_store)
    token = key(ladybug_store, "CITY", cityId=TAMPERE)
    with TestClient(create_app(ladybug_store)) as client:
        sign_in(client, token, "/city/tampere")
        page = client.get("/city/tampere").text
        assert "Signed in as" in page and "CITY web" in page
        cookie = client.cookies["rolemap_session"]
        payload = json.loads(base64.b64decode(cookie.split(".")[0] + "=="))
        secret = token.split("_", 2)[2]
        assert secret not in cookie and secret not in json.dumps(payload) and token not in json.dumps(payload)
        assert payload["actor"]["key"] == "ApiKey:" + token.split("_")[1]
        Registry(ladybug_store).revoke_api_key(TEST_ADMIN, payload["actor"]["key"])
        assert "Signed in as" not in client.get("/city/tampere").text


def test_a_wrong_key_is_refused_on_the_form(web):
    page = web.get("/signin").text
    response = web.post("/signin", data={"key": "rmk_nope_nope", "csrf": csrf_of(page), "next": "/"})
    assert response.status_code == 401
    assert 'aria-invalid="true"' in response.text and "UNAUTHENTICATED" in response.text


def test_the_session_is_never_a_credential_for_graphql(ladybug_store):
    sample(ladybug_store)
    with TestClient(create_app(ladybug_store)) as client:
        sign_in(client, key(ladybug_store, "ADMIN"))
        mutation = 'mutation { createTheme(input: {name: "Via a cookie"}) { errors { code } } }'
        body = client.post("/graphql", json={"query": mutation}).json()
        assert body["data"]["createTheme"]["errors"] == [{"code": "UNAUTHENTICATED"}]
        # and a bearer token is checked as before, session or not
        refused = client.post(
            "/graphql", json={"query": mutation}, headers={"authorization": "Bearer rmk_x_y"}
        )
        assert refused.status_code == 401
        assert client.get("/city/tampere", headers={"authorization": "Bearer rmk_x_y"}).status_code == 401


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(ladybug_store):
    sample(ladybug_store)
    token = key(ladybug_store, "CITY", cityId=TAMPERE)
    with TestClient(create_app(ladybug_store)) as client:
        sign_in(client, token)
        before = snapshot(ladybug_store)
        good = {
            "outcome": "LEARNED",
            "rationale": "The self-check found few users; the lessons are kept for later.",
            "lessons": "Few residents found it",
        }
        for sent in ({}, {"csrf": "forged"}):
            response = client.post(f"/pilot/{ENDED_PILOT.split(':')[1]}/decision", data={**good, **sent})
            assert response.status_code == 403
            assert snapshot(ladybug_store) == before
        assert client.post("/signout", data={}).status_code == 403
        assert client.post("/signin", data={"key": token}).status_code == 403
        vendor_post = client.post("/vendor/example-chatbots/services", data={"name": "Forged"})
        assert vendor_post.status_code == 403
        assert snapshot(ladybug_store) == before


def test_signing_out_needs_the_token_and_ends_the_session(web, ladybug_store):
    sign_in(web, key(ladybug_store, "READER"))
    page = web.get("/").text
    response = web.post("/signout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert response.status_code == 303
    assert "Sign out" not in web.get("/").text


def test_pages_need_a_sign_in_when_public_read_is_off(ladybug_store):
    sample(ladybug_store)
    with TestClient(create_app(ladybug_store, public_read=False)) as client:
        response = client.get("/city/tampere", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")
        assert client.get("/signin").status_code == 200
        sign_in(client, key(ladybug_store, "READER"), "/city/tampere")
        assert client.get("/city/tampere").status_code == 200


# The close-out form --------------------------------------------------------------------------


def test_the_close_out_form_shows_the_gates_errors_by_their_fields_then_records(store):
    sample(store)
    token = key(store, "CITY", cityId=TAMPERE)
    url = "/pilot/" + ENDED_PILOT.split(":")[1]
    with TestClient(create_app(store)) as client:
        assert "Sign in to record a decision" in client.get(url).text
        sign_in(client, token, url)
        page = client.get(url).text
        before = snapshot(store)
        bad = {
            "csrf": csrf_of(page),
            "outcome": "DEVELOP",
            "rationale": "Too short",
            "lessons": "",
            "nextSteps": "",
        }
        refused = client.post(url + "/decision", data=bad)
        assert refused.status_code == 422
        body = refused.text
        for field, code in (
            ("rationale", "RATIONALE_TOO_SHORT"),
            ("lessons", "LESSONS_REQUIRED"),
            ("nextSteps", "NEXT_STEPS_REQUIRED"),
        ):
            block = re.search(rf'<div class="field-error" id="{field}-error">(.*?)</div>', body, re.S)
            assert block and code in block.group(1), field
            assert re.search(rf'id="{field}" name="{field}"[^>]*aria-invalid="true"', body), field
        assert "Too short" in body  # what was typed stays
        assert snapshot(store) == before
        good = {
            **bad,
            "rationale": "Residents used the self-check; develop it into the wellbeing portal",
            "lessons": "Night-time use was high\nShort forms worked",
            "nextSteps": "Open a procurement",
        }
        done = client.post(url + "/decision", data=good, follow_redirects=False)
        assert done.status_code == 303
        page = client.get(done.headers["location"]).text
        assert "The decision is recorded." in page
        assert "Night-time use was high" in page and "Open a procurement" in page
    query = f'{{ pilot: node(id: "{ENDED_PILOT}") {{ ... on Pilot {{ status decision {{ outcome decidedBy }} }} }} }}'
    with TestClient(create_app(store)) as client:
        pilot = client.post("/graphql", json={"query": query}).json()["data"]["pilot"]
    assert pilot == {"status": "DECIDED", "decision": {"outcome": "DEVELOP", "decidedBy": "CITY web"}}


def test_the_close_out_form_is_offered_only_to_those_who_may_decide(ladybug_store):
    sample(ladybug_store)
    url = "/pilot/" + ENDED_PILOT.split(":")[1]
    with TestClient(create_app(ladybug_store)) as client:
        sign_in(client, key(ladybug_store, "CITY", cityId="City:grand-paris"))
        page = client.get(url).text
        assert "may not record decisions" in page
        # and the use case refuses the post all the same
        posted = client.post(
            url + "/decision",
            data={"csrf": csrf_of(page), "outcome": "DROP", "rationale": "x" * 30, "lessons": "one"},
        )
        assert posted.status_code == 422 and "FORBIDDEN" in posted.text


# The vendor's forms --------------------------------------------------------------------------


def test_a_signed_in_vendor_registers_updates_and_retires_its_offerings(ladybug_store):
    sample(ladybug_store)
    with TestClient(create_app(ladybug_store)) as client:
        sign_in(client, key(ladybug_store, "VENDOR", vendorId="Vendor:example-chatbots"))
        page = client.get("/vendor/example-chatbots").text
        assert "Register an offering" in page
        form = {"csrf": csrf_of(page), "name": "", "capabilityIds": ["Capability:conversational-assistant"]}
        refused = client.post("/vendor/example-chatbots/services", data=form)
        assert refused.status_code == 422
        assert re.search(r'<div class="field-error" id="name-error">.*?REQUIRED', refused.text, re.S)
        form.update(name="Night-time chat", externalId="night-1", website="https://chat.example")
        made = client.post("/vendor/example-chatbots/services", data=form, follow_redirects=False)
        assert made.status_code == 303
        page = client.get(made.headers["location"]).text
        assert "Registered: Night-time chat" in page
        service = re.search(r'href="/service/(night-time-chat-[0-9a-f]+)"', page).group(1)
        changed = client.post(
            f"/service/{service}/update",
            data={"csrf": csrf_of(page), "name": "Night-time chat 24/7", "website": "not a url"},
        )
        assert changed.status_code == 422 and "INVALID_URL" in changed.text
        changed = client.post(
            f"/service/{service}/update",
            data={
                "csrf": csrf_of(page),
                "name": "Night-time chat 24/7",
                "capabilityIds": ["Capability:conversational-assistant"],
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303
        retired = client.post(
            f"/service/{service}/retire",
            data={"csrf": csrf_of(page), "reason": "Merged"},
            follow_redirects=False,
        )
        assert retired.status_code == 303
        page = client.get(f"/service/{service}").text
        assert "Night-time chat 24/7" in page and "retired" in page and "Merged" in page
        # another vendor's offering: the form is not offered, and the use case refuses
        other = client.get("/vendor/example-booking").text
        assert "Register an offering" not in other
        posted = client.post(
            "/vendor/example-booking/services", data={"csrf": csrf_of(other), "name": "Mine now"}
        )
        assert posted.status_code == 422 and "FORBIDDEN" in posted.text


# OIDC login (authorization code with PKCE) ---------------------------------------------------


class FakeProvider:
    """An identity provider on loopback: discovery, keys, and a token endpoint that checks the
    PKCE verifier against the challenge the authorization request carried."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.challenge = self.nonce = None
        self.code = "code-123"
        self.token_requests: list[dict] = []
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, claims: dict) -> str:
        now = int(time.time())
        return jwt.encode(
            {"iat": now, "exp": now + 300, **claims}, self.private, algorithm="RS256", headers={"kid": "k1"}
        )

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": provider.base,
                            "authorization_endpoint": provider.base + "/authorize",
                            "token_endpoint": provider.base + "/token",
                            "jwks_uri": provider.base + "/jwks",
                        },
                    )
                elif self.path == "/jwks":
                    self._json(200, provider.jwks)
                else:
                    self._json(404, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                verifier = form.get("code_verifier", "")
                digest = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                )
                if form.get("code") != provider.code or digest != provider.challenge:
                    self._json(400, {"error": "invalid_grant"})
                    return
                access = provider.sign(
                    {
                        "iss": provider.base,
                        "aud": "rolemap",
                        "sub": "u-1",
                        "name": "Tiina Tampere",
                        "rolemap_role": "CITY",
                        "rolemap_city": TAMPERE,
                    }
                )
                id_token = provider.sign(
                    {"iss": provider.base, "aud": "pages", "sub": "u-1", "nonce": provider.nonce}
                )
                self._json(
                    200,
                    {"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token},
                )

        return Handler

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def provider():
    found = FakeProvider()
    yield found
    found.close()


def test_signing_in_through_the_identity_provider_uses_pkce_and_the_tokens_claims(
    ladybug_store, provider, tmp_path
):
    sample(ladybug_store)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(provider.jwks))
    oidc = OidcSettings.from_env(
        {
            "ROLEMAP_OIDC_ISSUER": provider.base,
            "ROLEMAP_OIDC_AUDIENCE": "rolemap",
            "ROLEMAP_OIDC_JWKS_FILE": str(jwks),
            "ROLEMAP_OIDC_CLIENT_ID": "pages",
        }
    )
    assert oidc.login.discovery_url == provider.base + "/.well-known/openid-configuration"
    with TestClient(create_app(ladybug_store, oidc=oidc)) as client:
        assert 'href="/signin/oidc?next=' in client.get("/signin").text
        start = client.get("/signin/oidc?next=/city/tampere", follow_redirects=False)
        assert start.status_code == 302
        asked = urlparse(start.headers["location"])
        params = {k: v[0] for k, v in parse_qs(asked.query).items()}
        assert asked.path == "/authorize" and params["code_challenge_method"] == "S256"
        assert params["client_id"] == "pages" and params["redirect_uri"].endswith("/signin/oidc/callback")
        provider.challenge, provider.nonce = params["code_challenge"], params.get("nonce")
        wrong = client.get(f"/signin/oidc/callback?code={provider.code}&state=forged", follow_redirects=False)
        assert wrong.status_code == 401 and "Signed in as" not in wrong.text
        done = client.get(
            f"/signin/oidc/callback?code={provider.code}&state={params['state']}", follow_redirects=False
        )
        assert done.status_code == 303 and done.headers["location"] == "/city/tampere"
        assert provider.token_requests[-1]["code_verifier"]
        page = client.get("/city/tampere").text
        assert "Tiina Tampere" in page and "access_token" not in client.cookies["rolemap_session"]
        # the login acts with its token's role and scope, through the same checks
        url = "/pilot/" + ENDED_PILOT.split(":")[1]
        page = client.get(url).text
        assert "Record the decision" in page


def test_oidc_login_settings_are_checked_at_start(tmp_path):
    jwks = tmp_path / "k.json"
    jwks.write_text("{}")
    base = {
        "ROLEMAP_OIDC_ISSUER": "https://id.example",
        "ROLEMAP_OIDC_AUDIENCE": "rolemap",
        "ROLEMAP_OIDC_JWKS_FILE": str(jwks),
    }
    assert OidcSettings.from_env(base).login is None
    with pytest.raises(ConfigError, match="ROLEMAP_OIDC_CLIENT_ID"):
        OidcSettings.from_env({**base, "ROLEMAP_OIDC_TOKEN_URL": "https://id.example/token"})
    with pytest.raises(ConfigError, match="both"):
        OidcSettings.from_env(
            {**base, "ROLEMAP_OIDC_CLIENT_ID": "c", "ROLEMAP_OIDC_TOKEN_URL": "https://id.example/t"}
        )
    with pytest.raises(ConfigError, match="https"):
        OidcSettings.from_env(
            {**base, "ROLEMAP_OIDC_CLIENT_ID": "c", "ROLEMAP_OIDC_DISCOVERY_URL": "http://id.example/d"}
        )
    explicit = OidcSettings.from_env(
        {
            **base,
            "ROLEMAP_OIDC_CLIENT_ID": "c",
            "ROLEMAP_OIDC_AUTHORIZE_URL": "https://id.example/a",
            "ROLEMAP_OIDC_TOKEN_URL": "https://id.example/t",
        }
    )
    assert explicit.login.discovery_url is None and explicit.login.scopes == "openid profile"
    with pytest.raises(ConfigError, match="ROLEMAP_SESSION_SECRET"):
        Settings.from_env({"ROLEMAP_SESSION_SECRET": "short"})
    assert Settings.from_env({"ROLEMAP_SESSION_SECRET": "x" * 40}).session_secret == "x" * 40
