"""The command table is the one place a command is declared: walk it."""

from __future__ import annotations

import pytest

from bot.conversation import i18n
from bot.conversation.assistant import Assistant, ChatState
from bot.conversation.commands import COMMANDS, ROLES, find_command
from bot.conversation.identity import Sender


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_has_a_handler_a_role_and_help(command, desk: Assistant) -> None:
    if command.desk:
        target = desk
        for part in command.handler.split("."):
            target = getattr(target, part)
    else:
        target = getattr(desk, f"_on_{command.handler}")
    assert callable(target), command.name
    assert command.role in ROLES
    if command.typed:
        for language in i18n.LANGUAGES:
            assert i18n.translate(language, f"commands.{command.name}.help") != \
                f"commands.{command.name}.help", (language, command.name)
            if command.takes_args:
                assert i18n.translate(language, f"commands.{command.name}.args") != \
                    f"commands.{command.name}.args", (language, command.name)


def test_every_typed_command_answers_without_error(desk: Assistant) -> None:
    """Each typed command, run with no arguments by an admin and by an unknown user,
    answers in words — never the "sorry" of an exception."""
    admin, stranger = Sender("telegram", "1", "Admin"), Sender("telegram", "77", "Stranger")
    for command in (c for c in COMMANDS if c.typed):
        for sender in (admin, stranger):
            reply = desk.respond(f"/{command.name}", ChatState(), sender)
            assert reply.heading, (command.name, sender.id)


def test_buttons_only_are_not_typed_commands() -> None:
    assert find_command("draft") is None and find_command("pick") is None
    assert find_command("draft", typed=False) is not None
    assert find_command("commitment").name == "c"
