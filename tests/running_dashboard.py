"""The web dashboard (`bot.web.server.serve`, what `a4pbot web` runs) in a background thread
on 127.0.0.1 and a free port, and a store seeded with progress as people report it."""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import UTC, datetime, timedelta

from bot.conversation.assistant import Assistant
from bot.conversation.identity import Sender
from bot.web.server import serve

ADMIN = Sender("telegram", "1", "Admin")
LI = Sender("telegram", "2", "李明")
AMARA = Sender("telegram", "3", "Amara Diallo", "fr")
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
READER = Sender("telegram", "9", "Reader")


class RunningDashboard:
    """Context manager: the dashboard serves until the block ends; `url` is its address."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(serve(self.assistant, listen="127.0.0.1", port=0,
                                           stop=self.stop, ready=self._bound,
                                           handle_signals=False))

    def _bound(self, port: int) -> None:
        self.port = port
        self.ready.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RunningDashboard:
        self.thread.start()
        assert self.ready.wait(10), "the dashboard did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)


def link(reply_text: str) -> str:
    """The sign-in link in a /web reply."""
    found = re.search(r"https?://\S+/signin/[A-Za-z0-9_-]+", reply_text)
    assert found, reply_text
    return found.group(0)


def seed(desk: Assistant, clock) -> None:  # clock: conftest.Clock
    """Nine months of updates from two focal points and an admin: every status, a revision,
    a withdrawal and a text that tries to be HTML."""
    store = desk.store
    assert store is not None
    clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    desk.respond("/whoami", None, ADMIN)
    for sender, mission, owned in ((LI, "UNMISS", "C12 C13 C14 C20 C1"),
                                   (AMARA, "MINUSCA", "C3 C4 C25 C30 C40")):
        user = desk.access.get_or_create_user(sender)
        store.users.set_role(user.id, "focal_point", by=None)
        desk.respond(f"/assign {user.id} {owned}", None, ADMIN)
        desk.respond(f"/mission {mission}", None, sender)
    plan = [
        (0, LI, "/update C12 进行中 女性警官比例升至15%"), (0, AMARA, "/update C3 in progress Dialogue politique avec les autorités locales"),
        (20, LI, "/update C1 进行中 政治进程联络机制已建立"), (35, AMARA, "/update C25 not started Budget en attente"),
        (60, LI, "/update C20 受阻 经费不足，项目暂停"), (80, AMARA, "/update C4 done Plan de transition adopté"),
        (110, LI, "/update C13 已完成 保护平民培训覆盖全部连队"), (130, AMARA, "/update C30 in progress Formation des contingents"),
        (150, LI, "/update C14 进行中 预警网络扩展到三个州"), (170, AMARA, "/update C40 blocked Accès refusé par les autorités"),
        (200, LI, f"/update C12 已完成 {HOSTILE}"), (215, AMARA, "/update C3 done Accord signé"),
        (235, LI, "/update C1 已完成 政治对话路线图获通过"), (235.1, LI, "/edit {last} 政治对话路线图已获通过（修订）"),
        (250, AMARA, "/update C25 in progress Budget approuvé"), (250.1, AMARA, "withdraw:{last}"),
    ]
    start = clock.now
    for days, sender, command in plan:
        clock.now = start + timedelta(days=days)
        command = command.format(last=store.updates.where(limit=1)[0].id if "{" in command else "")
        if command.startswith("withdraw:"):  # asks first, then withdraws
            desk.press(command, None, sender)
            desk.press(command.replace("withdraw:", "withdraw_yes:"), None, sender)
            continue
        reply = desk.respond(command, None, sender)
        if command.startswith("/edit"):  # a preview first: replace the text
            reply = desk.press("draft:apply:replace", None, sender)
        assert "#" in reply.heading, (command, reply.plain())
    assert store.updates.where(limit=1, include_withdrawn=True)[0].withdrawn_at is not None
    clock.now = start + timedelta(days=260)
