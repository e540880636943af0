"""What the dashboard shows, computed from the store: per-area status counts (by each
commitment's latest live update) with the change over the last month, updates per month,
one area's and one commitment's picture, the filtered feed and the silent commitments.

Plain data (frozen dataclasses) for the templates; nothing here knows HTTP or HTML.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.desk.access import mission_name
from bot.storage.audit import utc
from bot.answering.catalogue import Catalogue
from bot.answering.numbers import day_start, parse_day, period_end
from bot.conversation.replies import area_name
from bot.storage.schema import invites
from bot.storage.store import Store
from bot.storage.updates import STATUSES, ProgressUpdate, latest_of_each
from bot.storage.users import User
from bot.briefing import summary
from bot.briefing.summary import STALE_DAYS

MONTH = timedelta(days=30)
TREND_MONTHS = 12
FEED_LIMIT = 300
ORDER = (*STATUSES, "none")  # the chart's segments: every status, then "no update yet"


@dataclass(frozen=True)
class AreaRow:
    id: str
    name: str
    commitments: int
    counts: dict[str, int]  # ORDER -> commitments whose latest update has it ("none": no update)
    silent: int             # no live update for `stale_days`
    reporting_change: int   # commitments with an update now, minus a month ago
    done_change: int        # commitments done now, minus a month ago
    recent: int             # updates in the last 30 days


@dataclass(frozen=True)
class Trend:
    months: tuple[str, ...]                           # "2026-01" …, oldest first
    rows: tuple[tuple[str, str, tuple[int, ...]], ...]  # area id, name, updates per month


@dataclass(frozen=True)
class Overview:
    generated: datetime
    month_ago: datetime
    stale_days: int
    rows: tuple[AreaRow, ...]
    trend: Trend

    @property
    def totals(self) -> dict[str, int]:
        return {s: sum(r.counts[s] for r in self.rows) for s in ORDER}


@dataclass(frozen=True)
class History:
    """One update with its earlier revisions (oldest first) and who wrote each."""

    update: ProgressUpdate
    revisions: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class FeedFilter:
    """The feed's GET parameters, checked; `problems` are message keys for what was ignored."""

    area: str = ""
    mission: str = ""
    status: str = ""
    since: datetime | None = None
    until: datetime | None = None  # the last day, inclusive (its start)
    problems: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return bool(self.area or self.mission or self.status or self.since or self.until)

    @property
    def end(self) -> datetime | None:
        """The day after `until`: the store's `until` is exclusive, the form's last day is not."""
        return period_end(self.until)


def overview(store: Store, catalogue: Catalogue, *, stale_days: int = STALE_DAYS) -> Overview:
    """The briefing's numbers (latest status, silence) with a month's change and the trend."""
    briefing = summary.build(store, catalogue, stale_days=stale_days)
    now = briefing.generated
    month_ago = now - MONTH
    # newest first, as summary.build reads them
    before = latest_of_each(u for u in briefing.updates if u.created_at < month_ago)
    recent = [u for u in briefing.updates if u.created_at >= month_ago]
    rows = tuple(_area_row(a, [c.id for c in briefing.commitments if c.area == a.id],
                           before, recent) for a in briefing.areas)
    return Overview(now, month_ago, stale_days, rows, trend(briefing.updates, catalogue, now))


def _area_row(area: summary.AreaStatus, ids: list[str],
              before: dict[str, ProgressUpdate], recent: list[ProgressUpdate]) -> AreaRow:
    """One area's line: the briefing's counts and silent commitments (one rule for both),
    with the change since `before` for its commitments `ids`."""
    then = Counter(before[c].status for c in ids if c in before)
    mine = set(ids)
    return AreaRow(area.id, area.name, area.commitments,
                   area.segments, len(area.stale),
                   area.with_updates - sum(then.values()), area.counts["done"] - then["done"],
                   sum(1 for u in recent if u.commitment_id in mine))


def trend(items: Iterable[ProgressUpdate], catalogue: Catalogue, now: datetime,
          months: int = TREND_MONTHS) -> Trend:
    """Updates per calendar month (UTC) per area, the last `months` months."""
    keys = []
    year, month = now.year, now.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    per = Counter((catalogue.commitments[u.commitment_id].area, f"{u.created_at:%Y-%m}")
                  for u in items if u.commitment_id in catalogue.commitments)
    return Trend(tuple(keys), tuple((a.id, area_name(a), tuple(per[a.id, k] for k in keys))
                                    for a in catalogue.areas.values()))


