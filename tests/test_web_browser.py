"""The dashboard in a real headless browser: Debian's chromium driven by Playwright (no
browser download: `executable_path`). Sign in by link, the overview with its Chinese glyphs
drawn by a CJK font, the feed filtered, a commitment's history, and a reused and an expired
link refused. The overview's screenshot is written to tests/artifacts/overview.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from running_dashboard import ADMIN, RunningDashboard, link, seed

from bot.conversation.assistant import Assistant
from bot.storage.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                               "(pip install playwright; no `playwright install` needed)")
ARTIFACTS = Path(__file__).parent / "artifacts"
PUBLIC = "http://dashboard.test"


@pytest.fixture(scope="module")
def world(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory):
    from conftest import Clock

    clock = Clock()
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'a4p.sqlite3'}",
                       clock=clock)
    desk = assistant.with_store(store, frozenset({"telegram:1"}), public_url=PUBLIC)
    seed(desk, clock)
    with RunningDashboard(desk) as dashboard:
        yield desk, clock, dashboard
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def new_link(world) -> str:
    desk, _, dashboard = world
    return link(desk.respond("/web", None, ADMIN).plain()).replace(PUBLIC, dashboard.url)


def fonts_drawing(page, selector: str) -> set[str]:
    """The fonts chromium actually drew a node's text with (DevTools' platform fonts)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"] for f in fonts if f["glyphCount"]}


def test_sign_in_overview_feed_history_and_refused_links(world, browser) -> None:
    url = new_link(world)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(url)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(world[2].url + "/")
    heading = page.locator("h1")
    assert heading.inner_text() == "A4P 进展总览"
    drawn = fonts_drawing(page, "h1")
    cjk = {"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
           "Droid Sans Fallback", "AR PL UMing CN", "Noto Sans CJK JP"}
    assert drawn & cjk, f"no CJK font drew the heading: {drawn}"
    assert page.locator("svg.chart").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    page.get_by_role("link", name="最新更新").click()
    page.select_option("select[name=status]", "blocked")
    page.get_by_role("button", name="显示").click()
    assert "status=blocked" in page.url
    rows = page.locator("table.feed tbody tr")
    assert rows.count() == 2 and set(rows.locator(".status").all_inner_texts()) == {"受阻"}

    page.get_by_role("link", name="C20").click()
    assert page.locator("h1").inner_text().startswith("C20")
    assert "经费不足，项目暂停" in page.locator("ol.history").inner_text()

    other = browser.new_page()
    other.goto(url)
    assert "此登录链接已被使用" in other.locator("h1").inner_text()
    expired = new_link(world)
    world[1].advance(minutes=16)
    try:
        other.goto(expired)
        assert "此登录链接已过期" in other.locator("h1").inner_text()
    finally:
        world[1].advance(minutes=-16)
    other.goto(world[2].url + "/updates")
    assert other.url.endswith("/signin") and "/web" in other.content()
