"""Webhook mode: /healthz for load balancers, one processing per update id, and a graceful
SIGTERM that answers every update already received (a real `a4pbot run` subprocess)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fake_telegram import FakeTelegram
from running_bot import TOKEN, RunningBot, free_port

from bot.conversation.assistant import Assistant
from bot.storage.database import make_engine
from bot.storage.store import Store

SECRET = "s3cret-token_for-tests"


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def post_update(port: int, update: dict) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram", json.dumps(update).encode(),
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def command_update(update_id: int, user_id: int, text: str = "/c 5") -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "W"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text, "from": user,
        "chat": {"id": user_id, "type": "private", "first_name": "W"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}}


@pytest.fixture
def webhook_bot(assistant: Assistant, tmp_path: Path):
    store = Store.open(f"sqlite:///{tmp_path / 'a4p.sqlite3'}")
    port = free_port()
    with FakeTelegram(token=TOKEN) as fake, RunningBot(
            fake, assistant.with_store(store), webhook_url="https://bot.example.org",
            listen="127.0.0.1", port=port, secret=SECRET):
        fake.wait_for("setWebhook")
        yield fake, port, store
    store.close()


def test_healthz_reports_catalogue_and_database(webhook_bot) -> None:
    fake, port, store = webhook_bot
    status, report = get(f"http://127.0.0.1:{port}/healthz")
    assert status == 200 and report["ok"] is True and report["database"] == "ok"
    assert report["catalogue"] == {"areas": 8, "commitments": 45, "paragraphs": 24}


def test_the_dashboard_is_served_beside_the_webhook(webhook_bot) -> None:
    import re

    import httpx

    from bot.web.sessions import WebSessions

    _, port, store = webhook_bot
    token = WebSessions(store).new_link(store.users.get_or_create("telegram", "5", "W").id)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        assert client.get("/dashboard/").headers["location"] == "/dashboard/signin"
        form = client.get(f"/dashboard/signin/{token}")
        done = client.post(f"/dashboard/signin/{token}", data={
            "csrf": re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)})
        assert done.headers["location"] == "/dashboard/"
        assert "Path=/dashboard/" in done.headers["set-cookie"]
        page = client.get("/dashboard/updates")
        assert page.status_code == 200 and 'href="/dashboard/area/A1"' not in page.text
        assert 'action="/dashboard/search"' in page.text


def test_healthz_fails_when_the_database_does_not_answer(assistant: Assistant) -> None:
    gone = Store(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"))
    port = free_port()
    with FakeTelegram(token=TOKEN) as fake, RunningBot(
            fake, assistant.with_store(gone), webhook_url="https://bot.example.org",
            listen="127.0.0.1", port=port, secret=SECRET):
        fake.wait_for("setWebhook")
        status, report = get(f"http://127.0.0.1:{port}/healthz")
    assert status == 503 and report["ok"] is False and report["database"].startswith("unreachable")


def test_a_redelivered_update_is_processed_once(webhook_bot) -> None:
    fake, port, _ = webhook_bot
    fake.message("hi", user_id=3001)  # makes the chat known to the fake
    update = command_update(77, 3001)
    assert post_update(port, update) == 200
    fake.wait_for("sendMessage")
    assert post_update(port, update) == 200  # Telegram redelivers after a timeout
    time.sleep(0.4)
    assert len(fake.calls_to("sendMessage")) == 1


def test_sigterm_answers_every_update_already_received(tmp_path: Path) -> None:
    port = free_port()
    with FakeTelegram(token=TOKEN) as fake:
        users = range(4000, 4020)
        for user_id in users:
            fake.message("hi", user_id=user_id)
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": fake.base_url,
               "TELEGRAM_WEBHOOK_SECRET": SECRET, "A4P_DATA_DIR": str(tmp_path),
               "A4P_LOG_LEVEL": "WARNING"}
        bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--webhook-url",
                                "https://bot.example.org", "--listen", "127.0.0.1", "--port",
                                str(port)], env=env, stderr=subprocess.PIPE, text=True)
        try:
            fake.wait_for("setWebhook", timeout=30)
            for n, user_id in enumerate(users, start=1):
                assert post_update(port, command_update(n, user_id, f"/c {n}")) == 200
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=30) == 0
        finally:
            if bot.poll() is None:
                bot.kill()
        answered = {c.params["chat_id"] for c in fake.calls_to("sendMessage")}
        assert {str(u) for u in users} <= {str(a) for a in answered}
        assert "Traceback" not in bot.stderr.read()


def test_two_replicas_behind_one_webhook_share_one_database(assistant: Assistant) -> None:
    """Updates spread over two replicas on one PostgreSQL: each processed once, and a
    step-by-step /update begun on one replica is finished on the other."""
    from conftest import postgres_schema

    with postgres_schema() as url, FakeTelegram(token=TOKEN) as fake:
        stores = [Store.open(url), Store.open(url)]
        ports = [free_port(), free_port()]
        admins = frozenset({"telegram:5001"})
        with RunningBot(fake, assistant.with_store(stores[0], admins), port=ports[0],
                        webhook_url="https://bot.example.org", listen="127.0.0.1",
                        secret=SECRET), \
                RunningBot(fake, assistant.with_store(stores[1], admins), port=ports[1],
                           webhook_url="https://bot.example.org", listen="127.0.0.1",
                           secret=SECRET):
            fake.message("hi", user_id=5001)
            update = command_update(1, 5001, "/update C12 进行中 两个副本")
            assert post_update(ports[0], update) == 200
            assert post_update(ports[1], update) == 200  # the same update, the other replica
            fake.wait_for("sendMessage")
            assert post_update(ports[0], command_update(2, 5001, "/update")) == 200
            fake.wait_for("sendMessage", 2)
            step = command_update(3, 5001, "/c 12")  # a command, then the commitment as text
            step["message"]["text"], step["message"]["entities"] = "C13", []
            assert post_update(ports[1], step) == 200
            replies = fake.wait_for("sendMessage", 3)
            time.sleep(0.4)
        assert len(fake.calls_to("sendMessage")) == 3
        assert "第 2/4 步" in replies[2].params["text"]
        assert [u.text for u in stores[0].updates.where()] == ["两个副本"]
        for store in stores:
            store.close()


# -- hostile requests (issue 12) --------------------------------------------------------------

def post_raw(port: int, body: bytes, secret: str = SECRET) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram", body,
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("body", [
    b"null", b"[]", b'"text"', b"42", b'{"message": "x"}', b'{"update_id": "7"}',
    b'{"update_id": 8, "message": "x"}', b'{"update_id": 9, "message": {"chat": 5}}',
    b"{not json", b"\xff\xfe",
])
def test_a_body_that_is_not_an_update_is_refused_cleanly(webhook_bot, body: bytes,
                                                         caplog) -> None:
    fake, port, _ = webhook_bot
    with caplog.at_level("WARNING"):
        assert post_raw(port, body) in (200, 400)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    fake.message("hi", user_id=3002)
    assert post_update(port, command_update(100, 3002)) == 200  # and it keeps serving
    fake.wait_for("sendMessage")


def test_the_random_webhook_secret_never_reaches_the_log(tmp_path: Path) -> None:
    port = free_port()
    with FakeTelegram(token=TOKEN) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": fake.base_url,
                "A4P_DATA_DIR": str(tmp_path), "A4P_LOG_LEVEL": "DEBUG", "A4P_WARM_UP": "true"}
        bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--webhook-url",
                                "https://bot.example.org", "--listen", "127.0.0.1", "--port",
                                str(port)], env=env, stderr=subprocess.PIPE, text=True)
        try:
            (call,) = fake.wait_for("setWebhook", timeout=30)
            secret = call.params["secret_token"]
            fake.message("hi", user_id=4100)
            assert post_raw(port, json.dumps(command_update(1, 4100)).encode(), secret) == 200
            fake.wait_for("sendMessage")
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=30) == 0
        finally:
            if bot.poll() is None:
                bot.kill()
        log = bot.stderr.read()
    assert len(secret) >= 32 and "DEBUG" in log
    assert "warm-ups started" in log  # once Telegram accepted the token
    assert secret not in log and TOKEN.split(":")[1] not in log
