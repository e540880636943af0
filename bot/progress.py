"""Progress updates: submitting, correcting and withdrawing them, and reading where things stand.

Transport-neutral like the rest of the core: commands come in as (sender, args,
idempotency key) and leave as `Reply` objects. Permission checks happen here; the store
only keeps the data.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from .access import Access, parse_commitments
from .identity import Sender
from . import export
from .catalogue import Catalogue
from .normalisation import normalise
from .replies import Attachment, Button, Reply, area_name, error
from .store import STATUSES, Store, StoreError, Update, User

STATUS_LABELS = {"not_started": "未开始", "in_progress": "进行中", "done": "已完成",
                 "blocked": "受阻"}
_STATUS_WORDS = {
    **{code: code for code in STATUSES}, **{label: code for code, label in STATUS_LABELS.items()},
    "未启动": "not_started", "没开始": "not_started", "进行": "in_progress", "推进中": "in_progress",
    "ongoing": "in_progress", "完成": "done", "已完成了": "done", "completed": "done",
    "阻碍": "blocked", "停滞": "blocked", "卡住": "blocked",
}
_STATUS_AT_START = re.compile("^(" + "|".join(sorted(map(re.escape, _STATUS_WORDS), key=len,
                                                      reverse=True)) + r")[\s:：,，、-]*")
MAX_TEXT = 500
EDIT_WINDOW = timedelta(hours=24)
SHOWN = 5
UPDATE_USAGE = "用法：/update C12 进行中 本季度女性警官比例升至18%（状态：未开始 / 进行中 / 已完成 / 受阻）"
RETRY = "数据库暂时不可用，这次没有保存。"


def parse_status(word: str) -> str | None:
    return _STATUS_WORDS.get(normalise(word))


def day(value: datetime) -> str:
    return f"{value:%Y-%m-%d}"


class Progress:
    """The focal points' desk: updates in, progress out."""

    def __init__(self, store: Store, catalogue: Catalogue, access: Access) -> None:
        self.store = store
        self.catalogue = catalogue
        self.access = access

    # -- writing -----------------------------------------------------------------------

    def parse_update(self, args: str) -> tuple[str, str, str] | Reply:
        """(commitment id, status, text) from `C12 进行中 text`, or what is wrong with it."""
        head, _, rest = args.strip().partition(" ")
        ids = parse_commitments(head, self.catalogue)
        if isinstance(ids, str):
            return error(ids, UPDATE_USAGE)
        rest = rest.strip()
        status_match = _STATUS_AT_START.match(normalise(rest))
        if status_match is None:
            return error("请写明状态：未开始 / 进行中 / 已完成 / 受阻。", UPDATE_USAGE)
        status = _STATUS_WORDS[status_match.group(1)]
        text = rest[status_match.end():].strip()
        if not text:
            return error("请在状态后写一两句进展说明。", UPDATE_USAGE)
        if len(text) > MAX_TEXT:
            return error(f"进展说明最多 {MAX_TEXT} 字，这条有 {len(text)} 字。",
                         "请精简后重新发送；原文如下，可复制修改：\n" + text)
        return ids[0], status, text

    def record(self, user: User, commitment_id: str, status: str, text: str,
               key: str | None) -> Reply:
        """Store an update (once per key) and show it with an undo button."""
        try:
            stored, created = self.store.add_update(user.id, commitment_id, status, text,
                                                    user.mission or "", key=key)
        except StoreError:
            return error(RETRY, f"请稍后重新发送这条命令（内容已保留）：/update {commitment_id} "
                                f"{STATUS_LABELS[status]} {text}")
        return self.stored(stored, created, user)

    def stored(self, item: Update, created: bool = True, user: User | None = None) -> Reply:
        heading = f"已记录进展 #{item.id}" if created else f"这条进展此前已记录（#{item.id}）"
        hint = ("提示：发送 /mission 任务区名称，以后的进展会自动注明任务区。",) \
            if user is not None and not user.mission else ()
        return Reply(heading, (*self.describe(item), *hint),
                     ((Button("↩️ 撤销这条进展", f"withdraw:{item.id}"),),))

    def refuse_unassigned(self, user: User, commitment_id: str) -> Reply | None:
        """Why `user` may not update this commitment; None when they may.

        Admins may update anything; a focal point, the commitments assigned to them and —
        when they own a mission — every commitment, for that mission.
        """
        if user.role == "admin":
            return None
        mine = self.store.assigned(user.id)
        missions = self.store.missions(user.id)
        if commitment_id in mine or (missions and user.mission in missions):
            return None
        return error(f"{commitment_id} 没有分配给你。",
                     ("你负责：" + "、".join(mine) + "。") if mine else
                     "你还没有负责的承诺，请联系管理员用 /assign 分配。")

    def refuse_mission(self, user: User, mission: str) -> str | None:
        """Why `user` may not report for this mission (a focal point owning missions reports
        only for those); None when they may."""
        missions = self.store.missions(user.id) if user.role != "admin" else []
        if missions and mission not in missions:
            return f"你负责的任务区是：{'、'.join(missions)}。"
        return None

    def withdraw(self, sender: Sender, update_id: int) -> Reply:
        """Withdraw your own update within 24 hours (admins: any); it stays in history."""
        found = self._own_recent(sender, update_id)
        if isinstance(found, Reply):
            return found
        user, _ = found
        withdrawn = self.store.withdraw_update(update_id, by=user.id)
        return Reply(f"已撤回进展 #{withdrawn.id}", ("记录保留在历史中，不再计入进展。",))

    def edit(self, sender: Sender, args: str) -> Reply:
        """`/edit 42 [status] new text` — a new revision; the old one stays in history."""
        head, _, rest = args.strip().partition(" ")
        if not head.lstrip("#").isdigit():
            return error("请给出进展编号，例如 /edit 42 已完成 新的说明。", "编号见 /myupdates。")
        found = self._own_recent(sender, int(head.lstrip("#")))
        if isinstance(found, Reply):
            return found
        user, item = found
        rest = rest.strip()
        status_match = _STATUS_AT_START.match(normalise(rest))
        status = _STATUS_WORDS[status_match.group(1)] if status_match else None
        text = rest[status_match.end():].strip() if status_match else rest
        if not text and status is None:
            return error("请写出新的状态或说明，例如 /edit 42 已完成 培训已全部结束。")
        if len(text) > MAX_TEXT:
            return error(f"进展说明最多 {MAX_TEXT} 字，这条有 {len(text)} 字。",
                         "请精简后重新发送；原文如下，可复制修改：\n" + text)
        edited = self.store.edit_update(item.id, by=user.id, status=status, text=text or None)
        return Reply(f"已修改进展 #{edited.id}（第 {edited.revision} 版）", self.describe(edited))

    def mission(self, sender: Sender, args: str) -> Reply:
        """`/mission UNMISS` — remembered and put on your next updates."""
        user = self.access.require(sender, "focal_point")
        if isinstance(user, Reply):
            return user
        name = " ".join(args.split())
        if not name:
            return error(f"当前任务区/单位：{user.mission or '未设置'}。", "设置：/mission 任务区名称")
        if len(name) > 100:
            return error("任务区名称最多 100 个字符。")
        if (refusal := self.refuse_mission(user, name)) is not None:
            return error(refusal, "如需更改，请联系管理员。")
        self.store.set_mission(user.id, name)
        return Reply(f"已记住任务区/单位：{name}", ("以后提交的进展会注明它。",))

    def _own_recent(self, sender: Sender, update_id: int) -> tuple[User, Update] | Reply:
        user = self.access.user(sender)
        item = self.store.get_update(update_id)
        if item is None:
            return error(f"没有编号为 #{update_id} 的进展。")
        if user.role != "admin":
            if item.user_id != user.id:
                return error("只能修改或撤回自己提交的进展。")
            if self.store.clock() - item.created_at > EDIT_WINDOW:
                return error("提交超过 24 小时的进展不能再修改或撤回。", "如需更正，请提交一条新的进展。")
        if item.withdrawn_at is not None:
            return error(f"进展 #{update_id} 已撤回。")
        return user, item

    # -- reading -----------------------------------------------------------------------

    def describe(self, item: Update) -> tuple[str, ...]:
        commitment = self.catalogue.commitments[item.commitment_id]
        return (f"{commitment.id} {commitment.title}", f"状态：{STATUS_LABELS[item.status]}",
                item.text,
                f"{item.user_name}" + (f"（{item.mission}）" if item.mission else "")
                + f" · {item.created_at:%Y-%m-%d %H:%M} UTC")

    def updates(self, _sender: Sender, args: str) -> Reply:
        """`/updates C12` — the latest updates on one commitment, newest first."""
        ids = parse_commitments(args.split()[0] if args.split() else "", self.catalogue)
        if isinstance(ids, str):
            return error(ids, "用法：/updates C12")
        commitment = self.catalogue.commitments[ids[0]]
        items = self.store.list_updates(commitment_id=commitment.id, limit=SHOWN)
        if not items:
            return Reply(f"{commitment.id} {commitment.title}：暂无进展", ("联络人可用 /update 提交。",))
        lines = [line for item in items for line in (
            f"#{item.id} · {STATUS_LABELS[item.status]} · {day(item.created_at)} · {item.user_name}"
            + (f"（{item.mission}）" if item.mission else ""), f"  {item.text}")]
        return Reply(f"{commitment.id} {commitment.title}：最新进展", tuple(lines),
                     ((Button(f"{commitment.id} 承诺原文", commitment.id),),))

    def my_updates(self, sender: Sender, _args: str = "") -> Reply:
        user = self.access.user(sender)
        items = self.store.list_updates(user_id=user.id, limit=10)
        if not items:
            return Reply("你还没有提交过进展。", (UPDATE_USAGE,))
        now = self.store.clock()
        lines = [f"#{i.id} {i.commitment_id} · {STATUS_LABELS[i.status]} · {day(i.created_at)}："
                 f"{i.text}" for i in items]
        recent = [i for i in items if now - i.created_at <= EDIT_WINDOW][:SHOWN]
        if recent:
            lines.append("24 小时内的进展可以修改（/edit 编号 新说明）或撤回：")
        return Reply("我的最新进展", tuple(lines),
                     tuple((Button(f"↩️ 撤回 #{i.id}", f"withdraw:{i.id}"),) for i in recent))

    def progress(self, _sender: Sender, args: str) -> Reply:
        """`/progress` per area, `/progress A2` per commitment: short lines for a phone."""
        latest = self.store.latest_by_commitment()
        token = normalise(args).strip().upper().removeprefix("A")
        if token:
            if not token.isdigit() or f"A{token}" not in self.catalogue.areas:
                return error(f"“{args.strip()[:20]}”不是优先领域编号。", "用法：/progress 或 /progress A2（A1–A8）")
            return self._area_progress(f"A{token}", latest)
        lines = []
        for area in self.catalogue.areas.values():
            members = self.catalogue.commitments_in(area.id)
            with_updates = [latest[c.id] for c in members if c.id in latest]
            counts = Counter(u.status for u in with_updates)
            summary = "，".join(f"{STATUS_LABELS[s]} {counts[s]}" for s in STATUSES if counts[s])
            newest = max((u.created_at for u in with_updates), default=None)
            lines.append(f"{area.id} {area_name(area)}："
                         f"{len(with_updates)}/{len(members)} 项有进展"
                         + (f"（{summary}；最新 {day(newest)}）" if newest else ""))
        return Reply("各优先领域进展", tuple(lines),
                     tuple(tuple(Button(f"{a} 进展", f"progress:{a}") for a in pair)
                           for pair in zip(*[iter(self.catalogue.areas)] * 2)))

    def _area_progress(self, area_id: str, latest: dict[str, Update]) -> Reply:
        area = self.catalogue.areas[area_id]
        lines = []
        for c in self.catalogue.commitments_in(area_id):
            item = latest.get(c.id)
            lines.append(f"{c.id} {c.title}：" + (f"{STATUS_LABELS[item.status]}（{day(item.created_at)}）"
                                                 if item else "暂无进展"))
        return Reply(f"{area.id} {area.title}：进展", tuple(lines),
                     ((Button("全部领域进展", "progress:"), Button(f"{area.id} 领域介绍", area.id)),))

    def export(self, sender: Sender, args: str) -> Reply:
        """`/export [from] [to]` (YYYY-MM-DD, inclusive): CSV and XLSX files, admins only."""
        admin = self.access.require(sender, "admin")
        if isinstance(admin, Reply):
            return admin
        try:
            days = [date.fromisoformat(part) for part in args.split()[:2]]
        except ValueError:
            return error("日期格式应为 YYYY-MM-DD。", "用法：/export 或 /export 2026-01-01 2026-03-31")
        bounds = [datetime.combine(d, datetime.min.time(), UTC) for d in days]
        since = bounds[0] if bounds else None
        until = bounds[1] + timedelta(days=1) if len(bounds) > 1 else None
        items = self.store.list_updates(since=since, until=until, include_withdrawn=True,
                                        newest_first=False)
        span = " – ".join(args.split()[:2]) or "全部"
        stamp = f"{self.store.clock():%Y%m%d}"
        return Reply(f"导出进展：{len(items)} 条（{span}）",
                     ("CSV（UTF-8）和 Excel 文件如下；已撤回的进展也在其中，见 withdrawn_at 列。",),
                     files=tuple(Attachment(f"a4p-updates-{stamp}.{fmt}", export.render(items, fmt))
                                 for fmt in export.FORMATS))

    def brief(self, _sender: Sender, args: str) -> Reply:
        """`/brief [A5]`: the progress chart with a one-line-per-area summary."""
        from . import briefing

        area = self._area_arg(args)
        if isinstance(area, Reply):
            return area
        report = briefing.build(self.store, self.catalogue, area=area)
        stamp = f"{report.generated:%Y%m%d}"
        return Reply("A4P 进展简报" + (f"：{area}" if area else ""),
                     tuple(briefing.summary_lines(report)),
                     ((Button("无更新的承诺", "stale"),),),
                     files=(Attachment(f"a4p-brief-{stamp}.png",
                                       briefing.chart(report, self.catalogue)),))

    def stale(self, _sender: Sender, args: str) -> Reply:
        """`/stale [days]`: commitments with no update for that long, with their focal points."""
        from . import briefing

        days = args.strip() or str(briefing.STALE_DAYS)
        if not days.isdigit() or not 1 <= int(days) <= 3650:
            return error("天数应为 1–3650 的整数。", "用法：/stale 或 /stale 30")
        report = briefing.build(self.store, self.catalogue, stale_days=int(days))
        lines = briefing.stale_lines(report)
        heading = f"{days} 天无更新的承诺：{len(lines)} 项"
        return Reply(heading, tuple(lines) or ("全部承诺都有近期进展。",))

    def _area_arg(self, args: str) -> str | None | Reply:
        token = normalise(args).strip().upper().removeprefix("A")
        if not token:
            return None
        if not token.isdigit() or f"A{token}" not in self.catalogue.areas:
            return error(f"“{args.strip()[:20]}”不是优先领域编号。", "优先领域为 A1–A8，例如 A5。")
        return f"A{token}"
