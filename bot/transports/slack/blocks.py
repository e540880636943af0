"""Core `Reply` -> Slack Block Kit: a section, a context line, action buttons; and the
step-by-step update as a modal.

Slack's mrkdwn treats `&`, `<` and `>` as markup, so every user-visible string is escaped
(stored update text included); limits (3000 characters a section, 75 a button label,
25 elements an actions block, 50 blocks a message) are respected here, once.
"""

from __future__ import annotations

from typing import Any

from bot.desk.drafts import FIELDS, FormChoices
from bot.conversation.i18n import t
from bot.conversation.replies import Reply, split_text

SECTION_LIMIT = 3000
LABEL_LIMIT = 75
PER_ACTIONS = 25
MAX_BLOCKS = 50
FALLBACK_LIMIT = 3000
UPDATE_VIEW = "a4p_update"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sections(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}}
            for piece in split_text(text, SECTION_LIMIT) if piece.strip()]


def blocks(reply: Reply) -> list[dict[str, Any]]:
    """Heading and text in sections, the last line of a card as context, then the buttons."""
    body = list(reply.body)
    context = body.pop() if len(body) >= 2 else None
    text = "\n".join(([f"*{escape(reply.heading)}*"] if reply.heading else [])
                     + [escape(line) for line in body])
    out = _sections(text) if text.strip() else []
    if context:
        out.append({"type": "context",
                    "elements": [{"type": "mrkdwn", "text": escape(context)[:SECTION_LIMIT]}]})
    buttons = [b for row in reply.buttons for b in row]
    for start in range(0, len(buttons), PER_ACTIONS):
        out.append({"type": "actions", "elements": [
            {"type": "button", "action_id": f"a4p:{start + n}", "value": b.action,
             "text": {"type": "plain_text", "text": b.label[:LABEL_LIMIT], "emoji": True}}
            for n, b in enumerate(buttons[start:start + PER_ACTIONS])]})
    return out[:MAX_BLOCKS]


def fallback(reply: Reply) -> str:
    """The notification text (and what screen readers and old clients show), escaped like
    every other text: Slack reads `<!channel>` in it as a mention."""
    return split_text(escape(reply.plain()), FALLBACK_LIMIT)[0]


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label[:LABEL_LIMIT]}, "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
           ) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "element": {**element, "action_id": block_id}}


def _fields(choices: FormChoices) -> dict[str, dict[str, Any]]:
    """An input block for each field of an update (`drafts.FIELDS`), in the current language."""
    mission: dict[str, Any] = {"type": "plain_text_input", "max_length": choices.max_mission}
    if choices.mission:
        mission["initial_value"] = choices.mission
    return {
        "commitment": _input("commitment", t("form.commitment"), {"type": "static_select", "options": [
            _option(cid, f"{cid} {title}") for cid, title in choices.commitments]}),
        "status": _input("status", t("form.status_label"), {"type": "static_select", "options": [
            _option(code, label) for code, label in choices.statuses]}),
        "text": _input("text", t("form.text", max=choices.max_text),
                       {"type": "plain_text_input", "multiline": True}),
        "mission": _input("mission", t("form.mission"), mission, optional=True),
    }


def update_modal(choices: FormChoices) -> dict[str, Any]:
    """The fields of an update in one form (in the current language); errors come back
    per field."""
    inputs = _fields(choices)
    return {
        "type": "modal", "callback_id": UPDATE_VIEW,
        "title": {"type": "plain_text", "text": t("form.title")[:24]},  # Slack: 24 at most
        "submit": {"type": "plain_text", "text": t("form.submit")},
        "close": {"type": "plain_text", "text": t("form.close")},
        "blocks": [inputs[field.name] for field in FIELDS],
    }


def form_values(view: dict[str, Any]) -> dict[str, str]:
    """The submitted fields of `update_modal`, as plain strings."""
    values = view["state"]["values"]

    def get(block: str) -> str:
        element = values.get(block, {}).get(block, {})
        selected = element.get("selected_option")
        value = (selected.get("value") if isinstance(selected, dict) else None) or element.get("value")
        return value.strip() if isinstance(value, str) else ""  # a forged form may hold anything

    return {field.name: get(field.name) for field in FIELDS}
