"""Who may do what: roles, invite codes, registration and assignments.

Readers are anyone; focal points submit updates on the commitments assigned to them;
admins invite, assign and revoke. The transports only say who is speaking (`Sender`).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from .catalogue import Catalogue, parse_id
from .identity import Sender
from .replies import Reply, error
from .store import ROLES, Store, User

ROLE_NAMES = {"reader": "读者", "focal_point": "联络人", "admin": "管理员"}
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
MAX_INVITE_USES = 100
MAX_INVITE_DAYS = 90
MISSION_WORDS = ("mission", "任务区")


def parse_admin_ids(value: str) -> frozenset[str]:
    """`ADMIN_IDS`: comma- or space-separated; a bare number is a Telegram user id."""
    ids = (item.strip() for item in re.split(r"[,\s]+", value or ""))
    return frozenset(i if ":" in i else f"telegram:{i}" for i in ids if i)


def new_code() -> str:
    """An unguessable invite code (72 random bits), easy to type on a phone."""
    return secrets.token_urlsafe(9)


class Access:
    """Roles and registration over the store."""

    def __init__(self, store: Store, catalogue: Catalogue, admin_ids: frozenset[str] = frozenset()):
        self.store = store
        self.catalogue = catalogue
        self.admin_ids = admin_ids

    def user(self, sender: Sender) -> User:
        """The stored user for a sender, created on first contact; ADMIN_IDS become admins."""
        role = "admin" if sender.key in self.admin_ids else None
        return self.store.user(sender.platform, sender.id, sender.name, role=role)

    def whoami(self, sender: Sender, _args: str = "") -> Reply:
        user = self.user(sender)
        lines = [f"用户编号：{user.id}（{sender.key}）", f"角色：{ROLE_NAMES[user.role]}",
                 f"任务区/单位：{user.mission or '未设置'}"]
        if user.role in ("focal_point", "admin"):
            mine = self.store.assigned(user.id)
            missions = self.store.missions(user.id)
            lines.append("负责的承诺：" + ("、".join(mine) if mine else
                                        ("全部（管理员）" if user.role == "admin" else
                                         "本任务区的全部承诺" if missions else "尚未分配，请联系管理员")))
            if missions:
                lines.append("负责的任务区：" + "、".join(missions))
        else:
            lines.append("如需提交进展，请向管理员索取邀请码，然后发送 /register 邀请码。")
        return Reply(f"你好，{user.label}", tuple(lines))

    def register(self, sender: Sender, args: str) -> Reply:
        """Redeem an invite code; failures are counted and rate-limited per user."""
        user = self.user(sender)
        code = args.strip().split()[0] if args.strip() else ""
        if not code:
            return error("请在命令后附上邀请码，例如 /register Ab3dE5fG7hJ9。",
                         "邀请码由管理员发给你。")
        if self.store.recent_failures(user.id, FAILURE_WINDOW) >= MAX_FAILURES:
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            return error("尝试次数过多。", f"请 {minutes} 分钟后再试，或向管理员确认邀请码。")
        role = self.store.redeem(user.id, code[:64])
        if role is None:
            return error("邀请码无效或已过期。", "请核对后重试，或向管理员索取新的邀请码。")
        return Reply(f"登记成功：你现在是{ROLE_NAMES[role]}。",
                     ("发送 /whoami 查看你的角色和负责的承诺；", "发送 /update 提交进展。"))

    def require(self, sender: Sender, role: str) -> User | Reply:
        """The user if they hold `role` (or higher), else the polite refusal."""
        user = self.user(sender)
        if ROLES.index(user.role) >= ROLES.index(role):
            return user
        if role == "admin":
            return error("这个命令只有管理员可以使用。")
        return error("只有登记的联络人可以提交进展。",
                     "请向管理员索取邀请码，然后发送 /register 邀请码。")

    def invite(self, sender: Sender, args: str) -> Reply:
        """`/invite focal_point [uses] [days]` — the code is shown once and stored hashed."""
        admin = self.require(sender, "admin")
        if isinstance(admin, Reply):
            return admin
        parsed = parse_invite_args(args)
        if isinstance(parsed, str):
            return error(parsed, "用法：/invite focal_point [次数] [天数]，例如 /invite focal_point 5 14")
        role, uses, days = parsed
        code = new_code()
        invite = self.store.create_invite(code, role, uses, days, by=admin.id)
        return Reply(f"邀请码（{ROLE_NAMES[role]}，可用 {uses} 次，"
                     f"{invite.expires_at:%Y-%m-%d %H:%M} UTC 前有效）：",
                     (code, f"对方发送 /register {code} 即可登记。", "邀请码只显示这一次。"))

    def users(self, sender: Sender, _args: str = "") -> Reply:
        admin = self.require(sender, "admin")
        if isinstance(admin, Reply):
            return admin
        owners = {}
        for commitment, user_ids in self.store.owners().items():
            for user_id in user_ids:
                owners.setdefault(user_id, []).append(commitment)
        lines = [f"{u.id}. {u.label} — " + (f"关联到 {u.linked_to}" if u.linked_to else ROLE_NAMES[u.role])
                 + (f"，{u.mission}" if u.mission else "")
                 + (f"，负责 {'、'.join(sorted(owners[u.id], key=lambda c: int(c[1:])))}"
                    if u.id in owners else "")
                 + "".join(f"，任务区 {m}" for m in self.store.missions(u.id))
                 for u in self.store.users()]
        return Reply(f"用户（{len(lines)}）", tuple(lines))

    def revoke(self, sender: Sender, args: str) -> Reply:
        """`/revoke ID` — back to reader; their assignments go, their updates stay."""
        admin = self.require(sender, "admin")
        if isinstance(admin, Reply):
            return admin
        target = self._target(args)
        if isinstance(target, Reply):
            return target
        if target.id == admin.id:
            return error("不能撤销自己的权限。")
        self.store.set_role(target.id, "reader", by=admin.id)
        return Reply(f"已撤销 {target.label} 的权限：现在是读者。", ("其已提交的进展保留在记录中。",))

    def assign(self, sender: Sender, args: str) -> Reply:
        """`/assign USER C12 C13`, or `/assign USER mission UNMISS` (every commitment, for
        that mission) — what the focal point may then update."""
        admin = self.require(sender, "admin")
        if isinstance(admin, Reply):
            return admin
        head, _, rest = args.strip().partition(" ")
        target = self._target(head)
        if isinstance(target, Reply):
            return target
        if target.role == "reader":
            return error(f"{target.label} 还不是联络人。", "请先让其用邀请码登记。")
        kind, _, mission = rest.strip().partition(" ")
        if kind.lower() in MISSION_WORDS:
            mission = " ".join(mission.split())
            if not mission or len(mission) > 100:
                return error("请写出任务区名称（最多 100 个字符），例如 /assign 3 mission UNMISS。")
            self.store.assign_mission(target.id, mission, by=admin.id)
            return Reply(f"已把任务区 {mission} 分配给 {target.label}。",
                         ("其可以为该任务区更新任何承诺的进展。",))
        ids = parse_commitments(rest, self.catalogue)
        if isinstance(ids, str):
            return error(ids, "用法：/assign 用户编号 C12 C13，或 /assign 用户编号 mission 任务区"
                              "（用户编号见 /users）")
        self.store.assign(target.id, ids, by=admin.id)
        return Reply(f"已把 {'、'.join(ids)} 分配给 {target.label}。",
                     ("现在负责：" + "、".join(self.store.assigned(target.id)),))

    def link(self, sender: Sender, args: str) -> Reply:
        """`/link ALIAS MAIN` — two accounts (Slack, Telegram) of one person act as MAIN."""
        admin = self.require(sender, "admin")
        if isinstance(admin, Reply):
            return admin
        parts = args.split()
        targets = [self._target(part) for part in parts[:2]]
        if len(targets) < 2:
            return error("请给出两个用户编号：/link 别名账号 主账号（编号见 /users）。")
        alias, main = targets
        for target in targets:
            if isinstance(target, Reply):
                return target
        assert isinstance(alias, User) and isinstance(main, User)
        if main.linked_to is not None or alias.id == main.id or alias.platform == main.platform:
            return error("无法关联：主账号须是另一平台上、未关联到他人的账号。")
        self.store.link(alias.id, main.id, by=admin.id)
        return Reply(f"已关联：{alias.platform}:{alias.external_id} 今后以 {main.label} 的身份使用。",
                     (f"角色、负责的承诺和任务区都随 {main.label}。",))

    def _target(self, args: str) -> User | Reply:
        token = args.strip().split()[0] if args.strip() else ""
        if not token.isdigit():
            return error("请给出用户编号（见 /users），例如 /revoke 3。")
        user = self.store.user_by_id(int(token))
        return user if user else error(f"没有编号为 {token} 的用户。", "发送 /users 查看用户列表。")


def parse_invite_args(args: str) -> tuple[str, int, float] | str:
    """(role, uses, days) from `focal_point 5 14`, or what is wrong with it."""
    parts = args.split()
    role = parts[0].lower() if parts else "focal_point"
    if role not in ("focal_point", "admin"):
        return f"角色“{role[:20]}”无效：可以是 focal_point 或 admin。"
    try:
        uses = int(parts[1]) if len(parts) > 1 else 1
        days = float(parts[2]) if len(parts) > 2 else 7.0
    except ValueError:
        return "次数和天数必须是数字。"
    if not 1 <= uses <= MAX_INVITE_USES or not 0 < days <= MAX_INVITE_DAYS:
        return f"次数为 1–{MAX_INVITE_USES}，天数为 1–{MAX_INVITE_DAYS}。"
    return role, uses, days


def parse_commitments(text: str, catalogue: Catalogue) -> list[str] | str:
    """`C12 C13`, `12,13` -> ['C12', 'C13'], or what is wrong."""
    tokens = [t for t in re.split(r"[\s,，、]+", text.strip()) if t]
    if not tokens:
        return "请列出承诺编号，例如 C12 C13。"
    ids = []
    for token in tokens:
        parsed = ("commitment", int(token)) if token.isdigit() else parse_id(token)
        entry_id = f"C{parsed[1]}" if parsed and parsed[0] == "commitment" else None
        if entry_id is None or catalogue.get(entry_id) is None:
            return f"“{token[:20]}”不是承诺编号（C1–C45）。"
        ids.append(entry_id)
    return list(dict.fromkeys(ids))
