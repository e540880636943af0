"""What the bot says: transport-neutral replies (a heading, text, buttons).

Adapters render a `Reply` — HTML for Telegram, Block Kit for Slack, plain text for the
console — so wording and card layout are decided once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import ACTORS, Area, Catalogue, Commitment, Paragraph
from .commands import COMMANDS, Command
from .matching import Result

EXAMPLES = ("维和人员伤亡越来越多，宣言里怎么说？", "女性维和人员", "第十三项承诺")
ACTOR_TITLES = {
    "collective": "集体承诺", "member_states": "会员国的承诺",
    "secretary_general": "秘书长的承诺", "host_countries": "东道国的承诺",
}
SMALLTALK = {
    "greeting": "你好！我是 A4P 助手，可以回答《以行动促维和》宣言的 8 个优先领域、45 项承诺和 24 段原文。",
    "thanks": "不客气！还有问题随时问我。",
    "goodbye": "再见，祝工作顺利、平安！",
}
NEXT_BEST = 3


@dataclass(frozen=True)
class Button:
    """A choice under a reply; `action` is a catalogue id (`C17`) or a command name."""

    label: str
    action: str


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply (exports); adapters upload it their own way."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    heading: str | None
    body: tuple[str, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    files: tuple[Attachment, ...] = ()

    def plain(self) -> str:
        """The reply as plain text, without buttons."""
        return "\n".join(part for part in (self.heading, *self.body) if part)


def _button(catalogue: Catalogue, entry_id: str) -> Button:
    entry = catalogue.get(entry_id)
    if isinstance(entry, Paragraph):
        return Button(f"📄 第{entry.number}段", entry.id)
    if isinstance(entry, Area):
        return Button(f"{entry.id} {entry.aliases[0] if entry.aliases else entry.title}", entry.id)
    assert entry is not None, entry_id
    return Button(f"{entry.id} {entry.title}", entry.id)


def _rows(buttons: list[Button], per_row: int = 1) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row))


def area_name(area: Area) -> str:
    return area.aliases[0] if area.aliases else area.title


def commitment_card(catalogue: Catalogue, c: Commitment, others: tuple[str, ...] = ()) -> Reply:
    """Number, short title, text, area, actor, paragraph; buttons for the paragraph, area and next-best."""
    area = catalogue.areas[c.area]
    paragraph = catalogue.paragraphs[c.paragraph]
    meta = (f"领域：{area.id} {area_name(area)}｜承诺方：{ACTORS[c.actor]}"
            f"｜出处：宣言第{paragraph.number}段")
    buttons = [[_button(catalogue, paragraph.id), Button(f"↩ {area.id} {area_name(area)}", area.id)]]
    others = tuple(o for o in others if o not in (area.id, paragraph.id))  # already buttons
    buttons += [[_button(catalogue, other)] for other in others[:NEXT_BEST]]
    return Reply(f"承诺 {c.id} · {c.title}", (c.text, meta),
                 tuple(tuple(row) for row in buttons))


def area_card(catalogue: Catalogue, area: Area, others: tuple[str, ...] = ()) -> Reply:
    """The area's description and the list of its commitments."""
    commitments = catalogue.commitments_in(area.id)
    lines = [f"{c.id} {c.title}" for c in commitments]
    buttons = [_button(catalogue, c.id) for c in commitments]
    others = tuple(o for o in others if o not in {c.id for c in commitments})  # already buttons
    rows = _rows(buttons, 2) + _rows([_button(catalogue, o) for o in others[:NEXT_BEST]])
    return Reply(f"优先领域 {area.id} · {area.title}",
                 (area.summary, f"本领域的 {len(commitments)} 项承诺：", *lines),
                 rows + ((Button("全部领域", "areas"),),))


def paragraph_card(catalogue: Catalogue, p: Paragraph, others: tuple[str, ...] = ()) -> Reply:
    """The official text and the commitments that cite it."""
    cited = [catalogue.commitments[c] for c in p.cited_by]
    body = [p.text]
    if cited:
        body.append("引用本段的承诺：" + "、".join(f"{c.id} {c.title}" for c in cited))
    others = tuple(o for o in others if o not in p.cited_by)  # already buttons
    buttons = [_button(catalogue, c.id) for c in cited] + [_button(catalogue, o) for o in others[:NEXT_BEST]]
    return Reply(f"宣言第{p.number}段 · {p.section}", tuple(body), _rows(buttons))


def card(catalogue: Catalogue, entry_id: str, others: tuple[str, ...] = ()) -> Reply:
    """The card for any catalogue id; `others` become next-best buttons."""
    entry = catalogue.get(entry_id)
    if isinstance(entry, Commitment):
        return commitment_card(catalogue, entry, others)
    if isinstance(entry, Area):
        return area_card(catalogue, entry, others)
    if isinstance(entry, Paragraph):
        return paragraph_card(catalogue, entry, others)
    return not_found(entry_id)


def areas_list(catalogue: Catalogue) -> Reply:
    lines = [f"{a.id} {area_name(a)} — {a.title}" for a in catalogue.areas.values()]
    buttons = [_button(catalogue, a) for a in catalogue.areas]
    return Reply("《以行动促维和》的八个优先领域", tuple(lines), _rows(buttons, 2))


def actor_list(catalogue: Catalogue, actor: str) -> Reply:
    commitments = catalogue.commitments_by(actor)
    lines = [f"{c.id} {c.title}" for c in commitments]
    return Reply(f"{ACTOR_TITLES[actor]}（{len(commitments)} 项）", tuple(lines),
                 _rows([_button(catalogue, c.id) for c in commitments], 2))


