"""Sign-in without passwords: one-time links and the browser sessions they start.

A link carries a random token (`secrets`, 256 bits); only its sha256 is stored, so a leaked
database holds no usable link or session. A link is good for one sign-in within its minutes;
the session it starts is a row too (the cookie's sha256), so every replica knows it and a
sign-out or a lowered role ends it everywhere. The user's role is read from the database on
every request: a session started by an admin who has since been revoked stops working.
These queries are kept with the web site that uses them, a repository like `store.users`
outside `bot/storage`: they go through `Store.read` and `Store.write` (its transactions and lock).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from bot.storage.audit import utc
from bot.storage.rows import from_row
from bot.storage.schema import users, web_links, web_sessions
from bot.storage.store import Rights, Store
from bot.storage.users import ROLES, User

LINK_MINUTES = 15
MAX_LINK_MINUTES = 24 * 60
SESSION_HOURS = 12


class LinkRefused(Exception):
    """A sign-in link that does not sign in; `reason` names why (a message key's last part)."""

    reason = "unknown"


class LinkUnknown(LinkRefused):
    reason = "unknown"


class LinkUsed(LinkRefused):
    reason = "used"


class LinkExpired(LinkRefused):
    reason = "expired"


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who (as stored now), the form token, when it ends."""

    user: User
    csrf: str
    expires_at: datetime

    @property
    def admin(self) -> bool:
        return self.user.role == "admin"


@dataclass(frozen=True)
class NewSession:
    """What the browser gets at sign-in: the cookie's value (shown once, stored hashed)."""

    token: str
    user_id: int
    expires_at: datetime


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _registered(rights: Rights) -> str | None:
    """The rule of a new link, checked inside its write: a stored user (reader or above)."""
    return None if rights.role in ROLES else "not registered"


class WebSessions:
    """Links and sessions over the store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def new_link(self, user_id: int, minutes: int = LINK_MINUTES) -> str:
        """A one-time sign-in token for `user_id`, valid `minutes`; only its hash is kept.
        Raises `LookupError` when there is no such user (checked inside the write)."""
        token = secrets.token_urlsafe(32)
        now = self.store.clock()
        with self.store.write(_registered, by=user_id) as connection:
            connection.execute(insert(web_links).values(
                token_hash=digest(token), user_id=user_id, created_at=now,
                expires_at=now + timedelta(minutes=minutes)))
        return token

    def check_link(self, token: str) -> int:
        """The user a link would sign in; raises `LinkRefused` (why) without using it."""
        with self.store.read() as connection:
            return self._usable(connection, token)

    def _usable(self, connection: Connection, token: str) -> int:
        row = connection.execute(select(web_links).where(
            web_links.c.token_hash == digest(token))).first()
        if row is None:
            raise LinkUnknown()
        if row.used_at is not None:
            raise LinkUsed()
        if utc(row.expires_at) <= self.store.clock():
            raise LinkExpired()
        return int(row.user_id)

    def sign_in(self, token: str) -> NewSession:
        """Use the link (once: the claim and the session are one transaction) and start a
        session for its user with their role as it is now."""
        now = self.store.clock()
        session = secrets.token_urlsafe(32)
        with self.store.write() as connection:
            user_id = self._usable(connection, token)
            claimed = connection.execute(update(web_links).where(
                web_links.c.token_hash == digest(token), web_links.c.used_at.is_(None))
                .values(used_at=now)).rowcount
            if claimed != 1:  # another replica used it a moment ago
                raise LinkUsed()
            role = connection.execute(select(users.c.role).where(users.c.id == user_id)
                                      ).scalar_one()
            expires = now + timedelta(hours=SESSION_HOURS)
            connection.execute(insert(web_sessions).values(
                token_hash=digest(session), csrf=secrets.token_urlsafe(24), user_id=user_id,
                role=role, created_at=now, expires_at=expires))
        return NewSession(session, user_id, expires)

    def current(self, token: str) -> WebSession | None:
        """The session of a cookie, with its user as stored now; None when there is none,
        it ended or expired, or the user's role is lower than at sign-in (then it ends)."""
        if not token:
            return None
        query = (select(web_sessions.c.id.label("session_id"), web_sessions.c.csrf,
                        web_sessions.c.role.label("signed_in_as"), web_sessions.c.expires_at,
                        web_sessions.c.ended_at, users)
                 .join(users, users.c.id == web_sessions.c.user_id)
                 .where(web_sessions.c.token_hash == digest(token)))
        with self.store.read() as connection:
            row = connection.execute(query).first()
        if row is None or row.ended_at is not None or utc(row.expires_at) <= self.store.clock():
            return None
        if ROLES.index(row.role) < ROLES.index(row.signed_in_as):  # revoked since
            self._end(row.session_id)
            return None
        # the session's own id and role are labelled apart, so `id` and `role` are the user's
        return WebSession(from_row(User, row), row.csrf, utc(row.expires_at))

    def sign_out(self, token: str) -> None:
        with self.store.write() as connection:
            connection.execute(update(web_sessions).where(
                web_sessions.c.token_hash == digest(token), web_sessions.c.ended_at.is_(None))
                .values(ended_at=self.store.clock()))

    def _end(self, session_id: int) -> None:
        with self.store.write() as connection:
            connection.execute(update(web_sessions).where(web_sessions.c.id == session_id)
                               .values(ended_at=self.store.clock()))
