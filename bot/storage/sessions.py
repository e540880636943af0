"""Sessions: what one message needs to know about its sender, read in one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from .drafts import Draft, draft_from_row
from .rows import from_row
from .schema import drafts, users
from .users import User

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True)
class Session:
    """Who (the main account, with its chosen language) and their /update draft."""

    user: User
    draft: Draft | None


class Sessions:
    """`store.sessions`: reads only."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, platform: str, external_id: str) -> Session | None:
        """The sender's main account and draft; None for someone never stored — never
        creates the user (readers who only ask questions leave no trace in the database)."""
        account = users.alias("account")
        # the draft's columns keep their names: `users` has no step, data, version or updated_at
        query = (select(users, drafts.c.step, drafts.c.data, drafts.c.version, drafts.c.updated_at)
                 .select_from(account)
                 .join(users, users.c.id == func.coalesce(account.c.linked_to, account.c.id))
                 .outerjoin(drafts, drafts.c.user_id == users.c.id)
                 .where(account.c.platform == platform, account.c.external_id == external_id))
        with self.store.read() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        draft = draft_from_row(row) if row.step is not None else None
        return Session(from_row(User, row), draft)
