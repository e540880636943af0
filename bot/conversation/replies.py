"""What the bot says: transport-neutral replies (a heading, text, buttons).

Adapters render a `Reply` — HTML for Telegram, Block Kit for Slack, plain text for the
console — so wording and card layout are decided once, here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.answering.catalogue import Area, Catalogue, Commitment, Faq, Paragraph
from .commands import COMMANDS, Command, may_run
from .i18n import current, t

if TYPE_CHECKING:  # the matcher (jieba) loads with the commands that answer, not `admin invite`
    from bot.answering.matching import Result

EXAMPLES = ("examples.fatalities", "examples.women", "examples.c13")  # message keys
NEXT_BEST = 3
LABEL_MAX = 40  # English titles on buttons are cut here (Chinese ones are short)


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
    # what makes this reply again, as a button action (`card:A5:`, `stale:七天`): a long
    # reply is sent in pages, and its "more" button asks for the next one (see pages.py)
    origin: str | None = None

    def plain(self) -> str:
        """The reply as plain text, without buttons."""
        return "\n".join(part for part in (self.heading, *self.body) if part)


def short(text: str, limit: int = LABEL_MAX) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def joined(items: list[str] | tuple[str, ...]) -> str:
    """A list in running text: 、 in Chinese, commas in English."""
    return t("sep.list").join(items)


def _local(entry: object, field: str) -> str:
    """`field` of `entry` in the current language (`title` -> `title_en` in English …);
    "" when that language has none. Chinese is the field itself."""
    language = current()
    return getattr(entry, field if language == "zh" else f"{field}_{language}", "") or ""


def title(entry: Commitment | Area | Faq) -> str:
    """A title in the current language (every commitment, area and FAQ has all three)."""
    return _local(entry, "title") or entry.title


def area_name(area: Area) -> str:
    """The short name of an area: its first alias in Chinese, its translated title otherwise."""
    if current() != "zh":
        return title(area)
    return area.aliases[0] if area.aliases else area.title


def rendering(entry: Commitment | Area | Paragraph, field: str) -> tuple[str, ...]:
    """An entry's text for the reader: in Chinese the official text; in English or French
    the unofficial rendering, marked as such (the official Chinese is one tap away,
    `official_button`), or — where there is none yet — the Chinese title and text."""
    official = getattr(entry, field)
    if current() == "zh":
        return (official,)
    if translated := _local(entry, field):
        return (translated, t("card.unofficial"))
    return ((entry.title, official) if isinstance(entry, (Commitment, Area)) else (official,))


def official_button(entry: Commitment | Area | Paragraph) -> tuple[Button, ...]:
    """"Official Chinese text": only where the card shows a translation."""
    if current() == "zh" or not _local(entry, "summary" if isinstance(entry, Area) else "text"):
        return ()
    return (Button(t("button.official"), f"official:{entry.id}"),)


def commitment_label(c: Commitment) -> str:
    """`C13 保护平民` / `C13 Protection of civilians` (cut for a button)."""
    return f"{c.id} {short(title(c))}"


def examples() -> tuple[str, ...]:
    return tuple(t(key) for key in EXAMPLES)


def browse_button() -> Button:
    return Button(t("button.browse_areas"), "areas")


def _button(catalogue: Catalogue, entry_id: str) -> Button:
    entry = catalogue.get(entry_id)
    if isinstance(entry, Paragraph):
        return Button(t("button.paragraph", number=entry.number), entry.id)
    if isinstance(entry, Area):
        return Button(f"{entry.id} {short(area_name(entry))}", entry.id)
    if isinstance(entry, Faq):
        return Button(f"❓ {short(faq_title(entry))}", entry.id)
    assert entry is not None, entry_id
    return Button(commitment_label(entry), entry.id)


def _rows(buttons: list[Button], per_row: int = 1) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row))


def commitment_card(catalogue: Catalogue, c: Commitment, others: tuple[str, ...] = (),
                    updates: bool = False) -> Reply:
    """Number, short title, text, area, actor, paragraph; buttons for the paragraph, area and next-best.

    In English the heading carries the English title, followed by the Chinese title and
    the official (Chinese) text."""
    area = catalogue.areas[c.area]
    paragraph = catalogue.paragraphs[c.paragraph]
    meta = t("card.meta", area_id=area.id, area=area_name(area), actor=t(f"actor.{c.actor}"),
             paragraph=paragraph.number)
    buttons = [[_button(catalogue, paragraph.id),
                Button(f"↩ {area.id} {short(area_name(area))}", area.id)]]
    others = tuple(o for o in others if o not in (area.id, paragraph.id))  # already buttons
    if updates:  # the commitment's progress history (when progress tracking is on)
        buttons.append([Button(t("button.updates", id=c.id), f"updates:{c.id}")])
    buttons += [[_button(catalogue, other)] for other in others[:NEXT_BEST]]
    if official := official_button(c):
        buttons.append(list(official))
    return Reply(t("card.commitment", id=c.id, title=title(c)), (*rendering(c, "text"), meta),
                 tuple(tuple(row) for row in buttons))


def area_card(catalogue: Catalogue, area: Area, others: tuple[str, ...] = ()) -> Reply:
    """The area's description and the list of its commitments."""
    commitments = catalogue.commitments_in(area.id)
    lines = [f"{c.id} {title(c)}" for c in commitments]
    buttons = [_button(catalogue, c.id) for c in commitments]
    others = tuple(o for o in others if o not in {c.id for c in commitments})  # already buttons
    rows = _rows(buttons, 2) + _rows([_button(catalogue, o) for o in others[:NEXT_BEST]])
    return Reply(t("card.area", id=area.id, title=title(area)),
                 (*rendering(area, "summary"), t("card.area_commitments", count=len(commitments)),
                  *lines),
                 rows + ((Button(t("button.all_areas"), "areas"), *official_button(area)),))


