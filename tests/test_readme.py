"""The README's examples run as written (issue 14): every `a4pbot …` line of its code blocks
and every console transcript (`你> …` lines and what the bot answers).

In-process, so it stays fast: `a4pbot` lines go through `bot.cli.main`, console sessions
through the console transport (`a4pbot chat`'s own loop) over the same database, with the
session's assistant (no second index build). Each code block gets a fresh database.

How a block is read:
- `$ a4pbot …` (or a bare `a4pbot …` line in a `sh` block) runs the command; it must exit 0,
  and the lines under it (up to the next `$` or `你>`) are its expected output.
- `$ a4pbot chat [--user NAME]` opens a console session; `你> text` is typed into it and the
  lines under it are the bot's expected answer. A transcript without a `$` line is a session
  of the login user.
- In expected lines `…` stands for anything: a line that is only `…` for any number of
  lines, `…` inside a line for any text. Everything else must match exactly.
- `CODE` in a typed line is the invite code printed last (codes are random); a comment
  saying the focal point sends `/register CODE` is done by a console user, `focal`.
- Other shell lines (`pip install`, `python -m pytest`) are set-up, not examples: skipped.
"""

from __future__ import annotations

import io
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.conversation.assistant import Assistant
from bot.conversation.identity import Sender
from bot.desk.access import parse_admin_ids
from bot.storage.store import Store
from bot.transports.console import chat

README = Path(__file__).resolve().parent.parent / "README.md"
PROMPTS = ("你> ", "you> ", "vous> ")
CODE = re.compile(r"\b[A-HJKMNP-TW-Z2-9]{5}-[A-HJKMNP-TW-Z2-9]{5}-[A-HJKMNP-TW-Z2-9]{5}\b")


@dataclass
class Step:
    """One command (`argv`) or one console session (`inputs`), and what it should print."""

    argv: list[str]
    expected: list[str] = field(default_factory=list)
    inputs: list[tuple[str, list[str] | None]] = field(default_factory=list)  # None: unchecked
    line: int = 0

    @property
    def session(self) -> bool:
        return self.argv[:1] == ["chat"]


def code_blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(first line number, language, lines) of every fenced block."""
    found, lines, start = [], text.splitlines(), None
    for n, line in enumerate(lines, start=1):
        if line.startswith("```"):
            if start is None:
                start, language = n, line[3:].strip()
            else:
                found.append((start, language, lines[start:n - 1]))
                start = None
    return found


def steps(block: list[str], first: int, language: str = "text") -> list[Step]:
    """The block's commands and sessions (in a `sh` block every line is a command)."""
    shell = language in ("sh", "bash", "shell", "console")
    out: list[Step] = []
    for n, raw in enumerate(block, start=first + 1):
        line = raw.rstrip()
        command = (line[2:] if line.startswith("$ ") else
                   line if shell and line.strip() and not line.lstrip().startswith("#") else None)
        if command is not None:
            argv = shlex.split(command, comments=True)
            if argv[:1] == ["a4pbot"]:
                out.append(Step(argv[1:], line=n))
            else:
                out.append(Step([], line=n))  # set-up (pip, pytest): not run
            continue
        if shell and line.lstrip().startswith("#"):
            if "/register CODE" in line:
                out.append(Step(["chat", "--user", "focal"], inputs=[("/register CODE", None)],
                                line=n))
            continue
        prompt = next((p for p in PROMPTS if line.startswith(p)), None)
        if prompt is not None:
            if not out or not out[-1].session:
                out.append(Step(["chat"], line=n))
            out[-1].inputs.append((line[len(prompt):], []))
        elif out and out[-1].session and out[-1].inputs:
            expected = out[-1].inputs[-1][1]
            assert expected is not None
            expected.append(line)
        elif out:
            out[-1].expected.append(line)
    return [s for s in out if s.argv]


def matches(expected: list[str], actual: list[str]) -> bool:
    """`actual` as `expected` describes it (`…` for anything, see above)."""
    if not expected:
        return not actual
    if expected[0] == "…":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    pattern = ".*".join(re.escape(part) for part in expected[0].split("…"))
    return bool(actual) and re.fullmatch(pattern, actual[0]) is not None \
        and matches(expected[1:], actual[1:])


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'readme.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ADMIN_IDS", raising=False)
    monkeypatch.chdir(tmp_path)  # files the examples write (q1.xlsx) land here
    return url


BLOCKS = [b for b in code_blocks(README.read_text(encoding="utf-8")) if steps(b[2], b[0], b[1])]


@pytest.mark.parametrize("first, language, block", BLOCKS, ids=[f"line{b[0]}" for b in BLOCKS])
def test_readme_block_runs_as_written(first: int, language: str, block: list[str],
                                      assistant: Assistant, database: str, capsys,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    last_code = ""
    for step in steps(block, first, language):
        where = f"README.md line {step.line}: a4pbot {' '.join(step.argv)}"
        if step.session:
            user = step.argv[step.argv.index("--user") + 1] if "--user" in step.argv else "readme"
            typed = [text.replace("CODE", last_code) for text, _ in step.inputs]
            store = Store.open(database)
            try:
                out = io.StringIO()
                desk = assistant.with_store(store, parse_admin_ids(""))
                assert chat(desk, io.StringIO("".join(f"{t}\n" for t in typed)), out,
                            Sender("console", user, user)) == 0
            finally:
                store.close()
            welcome, *answers = out.getvalue().rstrip("\n").split("\n\n")
            if step.expected:
                assert matches(step.expected, welcome.splitlines()[:-1]), (where, welcome)
            assert len(answers) == len(typed), (where, out.getvalue())
            for (text, expected), answer in zip(step.inputs, answers):
                assert expected is None or matches(expected, answer.splitlines()), (
                    f"{where}, 你> {text}", "\n".join(expected), answer)
                last_code = (CODE.findall(answer) or [last_code])[-1]
            continue
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        code = main(step.argv)
        out, err = capsys.readouterr()
        assert code == 0, (where, err)
        last_code = (CODE.findall(out) or [last_code])[-1]
        if step.expected:
            assert matches(step.expected, out.rstrip("\n").splitlines()), (where, out)


def test_the_readme_has_examples_to_run() -> None:
    kinds = {("session" if s.session else "command") for b in BLOCKS
             for s in steps(b[2], b[0], b[1])}
    assert kinds == {"session", "command"}
