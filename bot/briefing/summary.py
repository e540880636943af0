"""Briefings: where progress stands per area, what is new, and where we are silent.

One `Briefing` is computed from the store and rendered as Markdown, HTML or PDF (with the
web dashboard's look, bot/web/report.py), XLSX or a PNG chart (matplotlib, Agg backend, a CJK font); every transport and `a4pbot report` send the
same bytes. Nothing here imports a transport.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from bot.conversation import i18n
from bot.answering.catalogue import Catalogue
from bot.conversation.i18n import t
from bot.desk.statuses import status_label, status_labels
from bot.conversation.replies import area_name, joined, title
from bot.desk.sanitise import append_safe
from bot.storage.assignments import silent_since
from bot.storage.store import Store
from bot.storage.updates import STATUSES, ProgressUpdate

log = logging.getLogger(__name__)
STALE_DAYS = 90
LATEST = 3
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
             "Noto Sans CJK JP", "Microsoft YaHei", "SimHei", "PingFang SC")
STATUS_COLOURS = {"not_started": "#b0b7c3", "in_progress": "#3b82c4", "done": "#2e9e5b",
                  "blocked": "#d9534f"}
FORMATS = ("md", "html", "pdf", "png", "xlsx")


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


@dataclass(frozen=True)
class Briefing:
    generated: datetime
    stale_days: int
    areas: tuple[AreaStatus, ...]


def build(store: Store, catalogue: Catalogue, *, area: str | None = None,
          stale_days: int = STALE_DAYS) -> Briefing:
    """Status counts (by each commitment's latest update), latest updates and silent commitments."""
    now = store.clock()
    latest = store.updates.latest_by_commitment()
    updates = store.updates.where()
    owners = store.assignments.owners()
    held_since = store.assignments.held_since()
    names = {u.id: u.label for u in store.users.all()}
    horizon = now - timedelta(days=stale_days)
    areas = []
    for a in catalogue.areas.values():
        if area and a.id != area:
            continue
        members = catalogue.commitments_in(a.id)
        ids = {c.id for c in members}
        counts = Counter(latest[c].status for c in ids if c in latest)
        stale = tuple((c.id, title(c), latest[c.id].created_at if c.id in latest else None,
                       tuple(names.get(u, str(u)) for u in owners.get(c.id, ())))
                      for c in members if _silent(c.id, latest, held_since, horizon))
        areas.append(AreaStatus(a.id, area_name(a), len(members),
                                {s: counts[s] for s in STATUSES},
                                tuple(u for u in updates if u.commitment_id in ids)[:LATEST],
                                stale))
    return Briefing(now, stale_days, tuple(areas))


def _silent(commitment: str, latest: dict[str, ProgressUpdate],
            held_since: dict[str, datetime | None], horizon: datetime) -> bool:
    """No update since `horizon`, and a focal point since before it (or none at all)."""
    last = latest[commitment].created_at if commitment in latest else None
    since = silent_since(last, held_since.get(commitment))
    return since is None or since < horizon


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


def stale_lines(briefing: Briefing) -> list[str]:
    lines = []
    for a in briefing.areas:
        for cid, name, last, owners in a.stale:
            lines.append(f"{cid} {name} — "
                         + (t("briefing.last_update", day=f"{last:%Y-%m-%d}") if last
                            else t("briefing.never_updated"))
                         + (t("briefing.owners", list=joined(owners)) if owners
                            else t("briefing.no_owner")))
    return lines


def _who(u: ProgressUpdate) -> str:
    return u.user_name + (t("sep.parens", text=u.mission) if u.mission else "")


def markdown(briefing: Briefing) -> str:
    out = [f"# {t('briefing.title')}", "",
           t("briefing.generated", at=f"{briefing.generated:%Y-%m-%d %H:%M}"), ""]
    for a in briefing.areas:
        out += [f"## {a.id} {a.name}", "",
                f"| {t('briefing.status')} | {t('briefing.commitments')} |", "| --- | --- |",
                *(f"| {status_label(s)} | {n} |" for s, n in a.counts.items()),
                f"| {t('briefing.no_update')} | {a.commitments - a.with_updates} |", ""]
        if a.latest:
            out += [t("briefing.latest_colon"), ""] + [
                f"- {u.created_at:%Y-%m-%d} {u.commitment_id} {status_label(u.status)} — "
                f"{_md(u.text)}{t('sep.parens', text=_md(_who(u)))}" for u in a.latest] + [""]
    stale = stale_lines(briefing)
    out += [f"## {t('briefing.stale_heading', days=briefing.stale_days)}", ""] + \
        ([f"- {_md(line)}" for line in stale] or [t("briefing.none")]) + [""]
    return "\n".join(out)


_MARKDOWN = re.compile(r"([\\`*_\[\]|])")


def _md(text: str) -> str:
    """Stored text in Markdown: no line breaks, no table, link, emphasis or HTML markup."""
    flat = _MARKDOWN.sub(r"\\\1", " ".join(text.split()))
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_xlsx(briefing: Briefing) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "areas"
    sheet.append(["area", "name", "commitments", *STATUSES, "no_update", "stale"])
    for a in briefing.areas:
        append_safe(sheet, (a.id, a.name, a.commitments, *a.counts.values(),
                            a.commitments - a.with_updates, len(a.stale)))
    stale = book.create_sheet("stale")
    stale.append(["commitment_id", "title", "last_update", "focal_points"])
    for a in briefing.areas:
        for cid, name, last, owners in a.stale:  # owners' names are typed by users
            append_safe(stale, (cid, name, f"{last:%Y-%m-%d}" if last else "", ", ".join(owners)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed font that has Chinese glyphs (None: charts fall back to English)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in installed), None)
    if found is None:
        log.warning("no CJK font installed (e.g. Debian's fonts-wqy-microhei): chart labels "
                    "will be in English")
    return found


def chart(briefing: Briefing, catalogue: Catalogue) -> bytes:
    """A stacked horizontal bar per area: commitments by the status of their latest update."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    font = cjk_font()
    # Without a CJK font the labels are English whatever the reader's language.
    language = i18n.current() if font else "en"
    with i18n.use(language):
        labels = [f"{a.id} {area_name(catalogue.areas[a.id])}" for a in briefing.areas]
        status_names = {**status_labels(), "none": t("briefing.no_update")}
        xlabel, title_ = t("briefing.commitments"), t("briefing.chart_title")
    with plt.rc_context({"font.family": [font] if font else ["DejaVu Sans"],
                         "axes.unicode_minus": False}):
        figure, axes = plt.subplots(figsize=(8, 0.55 * len(labels) + 1.6), dpi=120)
        left = [0] * len(labels)
        for status in (*STATUSES, "none"):
            values = ([a.counts[status] for a in briefing.areas] if status != "none" else
                      [a.commitments - a.with_updates for a in briefing.areas])
            axes.barh(labels, values, left=left, label=status_names[status],
                      color=STATUS_COLOURS.get(status, "#eeeeee"), edgecolor="white")
            left = [x + v for x, v in zip(left, values)]
        axes.invert_yaxis()
        axes.set_xlabel(xlabel)
        axes.set_title(f"{title_} — {briefing.generated:%Y-%m-%d}")
        axes.legend(ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.18 if len(labels) > 1
                                                                 else -0.5), frameon=False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        plt.close(figure)
    return buffer.getvalue()


def render(briefing: Briefing, catalogue: Catalogue, fmt: str) -> bytes:
    if fmt == "md":
        return markdown(briefing).encode("utf-8")
    if fmt in ("html", "pdf"):  # the dashboard's look: bot/web/report.py
        from bot.web.report import render_report
        return render_report(briefing, catalogue, fmt)
    if fmt == "xlsx":
        return to_xlsx(briefing)
    return chart(briefing, catalogue)
