"""Refusals named by their condition, raised where the rule lives, answered once.

In the manner of sqlite-utils' `NotFoundError`: a rule that says no raises — the role
check in `Access.require`, the id that names nobody, the words that cannot be read — and
`Assistant._run` (or a transport's form handler) turns it into the polite reply it carries.
No caller threads "not allowed" back up by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .replies import Reply


class Refusal(Exception):
    """A polite no; `reply` is what the user reads."""

    def __init__(self, message: str, hint: str = "") -> None:
        from .replies import error

        super().__init__(message)
        self.reply: Reply = error(message, hint)

    @classmethod
    def of(cls, reply: Reply) -> Refusal:
        """The refusal that says `reply` (a rule written as a function returning its reply)."""
        refusal = cls.__new__(cls)
        Exception.__init__(refusal, reply.heading)
        refusal.reply = reply
        return refusal


class NotAllowed(Refusal):
    """The sender's role, or whose the thing is, does not permit this."""


class BadArguments(Refusal):
    """The command's words cannot be read as what it needs."""


class NotFound(Refusal):
    """What the command names does not exist."""
