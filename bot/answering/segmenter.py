"""Turning text into the terms the matcher compares: jieba, synonyms, glossary, stopwords.

The catalogue and the questions go through the same `Segmenter`, so a word is cut the
same way on both sides and synonyms meet in one canonical form.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import unicodedata
from collections.abc import Iterable
from functools import cached_property, lru_cache
from pathlib import Path

from .catalogue import Vocabulary
from .derived import KEPT_TEXTS_MAX, cache_dir, keep, load
from .normalisation import normalise, strip_punctuation

log = logging.getLogger(__name__)


def _import_jieba():  # -> the jieba module
    """jieba imports pkg_resources (0.12 s of every start, and deprecated) only to open its
    own data files, and opens them directly without it: it is kept out of that one import,
    unless something loaded it already."""
    if "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import fails fast
    try:
        import jieba
        return jieba
    finally:
        del sys.modules["pkg_resources"]


jieba = _import_jieba()

# jieba's full dictionary (349k words) takes ~0.7 s to unmarshal even from its cache; its
# 80k words seen at least this often load in ~0.2 s and cut text finer, which suits
# fuzzy matching (人员伤亡 -> 人员 / 伤亡).
GENERAL_DICT_MIN_FREQ = 20
# Domain words must win over any general word jieba could cut them into.
DOMAIN_WORD_FREQ = 200_000
_LATIN = re.compile(r"[a-z][a-z'\-]*")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Accented Latin letters: jieba cuts "sécurité" into s / é / curit / é, and people type
# French without accents on English keyboards, so Latin text is compared without them.
_ACCENTED = re.compile(r"[\u00c0-\u024f]")
_LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"}
# "A-not-A" questions (管不管, 有没有, 参加不参加) ask yes or no about A: read them as A,
# otherwise jieba cuts 管 / 不管 and the negation is left as a word that matches nothing.
_A_NOT_A = re.compile(r"([\u4e00-\u9fff]{1,2})[不没]\1")


def _stopwords(vocabulary: Vocabulary, domain: frozenset[str]) -> frozenset[str]:
    """Our own stopwords plus stopwords-iso's Chinese, English and French lists (function
    words and spoken fillers that say nothing about the topic), minus every word the
    knowledge itself uses: the general lists hold "force", "use" and "area", which a
    glossary phrase or a synonym may need."""
    import stopwordsiso

    own = {fold_latin(normalise(w)) for w in vocabulary.stopwords}
    used = set(domain)
    for group in vocabulary.synonyms:
        used |= {fold_latin(normalise(w)) for w in group}
    for entry in vocabulary.glossary:
        for phrase in (*entry.en, *entry.fr):
            used |= set(fold_latin(normalise(phrase)).split())
    # the lists are already simplified and lower case: folding accents is all they need
    general = {fold_latin(w.lower()) for lang in ("zh", "en", "fr")
               for w in stopwordsiso.stopwords(lang)}
    return frozenset(own | {w for w in general if w not in used and not w.isdigit()})


def _signature(vocabulary: Vocabulary) -> str:
    """What a text's cut depends on besides the text, as a file name."""
    import importlib.metadata

    here = Path(__file__).parent
    parts = [repr(vocabulary), jieba.__version__, importlib.metadata.version("stopwordsiso"),
             str(GENERAL_DICT_MIN_FREQ), *(here.joinpath(name).read_text(encoding="utf-8")
                                           for name in ("segmenter.py", "normalisation.py"))]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _general_dictionary(directory: Path) -> Path:
    """Write (once) jieba's dictionary trimmed to frequent words; return its path."""
    target = directory / f"jieba-general-{GENERAL_DICT_MIN_FREQ}.txt"
    if target.is_file():
        return target
    source = Path(jieba.__file__).parent / "dict.txt"
    kept = [line for line in source.read_text(encoding="utf-8").splitlines()
            if len(parts := line.split()) >= 2 and int(parts[1]) >= GENERAL_DICT_MIN_FREQ]
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text("\n".join(kept) + "\n", encoding="utf-8")
    partial.replace(target)  # atomic: concurrent first starts never see half a file
    return target


