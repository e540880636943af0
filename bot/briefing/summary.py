"""Briefings: where progress stands per area, what is new, and where we are silent.

One `Briefing` is computed from the store for a `Scope` (an area, a mission, a period) and
rendered in any of `FORMATS` (`render` dispatches): Markdown here, HTML and PDF with the
web dashboard's look (bot/web/report.py), the chart (PNG/SVG) in chart.py, the workbook
(XLSX) in workbook.py. Every transport and
`a4pbot report` send the same bytes. Nothing here imports a transport.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.answering.catalogue import Catalogue
from bot.conversation.i18n import t
from bot.conversation.replies import area_name, joined, title
from bot.desk.statuses import status_label
from bot.storage.assignments import is_silent
from bot.storage.store import Store
from bot.storage.updates import STATUSES, ProgressUpdate, latest_of_each

STALE_DAYS = 90
#: Okabe & Ito's colour-blind-safe colours, whose grey levels also differ (the chart, the
#: workbook and the web page draw statuses in these)
STATUS_COLOURS = {"done": "#009E73", "in_progress": "#56B4E9", "blocked": "#D55E00",
                  "not_started": "#F0E442"}
LATEST = 3


def ink_on(fill: str) -> str:
    """Black or white text, whichever reads on `fill` (by luminance; the PNG/SVG chart and
    the web page letter every status colour the same way)."""
    red, green, blue = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lum = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000000" if lum > 0.45 else "#ffffff"


@dataclass(frozen=True)
class Scope:
    """What a briefing covers: one area, one mission (an update's mission field, any case),
    updates created from `since` up to (not including) `until`; None: no limit."""

    area: str | None = None
    mission: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def admits(self, item: ProgressUpdate, area: str | None) -> bool:
        """Is this update (of a commitment in `area`) one the briefing counts?"""
        return ((not self.area or area == self.area)
                and (not self.mission or item.mission.casefold() == self.mission.casefold()))

    @property
    def last_day(self) -> datetime | None:
        """The last day the period includes (`until` is exclusive)."""
        return self.until - timedelta(days=1) if self.until else None


@dataclass(frozen=True)
class CommitmentStatus:
    """One commitment as the briefing sees it: its latest update in scope, if any."""

    id: str
    area: str
    title: str
    latest: ProgressUpdate | None
    owners: tuple[str, ...]
    silent: bool


@dataclass(frozen=True)
class AreaStatus:
    id: str
    name: str
    commitments: int
    counts: dict[str, int]  # status -> commitments whose latest update has it
    latest: tuple[ProgressUpdate, ...]
    stale: tuple[tuple[str, str, datetime | None, tuple[str, ...]], ...]  # id, title, last, owners

    @property
    def with_updates(self) -> int:
        return sum(self.counts.values())

    @property
    def without_updates(self) -> int:
        """Commitments with no update yet (in scope)."""
        return self.commitments - self.with_updates

    @property
    def segments(self) -> dict[str, int]:
        """Every rendering's bar: the count per status, then "none" (no update yet)."""
        return {**self.counts, "none": self.without_updates}


@dataclass(frozen=True)
class Briefing:
    generated: datetime
    stale_days: int
    areas: tuple[AreaStatus, ...]
    scope: Scope = Scope()
    commitments: tuple[CommitmentStatus, ...] = ()
    updates: tuple[ProgressUpdate, ...] = field(default=(), repr=False)  # in scope, newest first


def build(store: Store, catalogue: Catalogue, scope: Scope = Scope(), *,
          stale_days: int = STALE_DAYS) -> Briefing:
    """Status counts (by each commitment's latest update in scope), the latest updates and
    the commitments silent for `stale_days` before the period's end (or now)."""
    now = store.clock()
    area_of = {c.id: c.area for c in catalogue.commitments.values()}
    updates = tuple(u for u in store.updates.where(since=scope.since, until=scope.until)
                    if scope.admits(u, area_of.get(u.commitment_id)))
    latest = latest_of_each(updates)
    owners = owner_names(store)
    held_since = store.assignments.held_since()
    end, stale = min(scope.until or now, now), timedelta(days=stale_days)
    areas, rows = [], []
    for a in catalogue.areas.values():
        if scope.area and a.id != scope.area:
            continue
        members = catalogue.commitments_in(a.id)
        mine = [CommitmentStatus(c.id, a.id, title(c), last, owners.get(c.id, ()),
                                 is_silent(last.created_at if last else None,
                                           held_since.get(c.id), end, stale))
                for c in members for last in (latest.get(c.id),)]
        rows.extend(mine)
        counts = Counter(r.latest.status for r in mine if r.latest)
        areas.append(AreaStatus(
            a.id, area_name(a), len(members), {s: counts[s] for s in STATUSES},
            tuple(u for u in updates if area_of.get(u.commitment_id) == a.id)[:LATEST],
            tuple((r.id, r.title, r.latest.created_at if r.latest else None, r.owners)
                  for r in mine if r.silent)))
    return Briefing(now, stale_days, tuple(areas), scope, tuple(rows), updates)


def owner_names(store: Store) -> dict[str, tuple[str, ...]]:
    """Commitment id -> the names of its assigned focal points."""
    names = {u.id: u.label for u in store.users.all()}
    return {c: tuple(names.get(u, str(u)) for u in ids)
            for c, ids in store.assignments.owners().items()}


def summary_lines(briefing: Briefing) -> list[str]:
    """A phone-sized summary: one line per area."""
    lines = []
    for a in briefing.areas:
        counts = t("sep.clause").join(f"{status_label(s)} {n}" for s, n in a.counts.items() if n)
        lines.append(t("progress.area_line", id=a.id, area=a.name, done=a.with_updates,
                       total=a.commitments)
                     + (t("sep.parens", text=counts) if counts else "")
                     + (t("briefing.stale_count", count=len(a.stale), days=briefing.stale_days)
                        if a.stale else ""))
    return lines


def stale_line(cid: str, name: str, last: datetime | None, owners: tuple[str, ...]) -> str:
    """`C5 title — last updated 2026-01-02; focal points: …` (one silent commitment)."""
    return (f"{cid} {name} — "
            + (t("briefing.last_update", day=f"{last:%Y-%m-%d}") if last
               else t("briefing.never_updated"))
            + (t("briefing.owners", list=joined(owners)) if owners else t("briefing.no_owner")))


def stale_lines(briefing: Briefing) -> list[str]:
    return [stale_line(*row) for a in briefing.areas for row in a.stale]


def scope_words(briefing: Briefing) -> list[str]:
    """What the briefing is limited to, in words (mission, period); [] when it is not."""
    scope, words = briefing.scope, []
    if scope.mission:
        words.append(t("briefing.scope_mission", mission=scope.mission))
    if scope.since or scope.until:
        words.append(t("briefing.scope_period",
                       start=f"{scope.since:%Y-%m-%d}" if scope.since else "…",
                       end=f"{scope.last_day:%Y-%m-%d}" if scope.last_day else "…"))
    return words


def _who(u: ProgressUpdate) -> str:
    return u.user_name + (t("sep.parens", text=u.mission) if u.mission else "")


def markdown(briefing: Briefing) -> str:
    out = [f"# {t('briefing.title')}", "",
           t("briefing.generated", at=f"{briefing.generated:%Y-%m-%d %H:%M}"), ""]
    if words := scope_words(briefing):
        out += [_md(t("sep.clause").join(words)), ""]
    for a in briefing.areas:
        out += [f"## {a.id} {a.name}", "",
                f"| {t('briefing.status')} | {t('briefing.commitments')} |", "| --- | --- |",
                *(f"| {status_label(s)} | {n} |" for s, n in a.counts.items()),
                f"| {t('briefing.no_update')} | {a.without_updates} |", ""]
        if a.latest:
            out += [t("briefing.latest_colon"), ""] + [
                f"- {u.created_at:%Y-%m-%d} {u.commitment_id} {status_label(u.status)} — "
                f"{_md(u.text)}{t('sep.parens', text=_md(_who(u)))}" for u in a.latest] + [""]
    return "\n".join(out + _stale_markdown(briefing))


def _stale_markdown(briefing: Briefing) -> list[str]:
    """The silent commitments, compact: a count per area first, the details after."""
    silent = [a for a in briefing.areas if a.stale]
    total = sum(len(a.stale) for a in silent)
    out = [f"## {t('briefing.stale_heading', days=briefing.stale_days)}: {total}", ""]
    if not silent:
        return out + [t("briefing.none"), ""]
    out += [f"| {t('briefing.area')} | {t('briefing.commitments')} |", "| --- | --- |",
            *(f"| {a.id} {a.name} | {len(a.stale)} |" for a in silent), ""]
    for a in silent:
        out += [f"### {a.id} {a.name} ({len(a.stale)})", "",
                *(f"- {_md(stale_line(*row))}" for row in a.stale), ""]
    return out


_MARKDOWN = re.compile(r"([\\`*_\[\]|])")


def _md(text: str) -> str:
    """Stored text in Markdown: no line breaks, no table, link, emphasis or HTML markup."""
    flat = _MARKDOWN.sub(r"\\\1", " ".join(text.split()))
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _page(fmt: str) -> Callable[[Briefing, Catalogue], bytes]:
    def page(report: Briefing, catalogue: Catalogue) -> bytes:
        from bot.web.report import render_report  # the dashboard's look; Jinja2 loads only here

        return render_report(report, catalogue, fmt)
    return page


def _chart(fmt: str) -> Callable[[Briefing, Catalogue], bytes]:
    def draw(report: Briefing, catalogue: Catalogue) -> bytes:
        from . import chart  # matplotlib loads only for a chart

        return chart.render(report, catalogue, fmt)
    return draw


def _xlsx(report: Briefing, catalogue: Catalogue) -> bytes:
    from . import workbook

    return workbook.to_xlsx(report, catalogue)


RENDERERS: dict[str, Callable[[Briefing, Catalogue], bytes]] = {
    "md": lambda report, _catalogue: markdown(report).encode("utf-8"),
    "html": _page("html"),
    "pdf": _page("pdf"),
    "png": _chart("png"),
    "svg": _chart("svg"),
    "xlsx": _xlsx,
}
FORMATS = tuple(RENDERERS)
TEXT_FORMATS = ("md", "html", "svg")  # may go to standard output


def render(briefing: Briefing, catalogue: Catalogue, fmt: str) -> bytes:
    """The briefing in one of `FORMATS`, in the current language."""
    return RENDERERS[fmt](briefing, catalogue)
