"""The console transport: `a4pbot chat`, a conversation in the terminal with no token.

Buttons are shown as numbered choices; typing the number presses the button. Files a reply
carries (the /brief chart, exports) are saved in the working directory, their paths printed.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.conversation import i18n
from bot.conversation.i18n import t
from bot.conversation.identity import Sender
from bot.answering.numbers import parse_count
from bot.conversation.assistant import Assistant, ChatState
from bot.conversation.replies import Button, Reply

QUIT = {"/quit", "/exit", "quit", "exit", "退出"}


def render(reply: Reply, saved: Sequence[str] = ()) -> str:
    """Plain text with the buttons numbered underneath; `saved`: a line per attachment, from
    `save` (the console's own words, in the current language)."""
    text = reply.plain()
    if saved:
        text += "\n" + "\n".join(saved)
    buttons = [b for row in reply.buttons for b in row]
    if buttons:
        text += "\n" + "\n".join(f"  [{n}] {b.label}" for n, b in enumerate(buttons, start=1))
    return text


def save(reply: Reply, directory: Path) -> list[str]:
    """Write the reply's files (the /brief chart, exports) into `directory`; a line each
    saying where, or why not. A file of the same name is replaced (same day, same report)."""
    lines = []
    for attachment in reply.files:
        name = Path(attachment.filename).name  # never a path the reply chose
        path = directory / name
        try:
            path.write_bytes(attachment.data)
        except OSError as exc:
            lines.append(t("console.attachment_not_saved", filename=name,
                           reason=exc.strerror or type(exc).__name__))
        else:
            lines.append(t("console.attachment", filename=name, path=str(path.resolve())))
    return lines


def _pressed(line: str, buttons: list[Button]) -> Button | None:
    number = parse_count(line, 1, len(buttons)) if buttons else None
    return buttons[number - 1] if number is not None else None


def console_sender(name: str | None = None) -> Sender:
    """The person at the terminal on the `console` platform: `name` (`a4pbot chat --user`),
    else their login name (LOGNAME, USER, LNAME or USERNAME, as `getpass.getuser` finds it)."""
    name = name or getpass.getuser()
    return Sender("console", name, name)


def chat(assistant: Assistant, stdin: TextIO | None = None, stdout: TextIO | None = None,
         sender: Sender | None = None, directory: Path | None = None) -> int:
    """Run the conversation until end of input or /quit (on the standard streams of the
    moment, not of the import); files a reply carries are saved in `directory` (default:
    the working directory)."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    sender = sender or console_sender()
    directory = directory or Path.cwd()
    interactive = stdin.isatty()
    state = ChatState()
    print(render(assistant.respond("/start", state, sender)), file=stdout)
    with i18n.use(assistant.language(sender, state)):
        print(t("console.hint"), file=stdout)
    buttons: list[Button] = []
    while True:
        if interactive:
            with i18n.use(assistant.language(sender, state)):
                print("\n" + t("console.prompt"), end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            return 0
        line = line.strip()
        if not line:
            continue
        if line.lower() in QUIT:
            with i18n.use(assistant.language(sender, state)):
                print(t("console.bye"), file=stdout)
            return 0
        button = _pressed(line, buttons)
        reply = (assistant.press(button.action, state, sender) if button
                 else assistant.respond(line, state, sender))
        buttons = [b for row in reply.buttons for b in row]
        if reply.files:  # the only words the console adds to a reply
            with i18n.use(assistant.language(sender, state)):
                text = render(reply, save(reply, directory))
        else:
            text = render(reply)
        print(("" if interactive else "\n") + text, file=stdout, flush=True)