def _keep_cache(dictionary: Path, directory: Path) -> None:
    """Let jieba reuse a cache from the same second as the trimmed dictionary.

    jieba trusts its cache only when it is strictly newer than the dictionary; image layers
    keep whole seconds, so a cache baked with the dictionary could be rebuilt (~1 s, written
    into the container) by every new container. The trimmed dictionary's content is fixed by
    its name, so such a cache is valid: the dictionary is dated one second back. Nothing to do
    (or nothing possible: a read-only image) is no error — jieba then builds it as before."""
    absolute = os.path.normpath(os.path.join(os.getcwd(), str(dictionary)))  # as jieba names it
    digest = hashlib.md5(absolute.encode("utf-8", "replace"), usedforsecurity=False).hexdigest()
    try:
        made = dictionary.stat().st_mtime
        cached = (directory / f"jieba.u{digest}.cache").stat().st_mtime
        if cached <= made and int(cached) == int(made):
            os.utime(dictionary, (made, cached - 1))
    except OSError:
        pass


_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
# French elisions typed without their apostrophe (plan d action, l onu, qu on) read as typed
# with one: the apostrophe, and any run of spaces, become one space on both sides of the
# glossary look-up.
_ELISION = re.compile(r"\s*['’`]\s*|\s{2,}")


def fold_latin(text: str) -> str:
    """Accented Latin letters without their accents (sécurité -> securite); Han untouched."""
    if not _ACCENTED.search(text):
        return text
    return _ACCENTED.sub(lambda m: _LIGATURES.get(m.group(0)) or _fold(m.group(0)), text)


