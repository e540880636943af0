"""The web dashboard through HTTP: a real server on 127.0.0.1, a real SQLite file, httpx as
the browser. Sign-in by a one-time link (from /web in the console, or `a4pbot admin
weblink`), 303 without a session, expired and reused links, readers and admins, CSRF,
hostile text, the feed's filters, the history, search and language; the HTML and PDF report."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from running_dashboard import ADMIN, LI, READER, RunningDashboard, link, seed
from questions import UNSURE

from bot.briefing import summary as briefing
from bot.conversation.assistant import Assistant
from bot.conversation.identity import Sender
from bot.cli.main import main
from bot.transports.console import chat
from bot.storage.store import Store

PUBLIC = "http://dashboard.test"
PAGES = ("/", "/area/A3", "/commitment/C12", "/updates", "/silent", "/search?q=x",
         "/admin/users", "/admin/invites", "/admin/export?format=csv")
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def world(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory):
    from conftest import Clock

    clock = Clock()
    path = tmp_path_factory.mktemp("web") / "a4p.sqlite3"
    store = Store.open(f"sqlite:///{path}", clock=clock)
    desk = assistant.with_store(store, frozenset({"telegram:1"}), public_url=PUBLIC)
    seed(desk, clock)
    with RunningDashboard(desk) as dashboard:
        yield desk, clock, dashboard, f"sqlite:///{path}"
    store.close()


def local(dashboard: RunningDashboard, url: str) -> str:
    """A link made for the public address, followed on the test server."""
    return url.replace(PUBLIC, dashboard.url)


def new_link(world, sender=ADMIN) -> str:
    desk, _, dashboard, _ = world
    return local(dashboard, link(desk.respond("/web", None, sender).plain()))


def signed_in(world, sender=ADMIN) -> httpx.Client:
    """A browser signed in as `sender`, the way a person does it: open the link, press the button."""
    client = httpx.Client(base_url=world[2].url)
    url = new_link(world, sender)
    form = client.get(url)
    assert form.status_code == 200
    done = client.post(url, data={"csrf": csrf(form.text)})
    assert done.status_code == 303 and done.headers["location"] == "/"
    return client


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def admin(world) -> Iterator[httpx.Client]:
    client = signed_in(world)
    yield client
    client.close()


def test_without_a_session_every_page_answers_303_to_how_to_get_a_link(world) -> None:
    with httpx.Client(base_url=world[2].url) as client:
        for path in PAGES:
            response = client.get(path)
            assert (response.status_code, response.headers["location"]) == (303, "/signin"), path
        help_page = client.get("/signin")
    assert help_page.status_code == 200
    assert "/web" in help_page.text and "a4pbot admin weblink" in help_page.text


def test_web_in_the_console_gives_a_link_that_signs_in_once(world, caplog) -> None:
    caplog.set_level(logging.INFO, logger="tornado.access")
    desk, _, dashboard, _ = world
    out = io.StringIO()
    chat(desk, io.StringIO("/web\n/quit\n"), out, ADMIN)
    url = local(dashboard, link(out.getvalue()))
    assert "15 分钟" in out.getvalue()
    with httpx.Client(base_url=dashboard.url) as preview:
        assert preview.get(url).status_code == 200  # a chat's link preview does not use it up
    with httpx.Client(base_url=dashboard.url) as client:
        form = client.get(url)
        done = client.post(url, data={"csrf": csrf(form.text)})
        cookie = done.headers["set-cookie"]
        assert "a4p_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Max-Age=43200" in cookie and "Secure" not in cookie
        overview = client.get("/")
        assert overview.status_code == 200 and "A4P 进展总览" in overview.text
        assert "A3 保护" in overview.text and "<svg" in overview.text
    with httpx.Client(base_url=dashboard.url) as other:
        again = other.get(url)
        assert again.status_code == 410 and "此登录链接已被使用" in again.text
        assert other.post(url, data={"csrf": "x"}).status_code == 403  # no form token: refused
    token = url.rsplit("/", 1)[1]  # the access log shows the link without its token
    lines = [r.getMessage() for r in caplog.records if r.name == "tornado.access"]
    assert any("/signin/…" in line for line in lines) and not any(token in line for line in lines)


def test_expired_and_unknown_links_are_refused_clearly(world) -> None:
    clock = world[1]
    url = new_link(world)
    with httpx.Client(base_url=world[2].url) as client:
        form = client.get(url)
        clock.advance(minutes=16)
        try:
            assert "此登录链接已过期" in client.get(url).text
            refused = client.post(url, data={"csrf": csrf(form.text)})
            assert refused.status_code == 410 and "a4p_session" not in refused.headers.get(
                "set-cookie", "")
        finally:
            clock.advance(minutes=-16)
        unknown = client.get("/signin/" + "A" * 43)
        assert unknown.status_code == 404 and "此登录链接无效" in unknown.text


def test_the_cookie_is_secure_behind_an_https_proxy(world) -> None:
    url = new_link(world)
    with httpx.Client(base_url=world[2].url, headers={"X-Forwarded-Proto": "https"}) as client:
        form = client.get(url)
        assert "Secure" in form.headers["set-cookie"]  # so this client over http keeps it back:
        kept = re.search(r"a4p_signin=([^;]+)", form.headers["set-cookie"]).group(1)
        done = client.post(url, data={"csrf": csrf(form.text)},
                           headers={"Cookie": f"a4p_signin={kept}"})
    assert "a4p_session=" in done.headers["set-cookie"] and "Secure" in done.headers["set-cookie"]


def test_a_session_ends_after_twelve_hours(world) -> None:
    client = signed_in(world)
    world[1].advance(hours=12, minutes=1)
    try:
        assert client.get("/").status_code == 303
    finally:
        world[1].advance(hours=-12, minutes=-1)


def test_a_reader_sees_progress_an_admin_also_users_invites_and_exports(world, admin) -> None:
    with closing(signed_in(world, READER)) as reader:
        overview = reader.get("/")
        assert overview.status_code == 200 and "/admin/users" not in overview.text
        assert reader.get("/admin/users").status_code == 403
        assert reader.get("/admin/export?format=csv").status_code == 403
        assert "/admin/export" not in reader.get("/updates").text
    assert "/admin/users" in admin.get("/").text
    users = admin.get("/admin/users").text
    assert "李明" in users and "Amara Diallo" in users
    csv = admin.get("/admin/export?format=csv")
    assert csv.content.startswith("\ufeffupdate_id,".encode())
    assert "attachment" in csv.headers["content-disposition"]
    assert csv.text.count("\n") == 15  # header + every update, the withdrawn one too
    assert admin.get("/admin/export?format=xlsx").content.startswith(b"PK")


def test_a_revoked_admin_loses_the_session_at_the_next_request(world) -> None:
    desk = world[0]
    sender = Sender("telegram", "7", "Boss")
    boss = desk.access.get_or_create_user(sender)
    desk.store.users.set_role(boss.id, "admin", by=None)
    client = signed_in(world, sender)
    assert client.get("/admin/users").status_code == 200
    desk.respond(f"/revoke {boss.id}", None, ADMIN)
    assert desk.store.users.get(boss.id).role == "reader"
    assert client.get("/").status_code == 303
    assert client.get("/admin/users").status_code == 303


def test_no_write_without_the_form_token(world, admin) -> None:
    desk = world[0]
    page = admin.get("/admin/invites").text
    before = page.count("<tr>")
    assert admin.post("/admin/invites", data={"role": "focal_point", "uses": "2",
                                             "days": "3"}).status_code == 403
    assert admin.post("/admin/invites", data={"csrf": "forged", "role": "focal_point"}
                      ).status_code == 403
    assert admin.get("/admin/invites").text.count("<tr>") == before
    made = admin.post("/admin/invites", data={"csrf": csrf(page), "role": "focal_point",
                                              "uses": "2", "days": "3"})
    code = re.search(r'class="code">([A-Z0-9-]+)<', made.text).group(1)
    assert "登记成功" in desk.respond(f"/register {code}", None,
                                   Sender("telegram", "8", "New")).plain()
    assert admin.post("/signout", data={}).status_code == 403
    assert admin.get("/").status_code == 200  # still signed in


def test_sign_out_ends_the_session(world) -> None:
    client = signed_in(world)
    page = client.get("/").text
    assert client.post("/signout", data={"csrf": csrf(page)}).status_code == 303
    assert client.get("/").status_code == 303


def test_hostile_text_is_shown_as_text(world, admin) -> None:
    for path in ("/updates", "/commitment/C12", "/updates?status=done"):
        page = admin.get(path)
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text, path
        assert "<script" not in page.text and "<img" not in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("query, shown, hidden", [
    ("area=A3", {"C13", "C14"}, {"C12", "C1", "C3"}),
    ("status=blocked", {"C20", "C40"}, {"C12", "C13"}),
    ("mission=minusca", {"C3", "C4", "C30"}, {"C12", "C13"}),
    ("from=2026-09-01&to=2026-10-15", {"C12", "C3"}, {"C13", "C20", "C1"}),
    ("status=blocked&mission=UNMISS", {"C20"}, {"C40"}),
])
def test_the_feed_filters(admin, query: str, shown: set[str], hidden: set[str]) -> None:
    page = admin.get(f"/updates?{query}").text
    listed = set(re.findall(r'/commitment/(C\d+)#u', page))
    assert shown <= listed and not hidden & listed, listed


def test_the_feed_says_what_it_could_not_use(admin) -> None:
    page = admin.get("/updates?area=A9&status=finished&from=yesterday").text
    assert "没有这个领域" in page and "没有这个状态" in page and "有日期无法识别" in page
    assert "Budget en attente" in page and "Budget approuvé" not in page  # withdrawn: not listed


def test_a_commitment_shows_its_text_paragraph_owners_and_full_history(admin) -> None:
    page = admin.get("/commitment/C1").text
    assert "宣言第" in page and "李明" in page
    assert "第2版" in page and "政治对话路线图获通过" in page and "政治对话路线图已获通过（修订）" in page
    withdrawn = admin.get("/commitment/C25").text
    assert "已于" in withdrawn and "撤回" in withdrawn and "Budget approuvé" in withdrawn
    assert admin.get("/commitment/C99").status_code == 404


def test_overview_area_and_silent_pages(admin) -> None:
    overview = admin.get("/").text
    assert overview.count('href="/area/A') == 8
    area = admin.get("/area/A3").text
    assert "C13" in area and "李明" in area
    silent = admin.get("/silent?days=30").text
    listed = set(re.findall(r'/commitment/(C\d+)"', silent))
    assert {"C20", "C12", "C25", "C2"} <= listed and "C1" not in listed  # C1: 25 days ago
    assert "1–3650" in admin.get("/silent?days=many").text


def test_search_answers_like_the_chat(world, admin) -> None:
    desk = world[0]
    page = admin.get("/search", params={"q": "保户平民"}).text
    best = desk.ask("保户平民").matches[0].id
    assert f'href="/commitment/{best}"' in page
    unsure = desk.ask(UNSURE)
    page = admin.get("/search", params={"q": UNSURE}).text
    assert unsure.suggestions and "是下面这些吗" in page
    for m in unsure.suggestions[:3]:
        assert m.title in page or desk.catalogue.get(m.id).text[:20] in page, m


def test_pages_follow_the_users_stored_language(world) -> None:
    desk = world[0]
    desk.respond("/lang en", None, LI)
    try:
        with closing(signed_in(world, LI)) as client:
            page = client.get("/").text
            assert "Where A4P stands" in page and 'lang="en"' in page
    finally:
        desk.respond("/lang zh", None, LI)


def test_web_without_a_public_address_says_ask_an_admin(world) -> None:
    desk = world[0]
    bare = desk.with_store(desk.store, frozenset({"telegram:1"}))
    reply = bare.respond("/web", None, ADMIN).plain()
    assert "尚未配置" in reply and "a4pbot admin weblink" in reply


def test_admin_weblink_prints_a_link_on_its_last_line(world, capsys, monkeypatch) -> None:
    desk, _, dashboard, url = world
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("A4P_PUBLIC_URL", PUBLIC + "/")
    li = desk.access.get_or_create_user(LI)
    assert main(["admin", "weblink", str(li.id), "--minutes", "5"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(PUBLIC + "/signin/")
    with httpx.Client(base_url=dashboard.url) as client:
        form = client.get(local(dashboard, last))
        client.post(local(dashboard, last), data={"csrf": csrf(form.text)})
        assert "李明 · 联络人" in client.get("/").text
    assert main(["admin", "weblink", "999"]) == 2
    assert "no user 999" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["admin", "weblink", "1", "--minutes", "0"])
    assert "not a whole number from 1 to 1440" in capsys.readouterr().err


def test_html_and_pdf_reports_have_the_dashboards_look(world, tmp_path, monkeypatch) -> None:
    desk, _, _, url = world
    monkeypatch.setenv("DATABASE_URL", url)
    report = briefing.build(desk.store, desk.catalogue)
    html = briefing.render(report, desk.catalogue, "html").decode()
    assert html.startswith("<!doctype html>") and "<style>" in html and "<svg" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched
    assert "@media print" in html and "size: A4" in html
    assert "&lt;script&gt;" in html and "<script" not in html
    out = tmp_path / "brief.pdf"
    assert main(["report", "--format", "pdf", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF page was not rendered")
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(out),
                    str(ARTIFACTS / "report-page1")], check=True)
    assert (ARTIFACTS / "report-page1.png").stat().st_size > 20_000


def test_a4pbot_web_serves_the_dashboard_until_sigterm(tmp_path: Path) -> None:
    """`a4pbot web`, the dashboard on its own: a page without a session sends to the
    sign-in help (303), and SIGTERM ends it cleanly."""
    import os
    import signal
    import sys

    from running_bot import free_port

    port = free_port()
    env = {**os.environ, "A4P_DATA_DIR": str(tmp_path), "A4P_LOG_LEVEL": "INFO"}
    web = subprocess.Popen([sys.executable, "-m", "bot.cli", "web", "--listen", "127.0.0.1",
                            "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert web.stderr is not None
        lines = []  # up to the server's own line, logged once its socket is bound
        while not lines or "dashboard serving on" not in lines[-1]:
            lines.append(web.stderr.readline())
            assert lines[-1], "".join(lines)  # it exited instead
        assert any(line.startswith(f"dashboard on http://127.0.0.1:{port}/") for line in lines)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 303 and page.headers["location"].endswith("/signin")
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=30) == 0
    finally:
        if web.poll() is None:
            web.kill()
    assert "Traceback" not in web.stderr.read()
