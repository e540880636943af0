"""The chat commands: one table for the help text, the Telegram menu and the dispatcher.

What a command is called and who may use it is here; what it says about itself (its help
line and the form of its arguments) is in the message catalogue, `commands.<name>.help`
and `commands.<name>.args`, in every language.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import i18n


@dataclass(frozen=True)
class Command:
    name: str
    takes_args: bool = False  # its catalogue entry has `args` (`N`, `C12 状态 说明` …)
    aliases: tuple[str, ...] = ()
    admin: bool = False  # listed under its own heading in /help, left out of the menu

    def describe(self, language: str | None = None) -> str:
        """The help line in `language` (default: the current one)."""
        return i18n.translate(language or i18n.current(), f"commands.{self.name}.help")

    def usage(self, language: str | None = None) -> str:
        """The arguments as shown in /help (`N`, `[A2]` …), "" when it takes none."""
        if not self.takes_args:
            return ""
        return i18n.translate(language or i18n.current(), f"commands.{self.name}.args")

    @property
    def help(self) -> str:
        """The Chinese help line (the Telegram menu's default)."""
        return self.describe("zh")

    @property
    def help_en(self) -> str:
        """The English help line (the Telegram menu for English-speaking users)."""
        return self.describe("en")

    @property
    def args(self) -> str:
        return self.usage("zh")


COMMANDS: tuple[Command, ...] = (
    Command("start"),
    Command("help"),
    Command("lang", True),
    Command("areas"),
    Command("area", True),
    Command("c", True, ("commitment",)),
    Command("p", True, ("paragraph",)),
    Command("why"),
    Command("progress", True),
    Command("brief", True),
    Command("stale", True),
    Command("updates", True),
    Command("update", True),
    Command("cancel"),
    Command("myupdates"),
    Command("edit", True),
    Command("mission", True),
    Command("remind", True),
    Command("register", True),
    Command("whoami"),
    Command("invite", True, admin=True),
    Command("users", admin=True),
    Command("assign", True, admin=True),
    Command("export", True, admin=True),
    Command("overdue", admin=True),
    Command("link", True, admin=True),
    Command("revoke", True, admin=True),
)
MENU = tuple(c for c in COMMANDS if not c.admin)


def find_command(name: str) -> Command | None:
    """The command called `name` (or one of its aliases)."""
    name = name.lower()
    return next((c for c in COMMANDS if name == c.name or name in c.aliases), None)
