"""Explicit references in a question: 第十三项承诺, 承诺三十, 第16段, 领域五, C12, #44, "para 9".

People who know the number should get exactly that entry, whatever language or numeral
system they typed it in. Chinese numerals are converted by cn2an and English and French
number words (fifth, vingt-neuf, cinquième) by text2num, not by hand.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass


from .catalogue import KINDS

_N = r"0*(\d{1,3})(?!\d)"
_NO = r"(?:no\.?|n°|nº|n|number|num[eé]ro|num\.?|#)"  # engagement numéro 29, area number 4
# "13项承诺" is commitment 13, but "45项承诺" — the number of them all — is their count
_COUNT_LIKE = rf"{_N}\s*(?:项|条|号)\s*(?:共同)?承诺"
# English and French ordinals: 5th paragraph, 12e engagement, 1er domaine, 3ème paragraphe
_ORD = r"\s*(?:st|nd|rd|th|e|er|re|ere|ère|eme|ème|è)\s+"


def _letter_id(letter: str) -> str:
    """An id's letter and its number, perhaps spaced ("C 14 c'est quoi"); but a spaced
    number between words is a quantity after a word: "on a 5 femmes", "un village à 2 km",
    "c 40 tâches", "a 3% de femmes" (French "a", SMS "c" for c'est), not area 5 or C40."""
    return (rf"(?<![a-z0-9]){letter}(?:(?<![a-zà-ÿ]\s{letter})"
            rf"|(?!\s+\d{{1,3}}\s*[a-zà-ÿ%°\d]))\s*{_N}")

# kind -> patterns over the normalised, numeral-converted question. Order matters only
# within one question (references are reported in the order they appear).
_PATTERNS: dict[str, tuple[str, ...]] = {
    "commitment": (
        _letter_id("c"),
        rf"#\s*{_N}",
        rf"(?:commitments?|engagements?)\s*{_NO}?\s*{_N}",
        rf"(?<![a-z0-9]){_N}{_ORD}(?:commitment|engagement)",
        rf"第\s*{_N}\s*(?:项|条|号|个)?\s*(?:共同)?承诺",
        _COUNT_LIKE,
        rf"承诺\s*(?:第|编号|号|#|no\.?)?\s*{_N}",
        rf"第\s*{_N}\s*(?:项|条)",
    ),
    "paragraph": (
        rf"第?\s*{_N}\s*(?:自然)?段",
        rf"(?:段落?|paragraphs?|paragraphe|para\.?|§)\s*(?:{_NO}|第)?\s*{_N}",
        rf"(?<![a-z0-9]){_N}{_ORD}(?:paragraph|paragraphe)",
        _letter_id("p"),
    ),
    "area": (
        rf"(?:优先)?领域\s*(?:第)?\s*{_N}",
        rf"第\s*{_N}\s*(?:个|项)?\s*(?:优先)?\s*领域",
        rf"(?:priority\s+)?(?:areas?|domaines?)(?:\s+prioritaires?)?\s*{_NO}?\s*{_N}",
        rf"(?<![a-z0-9]){_N}{_ORD}(?:priority\s+area|area|domaine)",
        rf"{_letter_id('a')}(?!\s*p)",
    ),
}
_COMPILED = [(kind, re.compile(p)) for kind, ps in _PATTERNS.items() for p in ps]
_ALL_OF = next(p for _, p in _COMPILED if p.pattern == _COUNT_LIKE)
# "The first / the last one" by ordinal word rather than number (宣言最后一段, 开头那段, last
# commitment). Read before the numbered patterns: cn2an turns 最后一段 into 最后1段, which is
# not paragraph 1. (第一段 is a number, read by the patterns above.)
_ORDINAL_PATTERNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("commitment", "last"): (r"最后\s*[那这]?\s*[一1]?\s*(?:项|条|个)\s*(?:共同)?承诺",
                             r"(?:last|final)\s+commitment", r"derniers?\s+engagements?"),
    ("paragraph", "last"): (r"(?:最后|最末|末尾|结尾)\s*[那这]?\s*[一1]?\s*(?:个)?\s*(?:自然)?段",
                            r"(?:last|final|closing)\s+paragraph", r"derniers?\s+paragraphes?"),
    ("area", "last"): (r"最后\s*[那这]?\s*[一1]?\s*(?:个|项)?\s*(?:优先)?\s*领域",
                       r"(?:last|final)\s+(?:priority\s+)?area", r"derniers?\s+domaines?"),
    ("commitment", "first"): (r"(?:first|1st)\s+commitment", r"premiers?\s+engagements?"),
    ("paragraph", "first"): (r"(?:开头|开篇|最前面)\s*[那这的]?\s*[一1]?\s*(?:个)?\s*(?:自然)?段",
                             r"(?:first|1st|opening)\s+paragraph", r"premiers?\s+paragraphes?"),
    ("area", "first"): (r"(?:first|1st)\s+(?:priority\s+)?area", r"premiers?\s+domaines?"),
}
_ORDINAL = [(kind, which, re.compile(p)) for (kind, which), ps in _ORDINAL_PATTERNS.items()
            for p in ps]
