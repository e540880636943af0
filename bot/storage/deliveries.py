"""Delivery claims: a message the bot sends on its own (a reminder …) is claimed here
first, so a retry, a restart or a second replica never sends it twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from .schema import deliveries

if TYPE_CHECKING:
    from .store import Store


class Deliveries:
    """`store.deliveries` (old claims are forgotten by `Store.prune`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def claim(self, key: str) -> bool:
        """Claim the delivery named `key` (writes it): True the first time, False for a
        repeat — then someone else sent it, or will."""
        try:
            with self.store.unaudited() as connection:
                connection.execute(insert(deliveries).values(key=key, at=self.store.clock()))
        except IntegrityError:
            return False
        return True
