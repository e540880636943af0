"""The inbox store on SQLite and PostgreSQL: a redelivery is never a second row, pending
updates come back oldest first, a poison update is given up after a few starts."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.inbox import MAX_ATTEMPTS, Inbox
from bot.store import Store


@pytest.fixture
def inbox(store: Store) -> Inbox:
    return Inbox(store.engine, store.clock)


def test_a_redelivery_is_not_a_second_row(inbox: Inbox) -> None:
    assert inbox.receive("telegram", "1:7", '{"update_id": 7}') is True
    assert inbox.receive("telegram", "1:7", '{"update_id": 7}') is False  # still pending
    inbox.mark_done("telegram", "1:7")
    assert inbox.receive("telegram", "1:7", '{"update_id": 7}') is False  # done
    assert inbox.receive("slack", "1:7", "{}") is True  # keys are per platform
    assert inbox.backlog("telegram") == 0 and inbox.backlog() == 1


def test_pending_updates_come_back_oldest_first_with_their_payload(inbox: Inbox) -> None:
    for n in (5, 3, 9):
        inbox.receive("telegram", f"1:{n}", json.dumps({"update_id": n}))
    inbox.mark_done("telegram", "1:3")
    pending = inbox.pending("telegram")
    assert [json.loads(p.payload)["update_id"] for p in pending] == [5, 9]
    assert [p.attempts for p in pending] == [2, 2]  # received once, now tried again
    assert inbox.pending("slack") == []


def test_a_poison_update_is_dropped_after_the_last_attempt(
        inbox: Inbox, caplog: pytest.LogCaptureFixture) -> None:
    inbox.receive("telegram", "1:1", "{}")
    for _ in range(MAX_ATTEMPTS - 1):  # each start retries it, and the bot dies again
        assert [p.key for p in inbox.pending("telegram")] == ["1:1"]
    with caplog.at_level(logging.WARNING, logger="bot.inbox"):
        assert inbox.pending("telegram") == []
    assert "gave up on 1 update(s)" in caplog.text and inbox.backlog() == 0
    assert inbox.receive("telegram", "1:1", "{}") is False  # and it does not come back


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
    assert [p.key for p in inbox.pending("telegram")] == ["1:2"]
