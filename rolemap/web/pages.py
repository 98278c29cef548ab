"""The pages: the registry in a browser, in Finnish, Swedish and English, served by the API's app.

Pages are rendered on the server (reading needs no script) from the same read model and use cases
as the API: `views` reads, `Registry` writes, with the signed-in person's `Actor` from the session
(see rolemap/api/auth.py). Every form post carries the session's CSRF token; one without it is
refused before anything is read from it.

URLs are stable and shareable: `/city/tampere`, `/city/tampere/rolemap`, `/pilot/<slug>`,
`/procurement?city=tampere&outcome=DROP`; `?lang=fi|sv|en` picks the language (and keeps it for
the session), otherwise the browser's Accept-Language does.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..analysis.index import IndexCache
from ..api.auth import forget, remember
from ..config import Settings
from ..domain.actors import Role
from ..domain.errors import Code, UserError, UserErrors
from ..graph.access import Graph
from ..graph.schema import OUTCOMES
from ..graph.store import Store
from ..registry import Registry
from ..workers import AnalysisTimeout
from . import charts, i18n, views
from .login import LoginFailed, OidcLogin

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SESSION_COOKIE = "rolemap_session"
SESSION_MAX_AGE = 8 * 3600
CSRF = "csrf"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
env.filters["slug"] = lambda node_id: (node_id or "").partition(":")[2]
env.filters["glyph"] = charts.glyph
env.filters["reason_text"] = lambda reasons, t: ", ".join(
    f"{t(r['kind'])} {r['weight']:.2f}" for r in reasons
)


def session_middleware(settings: Settings) -> Middleware:
    """Starlette's signed-cookie session (itsdangerous): who signed in, the CSRF token and the
    chosen language; never a key or a token."""
    return Middleware(
        SessionMiddleware,
        secret_key=settings.session_secret or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.session_secure,
    )


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF)
    if not token:
        token = request.session[CSRF] = secrets.token_urlsafe(32)
    return token


def _safe_next(raw: str | None) -> str:
    """Only a path on this site (never `//host` or a scheme) to return to after signing in."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    return raw


