"""Questions the bot could not answer (and what people chose instead), kept without who
asked, as material for improving the knowledge files (`a4pbot admin unanswered`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.engine import Connection

from .audit import utc
from .schema import misses

if TYPE_CHECKING:
    from .store import Store


class Misses:
    """`store.misses` (old ones are forgotten by `Store.prune`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, kind: str, source: str, text: str, normalised: str,
               best_id: str | None, score: float) -> None:
        """Log a question without who asked it (not audited: it is no one's action)."""
        with self.store.unaudited() as connection:
            connection.execute(insert(misses).values(
                at=self.store.clock(), kind=kind, source=source, text=text[:2000],
                normalised=normalised[:500], best_id=best_id, score=score))

    def unanswered(self, since: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Logged questions grouped by their normalised text, the most frequent first, each
        with what users chose among its suggestions (`chose`: [(id, times)])."""
        query = (select(misses.c.normalised, func.count().label("count"),
                        func.max(misses.c.at).label("last"), func.max(misses.c.text).label("text"),
                        func.max(misses.c.best_id).label("best_id"),
                        func.max(misses.c.score).label("score"),
                        func.sum(case((misses.c.kind == "wrong", 1), else_=0)).label("wrong"))
                 .group_by(misses.c.normalised)
                 .order_by(func.count().desc(), func.max(misses.c.at).desc())
                 .limit(limit))
        query = query.where(misses.c.kind != "chose")
        if since is not None:
            query = query.where(misses.c.at >= since)
        with self.store.read() as connection:
            rows = [{**row._mapping, "last": utc(row.last)} for row in connection.execute(query)]
            chosen = _choices(connection, [r["normalised"] for r in rows], since)
        return [{**row, "chose": chosen.get(row["normalised"], [])} for row in rows]


def _choices(connection: Connection, questions: list[str], since: datetime | None
             ) -> dict[str, list[tuple[str, int]]]:
    """What users picked among the "did you mean" suggestions, per logged question:
    the answers the knowledge should have given (active learning material)."""
    if not questions:
        return {}
    query = (select(misses.c.normalised, misses.c.best_id, func.count().label("n"))
             .where(misses.c.kind == "chose", misses.c.normalised.in_(questions))
             .group_by(misses.c.normalised, misses.c.best_id)
             .order_by(func.count().desc(), misses.c.best_id))
    if since is not None:
        query = query.where(misses.c.at >= since)
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in connection.execute(query):
        out[row.normalised].append((row.best_id, row.n))
    return out
