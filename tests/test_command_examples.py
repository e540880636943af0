"""Every command's error example is its own: `/assign` with bad words shows an /assign
example, never `/revoke 3` (issue 14). The command table is walked, each command is sent the
kinds of mistakes people make, in zh, en and fr, by an admin (who may run every one)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from bot.conversation.assistant import Assistant, ChatState
from bot.conversation.commands import COMMANDS
from bot.conversation.identity import Sender
from bot.storage.store import Store

ADMIN = Sender("telegram", "1", "Admin")
MISTAKES = ("", "zzz", "99999 zzz", "1 zzz", "1 C99", "1 mission", "2026-13-45")
# "for example /x …", "Usage: /x …", "Utilisation : /x …", "用法：/x …", "例如 /x …"
EXAMPLE = re.compile(r"(?:例如|用法：|设置：|切换：|可用：|for example|Usage:|Use:|Set it:|"
                     r"Switch:|par exemple|Utilisation :|Pour la définir :|Changer :)\s*(/[a-z]+)")


@pytest.fixture(scope="module")
def desk(assistant: Assistant, sqlite_template, tmp_path_factory) -> Iterator[Assistant]:
    """One SQLite store for the module (the rules checked here do not depend on the database)."""
    path = tmp_path_factory.mktemp("examples") / "a4p.sqlite3"
    shutil.copyfile(sqlite_template, path)
    store = Store.open(f"sqlite:///{path}")
    store.users.get_or_create("telegram", "2", "Ann", role="focal_point")
    yield assistant.with_store(store, frozenset({ADMIN.key}))
    store.close()


@pytest.mark.parametrize("language", ["zh", "en", "fr"])
def test_every_error_example_is_the_commands_own(desk: Assistant, language: str) -> None:
    checked = 0
    for command in (c for c in COMMANDS if c.typed and c.takes_args and c.name != "start"):
        for mistake in MISTAKES:
            if command.name == "brief" and not mistake:
                continue  # no mistake, and a chart costs seconds
            state = ChatState(language=language)
            reply = desk.respond(f"/{command.name} {mistake}".strip(), state, ADMIN)
            for cited in EXAMPLE.findall(reply.plain()):
                checked += 1
                assert cited[1:] in (command.name, *command.aliases), (
                    language, f"/{command.name} {mistake}", reply.plain())
        desk.respond("/cancel", ChatState(), ADMIN)  # an /update begun above
    assert checked >= 20


def test_assign_without_a_user_number_shows_an_assign_example(desk: Assistant) -> None:
    reply = desk.respond("/assign C12", ChatState(), Sender("telegram", "1", "Admin"))
    assert reply.heading == "请给出用户编号（见 /users），例如 /assign 3 C12 C13。"