def area_rows(store: Store, catalogue: Catalogue, area_id: str,
              stale_days: int = STALE_DAYS) -> list[summary.CommitmentStatus]:
    """The area's commitments as the briefing sees them (one rule for latest and silent)."""
    return list(summary.build(store, catalogue, summary.Scope(area=area_id),
                              stale_days=stale_days).commitments)


def history(store: Store, commitment_id: str) -> list[History]:
    """Every update on a commitment, withdrawn ones too, newest first, with its revisions."""
    items = store.updates.where(commitment_id=commitment_id, include_withdrawn=True)
    earlier = store.updates.revisions_of(u.id for u in items)
    return [History(u, tuple(r for r in earlier[u.id] if r["revision"] < u.revision))
            for u in items]


def feed_filter(catalogue: Catalogue, args: dict[str, str]) -> FeedFilter:
    """The feed's filters from query parameters; what cannot be used is named, not fatal."""
    problems = []
    area = args.get("area", "").strip().upper()
    if area and area not in catalogue.areas:
        problems.append("web.filter.bad_area")
        area = ""
    status = args.get("status", "").strip()
    if status and status not in STATUSES:
        problems.append("web.filter.bad_status")
        status = ""
    mission = mission_name(args.get("mission", "")) or ""
    days = []
    for name in ("from", "to"):
        text = args.get(name, "").strip()
        parsed = parse_day(text) if text else None
        if text and parsed is None:
            problems.append("web.filter.bad_date")
        days.append(day_start(parsed) if parsed else None)
    return FeedFilter(area, mission, status, days[0], days[1], tuple(dict.fromkeys(problems)))


def feed(store: Store, catalogue: Catalogue, chosen: FeedFilter,
         limit: int = FEED_LIMIT) -> list[ProgressUpdate]:
    """Live updates, newest first, that pass every filter: area and mission as the briefing
    admits them (one rule), the status beside it (a briefing counts every status)."""
    scope = summary.Scope(chosen.area or None, chosen.mission or None, chosen.since, chosen.end)
    found = []
    for u in store.updates.where(since=scope.since, until=scope.until):
        commitment = catalogue.commitments.get(u.commitment_id)
        if (not scope.admits(u, commitment.area if commitment else None)
                or (chosen.status and u.status != chosen.status)):
            continue
        found.append(u)
        if len(found) >= limit:
            break
    return found


def missions(store: Store) -> list[str]:
    """Every mission some live update was reported for (the feed's choices)."""
    return sorted(store.updates.missions(), key=str.casefold)


def silent(store: Store, catalogue: Catalogue, days: int = STALE_DAYS
           ) -> list[tuple[str, str, list[summary.CommitmentStatus]]]:
    """Per area (id, name, rows): the commitments the briefing finds silent for `days`."""
    rows = [c for c in summary.build(store, catalogue, stale_days=days).commitments if c.silent]
    return [(area.id, area_name(area), mine) for area in catalogue.areas.values()
            if (mine := [r for r in rows if r.area == area.id])]


@dataclass(frozen=True)
class UserRow:
    user: User
    commitments: tuple[str, ...]
    missions: tuple[str, ...]


def user_rows(store: Store) -> list[UserRow]:
    held = store.assignments.held_by_user()  # in catalogue order
    missions = store.assignments.missions_by_user()
    return [UserRow(u, tuple(held.get(u.id, {})), tuple(missions.get(u.id, ())))
            for u in store.users.all()]


@dataclass(frozen=True)
class LiveInvite:
    id: int
    role: str
    uses_left: int
    expires_at: datetime
    created_at: datetime


def live_invites(store: Store) -> list[LiveInvite]:
    """Invites that can still be used, newest first (their codes are not stored)."""
    now = store.clock()
    with store.read() as connection:
        rows = connection.execute(select(invites).where(invites.c.uses_left > 0)
                                  .order_by(invites.c.id.desc())).all()
    return [LiveInvite(r.id, r.role, r.uses_left, utc(r.expires_at), utc(r.created_at))
            for r in rows if utc(r.expires_at) > now]

