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
