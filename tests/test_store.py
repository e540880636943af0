"""The store on SQLite and PostgreSQL: schema, idempotency, history, audit chain, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from bot.storage.migrations import current, upgrade
from bot.storage.store import Store, code_hash, first_broken, metadata

LIMIT = {"max_failures": 5, "window": timedelta(minutes=15)}


def test_migrations_build_exactly_the_declared_schema(store: Store) -> None:
    assert current(store.engine) == "0009"
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_migrating_twice_is_harmless(store: Store) -> None:
    user = store.user("telegram", "7", "Ann")
    upgrade(store.engine)
    assert store.user_by_id(user.id) == user


def test_first_contact_creates_a_reader_once(store: Store) -> None:
    first = store.user("telegram", "42", "Ann")
    again = store.user("telegram", "42", "Ann")
    assert first == again and first.role == "reader"
    assert len(store.users()) == 1


def test_admin_ids_raise_a_role_but_never_lower_it(store: Store) -> None:
    user = store.user("telegram", "42", "Ann", role="admin")
    assert user.role == "admin"
    assert store.user("telegram", "42", "Ann", role="focal_point").role == "admin"


def test_same_idempotency_key_stores_one_update(store: Store) -> None:
    user = store.user("telegram", "42", "Ann")
    first, created = store.add_update(user.id, "C12", "in_progress", "培训", "UNMISS", key="tg:1:5")
    again, created_again = store.add_update(user.id, "C12", "in_progress", "培训", "UNMISS",
                                            key="tg:1:5")
    assert created and not created_again and first == again
    assert len(store.list_updates()) == 1


def test_an_edit_adds_a_revision_and_keeps_the_old_text(store: Store) -> None:
    user = store.user("telegram", "42", "Ann")
    item, _ = store.add_update(user.id, "C12", "in_progress", "旧的说明", "UNMISS")
    edited = store.edit_update(item.id, by=user.id, status="done", text="新的说明")
    assert (edited.revision, edited.status, edited.text) == (2, "done", "新的说明")
    history = store.revisions(item.id)
    assert [(r["revision"], r["text"]) for r in history] == [(1, "旧的说明"), (2, "新的说明")]


def test_withdrawn_updates_leave_views_but_stay_in_the_database(store: Store) -> None:
    user = store.user("telegram", "42", "Ann")
    item, _ = store.add_update(user.id, "C12", "in_progress", "说明", "")
    store.withdraw_update(item.id, by=user.id)
    assert store.list_updates() == []
    assert store.list_updates(include_withdrawn=True)[0].withdrawn_at is not None


def test_invite_codes_are_stored_hashed_and_expire(store: Store, clock) -> None:
    store.create_invite("Secret-Code-1", "focal_point", uses=2, days=1, by=None)
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT code_hash FROM invites")).scalar_one()
    assert stored == code_hash("Secret-Code-1") and "Secret" not in stored
    reader = store.user("telegram", "42", "Ann")
    clock.advance(days=2)
    assert store.redeem(reader.id, "Secret-Code-1", **LIMIT) is None


def test_invite_uses_run_out(store: Store) -> None:
    store.create_invite("One-Use-Code", "focal_point", uses=1, days=1, by=None)
    first, second = store.user("telegram", "1"), store.user("telegram", "2")
    assert store.redeem(first.id, "One-Use-Code", **LIMIT) == "focal_point"
    assert store.redeem(second.id, "One-Use-Code", **LIMIT) is None
    assert store.recent_failures(second.id, timedelta(hours=1)) == 1


def test_audit_chain_verifies_and_names_the_first_tampered_entry(store: Store) -> None:
    user = store.user("telegram", "42", "Ann")
    for n in range(3):
        store.add_update(user.id, "C12", "in_progress", f"说明 {n}", "")
    entries = store.audit_entries()
    assert len(entries) == 4 and first_broken(entries) is None
    victim = entries[2].id
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET detail = :d WHERE id = :i"),
                           {"d": '{"text": "改过的"}', "i": victim})
    assert first_broken(store.audit_entries()) == victim


def test_deleting_an_audit_entry_breaks_the_chain(store: Store) -> None:
    user = store.user("telegram", "42", "Ann")
    store.add_update(user.id, "C12", "in_progress", "说明", "")
    store.add_update(user.id, "C13", "done", "说明", "")
    entries = store.audit_entries()
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": entries[1].id})
    assert first_broken(store.audit_entries()) == entries[2].id


def test_concurrent_writers_store_every_update_once_and_keep_one_chain(db_url: str) -> None:
    stores = [Store.open(db_url) for _ in range(2)]  # two "replicas" on one database
    users = [stores[0].user("telegram", str(n), f"U{n}") for n in range(10)]
    errors: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            for attempt in range(2):  # every update delivered twice
                stores[n % 2].add_update(users[n % 10].id, f"C{n % 45 + 1}", "in_progress",
                                         f"进展 {n}", "", key=f"tg:{n}:{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = stores[0].list_updates()
    assert sorted(u.text for u in stored) == sorted(f"进展 {n}" for n in range(50))
    entries = stores[0].audit_entries()
    assert first_broken(entries) is None
    assert sum(e.action == "update.created" for e in entries) == 50
    for opened in stores:
        opened.close()


def test_unreachable_database_is_a_store_error(tmp_path) -> None:
    from bot.storage.store import StoreError

    with pytest.raises(StoreError):
        Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_a_delivery_is_claimed_once(store: Store) -> None:
    assert store.first_delivery("slack:Ev1") is True
    assert store.first_delivery("slack:Ev1") is False
    assert store.first_delivery("slack:Ev2") is True


def test_prune_forgets_old_claims_and_questions_but_never_updates(store: Store, clock) -> None:
    user = store.user("telegram", "42", "Ann")
    store.add_update(user.id, "C12", "in_progress", "说明", "")
    store.first_delivery("telegram:update:1")
    store.record_miss("miss", "telegram", "火星", "火星", None, 0.0)
    clock.advance(days=400)
    store.first_delivery("telegram:update:2")
    assert store.prune() == (1, 1)
    assert store.first_delivery("telegram:update:2") is False
    assert len(store.list_updates()) == 1 and first_broken(store.audit_entries()) is None


def test_the_cheap_head_check_agrees_with_alembic(store: Store) -> None:
    """`migrations.HEAD` skips alembic on an up-to-date database: it must name the newest script."""
    from alembic.script import ScriptDirectory

    from bot.storage.migrations import HEAD, at_head, config

    assert ScriptDirectory.from_config(config(store.engine)).get_current_head() == HEAD
    assert at_head(store.engine)