def _fold(text: str) -> str:
    """Drop tone marks: pinyin comparison is toneless (保护 = 保户 = bao hu)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[int, str]:
    # Imported on first use: the table is large and only fuzzy look-ups need it.
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict


@lru_cache(maxsize=65536)
def pinyin_key(term: str) -> str:
    """Toneless pinyin of a Chinese term, syllables joined by spaces ('' if not Chinese)."""
    table = _pinyin_table()
    syllables = []
    for ch in term:
        reading = table.get(ord(ch))
        if reading is None:
            return ""
        syllables.append(_fold(reading.split(",")[0]))
    return " ".join(syllables)


def is_latin(term: str) -> bool:
    return bool(_LATIN.fullmatch(term))


def is_han(term: str) -> bool:
    return bool(_HAN.search(term))


class Segmenter:
    """Cuts normalised text into canonical content terms."""

    def __init__(self, vocabulary: Vocabulary, *, directory: Path | None = None) -> None:
        directory = directory or cache_dir()
        dictionary = _general_dictionary(directory)
        _keep_cache(dictionary, directory)
        self._tokenizer = jieba.Tokenizer(str(dictionary))
        self._tokenizer.tmp_dir = str(directory)
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer.initialize()
        self._canonical: dict[str, str] = {}
        for group in vocabulary.synonyms:
            for word in group[1:]:
                self._canonical[fold_latin(normalise(word))] = fold_latin(normalise(group[0]))
        domain = {normalise(w) for w in vocabulary.dictionary}
        domain |= {normalise(w) for group in vocabulary.synonyms for w in group}
        domain |= {normalise(g.zh) for g in vocabulary.glossary}
        self.domain_words = frozenset(strip_punctuation(w).replace(" ", "") for w in domain
                                      if is_han(w) and " " not in w)
        for word in sorted(domain):
            if is_han(word) and " " not in word:
                self._tokenizer.add_word(strip_punctuation(word).replace(" ", ""),
                                         DOMAIN_WORD_FREQ)
        self.stopwords = _stopwords(vocabulary, self.domain_words)
        self._phrase_table = self._latin_phrases(vocabulary)
        #: what cuts a text: the vocabulary, jieba's and stopwords-iso's versions, this code
        self.signature = _signature(vocabulary)
        self._remembered = directory / "segments" / f"{self.signature}.marshal"
        self._kept: dict[str, list[str]] | None = None  # read on first use, then held

    def frequency(self, token: str) -> int:
        """How often jieba's dictionary (general or domain) saw `token`: 0 for a typo, a
        word it does not hold."""
        return self._tokenizer.FREQ.get(token, 0)

    def han_variants(self) -> dict[str, str]:
        """Chinese synonym variants -> their canonical word (女兵 -> 女性军警人员): everyday
        words the catalogue itself never uses, for typo and homophone look-ups."""
        return {v: c for v, c in self._canonical.items() if is_han(v) and is_han(c)}

    def _latin_phrases(self, vocabulary: Vocabulary) -> dict[str, str]:
        """Latin phrases (glossary, Latin synonyms) -> the Chinese term they are replaced
        by before cutting."""
        table: dict[str, str] = {}
        for entry in vocabulary.glossary:
            for phrase in (*entry.en, *entry.fr):
                table.setdefault(_unelide(fold_latin(normalise(phrase))), normalise(entry.zh))
        for variant, canonical in self._canonical.items():
            if not is_han(variant) and is_han(canonical):
                table.setdefault(_unelide(variant), canonical)
        return {k: v for k, v in table.items() if k}

    @cached_property
    def phrases(self) -> re.Pattern[str] | None:
        """`_latin_phrases` as one pattern, compiled when the first text with Latin letters
        is cut (0.14 s: a start that reads the knowledge's cut and a Chinese question never
        needs it; `Index.warm` compiles it for a server)."""
        if not self._phrase_table:
            return None
        return re.compile(rf"(?<![a-z])(?:{_trie(self._phrase_table)})(?![a-z])")

    def _expand(self, text: str) -> str:
        # Every glossary phrase has Latin letters: most text (Chinese) skips the big regex.
        if not _LATIN_LETTER.search(text) or (pattern := self.phrases) is None:
            return text
        table = self._phrase_table
        return pattern.sub(lambda m: f" {table[m.group(0)]} ", _unelide(text))

    def tokens(self, normalised: str) -> list[str]:
        """jieba's cut of normalised text, punctuation removed, Latin phrases translated."""
        text = _A_NOT_A.sub(r"\1", strip_punctuation(self._expand(fold_latin(normalised))))
        return [t for t in (tok.strip() for tok in self._tokenizer.lcut(text)) if t]

    def terms(self, normalised: str) -> list[str]:
        """Canonical content terms: synonyms folded, stopwords, digits and single Han characters dropped."""
        return self.content(self.tokens(normalised))

    def remember(self, texts: Iterable[str]) -> dict[str, list[str]]:
        """`terms` of many normalised texts, kept in A4P_CACHE_DIR between runs: cutting the
        knowledge's texts (up to KEPT_TEXTS_MAX) took a quarter of a second of every start.
        The file is keyed by the vocabulary, jieba's and stopwords-iso's versions and this
        code, so anything that could cut a text differently starts afresh; it is read once
        per process."""
        if self._kept is None:
            self._kept = load(self._remembered) or {}
        kept = self._kept
        wanted = dict.fromkeys(texts)
        fresh = {text: self.terms(text) for text in wanted if text not in kept}
        if fresh and len(kept) + len(fresh) <= KEPT_TEXTS_MAX:
            kept.update(fresh)
            keep(self._remembered, kept, stale="*.marshal")
        return {text: kept[text] if text in kept else fresh[text] for text in wanted}

    def canonical(self, token: str) -> str:
        """The synonym group's first word for `token` (the token itself outside any group)."""
        return self._canonical.get(token, token)

    def content(self, tokens: list[str]) -> list[str]:
        """`terms` of an already cut token list (questions are repaired between the two steps)."""
        out: list[str] = []
        for token in tokens:
            canonical = self._canonical.get(token, token)
            parts = [canonical] if canonical == token else self._cut_canonical(canonical)
            for part in parts:
                if self._is_content(part):
                    out.append(part)
        return out

    @lru_cache(maxsize=4096)  # noqa: B019 - one Segmenter per process, bounded cache
    def _cut_canonical(self, canonical: str) -> list[str]:
        return self.tokens(canonical)

    def _is_content(self, term: str) -> bool:
        if term in self.stopwords or term.isdigit():
            return False
        if is_han(term):
            return len(term) >= 2
        return len(term) >= 2 and any(ch.isalpha() for ch in term)


def _trie(phrases: Iterable[str]) -> str:
    """The phrases as one regular expression factored by their common beginnings: the
    longest phrase that fits wins, as in a longest-first alternation of them, which tried
    each of the ~5,000 phrases at each letter (285 µs a text against 4 µs)."""
    root: dict[str, dict] = {}
    for phrase in phrases:
        node = root
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}  # a phrase ends here

    def pattern(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = "|".join(branches)
        if "" in node:  # greedy: a longer phrase first, this one if none fits
            return f"(?:{body})?"
        return f"(?:{body})" if len(branches) > 1 else body

    return pattern(root)


def _unelide(text: str) -> str:
    return _ELISION.sub(" ", text)
