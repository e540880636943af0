"""The chat commands, each declared once: its name, arguments, handler, role and help.

Every router dispatches from this one table — typed commands (Telegram, the console),
button actions (`verb:argument`), Slack subcommands — and /help and the Telegram menu are
built from it, so a command cannot exist in one place and be missing in another
(`tests/test_commands.py` walks the table). What a command says about itself (its help
line and the form of its arguments) is in the message catalogue, `commands.<name>.help`
and `commands.<name>.args`, in every language.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import i18n

ROLES = ("anyone", "reader", "focal_point", "admin")


@dataclass(frozen=True)
class Command:
    """One command. `handler` names what answers it: a plain name is the `Assistant`'s
    `_on_<name>(args, state, sender)`; a dotted one (`progress.edit`) is a method of the
    progress desk, called as `(sender, args)` (and the message key when `keyed`)."""

    name: str
    handler: str
    takes_args: bool = False  # its catalogue entry has `args` (`N`, `C12 状态 说明` …)
    aliases: tuple[str, ...] = ()
    role: str = "anyone"      # who may run it; the rule itself is checked where it writes
    desk: bool = False        # needs the progress store ("not available" without one)
    anonymous: bool = False   # a desk command an unknown sender may run (read-only views)
    keyed: bool = False       # gets the message key, so a redelivery writes nothing twice
    typed: bool = True        # False: a button action only, never typed, not in /help
    brief: bool = False       # in the short /help (the rest is one tap away)
    paged: bool = False       # a read-only view, made again for its next page (pages.py)

    @property
    def admin(self) -> bool:
        """Listed under its own heading in /help, left out of the menu."""
        return self.role == "admin"

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
    def args(self) -> str:
        return self.usage("zh")


COMMANDS: tuple[Command, ...] = (
    Command("start", "start"),
    Command("help", "help", paged=True),
    Command("lang", "lang", True, brief=True),
    Command("areas", "areas", brief=True, paged=True),
    Command("area", "area", True, paged=True),
    Command("c", "commitment", True, ("commitment",), brief=True, paged=True),
    Command("p", "paragraph", True, ("paragraph",), brief=True, paged=True),
    Command("why", "why", brief=True),
    Command("progress", "progress.progress", True, desk=True, anonymous=True, brief=True,
            paged=True),
    Command("brief", "progress.brief", True, desk=True, anonymous=True),
    Command("stale", "progress.stale", True, desk=True, anonymous=True, paged=True),
    Command("updates", "progress.updates", True, desk=True, anonymous=True, paged=True),
    Command("update", "flow.command", True, role="focal_point", desk=True, keyed=True,
            brief=True),
    Command("cancel", "flow.cancel", role="focal_point", desk=True),
    Command("myupdates", "progress.my_updates", role="focal_point", desk=True, brief=True,
            paged=True),
    Command("edit", "flow.edit", True, role="reader", desk=True),
    Command("mission", "progress.mission", True, role="focal_point", desk=True),
    Command("remind", "reminders.remind", True, role="focal_point", desk=True),
    Command("register", "access.register", True, desk=True, brief=True),
    Command("whoami", "access.whoami", desk=True, paged=True),
    Command("invite", "access.invite", True, role="admin", desk=True, brief=True),
    Command("users", "access.users", role="admin", desk=True, paged=True),
    Command("assign", "access.assign", True, role="admin", desk=True, brief=True),
    Command("export", "progress.export", True, role="admin", desk=True),
    Command("overdue", "reminders.overdue", role="admin", desk=True, paged=True),
    Command("link", "access.link", True, role="admin", desk=True),
    Command("revoke", "access.revoke", True, role="admin", desk=True),
    Command("web", "web.link", role="reader", desk=True),
    # button actions: never typed
    Command("withdraw", "progress.withdraw", role="reader", desk=True, typed=False),  # asks
    Command("withdraw_yes", "progress.confirm_withdraw", role="reader", desk=True, typed=False),
    Command("withdraw_no", "progress.keep", role="reader", desk=True, typed=False),
    Command("restore", "progress.restore", role="reader", desk=True, typed=False),  # undo
    Command("draft", "flow.press", role="focal_point", desk=True, typed=False),
    Command("wrong", "wrong", typed=False),
    Command("pick", "pick", typed=False),
    Command("official", "official", typed=False, paged=True),
    Command("card", "card", typed=False, paged=True),    # a card again, for its next page
    Command("actor", "actor", typed=False, paged=True),  # the commitments of one actor
    Command("more", "more", typed=False),                # another page of a long reply
)
MENU = tuple(c for c in COMMANDS if c.typed and not c.admin)


def may_run(command: Command, role: str) -> bool:
    """Is `command` for someone holding `role` (a stranger's role is "anyone")?"""
    return ROLES.index(command.role) <= ROLES.index(role)


def find_command(name: str, *, typed: bool = True) -> Command | None:
    """The command called `name` (or one of its aliases); button actions only when
    `typed` is False (a typed "/draft confirm" is no command)."""
    name = name.lower()
    return next((c for c in COMMANDS if (name == c.name or name in c.aliases)
                 and (c.typed or not typed)), None)