# What follows 一 in words that begin with it (一直, 一共, 一堆, 一览 …): no number 1.
_YI_WORDS = "直|共|定|般|样|下|起|些|点|切|致|旦|边|再|律|向|度|贯|同|齐|概|时|方面|览|堆|句|遍|眼|番|阵"
# Never references, read first: a UN staff grade (P3岗位, D1 level, P3 vacancies) or form
# (P11表格, the personal history form) is not paragraph 3 or 11, nor a paper size (A4纸,
# format A3) area 4 or 3;
# 一 after 哪/这/每 … is "which / this / every one", not number 1 (哪一段, 这一条承诺, 每一项);
# 一段 without 第 is a measure word (最近一段时间, 加一段分析, 告一段落), not paragraph 1;
# words that begin with 一 (一直, 一共, 一览 …) are no number: cn2an makes 领域一览 领域1览.
# The item or article of another document ("可持续发展目标第六项", "宪章第七条", "行为守则第三条")
# is not a commitment: the ordinal belongs to the document named just before it.
_OTHER_DOCUMENT = (r"(?:目标|决议|宪章|公约|协定|协议|条约|条例|规定|规则|守则|章程|议程|法|"
                   r"指令|备忘录|谅解备忘录)")
_NOT_REFERENCES = re.compile(r"(?<![a-z0-9])[pdg]\s*-?\s*\d{1,2}\s*的?\s*"
                             r"(?:级|岗|职|表格|表单|post|level|grade|position|job|officer|staff"
                             r"|vacanc|opening|forms?(?![a-z]))"
                             r"|(?<![a-z0-9])(?:poste|post|job|grade|niveau|level|salaire|salary"
                             r"|formulaire|fiche|form|un|une|an|a)\s+[pd]\s*-?\s*\d{1,2}(?!\d)"
                             r"|(?<![a-z0-9])a\s*[345](?=\s*(?:纸|paper|size|sheet|format|page))"
                             r"|(?:format|taille|纸张?|paper|size)\s+a\s*[345](?!\d)"
                             r"|[哪这那每同另某任]\s*[一1](?=\s*(?:个|项|条|号|段|自然段|领域|承诺))"
                             r"|(?<![第\d])(?<!第\s)1(?=\s*段)"
                             rf"|(?<![第\d])1(?={_YI_WORDS})"
                             rf"|{_OTHER_DOCUMENT}\s*第\s*\d+\s*(?:项|条)(?!\s*(?:共同)?承诺)")
_BARE_NUMBER = re.compile(r"^\s*(?:第|no\.?|n°)?\s*0*(\d{1,3})\s*(?:项|条|号)?\s*$")
# All the patterns in one: a question none of them finds (most questions, including every
# 一起 that cn2an turned into 1起) is settled by one search instead of thirty.
_ANY_REFERENCE = re.compile("|".join(f"(?:{p})" for p in (
    *(p for ps in _ORDINAL_PATTERNS.values() for p in ps),
    *(p for ps in _PATTERNS.values() for p in ps), _BARE_NUMBER.pattern)))
