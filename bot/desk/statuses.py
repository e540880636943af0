"""Progress statuses: what each is called in the user's language, and the words people
type for one (搞定了, done, terminé) — shared by the desk, the /update flow and briefings."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.answering.normalisation import normalise, strip_punctuation
from bot.conversation.i18n import LANGUAGES, t, translate
from bot.storage.updates import STATUSES

# Status words users type besides the codes and the labels of every language.
_STATUS_SYNONYMS = {  # how people say it in a chat (after `_status_key` trims 已经…了)
    "未启动": "not_started", "没开始": "not_started", "还没开始": "not_started",
    "还没做": "not_started", "没动": "not_started", "not yet": "not_started",
    "pas commencé": "not_started", "pas encore commencé": "not_started",
    "进行": "in_progress", "推进中": "in_progress", "正在做": "in_progress", "在做": "in_progress",
    "在弄": "in_progress", "还在做": "in_progress", "还在弄": "in_progress", "做着": "in_progress",
    "ongoing": "in_progress", "in-progress": "in_progress", "started": "in_progress",
    "working on it": "in_progress", "en cours": "in_progress",
    "完成": "done", "已完成了": "done", "搞定": "done", "做完": "done", "弄好": "done",
    "办完": "done", "完事": "done", "结束": "done", "completed": "done", "complete": "done",
    "finished": "done", "fini": "done", "terminé": "done", "termine": "done",
    "阻碍": "blocked", "停滞": "blocked", "卡住": "blocked", "卡壳": "blocked", "被卡": "blocked",
    "推不动": "blocked", "停了": "blocked", "stuck": "blocked", "bloqué": "blocked",
    "bloque": "blocked",
}
# Spoken padding around a status word: 已经搞定了, 都完成啦, 基本做完了
_STATUS_PADDING = re.compile(r"^(?:已经|已|都|基本上?|全部|目前|现在|还是)|(?:了|啦|的|啊|呢|吧)+$")


def status_label(status: str) -> str:
    """未开始 / Not started … in the current language."""
    return t(f"status.{status}")


def status_labels() -> dict[str, str]:
    """Every status code with its label in the current language, in order."""
    return {code: status_label(code) for code in STATUSES}


@lru_cache(maxsize=1)
def _status_words() -> tuple[dict[str, str], re.Pattern[str]]:
    """What may name a status: codes, the labels in every language, a few synonyms."""
    words = {code: code for code in STATUSES}
    words |= {normalise(translate(language, f"status.{code}")): code
              for language in LANGUAGES for code in STATUSES}
    words |= _STATUS_SYNONYMS
    at_start = re.compile("^(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True))
                          + r")(?![a-z])(?:了|啦)*[\s:：,，、-]*")  # 搞定了：…
    return words, at_start


def parse_status(word: str) -> str | None:
    """A status from a code, a label in any language, or how people say it (搞定了, done)."""
    words = _status_words()[0]
    text = strip_punctuation(normalise(word)).strip()
    return words.get(text) or words.get(_STATUS_PADDING.sub("", text))


def status_at_start(text: str) -> tuple[str, str] | None:
    """(status code, the rest) when `text` starts with a status word."""
    words, at_start = _status_words()
    found = at_start.match(normalise(text))
    if found is None:
        return None
    return words[found.group(1)], text[found.end():]
