"""Issue 14's "done when": scripted console sessions (stdin, as `a4pbot chat --user NAME`
runs them) walk an admin, a focal point and a field officer through the bot in zh, en and
fr without a dead end: /help, an area card page by page, a commitment card to its updates,
/stale 七天, /why, inviting and assigning (a mistaken /assign shows an /assign example)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.conversation.assistant import Assistant
from bot.conversation.i18n import translate
from bot.conversation.identity import Sender
from bot.desk.access import parse_admin_ids
from bot.storage.store import Store
from bot.transports.console import chat

CODE = re.compile(r"[A-HJKMNP-TW-Z2-9]{5}-[A-HJKMNP-TW-Z2-9]{5}-[A-HJKMNP-TW-Z2-9]{5}")
QUESTION = {"zh": "怎么保护平民", "en": "how do we protect civilians",
            "fr": "que dit A4P sur la protection des civils"}
ASKED = {"zh": "你问的是", "en": "You asked", "fr": "Vous avez demandé"}


class Console:
    """`a4pbot chat --user NAME` with a script on stdin, over one database (as the CLI runs it)."""

    def __init__(self, assistant: Assistant, url: str) -> None:
        self.assistant, self.url = assistant, url

    def session(self, user: str, *typed: str) -> list[str]:
        """The bot's answer to each typed line (the welcome is dropped)."""
        store = Store.open(self.url)
        try:
            out = io.StringIO()
            desk = self.assistant.with_store(store, parse_admin_ids("console:amina"))
            assert chat(desk, io.StringIO("".join(f"{line}\n" for line in typed)), out,
                        Sender("console", user, user)) == 0
        finally:
            store.close()
        _welcome, *answers = out.getvalue().rstrip("\n").split("\n\n")
        assert len(answers) == len(typed), out.getvalue()
        return answers


@pytest.fixture
def console(assistant: Assistant, tmp_path: Path) -> Iterator[Console]:
    yield Console(assistant, f"sqlite:///{tmp_path / 'a4p.sqlite3'}")


def buttons(answer: str) -> dict[str, int]:
    """The numbered choices under an answer: label -> the number to type."""
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"^  \[(\d+)\] (.+)$", answer, re.M)}


@pytest.mark.parametrize("language", ["zh", "en", "fr"])
def test_an_admin_a_focal_point_and_a_field_officer_never_meet_a_dead_end(
        console: Console, language: str) -> None:
    def say(key: str, **values: object) -> str:
        return translate(language, key, **values)

    # The admin (ADMIN_IDS=console:amina) invites; a focal point registers with the code.
    _, invite = console.session("amina", f"/lang {language}", "/invite focal_point")
    code = CODE.search(invite).group(0)
    _, registered = console.session("ben", f"/lang {language}", f"/register {code}")
    assert registered.startswith(say("register.done", role=say("role.focal_point")))

    # A mistaken /assign is answered with an /assign example; then the right one works.
    mistaken, assigned, users = console.session("amina", "/assign C12", "/assign 2 C12 C13",
                                                "/users")
    assert mistaken.splitlines()[0] == say("users.give_number", example="/assign 3 C12 C13")
    assert assigned.startswith(say("assign.done", list=say("sep.list").join(["C12", "C13"]),
                                   name="ben"))
    assert "2. ben" in users

    (stored,) = console.session("ben", "/update C12 in_progress 18% of police officers are women")
    assert stored.startswith(say("update.stored", id=1).split("\n")[0][:6])

    # The field officer: help, an area page by page, a card to its updates, /stale, /why.
    answers = console.session("sam", f"/lang {language}", "/help", "/area 5", "7", "/c 12", "3",
                              "/stale 七天", QUESTION[language], "/why")
    _, help_, area, area2, card, updates, stale, answer, why = answers
    assert help_.startswith(say("help.heading")) and "/invite" not in help_  # not an admin
    assert say("help.more") in buttons(help_)
    pages = int(re.search(r"1/(\d)", area.splitlines()[0]).group(1))
    assert area.splitlines()[0].endswith(say("page.heading", heading="", page=1, pages=pages))
    assert buttons(area)[say("page.more")] == 7 and "C18" in area
    assert area2.splitlines()[0].endswith(say("page.heading", heading="", page=2, pages=pages))
    assert say("page.previous") in buttons(area2) and "C24" in area2
    assert buttons(card)[say("button.updates", id="C12")] == 3
    assert updates.startswith("C12") and "18% of police officers are women" in updates
    assert stale.startswith(say("stale.heading", days=7, count=44)[:10])
    assert "C13" in answer.splitlines()[0]
    assert why.splitlines()[1].startswith(ASKED[language])


def test_help_typed_without_its_slash_lists_the_users_own_commands(console: Console) -> None:
    """"帮助", "help", "aide" as a whole message is a request for /help, not a question the
    bot does not know — and it lists what this user may run."""
    slash_help, admin_help = console.session("amina", "/help", "帮助")
    assert admin_help == slash_help
    reader_help, french_help = console.session("sam", "help", "aide")
    assert admin_help.startswith(translate("zh", "help.heading")) and "/invite" in admin_help
    assert reader_help.startswith(translate("en", "help.heading"))
    assert "/invite" not in reader_help
    assert french_help.startswith(translate("fr", "help.heading"))
