"""The dashboard over HTTP (tornado, the server the Telegram webhook already runs on): the
routes, the session gate, CSRF, and a server for `a4pbot web`. `a4pbot run` in webhook mode
mounts the same routes under `/dashboard`.

Handlers are thin: check the session, read the query, build the page in a worker thread (the
store may wait on the database; the event loop keeps serving Telegram meanwhile), send it.
The user's role is read from the database on every request (`WebSessions.current`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler

from bot.briefing import export, summary
from bot.conversation import i18n
from bot.conversation.assistant import Assistant
from bot.conversation.i18n import t
from bot.answering.numbers import parse_count
from bot.desk.sanitise import clean_text
from . import dashboard
from .logs import log_request
from .pages import render, status_chart, style_hash
from .sessions import LINK_MINUTES, SESSION_HOURS, LinkRefused, WebSession, WebSessions

log = logging.getLogger(__name__)
COOKIE = "a4p_session"
SIGN_IN_COOKIE = "a4p_signin"  # the sign-in form's double-submit token (no session yet)
MAX_QUERY = 200


@dataclass(frozen=True)
class Site:
    """What every handler needs: the assistant (catalogue, matcher, store) and where the
    dashboard is mounted ("" or "/dashboard")."""

    assistant: Assistant
    sessions: WebSessions
    prefix: str = ""

    @property
    def store(self):  # -> Store
        assert self.assistant.store is not None
        return self.assistant.store


class Page(RequestHandler):
    """A page behind the session: 303 to the sign-in help without one."""

    role = "reader"  # "admin": the admin pages
    public = False

    def initialize(self, site: Site) -> None:
        self.site = site
        self.session: WebSession | None = None

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy",
                        f"default-src 'none'; style-src {style_hash()}; img-src 'self' data:; "
                        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")  # sign-in links sit in the path
        self.set_header("Cache-Control", "no-store")

    async def prepare(self) -> None:
        if self.public:
            return
        token = self.get_cookie(COOKIE) or ""
        self.session = await asyncio.to_thread(self.site.sessions.current, token)
        if self.session is None:
            self.redirect(self.url("/signin"), status=303)
        elif self.role == "admin" and not self.session.admin:
            await self.show("message.html", status=403, heading=t("web.admins_only"),
                            lines=(t("web.admins_only_hint"),))

    def url(self, path: str) -> str:
        return f"{self.site.prefix}{path}"

    def language(self) -> str:
        """The user's stored language, else the browser's first choice, else Chinese."""
        stored = self.session.user.language if self.session else None
        wanted = self.request.headers.get("Accept-Language", "").split(",")[0].split(";")[0]
        return i18n.choose(stored, wanted)

    async def show(self, template: str, status: int = 200, **values: Any) -> None:
        await self.build(template, lambda: values, status)

    async def build(self, template: str, make: Callable[[], dict[str, Any]],
                    status: int = 200) -> None:
        """Compute the page's data and render it in the user's language, in a worker thread."""
        def page() -> str:
            with i18n.use(self.language()):
                return render(template, base=self.site.prefix, session=self.session,
                              path=self.request.path, **make())
        html = await asyncio.to_thread(page)
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(html)

    def arg(self, name: str) -> str:
        return clean_text(self.get_query_argument(name, "") or "")[:MAX_QUERY]

    def csrf_ok(self) -> bool:
        given = self.get_body_argument("csrf", "") or ""
        return self.session is not None and hmac.compare_digest(given.encode(),
                                                                self.session.csrf.encode())

    async def refuse_csrf(self) -> None:
        await self.show("message.html", status=403, heading=t("web.csrf"),
                        lines=(t("web.csrf_hint"),))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        with i18n.use(self.language()):
            key = "web.not_found" if status_code == 404 else "web.error"
            self.finish(render("message.html", base=self.site.prefix, session=self.session,
                               path=self.request.path, heading=t(key), lines=()))


class Overview(Page):
    async def get(self) -> None:
        def make() -> dict[str, Any]:
            view = dashboard.overview(self.site.store, self.site.assistant.catalogue)
            return {"view": view, "chart": status_chart(
                [(f"{r.id} {r.name}", r.counts) for r in view.rows])}
        await self.build("overview.html", make)


class AreaPage(Page):
    async def get(self, area_id: str) -> None:
        catalogue = self.site.assistant.catalogue
        area = catalogue.areas.get(area_id.upper())
        if area is None:
            raise_not_found()
        await self.build("area.html", lambda: {
            "area": area, "rows": dashboard.area_rows(self.site.store, catalogue, area.id)})


class CommitmentPage(Page):
    async def get(self, commitment_id: str) -> None:
        catalogue = self.site.assistant.catalogue
        commitment = catalogue.commitments.get(commitment_id.upper())
        if commitment is None:
            raise_not_found()
        await self.build("commitment.html", lambda: {
            "c": commitment, "area": catalogue.areas[commitment.area],
            "paragraph": catalogue.paragraphs.get(commitment.paragraph),
            "owners": summary.owner_names(self.site.store).get(commitment.id, ()),
            "history": dashboard.history(self.site.store, commitment.id)})


class Updates(Page):
    async def get(self) -> None:
        catalogue = self.site.assistant.catalogue
        chosen = dashboard.feed_filter(catalogue, {n: self.arg(n) for n in
                                                   ("area", "mission", "status", "from", "to")})
        await self.build("updates.html", lambda: {
            "chosen": chosen, "catalogue": catalogue,
            "missions": dashboard.missions(self.site.store),
            "items": dashboard.feed(self.site.store, catalogue, chosen)})


class Silent(Page):
    async def get(self) -> None:
        text = self.arg("days")
        days = parse_count(text, 1, 3650) if text else dashboard.STALE_DAYS
        await self.build("silent.html", lambda: {
            "days": days or dashboard.STALE_DAYS, "bad_days": days is None,
            "groups": dashboard.silent(self.site.store, self.site.assistant.catalogue,
                                       days or dashboard.STALE_DAYS)})


class Search(Page):
    async def get(self) -> None:
        query = self.arg("q").strip()
        assistant = self.site.assistant
        await self.build("search.html", lambda: {
            "query": query, "catalogue": assistant.catalogue,
            "result": assistant.ask(query) if query else None})


class SignInHelp(Page):
    public = True

    async def get(self) -> None:
        await self.show("signin.html", heading=t("web.signin.heading"),
                        link_minutes=LINK_MINUTES, session_hours=SESSION_HOURS)


class SignIn(Page):
    """GET shows a button (link previews and mail scanners fetch links: a GET must not use
    one up); the button's POST signs in and sets the session cookie."""

    public = True

    async def get(self, token: str) -> None:
        try:
            await asyncio.to_thread(self.site.sessions.check_link, token)
        except LinkRefused as refused:
            await self.refuse(refused)
            return
        form = secrets.token_urlsafe(16)
        self.set_cookie(SIGN_IN_COOKIE, form, path=self.url("/signin"), httponly=True,
                        samesite="Lax", secure=self.https(), max_age=15 * 60)
        await self.show("signin_link.html", token=token, form=form)

    async def post(self, token: str) -> None:
        given, kept = self.get_body_argument("csrf", "") or "", self.get_cookie(SIGN_IN_COOKIE) or ""
        if not kept or not hmac.compare_digest(given.encode(), kept.encode()):
            await self.refuse_csrf()
            return
        try:
            started = await asyncio.to_thread(self.site.sessions.sign_in, token)
        except LinkRefused as refused:
            await self.refuse(refused)
            return
        self.clear_cookie(SIGN_IN_COOKIE, path=self.url("/signin"))
        self.set_cookie(COOKIE, started.token, path=self.url("/"),
                        httponly=True, samesite="Lax", secure=self.https(),
                        max_age=int(timedelta(hours=SESSION_HOURS).total_seconds()))
        self.redirect(self.url("/"), status=303)

    def https(self) -> bool:
        """Behind a TLS proxy (X-Forwarded-Proto: https, read by tornado's xheaders) too."""
        return self.request.protocol == "https"

    async def refuse(self, refused: LinkRefused) -> None:
        await self.show("message.html", status=410 if refused.reason != "unknown" else 404,
                        heading=t(f"web.link.{refused.reason}"),
                        lines=(t("web.link.again"),))