def paragraph_card(catalogue: Catalogue, p: Paragraph, others: tuple[str, ...] = ()) -> Reply:
    """The official text and the commitments that cite it."""
    cited = [catalogue.commitments[c] for c in p.cited_by]
    body = list(rendering(p, "text"))
    if cited:
        body.append(t("card.cited_by", list=joined([f"{c.id} {title(c)}" for c in cited])))
    others = tuple(o for o in others if o not in p.cited_by)  # already buttons
    others = tuple(o for o in others if o != p.area)  # the area gets its own button
    buttons = [_button(catalogue, c.id) for c in cited] + [_button(catalogue, o) for o in others[:NEXT_BEST]]
    if p.area:
        area = catalogue.areas[p.area]
        buttons.append(Button(f"↩ {area.id} {short(area_name(area))}", area.id))
    if not buttons:  # the preamble and the closing paragraphs: read on, or browse
        following = catalogue.paragraphs.get(f"P{p.number + 1}")
        buttons = [*([_button(catalogue, following.id)] if following else []), browse_button()]
    section = p.section
    if current() != "zh":
        section = title(catalogue.areas[p.area]) if p.area else t("card.preamble")
    rows = _rows(buttons)
    if official := official_button(p):
        rows += (official,)
    return Reply(t("card.paragraph", number=p.number, section=section), tuple(body), rows)


def faq_title(faq: Faq) -> str:
    return title(faq)


def faq_card(catalogue: Catalogue, faq: Faq, others: tuple[str, ...] = ()) -> Reply:
    """An answer about A4P itself or about the bot, with where its facts come from."""
    answer = _local(faq, "answer") or faq.answer
    buttons = [_button(catalogue, o) for o in others[:NEXT_BEST] if catalogue.get(o)]
    # the YAML keeps the full citation for maintainers; a phone needs one line
    links = re.findall(r"https?://\S+", faq.source)
    source = links[0].rstrip(".,;)") if links else short(faq.source, 80)
    return Reply(t("card.faq", title=faq_title(faq)),
                 (answer, t("card.source", source=source)),
                 (*_rows(buttons), (browse_button(),)))


def card(catalogue: Catalogue, entry_id: str, others: tuple[str, ...] = (),
         updates: bool = False) -> Reply:
    """The card for any catalogue id; `others` become next-best buttons; `updates` adds a
    commitment's "updates" button (only where progress tracking is on)."""
    entry = catalogue.get(entry_id)
    if isinstance(entry, Commitment):
        reply = commitment_card(catalogue, entry, others, updates)
    elif isinstance(entry, Area):
        reply = area_card(catalogue, entry, others)
    elif isinstance(entry, Paragraph):
        reply = paragraph_card(catalogue, entry, others)
    elif isinstance(entry, Faq):
        reply = faq_card(catalogue, entry, others)
    else:
        return not_found(entry_id)
    return replace(reply, origin=f"{CARD}:{entry.id}:{','.join(others[:NEXT_BEST])}")


