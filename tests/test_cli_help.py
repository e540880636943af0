"""`a4pbot X --help` says what X does, for every subcommand and option; and the console
user is chosen with `a4pbot chat --user NAME`."""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterator

import pytest

from bot.cli.main import build_parser, main


def parsers(parser: argparse.ArgumentParser, path: str = "a4pbot"
            ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, f"{path} {name}")


def test_every_subcommand_and_option_has_a_help_text() -> None:
    missing = []
    for path, parser in parsers(build_parser()):
        if not parser.description:
            missing.append(f"{path}: no description")
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


@pytest.mark.parametrize("argv, says", [
    (["chat", "--help"], "talk to the bot in the console"),
    (["admin", "assign", "--help"], "assign commitments to a focal point"),
    (["admin", "add", "--help"], "--platform {telegram,slack,console}"),
])
def test_help_says_what_the_command_does(argv: list[str], says: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert says in out
    assert not re.search(r"[\u4e00-\u9fff]", out)  # the CLI speaks English


def test_chat_user_names_the_console_user(monkeypatch, capsys) -> None:
    """`--user NAME` is who you are; without it, the login name."""
    assert main(["admin", "add", "amina", "--platform", "console"]) == 1  # no schema yet
    assert "a4pbot db upgrade" in capsys.readouterr().err
    assert main(["db", "upgrade"]) == 0
    assert main(["admin", "add", "amina", "--platform", "console"]) == 0
    assert "(console:amina) is admin" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("/whoami\n/users\n"))
    assert main(["chat", "--user", "amina"]) == 0
    out = capsys.readouterr().out
    assert "console:amina" in out and "角色：管理员" in out and "用户（" in out
    monkeypatch.setenv("LOGNAME", "pat")
    monkeypatch.setattr(sys, "stdin", io.StringIO("/whoami\n"))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "console:pat" in out and "角色：读者" in out
    with pytest.raises(SystemExit):
        main(["chat", "--user", ""])
    assert "not a user name" in capsys.readouterr().err
