"""The chat commands: one table for the help text, the Telegram menu and the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str
    help_en: str
    aliases: tuple[str, ...] = ()
    admin: bool = False  # listed under its own heading in /help, left out of the menu


COMMANDS: tuple[Command, ...] = (
    Command("start", "", "开始：欢迎语和示例问题", "Start: welcome and examples"),
    Command("help", "", "查看全部命令", "List all commands"),
    Command("areas", "", "浏览八个优先领域", "Browse the eight priority areas"),
    Command("area", "N", "查看优先领域 N（1–8）", "Show priority area N (1-8)"),
    Command("c", "N", "查看第 N 项承诺（1–45）", "Show commitment N (1-45)", ("commitment",)),
    Command("p", "N", "查看宣言第 N 段（1–24）", "Show paragraph N of the declaration (1-24)",
            ("paragraph",)),
    Command("why", "", "解释上一个回答是怎么得出的", "Explain how the last answer was found"),
    Command("progress", "[A2]", "各领域进展，或某一领域的进展", "Progress by area, or in one area"),
    Command("brief", "[A5]", "进展简报：图表和摘要", "Briefing: chart and summary"),
    Command("stale", "[天数]", "长期无更新的承诺", "Commitments with no recent update"),
    Command("updates", "C12", "某项承诺的最新进展", "Latest updates on one commitment"),
    Command("update", "C12 状态 说明", "提交进展（联络人）", "Submit an update (focal points)"),
    Command("cancel", "", "放弃正在填写的进展", "Abandon the update being written"),
    Command("myupdates", "", "我提交的进展（可修改、撤回）", "Your updates (edit, withdraw)"),
    Command("edit", "编号 [状态] 说明", "修改 24 小时内的进展", "Correct an update within 24 h"),
    Command("mission", "名称", "设置你的任务区/单位", "Set your mission or unit"),
    Command("remind", "on|off|weekly|monthly", "进展提醒设置（联络人）", "Reminder settings (focal points)"),
    Command("register", "邀请码", "用邀请码登记为联络人", "Register with an invite code"),
    Command("whoami", "", "查看你的角色和负责的承诺", "Your role and assigned commitments"),
    Command("invite", "focal_point [次数] [天数]", "生成邀请码", "Create an invite code", admin=True),
    Command("users", "", "查看用户", "List users", admin=True),
    Command("assign", "用户编号 C12 C13", "分配承诺给联络人", "Assign commitments", admin=True),
    Command("export", "[从 YYYY-MM-DD] [到]", "导出进展（CSV 和 Excel）", "Export updates (CSV, XLSX)",
            admin=True),
    Command("overdue", "", "谁负责的承诺长期未更新", "Who owns silent commitments", admin=True),
    Command("link", "别名编号 主账号编号", "把同一人在另一平台的账号关联起来", "Link one person's accounts",
            admin=True),
    Command("revoke", "用户编号", "撤销用户权限", "Revoke a user's role", admin=True),
)
MENU = tuple(c for c in COMMANDS if not c.admin)


def find_command(name: str) -> Command | None:
    """The command called `name` (or one of its aliases)."""
    name = name.lower()
    return next((c for c in COMMANDS if name == c.name or name in c.aliases), None)
