"""The chat commands: one table for the help text, the Telegram menu and the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str
    help_en: str
    aliases: tuple[str, ...] = ()


COMMANDS: tuple[Command, ...] = (
    Command("start", "", "开始：欢迎语和示例问题", "Start: welcome and examples"),
    Command("help", "", "查看全部命令", "List all commands"),
    Command("areas", "", "浏览八个优先领域", "Browse the eight priority areas"),
    Command("area", "N", "查看优先领域 N（1–8）", "Show priority area N (1-8)"),
    Command("c", "N", "查看第 N 项承诺（1–45）", "Show commitment N (1-45)", ("commitment",)),
    Command("p", "N", "查看宣言第 N 段（1–24）", "Show paragraph N of the declaration (1-24)",
            ("paragraph",)),
    Command("why", "", "解释上一个回答是怎么得出的", "Explain how the last answer was found"),
)


def find_command(name: str) -> Command | None:
    """The command called `name` (or one of its aliases)."""
    name = name.lower()
    return next((c for c in COMMANDS if name == c.name or name in c.aliases), None)