CARD = "card"  # button action: a card made again for its next page (`card:A5:C12,C13`)


def areas_list(catalogue: Catalogue) -> Reply:
    lines = [f"{a.id} {area_name(a)} — {a.title}" for a in catalogue.areas.values()]
    buttons = [_button(catalogue, a) for a in catalogue.areas]
    return Reply(t("card.areas"), tuple(lines), _rows(buttons, 2), origin="areas:")


def actor_list(catalogue: Catalogue, actor: str) -> Reply:
    commitments = catalogue.commitments_by(actor)
    lines = [f"{c.id} {title(c)}" for c in commitments]
    return Reply(t("card.actor", actor=t(f"actor_list.{actor}"), count=len(commitments)),
                 tuple(lines), _rows([_button(catalogue, c.id) for c in commitments], 2),
                 origin=f"actor:{actor}")


def _quoted(items: tuple[str, ...]) -> list[str]:
    return [t("sep.quote", text=e) for e in items]


def miss() -> Reply:
    """The one-line "I don't know", with examples of what works."""
    return Reply(t("miss.heading"),
                 (t("miss.examples", examples=" / ".join(_quoted(examples()))), t("miss.browse")),
                 ((browse_button(),),))


def not_found(reference: str) -> Reply:
    """A reference to an id that does not exist (C50, P30, A9)."""
    prefix = reference[:1].upper()
    hint = t(f"not_found.{prefix}" if prefix in "CPA" else "not_found.other")
    return Reply(t("not_found.heading", reference=reference, hint=hint),
                 (t("not_found.browse"),), ((browse_button(),),))


def smalltalk(kind: str) -> Reply:
    kind = kind if kind in ("greeting", "thanks", "goodbye") else "greeting"
    return Reply(t(f"smalltalk.{kind}"),
                 (t("smalltalk.ask", examples=joined(_quoted(examples()[:2]))),),
                 ((browse_button(),),))


def welcome(catalogue: Catalogue) -> Reply:
    """Three example questions and a button per area: the user never faces a blank page."""
    return Reply(t("welcome.heading"),
                 (t("welcome.intro"), t("welcome.ask"),
                  *(f"• {e}" for e in examples()),
                  t("welcome.browse")),
                 _rows([_button(catalogue, a) for a in catalogue.areas], 2))


def help_text(role: str = "anyone", everything: bool = False) -> Reply:
    """The commands of the user's role, from the same table as the menu: the few that
    matter first, the rest one tap away; admin commands only for admins."""
    def line(c: Command) -> str:
        args = c.usage()
        return f"/{c.name}{' ' + args if args else ''} — {c.describe()}"

    mine = [c for c in COMMANDS if c.typed and may_run(c, role) and (everything or c.brief)]
    lines = [line(c) for c in mine if not c.admin]
    if admin := [line(c) for c in mine if c.admin]:
        lines += [t("help.admins"), *admin]
    more = () if everything else (Button(t("help.more"), "help:all"),)
    return Reply(t("help.heading"), (*lines, t("help.ask", example=examples()[0])),
                 ((*more, browse_button()),))


def error(message: str, hint: str = "") -> Reply:
    return Reply(message, (hint,) if hint else ())


def answer(catalogue: Catalogue, result: Result, updates: bool = False,
           role: str = "anyone") -> Reply:
    """The reply to a matched question: a card, a list, a friendly line or a plain miss
    (`role`: whose commands "help" typed without its slash lists)."""
    if result.intent == "smalltalk" and result.smalltalk == "help":
        return help_text(role)
    if result.intent == "smalltalk":
        return smalltalk(result.smalltalk or "greeting")
    if result.intent == "actor" and result.actor:
        return actor_list(catalogue, result.actor)
    if result.intent == "out_of_range":
        return not_found(result.references[0].id)
    if result.suggestions:
        return did_you_mean(catalogue, result)
    if not result.matches:
        return miss()
    best, *rest = result.matches
    return card(catalogue, best.id, tuple(m.id for m in rest), updates)


PICK = "pick"  # button action prefix: a suggestion the user chose (`pick:C12`)


def did_you_mean(catalogue: Catalogue, result: Result) -> Reply:
    """Unsure but with plausible candidates: say so in one line, offer them, and a way out."""
    buttons = [Button(_button(catalogue, m.id).label, f"{PICK}:{m.id}")
               for m in result.suggestions[:NEXT_BEST]]
    return Reply(t("suggest.heading"), (),
                 (*_rows(buttons), (Button(t("suggest.none"), f"{PICK}:none"),)))