class SignOut(Page):
    async def post(self) -> None:
        if not self.csrf_ok():
            await self.refuse_csrf()
            return
        await asyncio.to_thread(self.site.sessions.sign_out, self.get_cookie(COOKIE) or "")
        self.clear_cookie(COOKIE, path=self.url("/"))
        self.redirect(self.url("/signin?out=1"), status=303)


class Users(Page):
    role = "admin"

    async def get(self) -> None:
        await self.build("users.html", lambda: {"rows": dashboard.user_rows(self.site.store)})


class Invites(Page):
    """Live invites, and a form that creates one (the code is shown once)."""

    role = "admin"

    async def get(self) -> None:
        await self.build("invites.html", lambda: {
            "invites": dashboard.live_invites(self.site.store), "made": None, "problem": None})

    async def post(self) -> None:
        if not self.csrf_ok():
            await self.refuse_csrf()
            return
        assert self.session is not None
        args = " ".join(clean_text(self.get_body_argument(n, "") or "")[:20]
                        for n in ("role", "uses", "days"))
        admin = self.session.user

        def make() -> dict[str, Any]:
            from bot.desk.access import new_code, parse_invite_args, still_admin
            parsed = parse_invite_args(args)
            made, problem = None, None
            if isinstance(parsed, str):
                problem = parsed
            else:
                code = new_code()
                made = (code, self.site.store.invites.create(code, *parsed, by=admin.id,
                                                            check=still_admin))
            return {"invites": dashboard.live_invites(self.site.store), "made": made,
                    "problem": problem}
        await self.build("invites.html", make)


