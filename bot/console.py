"""The console transport: `a4pbot chat`, a conversation in the terminal with no token.

Buttons are shown as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from .identity import Sender
from .assistant import Assistant, ChatState
from .replies import Button, Reply

QUIT = {"/quit", "/exit", "quit", "exit", "退出"}


def render(reply: Reply) -> str:
    """Plain text with the buttons numbered underneath."""
    text = reply.plain()
    for attachment in reply.files:
        text += f"\n[附件 {attachment.filename}，{len(attachment.data)} 字节：在终端请用 a4pbot export]"
    buttons = [b for row in reply.buttons for b in row]
    if buttons:
        text += "\n" + "\n".join(f"  [{n}] {b.label}" for n, b in enumerate(buttons, start=1))
    return text


def _pressed(line: str, buttons: list[Button]) -> Button | None:
    if line.isdigit() and 1 <= int(line) <= len(buttons):
        return buttons[int(line) - 1]
    return None


def console_sender() -> Sender:
    """The person at the terminal: their login name on the `console` platform."""
    name = getpass.getuser()
    return Sender("console", name, name)


def chat(assistant: Assistant, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
         sender: Sender | None = None) -> int:
    """Run the conversation until end of input or /quit."""
    sender = sender or console_sender()
    interactive = stdin.isatty()
    state = ChatState()
    print(render(assistant.respond("/start", state)), file=stdout)
    print("（输入数字选择按钮，/quit 退出）", file=stdout)
    buttons: list[Button] = []
    while True:
        if interactive:
            print("\n你> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            return 0
        line = line.strip()
        if not line:
            continue
        if line.lower() in QUIT:
            print("再见！", file=stdout)
            return 0
        button = _pressed(line, buttons)
        reply = (assistant.press(button.action, state, sender) if button
                 else assistant.respond(line, state, sender))
        buttons = [b for row in reply.buttons for b in row]
        print(("" if interactive else "\n") + render(reply), file=stdout, flush=True)