def web_routes(
    store: Store, registry: Registry, index_cache: IndexCache, settings: Settings
) -> list[BaseRoute]:
    """The pages' routes, mounted by `create_app` beside the API's."""
    oidc_login = OidcLogin(settings.oidc) if settings.oidc and settings.oidc.login else None
    months = settings.max_pilot_months

    # Rendering -------------------------------------------------------------------------------

    def language(request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked in i18n.LANGUAGES:
            if request.session.get("lang") != asked:
                request.session["lang"] = asked
            return asked
        kept = request.session.get("lang")
        if kept in i18n.LANGUAGES:
            return kept
        return i18n.negotiate(request.headers.get("accept-language", ""))

    def may_read(request: Request) -> bool:
        return settings.public_read or request.user.is_authenticated

    def common(request: Request, lang: str, section: str | None) -> dict[str, Any]:
        actor = request.user.actor
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        params = {k: v for k, v in request.query_params.items() if k != "lang"}
        languages = [
            {
                "code": code,
                "label": i18n.LANGUAGE_NAMES[code],
                "url": request.url.path + "?" + urlencode({**params, "lang": code}),
            }
            for code in i18n.LANGUAGES
        ]
        flash = request.session.pop("flash", None)
        t = i18n.translator(lang)
        return {
            "lang": lang,
            "t": t,
            "languages": languages,
            "here": here,
            "section": section,
            "csrf": csrf_token(request),
            "flash": t(flash[0], **flash[1]) if isinstance(flash, list) and len(flash) == 2 else None,
            "actor": None
            if actor.anonymous
            else {
                "name": actor.name,
                "role": t(actor.role.value),
                "scope": actor.city_id or actor.vendor_id,
                "actor": actor,
            },
        }

    async def render(
        request: Request,
        template: str,
        build: Callable[[views.Reader], dict[str, Any]],
        status: int = 200,
        section: str | None = None,
    ) -> Response:
        if not may_read(request):
            return RedirectResponse("/signin?" + urlencode({"next": request.url.path}), 303)
        lang = language(request)
        context = common(request, lang, section)

        def work(current) -> str:
            reader = views.Reader(store, current, lang)
            data = build(reader)
            return env.get_template(template).render({**context, **data})

        try:  # on an analysis thread, within the analysis timeout, like the API's analyses
            html = await index_cache.run(index_cache.read, work)
        except AnalysisTimeout:
            return await error_page(request, 503, "Busy", "This page took too long to prepare; try again.")
        except views.NotFound:
            return await error_page(request, 404, "Not found", "There is nothing here with that id.")
        except UserErrors as exc:
            if views.not_found_error(exc):
                return await error_page(request, 404, "Not found", "There is nothing here with that id.")
            return await error_page(request, 400, "Not possible", exc.errors[0].message)
        return page_response(html, lang, status)

    def page_response(html: str, lang: str, status: int = 200) -> Response:
        return HTMLResponse(
            html,
            status_code=status,
            headers={
                "Content-Language": lang,
                "Vary": "Accept-Language, Cookie",
                "Cache-Control": "no-store",
            },
        )

    async def error_page(request: Request, status: int, heading: str, message: str) -> Response:
        lang = language(request)
        context = common(request, lang, None)
        t = context["t"]
        html = env.get_template("error.html").render(
            {**context, "title": t(heading), "heading": t(heading), "message": t(message)}
        )
        return page_response(html, lang, status)

    def translated_errors(errors: list[UserError], lang: str, fields: set[str]) -> dict[str, list[dict]]:
        """Each error next to the field it names (`lessons[0]` → `lessons`); the rest for the form."""
        found: dict[str, list[dict]] = {}
        for error in errors:
            name = (error.field or "").split("[")[0].split(".")[0]
            if name == "input" and error.field and "." in error.field:
                name = error.field.split(".", 1)[1].split("[")[0]
            key = name if name in fields else "_form"
            found.setdefault(key, []).append({"code": error.code.value, "text": i18n.error_text(error, lang)})
        return found

    async def checked_form(request: Request):
        """The posted form when it carries this session's CSRF token, else None (refused)."""
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return None
        form = await request.form()
        expected = request.session.get(CSRF)
        sent = form.get(CSRF)
        if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
            return None
        return form

    async def refused(request: Request) -> Response:
        return await error_page(
            request,
            403,
            "Refused",
            "This form has expired or did not come from this site. Go back, reload the page and try again.",
        )

    def flash(request: Request, message: str, **values: Any) -> None:
        request.session["flash"] = [message, values]

    def slug_id(request: Request, label: str) -> str:
        return views.id_of(label, request.path_params["slug"])

    # Pages ---------------------------------------------------------------------------------

    async def home(request: Request) -> Response:
        def build(reader: views.Reader) -> dict:
            return {"title": reader_t(reader)("Cities and regions"), **views.home(reader)}

        return await render(request, "home.html", build, section="home")

    def page_number(request: Request) -> int:
        """`?page=N`, from 1; anything else is the first page."""
        try:
            return max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            return 1

    def reader_t(reader: views.Reader):
        return i18n.translator(reader.lang)

    async def city(request: Request) -> Response:
        city_id = slug_id(request, "City")

        def build(reader: views.Reader) -> dict:
            data = views.city(reader, city_id)
            return {"title": data["city"]["name"], **data}

        return await render(request, "city.html", build, section="city")

    async def role_map(request: Request) -> Response:
        city_id = slug_id(request, "City")

        def build(reader: views.Reader) -> dict:
            t = reader_t(reader)
            data = views.role_map(reader, city_id, t("in-house"), page_number(request))
            return {
                "title": f"{t('Role map')}: {data['city']['name']}",
                **data,
                "page_url": lambda n: f"{request.url.path}?{urlencode({'page': n})}",
            }

        return await render(request, "rolemap.html", build, section="city")

    async def overlaps(request: Request) -> Response:
        city_id = slug_id(request, "City")
        kind = request.query_params.get("kind", "SERVICE").upper()
        if kind not in ("SERVICE", "PILOT", "VENDOR"):
            kind = "SERVICE"

        def build(reader: views.Reader) -> dict:
            t = reader_t(reader)
            data = views.overlaps(reader, city_id, kind)
            return {"title": f"{t('Overlaps')}: {data['city']['name']}", **data}

        return await render(request, "overlaps.html", build, section="city")

    async def radar(request: Request) -> Response:
        city_id = slug_id(request, "City")

        def build(reader: views.Reader) -> dict:
            t = reader_t(reader)
            data = views.radar(reader, city_id)
            return {"title": f"{t('Radar')}: {data['city']['name']}", **data}

        return await render(request, "radar.html", build, section="city")

    DECISION_FIELDS = {
        "outcome",
        "rationale",
        "lessons",
        "nextSteps",
        "decidedBy",
        "procurementRef",
        "results",
    }

    async def pilot(request: Request, errors=None, form=None, status: int = 200) -> Response:
        pilot_id = slug_id(request, "Pilot")
        actor = request.user.actor

        def build(reader: views.Reader) -> dict:
            t = reader_t(reader)
            data = views.pilot(reader, pilot_id)
            city_id = data["city"]["id"] if data["city"] else None
            may = _may_act(reader, actor, city_id)
            labels = {
                "outcome": t("Outcome"),
                "rationale": t("Rationale"),
                "lessons": t("Lessons learned"),
                "nextSteps": t("Next steps"),
                "procurementRef": t("Procurement reference (DEVELOP only)"),
                "decidedBy": t("Decided by"),
                "results": t("Results against the success criteria"),
            }
            return {
                "title": data["pilot"]["name"],
                **data,
                "can_decide": may and actor.role in (Role.ADMIN, Role.CITY, Role.PROCUREMENT),
                "can_act": may and actor.role in (Role.ADMIN, Role.CITY),
                "errors": errors or {},
                "form": form or {},
                "labels": labels,
            }

        return await render(request, "pilot.html", build, status=status, section="city")

    def _may_act(reader: views.Reader, actor, city_id: str | None) -> bool:
        """Whether to offer the forms at all; the use case checks the actor again when it runs."""
        if actor.anonymous or city_id is None:
            return False
        if actor.role is Role.ADMIN:
            return True
        if actor.role in (Role.CITY, Role.PROCUREMENT) and actor.city_id:
            return actor.city_id == city_id or (
                reader.kept(actor.city_id) is not None
                and reader.is_region(reader.kept(actor.city_id))
                and city_id in reader.members(actor.city_id)
            )
        return False

    async def decide(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return await refused(request)
        pilot_id = slug_id(request, "Pilot")
        values = {k: v for k, v in form.items() if k != CSRF}
        data = decision_input(pilot_id, form)
        try:
            await asyncio.to_thread(registry.record_decision, request.user.actor, data)
        except UserErrors as exc:
            errors = translated_errors(exc.errors, language(request), DECISION_FIELDS)
            return await pilot(request, errors=errors, form=values, status=422)
        flash(request, "The decision is recorded.")
        return RedirectResponse(views.url_of(pilot_id) + "#decisions", 303)

    async def pilot_step(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return await refused(request)
        pilot_id = slug_id(request, "Pilot")
        step = {"start": registry.start_pilot, "end": registry.end_pilot}.get(request.path_params["step"])
        if step is None:
            return await error_page(request, 404, "Not found", "There is nothing here with that id.")
        try:
            await asyncio.to_thread(step, request.user.actor, pilot_id)
        except UserErrors as exc:
            flash(request, "Not done: {reason}", reason=exc.errors[0].message)
        else:
            flash(
                request, "The pilot has started." if step == registry.start_pilot else "The pilot has ended."
            )
        return RedirectResponse(views.url_of(pilot_id), 303)

    async def procurement(request: Request) -> Response:
        params = request.query_params
        city_slug = params.get("city") or None
        city_id = views.id_of("City", city_slug) if city_slug else None
        shown = {
            "city": city_slug,
            "outcome": params.get("outcome") or None,
            "vendor": params.get("vendor") or None,
            "capability": params.get("capability") or None,
            "since": params.get("since") or None,
            "until": params.get("until") or None,
            "current": params.get("current") in ("1", "true", "on"),
        }
        problems, filters, csv = [], {}, {}
        if city_id:
            filters["city_id"] = csv["cityId"] = city_id
        if shown["outcome"]:
            if shown["outcome"] in OUTCOMES:
                filters["outcome"] = csv["outcome"] = shown["outcome"]
            else:
                problems.append("outcome")
        for name, label in (("vendor", "Vendor"), ("capability", "Capability")):
            if shown[name]:
                value = (
                    shown[name] if shown[name].startswith(f"{label}:") else views.id_of(label, shown[name])
                )
                filters[f"{name}_id"] = csv[f"{name}Id"] = value
        for name in ("since", "until"):
            if shown[name]:
                try:
                    filters[name] = date.fromisoformat(shown[name])
                    csv[name] = shown[name]
                except ValueError:
                    problems.append(name)
        if shown["current"]:
            filters["current_only"] = True
            csv["currentOnly"] = "true"
        page = page_number(request)

        def build(reader: views.Reader) -> dict:
            t = reader_t(reader)
            try:
                data = views.procurement(reader, city_id, filters, page, months)
                problem = (
                    t("Some filters were not understood and are left out: {names}", names=", ".join(problems))
                    if problems
                    else None
                )
            except UserErrors as exc:
                if city_id and exc.errors[0].field == "cityId":
                    raise
                data = views.procurement(
                    reader, city_id, {k: v for k, v in filters.items() if k == "city_id"}, page, months
                )
                problem = t(
                    "Some filters were not understood and are left out: {names}", names=exc.errors[0].message
                )
            city = reader.link(city_id) if city_id else None

            def page_url(n: int) -> str:
                query = {k: v for k, v in params.items() if k not in ("page", "lang")}
                return "/procurement?" + urlencode({**query, "page": n})

            return {
                "title": t("Procurement") + (f": {city['name']}" if city else ""),
                **data,
                "city": city,
                "filters": shown,
                "problem": problem,
                "csv_query": ("?" + urlencode(csv)) if csv else "",
                "segments": views.GROUP_SEGMENTS,
                "page_url": page_url,
            }

        return await render(request, "procurement.html", build, section="procurement")

    SERVICE_FIELDS = {"name", "externalId", "description", "website", "capabilityIds", "reason"}

    async def vendor(
        request: Request, editing=None, action=None, errors=None, form=None, status=200
    ) -> Response:
        vendor_id = slug_id(request, "Vendor")
        actor = request.user.actor
        return await vendor_page(request, vendor_id, actor, editing, action, errors, form, status)

    async def vendor_page(
        request, vendor_id, actor, editing=None, action=None, errors=None, form=None, status=200
    ):
        def build(reader: views.Reader) -> dict:
            t = reader_t(reader)
            data = views.vendor(reader, vendor_id, months)
            labels = {
                "name": t("Name"),
                "externalId": t("Your own id for it (optional)"),
                "description": t("Description"),
                "website": t("Website"),
                "capabilityIds": t("Capabilities"),
            }
            return {
                "title": data["vendor"]["name"],
                **data,
                "manages": actor.role is Role.ADMIN
                or (actor.role is Role.VENDOR and actor.vendor_id == vendor_id),
                "editing": editing,
                "action": action,
                "errors": errors or {},
                "form": form or {},
                "labels": labels,
            }

        return await render(request, "vendor.html", build, status=status)

    async def register_service(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return await refused(request)
        vendor_id = slug_id(request, "Vendor")
        data = {"vendorId": vendor_id, **service_input(form)}
        try:
            found = await asyncio.to_thread(registry.register_service, request.user.actor, data)
        except UserErrors as exc:
            errors = translated_errors(exc.errors, language(request), SERVICE_FIELDS)
            values = {
                **{k: v for k, v in form.items() if k != CSRF},
                "capabilityIds": form.getlist("capabilityIds"),
            }
            return await vendor_page(
                request, vendor_id, request.user.actor, "new", "register", errors, values, 422
            )
        flash(request, "Registered: {name}", name=found["name"])
        return RedirectResponse(f"{views.url_of(vendor_id)}#{found['id'].replace(':', '-')}", 303)

    async def change_service(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return await refused(request)
        service_id = slug_id(request, "Service")
        action = request.path_params["action"]
        if action not in ("update", "retire"):
            return await error_page(request, 404, "Not found", "There is nothing here with that id.")
        actor = request.user.actor
        if action == "update":
            call, args = registry.update_service, (service_id, service_input(form, update=True))
        else:
            call, args = registry.retire_service, (service_id, (form.get("reason") or "").strip() or None)
        try:
            found = await asyncio.to_thread(call, actor, *args)
        except UserErrors as exc:
            vendors = await asyncio.to_thread(
                Graph(store.read).related, "OFFERS", "Vendor", "Service", "in", [service_id]
            )
            owner = vendors.get(service_id, [])
            if not owner:
                return await error_page(request, 404, "Not found", "There is nothing here with that id.")
            errors = translated_errors(exc.errors, language(request), SERVICE_FIELDS)
            values = {
                **{k: v for k, v in form.items() if k != CSRF},
                "capabilityIds": form.getlist("capabilityIds"),
            }
            return await vendor_page(
                request, owner[0][0]["id"], actor, service_id, action, errors, values, 422
            )
        flash(request, "Saved: {name}" if action == "update" else "Retired: {name}", name=found["name"])
        vendors = await asyncio.to_thread(
            Graph(store.read).related, "OFFERS", "Vendor", "Service", "in", [service_id]
        )
        owner = vendors.get(service_id, [])
        target = views.url_of(owner[0][0]["id"]) if owner else views.url_of(service_id)
        return RedirectResponse(f"{target}#{service_id.replace(':', '-')}", 303)

    async def service(request: Request) -> Response:
        service_id = slug_id(request, "Service")

        def build(reader: views.Reader) -> dict:
            data = views.service(reader, service_id)
            return {"title": data["service"]["name"], **data}

        return await render(request, "service.html", build)

    # Signing in ------------------------------------------------------------------------------

    async def signin_page(
        request: Request, errors=None, status: int = 200, next_url: str | None = None
    ) -> Response:
        lang = language(request)
        context = common(request, lang, None)
        html = env.get_template("signin.html").render(
            {
                **context,
                "title": context["t"]("Sign in"),
                "next": _safe_next(next_url or request.query_params.get("next")),
                "errors": errors or {},
                "oidc": oidc_login is not None,
            }
        )
        return page_response(html, lang, status)

    async def signin(request: Request) -> Response:
        if request.method == "GET":
            return await signin_page(request)
        form = await checked_form(request)
        if form is None:
            return await refused(request)
        key = (form.get("key") or "").strip()
        next_url = _safe_next(form.get("next"))
        actor = await asyncio.to_thread(registry.authenticate, key) if key else None
        if actor is None:
            lang = language(request)
            error = UserError(Code.UNAUTHENTICATED, "key", "the API key is not valid, or it was revoked")
            return await signin_page(
                request,
                {"key": [{"code": error.code.value, "text": i18n.error_text(error, lang)}]},
                401,
                next_url,
            )
        fresh_session(request)
        remember(request.session, actor, key_id=actor.id)
        flash(request, "Signed in as {name}.", name=actor.name)
        return RedirectResponse(next_url, 303)

    def fresh_session(request: Request) -> None:
        """A new session (and CSRF token) at every sign-in and sign-out; the language stays."""
        lang = request.session.get("lang")
        request.session.clear()
        if lang:
            request.session["lang"] = lang

    async def signout(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return await refused(request)
        forget(request.session)
        fresh_session(request)
        flash(request, "Signed out.")
        return RedirectResponse("/", 303)

    async def oidc_start(request: Request) -> Response:
        if oidc_login is None:
            return await error_page(request, 404, "Not found", "No identity provider is configured.")
        request.session["login_next"] = _safe_next(request.query_params.get("next"))
        return await oidc_login.start(request, str(request.url_for("oidc_callback")))

    async def oidc_callback(request: Request) -> Response:
        if oidc_login is None:
            return await error_page(request, 404, "Not found", "No identity provider is configured.")
        next_url = _safe_next(request.session.get("login_next"))
        try:
            actor, expires = await oidc_login.finish(request)
        except LoginFailed as exc:
            lang = language(request)
            error = UserError(Code.UNAUTHENTICATED, "oidc", f"the login did not succeed: {exc}")
            return await signin_page(
                request,
                {"oidc": [{"code": error.code.value, "text": i18n.error_text(error, lang)}]},
                401,
                next_url,
            )
        fresh_session(request)
        remember(request.session, actor, expires=expires)
        flash(request, "Signed in as {name}.", name=actor.name)
        return RedirectResponse(next_url, 303)

    return [
        Route("/", home),
        Route("/city/{slug}", city),
        Route("/city/{slug}/rolemap", role_map),
        Route("/city/{slug}/overlaps", overlaps),
        Route("/city/{slug}/radar", radar),
        Route("/pilot/{slug}", pilot),
        Route("/pilot/{slug}/decision", decide, methods=["POST"]),
        Route("/pilot/{slug}/{step:str}", pilot_step, methods=["POST"]),
        Route("/procurement", procurement),
        Route("/vendor/{slug}", vendor),
        Route("/vendor/{slug}/services", register_service, methods=["POST"]),
        Route("/service/{slug}", service),
        Route("/service/{slug}/{action:str}", change_service, methods=["POST"]),
        Route("/signin", signin, methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/signin/oidc", oidc_start),
        Route("/signin/oidc/callback", oidc_callback, name="oidc_callback"),
        Mount("/assets", StaticFiles(directory=STATIC), name="assets"),
    ]


def decision_input(pilot_id: str, form) -> dict[str, Any]:
    """The close-out form as `record_decision`'s input: one lesson or next step per line; a result
    for each success criterion given a measure or ticked as met."""

    def lines(name: str) -> list[str]:
        return [line.strip() for line in (form.get(name) or "").splitlines() if line.strip()]

    data: dict[str, Any] = {
        "pilotId": pilot_id,
        "outcome": form.get("outcome") or None,
        "rationale": (form.get("rationale") or "").strip() or None,
        "lessons": lines("lessons"),
        "nextSteps": lines("nextSteps"),
        "decidedBy": (form.get("decidedBy") or "").strip() or None,
        "procurementRef": (form.get("procurementRef") or "").strip() or None,
    }
    results = []
    i = 0
    while f"results-{i}-name" in form or f"results-{i}-measured" in form:
        measured = (form.get(f"results-{i}-measured") or "").strip()
        met = bool(form.get(f"results-{i}-met"))
        if measured or met:
            try:
                value = float(measured) if measured else None
            except ValueError:
                value = None
            results.append({"name": form.get(f"results-{i}-name"), "measured": value, "met": met})
        i += 1
    if results:
        data["results"] = results
    return data


def service_input(form, update: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in ("name", "description", "website") + (() if update else ("externalId",)):
        value = (form.get(name) or "").strip()
        if value:
            data[name] = value
        elif update and name != "name":
            data[name] = None
    data["capabilityIds"] = [c for c in form.getlist("capabilityIds") if c]
    return data
