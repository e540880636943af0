"""The Telegram bot's inbox at its edges, through the real Application: a failed update is
answered and done (never retried forever), and an update that cannot be kept is never
acknowledged (polling: its offset is not confirmed; webhook: 503, so Telegram retries)."""

from __future__ import annotations

import time
from pathlib import Path

from fake_telegram import FakeTelegram
from running_bot import TOKEN, RunningBot, free_port, shown
from test_webhook import SECRET, command_update, post_update

from bot.conversation import i18n
from bot.conversation.assistant import Assistant
from bot.transports.telegram.conversation import SORRY
from bot.storage.inbox import Inbox
from bot.storage.store import Store, make_engine

GONE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"


def until(condition, what: str, timeout: float = 5.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def test_a_failed_update_is_answered_and_done(assistant: Assistant, store: Store) -> None:
    """A handler's failure: the error handler says sorry, and the update is done — the next
    start does not try it again."""
    inbox = Inbox(store.engine)
    with FakeTelegram(token=TOKEN) as tg, RunningBot(tg, assistant.with_store(store)):
        tg.message("你好", user_id=2005)
        tg.wait_for("sendMessage")
        tg.stale_button_press(2005)  # answering the query fails: Telegram no longer accepts it
        sorry = tg.wait_for("sendMessage", 2)[1]
        assert shown(sorry) == i18n.translate("zh", SORRY)
        until(lambda: inbox.backlog() == 0, "both updates are marked done")
    assert Inbox(store.engine).pending("telegram") == []  # nothing for the next start


def test_polling_never_confirms_an_update_it_could_not_keep(assistant: Assistant) -> None:
    gone = Store(make_engine(GONE))
    with FakeTelegram(token=TOKEN) as tg, RunningBot(tg, assistant.with_store(gone)):
        polls = len(tg.calls_to("getUpdates"))
        update = tg.message("/c 5", user_id=2006)
        tg.wait_for("getUpdates", polls + 2, timeout=10)  # fetched, not kept: fetched again
        assert update["update_id"] in {u["update_id"] for u in tg.pending_updates}
        assert not tg.calls_to("sendMessage")


def test_the_webhook_answers_503_to_an_update_it_could_not_keep(assistant: Assistant,
                                                                tmp_path: Path) -> None:
    gone = Store(make_engine(GONE))
    port = free_port()
    with FakeTelegram(token=TOKEN) as tg, RunningBot(
            tg, assistant.with_store(gone), webhook_url="https://bot.example.org",
            listen="127.0.0.1", port=port, secret=SECRET):
        tg.wait_for("setWebhook")
        try:
            status = post_update(port, command_update(1, 2007))
        except OSError as exc:  # urllib raises HTTPError for 5xx
            status = getattr(exc, "code", None)
        assert status == 503  # Telegram delivers it again later
        assert not tg.calls_to("sendMessage")