def miss() -> Reply:
    """The one-line "I don't know", with examples of what works."""
    return Reply("抱歉，这个问题我在 A4P 宣言里没有找到答案。",
                 ("可以这样问：" + " / ".join(f"“{e}”" for e in EXAMPLES),
                  "或发送 /areas 浏览八个优先领域。"),
                 ((Button("浏览优先领域", "areas"),),))


def not_found(reference: str) -> Reply:
    """A reference to an id that does not exist (C50, P30, A9)."""
    limits = {"C": "承诺编号为 C1–C45", "P": "宣言共 24 段（P1–P24）", "A": "优先领域为 A1–A8"}
    hint = limits.get(reference[:1].upper(), "编号形如 C17、P12、A3")
    return Reply(f"没有 {reference}：{hint}。", ("发送 /areas 浏览全部内容。",),
                 ((Button("浏览优先领域", "areas"),),))


def smalltalk(kind: str) -> Reply:
    return Reply(SMALLTALK.get(kind, SMALLTALK["greeting"]),
                 ("直接输入问题即可，例如：" + "、".join(f"“{e}”" for e in EXAMPLES[:2]),),
                 ((Button("浏览优先领域", "areas"),),))


def welcome(catalogue: Catalogue) -> Reply:
    """Three example questions and a button per area: the user never faces a blank page."""
    return Reply("欢迎使用 A4P 助手！",
                 ("我可以帮你查《以行动促维和》（A4P）宣言：8 个优先领域、45 项承诺、24 段原文。",
                  "直接用中文（或英文、法文）提问，例如：",
                  *(f"• {e}" for e in EXAMPLES),
                  "或点下面的优先领域浏览；发送 /help 查看全部命令。"),
                 _rows([_button(catalogue, a) for a in catalogue.areas], 2))


def help_text() -> Reply:
    """Help comes from the same table as the command menu."""
    def line(c: Command) -> str:
        return f"/{c.name}{' ' + c.args if c.args else ''} — {c.help}"

    lines = [line(c) for c in COMMANDS if not c.admin]
    lines += ["管理员：", *(line(c) for c in COMMANDS if c.admin)]
    return Reply("可用命令", (*lines, "也可以直接提问，例如：" + EXAMPLES[0]),
                 ((Button("浏览优先领域", "areas"),),))


def error(message: str, hint: str = "") -> Reply:
    return Reply(message, (hint,) if hint else ())


def answer(catalogue: Catalogue, result: Result) -> Reply:
    """The reply to a matched question: a card, a list, a friendly line or a plain miss."""
    if result.intent == "smalltalk":
        return smalltalk(result.smalltalk or "greeting")
    if result.intent == "actor" and result.actor:
        return actor_list(catalogue, result.actor)
    if result.intent == "out_of_range":
        return not_found(result.references[0].id)
    if not result.matches:
        return miss()
    best, *rest = result.matches
    return card(catalogue, best.id, tuple(m.id for m in rest))


FEEDBACK = Button("🙁 不是我要的", "wrong")


def with_feedback(reply: Reply) -> Reply:
    """An answer to a free question, with a way to say it missed."""
    return Reply(reply.heading, reply.body, (*reply.buttons, (FEEDBACK,)), reply.files)


def not_what_i_meant(catalogue: Catalogue, result: Result) -> Reply:
    """After "not what I meant": the other candidates, and a promise the miss is noted."""
    others = [c.match.id for c in result.candidates[1:1 + NEXT_BEST]]
    return Reply("抱歉！这个问题已记下，维护人员会补充。",
                 ("也许是下面这些；也可以换个说法再问，或浏览八个优先领域。",),
                 (*_rows([_button(catalogue, o) for o in others]),
                  (Button("浏览优先领域", "areas"),)))


def explanation(result: Result, top: int = 3) -> Reply:
    """Why the bot answered as it did: normalised text, terms, evidence, scores, threshold."""
    lines = [f"规范化问题：{result.normalised}", f"判定：{result.intent}"]
    if result.references:
        lines.append("编号引用：" + "、".join(r.id for r in result.references))
    if result.terms:
        lines.append("词语（权重）：" + " · ".join(
            f"{t}({result.weights[t]:.2f})" if t in result.weights else t for t in result.terms))
    lines.append(f"阈值：{result.threshold:.1f}；结论：" + ("已回答" if result.answered else "不回答"))
    for rank, cand in enumerate(result.candidates[:top], start=1):
        m = cand.match
        lines.append(f"{rank}. {m.id} {m.title} — {m.score:.1f}")
        for e in cand.evidence:
            lines.append(f"   {e.term} → {e.matched} [{e.field}, {e.channel}, "
                         f"相似度 {e.similarity:.2f}, 权重 {e.weight:.2f}]")
    unmatched = [t for t in result.weights if result.candidates and
                 all(e.term != t for c in result.candidates[:1] for e in c.evidence)]
    if unmatched:
        lines.append("未匹配的词（可加入 knowledge/ 的关键词或同义词）：" + "、".join(unmatched))
    return Reply("为什么这样回答", tuple(lines))


def split_text(text: str, limit: int) -> list[str]:
    """Split marked-up text at line breaks (hard-split over-long lines) into pieces of at
    most `limit` characters, never cutting an entity such as `&amp;` (HTML and Slack's
    mrkdwn both escape with entities)."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            head, line = _safe_cut(line, limit)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return pieces or [""]


def _safe_cut(line: str, limit: int) -> tuple[str, str]:
    """Cut before `limit` but never inside an entity."""
    cut = limit
    amp = line.rfind("&", max(0, cut - 8), cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    return line[:cut], line[cut:]