PREFIX = {kind: prefix for prefix, kind in KINDS.items()}


@dataclass(frozen=True)
class Reference:
    kind: str
    number: int
    start: int
    end: int

    @property
    def id(self) -> str:
        return f"{PREFIX[self.kind]}{self.number}"


def _arabic(text: str) -> str:
    """Chinese numerals and English and French number words to Arabic digits (第十三 -> 第13,
    fifth -> 5th, vingt-neuf -> 29); text unchanged where a converter fails."""
    return _chinese_numerals(_number_words(text))


# an English or French word that names what a number counts: only then are words numbers
_COUNTED_WORD = re.compile(r"commitment|engagement|paragraph|para\b|area|domaine|§")


def _number_words(text: str) -> str:
    """English and French number words to digits, by text2num ("first" and "premier" stay
    words: below third it converts no ordinal, and the ordinal patterns read them)."""
    if not _COUNTED_WORD.search(text):
        return text
    from text_to_num import alpha2digit

    return alpha2digit(alpha2digit(text, "fr"), "en")


_YI_AFTER_NUMERAL = re.compile(rf"(?<=[零一二三四五六七八九十百两〇])(?=一(?:{_YI_WORDS}))")
_TWO_OF = re.compile(r"两(?=\s*[条项个])")


def _chinese_numerals(text: str) -> str:
    """Chinese numerals to Arabic digits (第十三 -> 第13); text unchanged if cn2an fails."""
    if not re.search("[零一二三四五六七八九十百两〇]", text):
        return text
    # cn2an reads 领域五一堆 as 领域51堆, and 两条承诺 ("two of them", a count) as commitment 2
    text = _YI_AFTER_NUMERAL.sub(" ", _TWO_OF.sub("俩", text))
    try:
        # cn2an warns (UserWarning) about characters it cannot read as numbers (百姓): those
        # are expected in free questions, so the warning is silenced here and only here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            import cn2an  # 0.2 s to import: paid by the first question with a numeral only

            return cn2an.transform(text, "cn2an")
    except (ValueError, KeyError, IndexError):  # cn2an rejects some malformed numerals
        return text


def find_references(normalised: str, last: Mapping[str, int] | None = None) -> list[Reference]:
    """All references in a normalised question, in the order they appear, without repeats.

    A question that is only a number ("17", "第17项") means a commitment. `last` gives each
    kind's highest number, so that "最后一段" / "last commitment" resolve (without it they
    are still recognised, and so never misread as a number, but not reported); "开头那段" and
    "first commitment" are number 1.
    """
    text = _arabic(normalised)
    if not _ANY_REFERENCE.search(text):
        return []
    found: list[Reference] = []
    taken: list[tuple[int, int]] = [m.span() for m in _NOT_REFERENCES.finditer(text)]
    for kind, which, pattern in _ORDINAL:
        for m in pattern.finditer(text):
            taken.append((m.start(), m.end()))
            number = 1 if which == "first" else (last or {}).get(kind)
            if number:
                found.append(Reference(kind, number, m.start(), m.end()))
    for kind, pattern in _COMPILED:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append((m.start(), m.end()))
            if pattern is _ALL_OF and int(m.group(1)) == (last or {}).get(kind):
                continue  # 45项承诺 without 第: all of them, as a count ("how are the 45 grouped")
            found.append(Reference(kind, int(m.group(1)), m.start(), m.end()))
    if not found and (bare := _BARE_NUMBER.match(text)):
        found.append(Reference("commitment", int(bare.group(1)), 0, len(text)))
    unique: dict[str, Reference] = {}
    for ref in sorted(found, key=lambda r: r.start):
        unique.setdefault(ref.id, ref)
    return list(unique.values())
