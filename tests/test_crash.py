"""kill -9 mid-load, then restart: every message Telegram handed over is answered exactly
once and every progress update is stored once (the production `run` in a child process
killed with SIGKILL; polling and webhook, SQLite and PostgreSQL).

The kill lands while the bot is mid-load: earlier messages answered, four replies on their
way (held at the fake Telegram, so they never arrive), the rest fetched and confirmed to
Telegram (polling) or acknowledged with 200 (webhook) but not yet handled. Telegram then
redelivers some of them, answered and unanswered alike.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_slack import FakeSlack
from fake_telegram import FakeTelegram
from forked_bot import Forked
from running_bot import TOKEN, free_port
from test_webhook import SECRET, command_update, post_update

from bot.conversation.assistant import Assistant
from bot.transports.telegram.app import CONCURRENT_UPDATES, run
from bot.storage.inbox import Inbox
from bot.settings import Settings
from bot.transports.slack.app import run as slack_run
from bot.storage.store import Store, make_engine

FIRST, LATER = 8, 32  # messages answered before the kill; messages in flight at the kill
SLACK_LATER = 4  # in flight in Slack: each holds one of bolt's 5 worker threads
ADMIN = 7000  # every fourth message is a progress update from an admin
TIMEOUT = 15.0  # generous deadlines for a busy machine; a passing run takes far less


def text_of(n: int) -> str:
    return f"/update C12 进行中 crash {n}" if n % 4 == 0 else f"/c {n % 40 + 1}"


def user_of(n: int) -> int:
    return ADMIN + n if n % 4 == 0 else 8000 + n


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a4p.sqlite3'}"
        return
    from conftest import postgres_schema
    with postgres_schema() as url:
        yield url


class Bot:
    """The production `run` in a forked child (tests/forked_bot.py) against the fake:
    start, kill -9 and start again, on the same database."""

    def __init__(self, fake: FakeTelegram, assistant: Assistant, database: str,
                 webhook: bool) -> None:
        self.fake, self.webhook, self.port = fake, webhook, free_port()
        self.assistant, self.database = assistant, database
        self.settings = Settings(telegram_bot_token=TOKEN, telegram_base_url=fake.base_url,
                                 telegram_webhook_secret=SECRET)
        self.admins = frozenset(f"telegram:{user_of(n)}" for n in range(FIRST + LATER)
                                if n % 4 == 0)
        self.child: Forked | None = None

    def _serve(self) -> None:
        run(self.settings, self.assistant.with_store(Store.open(self.database), self.admins),
            webhook_url="https://bot.example.org" if self.webhook else None,
            listen="127.0.0.1", port=self.port)

    def start(self) -> None:
        ready = "setWebhook" if self.webhook else "getUpdates"
        before = len(self.fake.calls_to(ready))
        self.child = Forked(self._serve)
        self.child.start()
        self.fake.wait_for(ready, before + 1, timeout=TIMEOUT)

    def kill(self) -> None:
        assert self.child is not None
        self.child.kill()  # SIGKILL: no cleanup of any kind

    def stop(self) -> None:
        assert self.child is not None
        assert self.child.stop() == 0

    def close(self) -> None:
        if self.child is not None:
            self.child.close()


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def deliver(fake: FakeTelegram, bot: Bot, updates: list[dict]) -> None:
    """Hand updates to the bot the way Telegram would in this mode."""
    if bot.webhook:
        for update in updates:
            assert post_update(bot.port, update) == 200
    else:
        for update in updates:
            fake.push_update(update)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_kill_9_mid_load_loses_and_doubles_nothing(mode: str, database: str,
                                                   assistant: Assistant) -> None:
    Store.open(database).close()  # migrated once, before the bot and the test share it
    inbox = Inbox(make_engine(database))
    with FakeTelegram(token=TOKEN) as fake:
        bot = Bot(fake, assistant, database, webhook=mode == "webhook")
        try:
            bot.start()
            updates = [command_update(n + 1, user_of(n), text_of(n))
                       for n in range(FIRST + LATER)]
            first, later = updates[:FIRST], updates[FIRST:]

            deliver(fake, bot, first)
            fake.wait_for("sendMessage", FIRST, timeout=TIMEOUT)
            until(lambda: inbox.backlog() == 0, "the first replies are marked answered")

            fake.hold("sendMessage")  # the next replies leave the bot but never arrive
            deliver(fake, bot, later + later[:3])  # webhook: three retries straight away
            fake.wait_held(CONCURRENT_UPDATES, timeout=TIMEOUT)
            if not bot.webhook:  # Telegram has forgotten them: the offset is confirmed
                until(lambda: not fake.pending_updates, "the fetched batch is confirmed")
            bot.kill()
            fake.release(deliver=False)
            assert len(fake.calls_to("sendMessage")) == FIRST

            bot.start()
            deliver(fake, bot, first[:3] + later[:3] + later[-3:])  # redeliveries
            fake.wait_for("sendMessage", FIRST + LATER, timeout=TIMEOUT)
            until(lambda: inbox.backlog() == 0 and (bot.webhook or not fake.pending_updates),
                  "all answered and confirmed")
            bot.stop()
        finally:
            bot.close()
            inbox.engine.dispose()
        replies = Counter(int(c.params["chat_id"]) for c in fake.calls_to("sendMessage"))
    assert replies == Counter(user_of(n) for n in range(FIRST + LATER))
    store = Store(make_engine(database))
    stored = Counter(u.text for u in store.list_updates())
    store.close()
    assert stored == Counter(f"crash {n}" for n in range(0, FIRST + LATER, 4))


def post_event(port: int, fake: FakeSlack, request: tuple[bytes, str], retry: int = 0) -> int:
    """POST a signed event to the bot, retrying the connection while it starts."""
    body, content_type = request
    headers = {"Content-Type": content_type, **fake.sign(body),
               **({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
                  if retry else {})}
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{port}/slack/events", body, headers), timeout=5) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            assert time.monotonic() < deadline, "the Slack bot did not come up"
            time.sleep(0.02)


def test_kill_9_mid_load_in_slack_loses_and_doubles_nothing(database: str,
                                                            assistant: Assistant) -> None:
    """`a4pbot slack` (HTTP): events and slash commands acknowledged before the kill are
    answered after it, each once. Fewer in flight than bolt's five worker threads: with
    every worker waiting on Slack, a command could not even be acknowledged."""
    Store.open(database).close()
    inbox = Inbox(make_engine(database))
    port = free_port()
    admins = frozenset(f"slack:U{user_of(n)}" for n in range(FIRST + SLACK_LATER) if n % 4 == 0)
    with FakeSlack() as fake:
        settings = Settings(slack_bot_token=fake.bot_token, slack_api_url=fake.base_url,
                            slack_signing_secret=fake.signing_secret)
        child = Forked(lambda: slack_run(settings, assistant.with_store(
            Store.open(database), admins), listen="127.0.0.1", port=port))
        # Every third a slash command (answered through its response_url), else a DM.
        events = [(fake.slash_command if n % 3 == 1 else fake.direct_message)(
            text_of(n).lstrip("/"), user_id=f"U{user_of(n)}",
            **{"channel_id" if n % 3 == 1 else "channel": f"D{user_of(n)}"})
            for n in range(FIRST + SLACK_LATER)]
        first, later = events[:FIRST], events[FIRST:]

        def answers() -> list[str]:  # the DM, or the response_url, each answer went to
            return ([c.params["channel"] for c in fake.calls_to("chat.postMessage")]
                    + [c.path for c in fake.calls_to("response_url")])

        try:
            child.start()
            for event in first:
                assert post_event(port, fake, event) == 200
            until(lambda: len(answers()) == FIRST and inbox.backlog() == 0,
                  "the first are answered and marked answered")

            fake.hold("chat.postMessage")
            fake.hold("response_url")
            for event in later:
                assert post_event(port, fake, event) == 200  # acknowledged: Slack is done
            for event in later[:3]:
                assert post_event(port, fake, event, retry=1) == 200
            fake.wait_held(SLACK_LATER, timeout=TIMEOUT)
            child.kill()
            fake.release(deliver=False)
            assert len(answers()) == FIRST

            child.start()
            for event in first[:3] + later[:3] + later[-3:]:  # Slack's retries
                assert post_event(port, fake, event, retry=2) == 200
            until(lambda: len(answers()) >= FIRST + SLACK_LATER and inbox.backlog() == 0,
                  "all answered")
            assert child.stop() == 0
        finally:
            child.close()
            inbox.engine.dispose()
        replies = Counter(answers())
    assert len(replies) == FIRST + SLACK_LATER and set(replies.values()) == {1}
    store = Store(make_engine(database))
    stored = Counter(u.text for u in store.list_updates())
    store.close()
    assert stored == Counter(f"crash {n}" for n in range(0, FIRST + SLACK_LATER, 4))


@pytest.mark.parametrize(("mode", "database"), [("polling", "sqlite")], indirect=["database"])
def test_kill_9_at_any_moment_answers_everyone(mode: str, database: str,
                                               assistant: Assistant) -> None:
    """No hold: the kill lands wherever the bot is. Everyone is answered; the only repeats
    are replies sent in the instant before the kill, before their update was marked done
    (at most one per update being handled: CONCURRENT_UPDATES); stored updates, once."""
    Store.open(database).close()
    inbox = Inbox(make_engine(database))
    with FakeTelegram(token=TOKEN) as fake:
        bot = Bot(fake, assistant, database, webhook=mode == "webhook")
        updates = [command_update(n + 1, user_of(n), text_of(n)) for n in range(FIRST + LATER)]
        everyone = {user_of(n) for n in range(FIRST + LATER)}

        def answered() -> Counter:
            return Counter(int(c.params["chat_id"]) for c in fake.calls_to("sendMessage"))

        try:
            bot.start()
            deliver(fake, bot, updates)
            fake.wait_for("sendMessage", FIRST, timeout=TIMEOUT)
            bot.kill()
            bot.start()
            deliver(fake, bot, updates[:3] + updates[-3:])  # redeliveries
            until(lambda: set(answered()) == everyone, "everyone is answered")
            until(lambda: inbox.backlog() == 0 and (bot.webhook or not fake.pending_updates),
                  "all marked answered and confirmed")
            bot.stop()
        finally:
            bot.close()
            inbox.engine.dispose()
        replies = answered()
    assert set(replies) == everyone
    assert sum(replies.values()) - len(everyone) <= CONCURRENT_UPDATES
    store = Store(make_engine(database))
    stored = Counter(u.text for u in store.list_updates())
    store.close()
    assert stored == Counter(f"crash {n}" for n in range(0, FIRST + LATER, 4))