class Export(Page):
    """The admin's download: every update (withdrawn ones too) as CSV or XLSX (bot/export.py)."""

    role = "admin"

    async def get(self) -> None:
        fmt = self.arg("format")
        if fmt not in export.FORMATS:
            raise_not_found()
        chosen = dashboard.feed_filter(self.site.assistant.catalogue,
                                       {"from": self.arg("from"), "to": self.arg("to")})

        def make() -> bytes:
            return export.render(self.site.store.updates.where(
                since=chosen.since, until=chosen.end, include_withdrawn=True, newest_first=False),
                fmt)
        data = await asyncio.to_thread(make)
        stamp = f"{self.site.store.clock():%Y%m%d}"
        self.set_header("Content-Type", "text/csv; charset=utf-8" if fmt == "csv" else
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.set_header("Content-Disposition", f'attachment; filename="{export.filename(stamp, fmt)}"')
        self.finish(data)


def raise_not_found() -> NoReturn:
    raise HTTPError(404)


def routes(assistant: Assistant, prefix: str = ""
           ) -> list[tuple[str, type[RequestHandler], dict[str, Any]]]:
    """Every page, under `prefix` ("" or "/dashboard"); the assistant must have a store."""
    assert assistant.store is not None, "the dashboard needs the store"
    site = Site(assistant, WebSessions(assistant.store), prefix)
    p, kw = prefix, {"site": site}
    return [
        (f"{p}/" if p else "/", Overview, kw),
        *([(p, Overview, kw)] if p else []),
        (rf"{p}/area/([Aa]\d{{1,2}})", AreaPage, kw),
        (rf"{p}/commitment/([Cc]\d{{1,3}})", CommitmentPage, kw),
        (f"{p}/updates", Updates, kw),
        (f"{p}/silent", Silent, kw),
        (f"{p}/search", Search, kw),
        (f"{p}/signin", SignInHelp, kw),
        (rf"{p}/signin/([A-Za-z0-9_-]{{1,100}})", SignIn, kw),
        (f"{p}/signout", SignOut, kw),
        (f"{p}/admin/users", Users, kw),
        (f"{p}/admin/invites", Invites, kw),
        (f"{p}/admin/export", Export, kw),
    ]


async def serve(assistant: Assistant, *, listen: str, port: int,
                stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None,
                handle_signals: bool = True) -> None:
    """Serve the dashboard until `stop` is set (or SIGTERM/SIGINT); `ready` gets the port."""
    stop = stop or asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    server = HTTPServer(Application(routes(assistant), log_function=log_request),
                        xheaders=True)  # X-Forwarded-Proto from a proxy
    sockets = bind_sockets(port, listen)
    server.add_sockets(sockets)
    bound = sockets[0].getsockname()[1]
    log.info("dashboard serving on http://%s:%d/", listen, bound)
    if ready is not None:
        ready(bound)
    try:
        await stop.wait()
    finally:
        server.stop()
        await server.close_all_connections()
