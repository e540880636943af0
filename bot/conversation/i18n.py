"""What language the bot speaks: a message catalogue per language and the current choice.

Every user-facing string lives in `bot/conversation/locales/<language>.yaml` (keys -> `str.format`
templates with `{named}` placeholders). The language of the message being answered is a
context variable: `Assistant.respond`/`press` set it once (`use`), and everything below —
replies, the progress desk, drafts, reminders — calls `t(key, **values)`. `asyncio.to_thread`
copies the context, so a core call in a worker thread sees it too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)
LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("zh", "en", "fr")
DEFAULT = "zh"
NAMES = {"zh": "中文", "en": "English", "fr": "Français"}
_current: ContextVar[str] = ContextVar("a4p_language", default=DEFAULT)
# What users may type after /lang (and what a platform reports), folded to a language.
_WORDS = {"zh": "zh", "cn": "zh", "中文": "zh", "汉语": "zh", "chinese": "zh",
          "en": "en", "英文": "en", "英语": "en", "english": "en",
          "fr": "fr", "法文": "fr", "法语": "fr", "french": "fr", "français": "fr", "francais": "fr"}


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


@lru_cache(maxsize=None)
def messages(language: str) -> dict[str, str]:
    """The flattened catalogue of one language (`card.commitment` -> template), loaded once."""
    with open(LOCALES / f"{language}.yaml", encoding="utf-8") as f:
        return _flatten(yaml.safe_load(f) or {})


def current() -> str:
    """The language of the message being answered."""
    return _current.get()


def english() -> bool:
    return _current.get() == "en"


@contextmanager
def use(language: str) -> Iterator[str]:
    """Speak `language` inside the block (an unknown one falls back to the default)."""
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def translate(language: str, key: str, /, **values: Any) -> str:
    """The string `key` in `language`; missing there -> Chinese; missing everywhere -> the key."""
    template = messages(language).get(key) if language in LANGUAGES else None
    if template is None:
        template = messages(DEFAULT).get(key)
        if template is None:
            log.warning("no message %r", key)
            return key
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a bad translation must not break a reply
        log.warning("message %r (%s) does not fit its values", key, language)
        return template


def t(key: str, /, **values: Any) -> str:
    """The string `key` in the current language, with `values` filled in."""
    return translate(_current.get(), key, **values)


def parse(word: str | None) -> str | None:
    """`en`, `EN`, `english`, `中文`, `en-US`, `zh-hans` -> a language; None if not one."""
    word = (word or "").strip().lower()
    if not word:
        return None
    return _WORDS.get(word) or _WORDS.get(word.replace("_", "-").split("-")[0])


_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[a-zà-öø-ÿœ']+")
_FRENCH_LETTERS = re.compile(r"[àâçéèêëîïôûùüÿœ]")
# Function words that tell the two apart in a short question (no accents on many keyboards).
_FRENCH = frozenset("le la les des du de un une est que qui quoi quel quelle quels quelles "
                    "comment pour avec sur dans au aux et ou pas ne ce cette ces nous vous "
                    "je on il elle c'est qu'est d'a4p l'a4p "
                    # a whole message of small talk says which language it is in too
                    "bonjour salut bonsoir coucou merci aide revoir".split())
_ENGLISH = frozenset("the a an is are what which who how for with on in of to and or not do "
                     "does we you i it this that these about "
                     "hi hello hey thanks thank thx help bye goodbye".split())


def detect(text: str) -> str | None:
    """The language a question is written in: Chinese when it has Chinese characters,
    else French or English by accents and function words; None when it cannot tell
    (digits, ids, emoji)."""
    if _HAN.search(text):
        return "zh"
    words = _LATIN_WORD.findall(text.lower())
    if not words:
        return None
    french = sum(w in _FRENCH for w in words) + 2 * bool(_FRENCH_LETTERS.search(text.lower()))
    english = sum(w in _ENGLISH for w in words)
    if french > english:
        return "fr"
    return "en" if english else None  # "MINUSCA X", "PoC": names, not a language


def choose(stored: str | None, platform_code: str | None) -> str:
    """The language to answer in: the user's `/lang` choice, else English or French when
    their platform says so (Telegram's `language_code` "en", "fr-CA", Slack's "fr-FR" …),
    else Chinese."""
    if stored in LANGUAGES:
        return stored
    code = (platform_code or "").strip().lower()
    return next((language for language in ("en", "fr") if code.startswith(language)), DEFAULT)
