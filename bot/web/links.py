"""`/web` in chat: a one-time sign-in link to the dashboard for the person asking.

The link is built on `A4P_PUBLIC_URL` (the dashboard's public address); without one the
bot says so and points to an admin, who can make a link with `a4pbot admin weblink`.
"""

from __future__ import annotations

from bot.desk.access import Access
from bot.conversation.i18n import t
from bot.conversation.identity import Sender
from bot.conversation.replies import Reply, error
from .sessions import LINK_MINUTES, WebSessions


def sign_in_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/signin/{token}"


class WebLinks:
    """The chat side of the dashboard's sign-in."""

    def __init__(self, access: Access, public_url: str | None) -> None:
        self.access = access
        self.sessions = WebSessions(access.store)
        self.public_url = (public_url or "").strip() or None

    def link(self, sender: Sender, _args: str = "") -> Reply:
        """A link for the sender (stored as a reader on first contact, like /whoami)."""
        if self.public_url is None:
            return error(t("web.chat.no_url"), t("web.chat.no_url_hint"))
        user = self.access.require(sender, "reader")
        token = self.sessions.new_link(user.id, LINK_MINUTES)
        return Reply(t("web.chat.heading"), (sign_in_url(self.public_url, token),
                                             t("web.chat.once", minutes=LINK_MINUTES)))
