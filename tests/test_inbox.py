"""The inbox store on SQLite and PostgreSQL: a redelivery is never a second row, pending
updates come back oldest first, a poison update is given up after a few starts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from bot.storage import schema
from bot.storage.inbox import MAX_ATTEMPTS, Inbox
from bot.storage.store import Store


@pytest.fixture
def inbox(store: Store) -> Iterator[Inbox]:
    opened = Inbox(store.engine, store.clock)
    yield opened
    opened.close()


def test_a_redelivery_is_not_a_second_row(inbox: Inbox) -> None:
    assert inbox.receive("telegram", "1:7", '{"update_id": 7}') is True
    assert inbox.receive("telegram", "1:7", '{"update_id": 7}') is False  # still pending
    inbox.mark_done("telegram", "1:7")
    assert inbox.receive("telegram", "1:7", '{"update_id": 7}') is False  # done
    assert inbox.receive("slack", "1:7", "{}") is True  # keys are per platform
    assert inbox.backlog("telegram") == 0 and inbox.backlog() == 1


def test_pending_updates_come_back_oldest_first_with_their_payload(inbox: Inbox, store: Store
                                                                   ) -> None:
    for n in (5, 3, 9):
        inbox.receive("telegram", f"1:{n}", json.dumps({"update_id": n}))
    inbox.mark_done("telegram", "1:3")
    assert inbox.pending("telegram") == []  # its own: being answered
    inbox.close()
    restarted = Inbox(store.engine, store.clock)
    pending = restarted.pending("telegram")
    assert [json.loads(p.payload)["update_id"] for p in pending] == [5, 9]
    assert [p.attempts for p in pending] == [2, 2]  # received once, now tried again
    assert restarted.pending("slack") == [] and restarted.pending("telegram") == []


def test_an_answered_update_keeps_no_payload(inbox: Inbox, store: Store) -> None:
    """Who asked what is not kept once answered (readers' questions leave no trace)."""
    inbox.receive("telegram", "1:1", '{"message": {"text": "a question"}}')
    inbox.mark_done("telegram", "1:1")
    with store.engine.connect() as connection:
        assert connection.execute(select(schema.inbox.c.payload)).scalar_one() == ""


def test_a_poison_update_is_dropped_after_the_last_attempt(
        inbox: Inbox, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    inbox.receive("telegram", "1:1", "{}")
    for _ in range(MAX_ATTEMPTS - 1):  # each start retries it, and the bot dies again
        inbox.close()
        inbox = Inbox(store.engine, store.clock)
        assert [p.key for p in inbox.pending("telegram")] == ["1:1"]
    inbox.close()
    with caplog.at_level(logging.WARNING, logger="bot.storage.inbox"):
        assert Inbox(store.engine, store.clock).pending("telegram") == []
    assert "gave up on 1 update(s)" in caplog.text and inbox.backlog() == 0
    assert inbox.receive("telegram", "1:1", "{}") is False  # and it does not come back


def test_a_replica_never_takes_what_a_live_one_is_answering(store: Store) -> None:
    """PostgreSQL, replicas on one inbox: a pending update stays with its live owner; once
    the owner dies, a start or a redelivery takes it over. (SQLite: one host, one process
    — at start every pending update is an orphan.)"""
    if not store.is_postgresql:
        pytest.skip("replicas share an inbox on PostgreSQL only")
    first, second = Inbox(store.engine), Inbox(store.engine)
    assert first.receive("telegram", "1:1", "{}") and first.receive("telegram", "1:2", "{}")
    assert second.pending("telegram") == []  # `first` is alive and answering them
    assert second.receive("telegram", "1:1", "{}") is False  # a retry reaching `second`
    first.close()  # `first` dies
    assert second.receive("telegram", "1:1", "{}") is True  # the retry is taken over
    assert [p.key for p in Inbox(store.engine).pending("telegram")] == ["1:2"]
    second.close()


def test_concurrent_redeliveries_make_one_row(inbox: Inbox) -> None:
    """Telegram's retry can reach a second replica while the first is still storing it."""
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: inbox.receive("telegram", "1:42", "{}"), range(8)))
    assert results.count(True) == 1 and inbox.backlog() == 1


def test_prune_forgets_answered_entries_but_never_pending_ones(store: Store, inbox: Inbox,
                                                              clock) -> None:
    inbox.receive("telegram", "1:1", "{}")
    inbox.receive("telegram", "1:2", "{}")
    inbox.mark_done("telegram", "1:1")
    clock.advance(days=31)
    assert store.prune() == (1, 0)
    assert inbox.backlog() == 1
