"""SIGTERM in polling mode (a real `a4pbot run` subprocess): every update the bot fetched
is answered before it exits, the rest stay with Telegram for the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from fake_telegram import FakeTelegram
from running_bot import TOKEN


def test_sigterm_while_polling_answers_what_was_fetched(tmp_path: Path) -> None:
    with FakeTelegram(token=TOKEN) as fake:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": fake.base_url,
               "A4P_DATA_DIR": str(tmp_path), "A4P_LOG_LEVEL": "WARNING"}
        bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env,
                               stderr=subprocess.PIPE, text=True)
        try:
            fake.wait_for("getUpdates", timeout=30)
            sent = [fake.message(f"/c {n}", user_id=6000 + n)["update_id"] for n in range(1, 31)]
            fake.wait_for("sendMessage", timeout=15)  # processing has begun
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=30) == 0
        finally:
            if bot.poll() is None:
                bot.kill()
        left = {u["update_id"] for u in fake.pending_updates}
        fetched = [n for n, update_id in enumerate(sent, start=1) if update_id not in left]
        answered = {int(c.params["chat_id"]) - 6000 for c in fake.calls_to("sendMessage")}
        assert fetched and set(fetched) <= answered
        assert "Traceback" not in bot.stderr.read()


def test_sigterm_in_slack_http_mode_finishes_the_answer(tmp_path: Path) -> None:
    """`a4pbot slack`: a command acknowledged just before SIGTERM is still answered."""
    import time
    import urllib.request

    from fake_slack import FakeSlack
    from running_bot import free_port

    port = free_port()
    with FakeSlack() as fake:
        env = {**os.environ, "SLACK_BOT_TOKEN": fake.bot_token,
               "SLACK_SIGNING_SECRET": fake.signing_secret, "SLACK_API_URL": fake.base_url,
               "A4P_DATA_DIR": str(tmp_path), "A4P_LOG_LEVEL": "WARNING"}
        bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--listen", "127.0.0.1",
                                "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
        try:
            fake.wait_for("auth.test", timeout=30)
            body, content_type = fake.slash_command("保护平民")
            deadline = time.monotonic() + 20
            while True:
                try:
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/slack/events", body,
                        {"Content-Type": content_type, **fake.sign(body)})
                    with urllib.request.urlopen(request, timeout=5) as response:
                        assert response.status == 200
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=30) == 0
        finally:
            if bot.poll() is None:
                bot.kill()
        (answer,) = fake.calls_to("response_url")
        assert "C13" in str(answer.params["blocks"])
        assert "Traceback" not in bot.stderr.read()