def feedback_button() -> Button:
    return Button(t("button.wrong"), "wrong")


def with_feedback(reply: Reply) -> Reply:
    """An answer to a free question, with a way to say it missed (kept on every page)."""
    origin = f"{reply.origin}:{FEEDBACK}" if reply.origin and reply.origin.startswith(CARD) \
        else reply.origin
    return replace(reply, buttons=(*reply.buttons, (feedback_button(),)), origin=origin)


FEEDBACK = "wrong"  # the last field of a card's origin when it carries the feedback button


def not_what_i_meant(catalogue: Catalogue, result: Result) -> Reply:
    """After "not what I meant": the other candidates, and a promise the miss is noted."""
    others = [c.match.id for c in result.candidates[1:1 + NEXT_BEST]]
    return Reply(t("wrong.heading"), (t("wrong.hint"),),
                 (*_rows([_button(catalogue, o) for o in others]), (browse_button(),)))


def why(catalogue: Catalogue, result: Result) -> Reply:
    """/why for people: one or two plain sentences on why this answer (the technical view
    is `a4pbot ask --explain`)."""
    asked = t("why_plain.asked", question=short(result.question, 120))
    if result.intent == "reference":
        return Reply(t("why_plain.heading"), (asked, t("why_plain.reference", ids=joined(
            [r.id for r in result.references]))))
    if result.intent == "actor" and result.actor:
        return Reply(t("why_plain.heading"), (asked, t("why_plain.actor",
                                                       actor=t(f"actor_list.{result.actor}"))))
    top = result.candidates[0] if result.candidates else None
    words = [e.term for e in top.evidence if e.weight > 0][:3] if top else []
    if top is None or not words:
        return Reply(t("why_plain.heading"), (asked, t("why_plain.nothing")))
    entry = catalogue.get(top.match.id)
    name = f"{top.match.id} {title(entry)}" if isinstance(entry, (Commitment, Area, Faq)) \
        else top.match.id
    key = ("why_plain.answered" if result.matches else
           "why_plain.suggested" if result.suggestions else "why_plain.refused")
    return Reply(t("why_plain.heading"), (asked, t(key, entry=name, words=joined(words))))


def explanation(result: Result, top: int = 3) -> Reply:
    """Why the bot answered as it did: normalised text, terms, evidence, scores, threshold."""
    lines = [t("why.normalised", text=result.normalised), t("why.intent", intent=result.intent)]
    if result.references:
        lines.append(t("why.references", list=joined([r.id for r in result.references])))
    if result.terms:
        lines.append(t("why.terms", list=" · ".join(
            f"{w}({result.weights[w]:.2f})" if w in result.weights else w for w in result.terms)))
    if result.decision is not None:
        from bot.answering.matching import DEFAULT

        verdict = {"answer": "why.answered", "suggest": "why.suggested"}.get(
            result.decision.verdict, "why.not_answered")
        lines.append(t("why.threshold", confidence=f"{result.decision.confidence:.2f}",
                       answer_at=f"{DEFAULT.answer_at:.2f}", suggest_at=f"{DEFAULT.suggest_at:.2f}",
                       verdict=t(verdict)))
        lines.append(t("why.evidence_of", list=", ".join(
            f"{name} {value:.2f}" for name, value in result.decision.features.items())))
    chances = result.probabilities  # the rerank model's: why the list is in this order
    for rank, cand in enumerate(result.candidates[:top], start=1):
        m = cand.match
        chance = f"{chances[rank - 1]:.2f}" if rank <= len(chances) else "—"
        lines.append(t("why.candidate", rank=rank, id=m.id, title=m.title, score=f"{m.score:.1f}",
                       chance=chance))
        for e in cand.evidence:
            lines.append(t("why.evidence", term=e.term, matched=e.matched, field=e.field,
                           channel=e.channel, similarity=f"{e.similarity:.2f}",
                           weight=f"{e.weight:.2f}"))
    unmatched = [w for w in result.weights if result.candidates and
                 all(e.term != w for c in result.candidates[:1] for e in c.evidence)]
    if unmatched:
        lines.append(t("why.unmatched", list=joined(unmatched)))
    return Reply(t("why.heading"), tuple(lines))


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
