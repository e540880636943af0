"""Question -> ranked catalogue ids, and a decision: answer, suggest, or say "I don't know".

A pure function of (question, index), shaped like RapidFuzz's `process.extract`: the
question first, knobs keyword-only (one `Tuning` object), a miss is an empty result rather
than an exception. `match` runs named steps:

1. **normalise** — NFKC, case, traditional -> simplified, capped in length (`normalisation.py`);
2. **references** — C12, 第十三项承诺, paragraph 9 answer at once (`references.py`);
3. **segment** — jieba with the domain dictionary, synonyms folded, stopwords and spoken
   fillers dropped, misspelt domain compounds rejoined (`segmenter.py`, `repair.py`);
4. **expand** — each term looked up in the catalogue's vocabulary exactly, then by RapidFuzz
   `ratio` (typos), then by toneless pinyin (homophones: 保户 = 保护);
5. **rank** — an entry's score is the share of the question's *known* weight it explains,
   each term weighted by the rarity (idf) of the catalogue word it matched, times the
   strength of the field it matched in (title, keywords and users' example questions above
   body text), times how much of the entry's own title the question covers. Words the
   catalogue does not know (fillers, situational detail, jieba fragments of spoken text)
   do not dilute the score: they only count, separately, as a feature of the decision.
   Entries that many of users' phrasings closest to the question belong to (character
   bigrams, `grams.py`) join the candidates when the rank step missed them ("你能帮我干点啥"
   holds no word the vocabulary knows);
6. **rerank** — the best `rerank_depth` entries are reordered by a conditional-logit model
   over evidence the rank step cannot weigh on its own: the closest example question as a
   whole (idf cosine), the character bigrams the question shares with the entry and its
   closest example (`grams.py`: independent of how jieba cut spoken text), the entry's
   share of the `voters` users' phrasings closest to the question (a neighbours' vote), the
   entry's kind, its lexical score and place, how much of its evidence the catalogue's
   own texts hold, how much of the question and of its title it covers (`_coverage`),
   naive Bayes' chance that the question is one of the entry's texts (`bayes`: how many of
   them hold each of its bigrams), and these signals' products two by two
   (`RERANK_PRODUCTS`); its probabilities feed the decision;
7. **decide** — a calibrated logistic model over evidence about the best entry (the idf
   mass of domain terms matched, how many distinct specific terms, whether they are only
   generic words, exact or fuzzy, the margin to the next unrelated entry, how much of the
   question is unknown, stray numbers, quantity questions, off-topic words, how close it
   comes to the few questions users asked that no entry answers, and how much likelier its
   wording is among all of them than among those entries answer), and over the products of the
   main pieces two by two (`PAIRED`), gives a confidence: above
   `answer_at` the bot answers, above `suggest_at` it offers the best three as "did you
   mean", below it says plainly it does not know. Every route but explicit references goes
   through it.

When a question is about one commitment and not a list, the commitment ranks above its own
area even where the area scores higher (the area carries its commitments' keywords and
general title words such as 维和人员; `_family_order`).
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import combinations, combinations_with_replacement
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

from .catalogue import ACTORS, OUTSIDE, Area, Catalogue, Commitment, Entry, Faq
from .derived import KEPT_TEXTS_MAX, reused
from .normalisation import is_blank, normalise, remember, strip_punctuation
from .references import Reference, find_references
from .repair import CompoundRepair
from .grams import CharGrams, Counted, Neighbours, Odds, Tally, remembered_grams
from .segmenter import Segmenter, fold_latin, is_han, is_latin, pinyin_key

import numpy as np


def _frozen(mapping: dict[str, float]) -> Mapping[str, float]:
    return MappingProxyType(mapping)


@dataclass(frozen=True)
class Tuning:
    """Every knob of the matcher, in one documented object (chosen on the development sets
    by `benchmarks/calibrate.py`; the frozen holdout is never used to choose them)."""

    # -- rank --------------------------------------------------------------------------
    #: strength of evidence by the field it was found in (title and users' phrasings first)
    field_weights: Mapping[str, float] = field(default_factory=lambda: _frozen({
        "title": 1.0, "keywords": 1.0, "foreign": 1.0, "examples": 0.9, "asked": 0.9,
        "text": 0.75, "context": 0.5}))
    #: prior by kind: a commitment is the precise answer, a paragraph the source
    kind_prior: Mapping[str, float] = field(default_factory=lambda: _frozen({
        "commitment": 1.0, "area": 0.96, "paragraph": 0.9, "faq": 1.0}))
    #: a commitment ranks above its area when it explains this share of what the area does
    family_share: float = 0.5
    #: "伙伴关系方面有哪些承诺" asks for an area's list
    listing_area_prior: float = 1.08
    #: share of the score that does not depend on covering the entry's title
    title_fit_base: float = 0.85
    #: a generic word (标准, 钱, use) counts for this share of its weight, and never alone
    generic_weight: float = 0.35
    #: a word found only in users' example questions (今年, 全是) is incidental more often
    #: than a topic: it counts for this share of its weight
    example_only_weight: float = 0.5
    #: … and never more than this: such a word is rare because few questions were asked
    #: with it (keeping, alive, entendu), not because it names a topic
    example_only_cap: float = 1.0
    #: entries whose users asked much the same (the neighbours' vote) join the candidates
    #: when the rank step missed them: at most this many …
    neighbours: int = 3
    #: … each with at least this share of the vote
    neighbour_min: float = 0.1
    # -- rerank ------------------------------------------------------------------------
    #: how many of the rank step's best entries the rerank step reorders
    rerank_depth: int = 7
    #: how many of users' phrasings closest to the question (character bigrams) vote for
    #: their entries: several close phrasings of one entry outweigh one of another
    voters: int = 20
    #: conditional-logit coefficients over `signals` and their products (`RERANK_FEATURES`;
    #: benchmarks/calibrate.py fits them)
    rerank_coefficients: Mapping[str, float] = field(default_factory=lambda: _frozen({
        "score": -2.508, "relative": -1.821, "example": 0.273, "grams": 10.007,
        "grams_example": 6.682, "votes": 5.355, "area": 0.316, "paragraph": 0.546,
        "faq": 1.168, "listing_area": 2.845, "position": 1.28, "documented": 1.149,
        "covered": 2.477, "title_fit": 1.111, "definition": -0.0, "bayes": 10.089,
        "score*score": -1.572, "score*relative": -0.247, "score*example": -0.394,
        "score*grams": 3.611, "score*grams_example": -0.487, "score*votes": 0.213,
        "score*area": 0.115, "score*paragraph": -1.414, "score*faq": 0.835,
        "score*listing_area": 0.11, "score*position": 1.128, "score*documented": 0.184,
        "score*covered": -1.857, "score*title_fit": -0.94, "score*definition": 0.569,
        "score*bayes": 5.431, "relative*relative": 2.686, "relative*example": -0.45,
        "relative*grams": 7.513, "relative*grams_example": 0.211, "relative*votes": 0.133,
        "relative*area": -0.096, "relative*paragraph": 1.906, "relative*faq": -0.076,
        "relative*listing_area": 0.563, "relative*position": -1.261,
        "relative*documented": 0.941, "relative*covered": 1.555, "relative*title_fit": 0.185,
        "relative*definition": 1.017, "relative*bayes": 8.052, "example*example": 1.555,
        "example*grams": 0.239, "example*grams_example": 0.279, "example*votes": -2.16,
        "example*area": 1.726, "example*paragraph": -1.072, "example*faq": -1.584,
        "example*listing_area": -1.384, "example*position": -0.797,
        "example*documented": -1.315, "example*covered": 3.794, "example*title_fit": 0.513,
        "example*definition": -0.467, "example*bayes": 5.126, "grams*grams": -2.883,
        "grams*grams_example": -0.516, "grams*votes": 5.082, "grams*area": -2.941,
        "grams*paragraph": -10.137, "grams*faq": 1.87, "grams*listing_area": 0.172,
        "grams*position": 5.116, "grams*documented": 1.528, "grams*covered": 4.84,
        "grams*title_fit": -0.249, "grams*definition": -0.141, "grams*bayes": -0.84,
        "grams_example*grams_example": -2.547, "grams_example*votes": -0.39,
        "grams_example*area": 0.452, "grams_example*paragraph": -0.511,
        "grams_example*faq": -0.351, "grams_example*listing_area": -0.201,
        "grams_example*position": 0.223, "grams_example*documented": 0.361,
        "grams_example*covered": -0.068, "grams_example*title_fit": -0.392,
        "grams_example*definition": -1.633, "grams_example*bayes": 3.012,
        "votes*votes": -3.969, "votes*area": -0.28, "votes*paragraph": 2.922,
        "votes*faq": -0.643, "votes*listing_area": -2.227, "votes*position": -0.742,
        "votes*documented": -0.521, "votes*covered": 2.117, "votes*title_fit": -0.645,
        "votes*definition": 0.776, "votes*bayes": 4.535, "area*position": -0.856,
        "area*documented": -1.367, "area*covered": -1.912, "area*title_fit": -0.23,
        "area*definition": 0.879, "area*bayes": 1.101, "paragraph*position": -0.773,
        "paragraph*documented": -1.241, "paragraph*covered": -1.459,
        "paragraph*title_fit": 0.0, "paragraph*definition": -1.758,
        "paragraph*bayes": -4.608, "faq*position": -0.336, "faq*documented": -0.474,
        "faq*covered": -0.132, "faq*title_fit": -0.165, "faq*definition": 0.664,
        "faq*bayes": 2.394, "listing_area*position": 0.481, "listing_area*documented": 1.265,
        "listing_area*covered": -1.567, "listing_area*title_fit": 0.672,
        "listing_area*definition": -0.418, "listing_area*bayes": 0.724,
        "position*position": 0.098, "position*documented": -0.669,
        "position*covered": -0.317, "position*title_fit": 0.911,
        "position*definition": -0.217, "position*bayes": 6.321,
        "documented*documented": -0.084, "documented*covered": 0.291,
        "documented*title_fit": 0.853, "documented*definition": 0.071,
        "documented*bayes": 4.926, "covered*covered": 0.331, "covered*title_fit": -0.177,
        "covered*definition": -0.983, "covered*bayes": 6.406, "title_fit*title_fit": -0.311,
        "title_fit*definition": 1.448, "title_fit*bayes": 3.553, "definition*bayes": 1.021,
        "bayes*bayes": -0.713}))
    # -- expand ------------------------------------------------------------------------
    han_fuzzy_cutoff: float = 66.0    # fuzz.ratio for Chinese terms: one wrong character in three
    latin_fuzzy_cutoff: float = 80.0  # civilian ~ civilians, sécurité ~ securite
    fuzzy_discount: float = 0.85
    fuzzy_length_penalty: float = 0.5  # × relative length gap: 伙伴 is half of 伙伴关系
    homophone_similarity: float = 0.9
    # a word jieba's dictionary saw this often (注意, 到处) is what was meant, not a pinyin
    # slip for a catalogue word that sounds the same (主意, 导出)
    homophone_max_frequency: int = 1000
    # -- cost: one long message must not slow everyone else ----------------------------
    max_chars: int = 240     # of the normalised question; a phone question is far shorter
    max_terms: int = 40      # distinct terms looked up
    # -- decide ------------------------------------------------------------------------
    #: logistic coefficients over `Decision.features` and their `PRODUCTS` (`weighed`;
    #: benchmarks/calibrate.py fits them)
    coefficients: Mapping[str, float] = field(default_factory=lambda: _frozen({
        "bias": -2.089, "share": -0.417, "evidence": -2.314, "specific": 0.959,
        "generic_only": 0.064, "exact": -0.216, "margin": -0.222, "unknown": 1.903,
        "number": -0.591, "quantity": -0.861, "example": 0.689, "matched": 2.32,
        "grams": 1.755, "grams_example": 2.073, "rerank": 2.443, "rerank_margin": -2.781,
        "off_topic": -1.134, "outside": -2.383, "outside_odds": -6.167, "votes": 0.157,
        "defines": 0.279, "share*evidence": 3.017, "share*margin": 0.27,
        "share*example": 1.75, "share*rerank": 0.352, "share*rerank_margin": 0.563,
        "share*grams": 0.713, "share*outside": 0.861, "share*unknown": 0.051,
        "share*specific": -2.048, "evidence*margin": 0.451, "evidence*example": -0.679,
        "evidence*rerank": -1.233, "evidence*rerank_margin": 0.94, "evidence*grams": -0.545,
        "evidence*outside": -1.836, "evidence*unknown": -1.338, "evidence*specific": 0.718,
        "margin*example": 0.048, "margin*rerank": 0.623, "margin*rerank_margin": -0.325,
        "margin*grams": 2.394, "margin*outside": -2.011, "margin*unknown": -0.995,
        "margin*specific": 0.139, "example*rerank": 0.325, "example*rerank_margin": -0.253,
        "example*grams": -0.59, "example*outside": 0.286, "example*unknown": -2.352,
        "example*specific": -0.847, "rerank*rerank_margin": 4.946, "rerank*grams": 2.461,
        "rerank*outside": -1.246, "rerank*unknown": -0.025, "rerank*specific": -0.593,
        "rerank_margin*grams": 3.454, "rerank_margin*outside": -2.72,
        "rerank_margin*unknown": -0.713, "rerank_margin*specific": 0.167,
        "grams*outside": 1.454, "grams*unknown": 2.598, "grams*specific": 1.85,
        "outside*unknown": -1.953, "outside*specific": 2.215, "unknown*specific": 1.213}))
    #: logistic coefficients of a second model over the same features: is the right entry
    #: among the first `max_suggestions`? ("did you mean" is its own question)
    suggest_coefficients: Mapping[str, float] = field(default_factory=lambda: _frozen({
        "bias": -1.764, "share": -0.237, "evidence": -1.498, "specific": 0.557,
        "generic_only": 0.131, "exact": -0.372, "margin": -0.177, "unknown": 2.108,
        "number": -0.777, "quantity": -1.088, "example": 0.049, "matched": 2.276,
        "grams": 3.2, "grams_example": 3.13, "rerank": 4.487, "rerank_margin": -1.45,
        "off_topic": -1.261, "outside": -2.167, "outside_odds": -8.472, "votes": 0.43,
        "defines": 0.574, "share*evidence": 2.293, "share*margin": -0.225,
        "share*example": 3.865, "share*rerank": 1.339, "share*rerank_margin": 0.719,
        "share*grams": 1.905, "share*outside": -1.068, "share*unknown": -0.298,
        "share*specific": -2.323, "evidence*margin": 0.9, "evidence*example": -0.145,
        "evidence*rerank": -0.854, "evidence*rerank_margin": -1.275, "evidence*grams": 1.215,
        "evidence*outside": -1.731, "evidence*unknown": -0.932, "evidence*specific": 0.869,
        "margin*example": 0.15, "margin*rerank": 1.063, "margin*rerank_margin": -1.036,
        "margin*grams": 1.406, "margin*outside": -1.928, "margin*unknown": -0.567,
        "margin*specific": 0.236, "example*rerank": 0.052, "example*rerank_margin": -1.166,
        "example*grams": 1.293, "example*outside": -1.082, "example*unknown": -2.384,
        "example*specific": -0.581, "rerank*rerank_margin": 1.725, "rerank*grams": 2.713,
        "rerank*outside": -1.457, "rerank*unknown": -0.346, "rerank*specific": 1.349,
        "rerank_margin*grams": 2.329, "rerank_margin*outside": -1.359,
        "rerank_margin*unknown": -1.295, "rerank_margin*specific": -0.999,
        "grams*outside": 0.359, "grams*unknown": 1.738, "grams*specific": 3.333,
        "outside*unknown": -0.68, "outside*specific": 1.108, "unknown*specific": 0.511}))
    answer_at: float = 0.48  # confidence to answer with a card
    suggest_at: float = 0.44  # the suggestion model's confidence to offer "did you mean"
    max_results: int = 5
    #: results within this share of the best score (the rest are noise)
    keep_share: float = 0.5
    #: …and that the rerank model gives at least this chance: every entry that mentions
    #: 保护平民 in one users' question explains all of "保户平民", yet C19 (0.1 %) is no
    #: next-best button beside C14 (2 %)
    keep_chance: float = 0.005
    max_suggestions: int = 3

    @cached_property
    def rerank_weights(self) -> np.ndarray:
        """`rerank_coefficients` in `RERANK_FEATURES`' order, built once per tuning rather
        than for every question (the rerank step multiplies `rerank_design` by it)."""
        return np.array([self.rerank_coefficients.get(name, 0.0) for name in RERANK_FEATURES])


DEFAULT = Tuning()
REFERENCE_SCORE = 100.0
ACTOR_SCORE = 90.0
ACTOR_GENERIC = frozenset({"承诺", "责任", "义务", "负责", "任务", "工作", "要求", "内容", "作为",
                           "履行", "角色", "扮演", "作用", "贡献", "做出", "活儿", "职能", "分工",
                           "commitments", "commitment", "engagements", "engagement"})
# Characters jieba glues to a neighbour into words nobody means (差要, 人会, 前要, 能当): a
# question token the catalogue does not know and that holds one of them is dropped rather
# than counted as an unknown topic.
FUNCTION_CHARS = frozenset("要会能得被让把给跟都也就还很太才再又在是有了的着过吗呢吧啊")
# What shows that an actor question asks what the actor must do (做什么, 干嘛, 答应了啥).
DUTY_CUES = ("做", "干", "负责", "承诺", "答应", "任务", "责任", "义务", "职责", "该", "应",
             "哪些", "what", "doit", "must")
# Words that ask for an area's list, looked for in the question before stopwords go (most
# are stopwords): 都有 covers 都有什么 / 都有啥, 块 and 部分 "安全那块", "妇女那部分".
# A request to sum a topic up (概括, 整体, summarise, résume-moi) asks for the whole, too.
LISTING_WORDS = frozenset({"哪些", "方面", "领域", "有关", "相关", "所有", "全部", "清单", "都有",
                           "那块", "这块", "一块", "部分", "整块", "大块", "全貌", "概况", "一览",
                           "总览", "概览", "概括", "归纳", "整体"})
# …and English and French words that ask for a whole ("list the …", "globalement"), read
# as whole tokens (liste is part of spécialiste; accents are gone: résumer reads resumer)
LISTING_TOKENS = frozenset({"list", "liste", "lister", "listez", "listing", "overview",
                            "globalement", "aperçu", "apercu", "whole", "overall", "summary",
                            "summarise", "summarize", "summarised", "summarized", "recap",
                            "resume", "resumer", "resumez"})
# A question for a figure (多少人, 几个, how many) asks for data no catalogue entry holds...
_QUANTITY = re.compile(r"多少|几个|几名|几次|几天|几年|几位|how many|how much|combien")
# ...unless what it counts is the catalogue's own items ("一共多少条承诺", "how many
# commitments", "combien d'engagements", "第几段"): an area's card answers that.
_HOW_MANY = r"(?:多少|几)\s*[个项条段]?\s*"
_COUNTED = re.compile(rf"{_HOW_MANY}(?:承诺|领域|优先领域|段)"
                      r"|how many (?:priority )?(?:commitments?|areas?|paragraphs?|pledges?)"
                      r"|combien (?:y a-t-il |il y a )?(?:de |d['’]?\s?)"
                      r"(?:engagements?|domaines?|paragraphes?)")
# Counting commitments asks for a list ("保护一共几条承诺"); naming one by its place
# ("这是第几条承诺") does not. (English and French counting reaches the tokens as 哪些 承诺,
# through the glossary.)
_COUNTING = re.compile(rf"(?<!第){_HOW_MANY}承诺")
_NUMBER = re.compile(r"\d{2,}")
# A reference given as an example of the form ("like C14", 比如输个29, tape « engagement 16 »,
# 打“承诺13”): the question is about typing one, not about that entry.
_MENTION = re.compile(r"比如|例如|譬如|like|such as|e\.g\.|par exemple|[«“\"]|\btyp(?:e|ing)\b"
                      r"|\btaper?\b|输入|输个|直接输|直接打|打个")
# A question asking what something is or means (是什么, 啥意思, what is, stand for, c'est quoi,
# ça veut dire): with nothing but an entry's title subject it asks for that entry.
_DEFINITION = re.compile(r"是什么(?!时候)|是啥|是个啥|是个什么|啥意思|什么意思|什么东西|啥东西|咋回事|"
                         r"怎么回事|干嘛的|干什么的|干啥的|指的是|介绍一下|"
                         r"\bwh?at(?:['’]?s| is| are)\b|\bstand for\b|\bmeans?\b|\bmeaning\b|"
                         r"full form|nutshell|\bexplain|c['’ ]?est quoi|\bc quoi|\bc koi|"
                         r"qu['’]?est[- ]ce qu|veut dire|consiste|expliqu")
# A Security Council resolution named by its number (第2436号决议, resolution 1325): the
# question asks about that document, which no entry holds; at most the topic it is about.
_RESOLUTION = re.compile(r"(\d{3,5})\s*号?\s*决议|(?:resolution|résolution|决议)\s*"
                         r"(?:no\.?|n°|第)?\s*(\d{3,5})")


@dataclass(frozen=True)
class Match:
    """One answer: a catalogue id with its 0–100 score."""

    id: str
    kind: str
    score: float
    title: str


@dataclass(frozen=True)
class Evidence:
    """Why an entry scored: question term -> catalogue term, in which field, how strongly."""

    term: str
    matched: str
    field: str
    channel: str
    similarity: float
    weight: float


@dataclass(frozen=True)
class Question:
    """A question as the scorer sees it: jieba's tokens (listing words are read there), the
    content terms, for terms that are rejoined misspelt compounds what they stand for, and
    its character bigrams (read by the rerank and the decision alike)."""

    tokens: list[str]
    terms: list[str]
    corrections: dict[str, tuple[tuple[str, float, str], ...]]
    grams: Mapping[str, float] = field(default_factory=dict)
    #: does it ask what something is ("A4P是啥", "c'est quoi le HRDDP")? Read from the
    #: normalised text: the tokens have lost the spaces the English and French cues hold
    defining: bool = False

    @cached_property
    def listing(self) -> bool:
        """Does it ask for a list? Read once: the actor, rank and rerank steps all ask."""
        return _is_listing(self.tokens)

    def resolved(self) -> list[str]:
        """The terms with each corrected compound replaced by the catalogue terms it stands for."""
        return [c for t in self.terms
                for c in ([x for x, _, _ in self.corrections[t]] if t in self.corrections else [t])]


@dataclass(frozen=True)
class Candidate:
    """A ranked entry. Why it scored is spelt out only when asked: most candidates are
    never explained, and building their evidence was a sixth of the rank step's time."""

    match: Match
    gains: Mapping[str, _Gain] = field(default_factory=dict, repr=False, compare=False)
    weights: Mapping[str, float] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def evidence(self) -> tuple[Evidence, ...]:
        return _evidence(self.gains, self.weights)


@dataclass(frozen=True)
class Decision:
    """What the decide step concluded: the confidence and the evidence it weighed."""

    verdict: str  # answer | suggest | refuse
    confidence: float
    features: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """Everything the matcher concluded about one question."""

    question: str
    normalised: str
    intent: str  # search | reference | actor | smalltalk | blank | out_of_range
    matches: tuple[Match, ...] = ()
    suggestions: tuple[Match, ...] = ()
    terms: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()
    probabilities: tuple[float, ...] = ()  # the rerank model's, per candidate
    references: tuple[Reference, ...] = ()
    decision: Decision | None = None
    actor: str | None = None
    smalltalk: str | None = None

    @property
    def missed(self) -> bool:
        """A real question the knowledge could not answer (worth logging for maintainers)."""
        return self.intent == "search" and not self.matches


# -- the index -----------------------------------------------------------------------

def _fields(entry: Entry, asked: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(field, text) pairs of an entry, in the order they are indexed; the questions users
    asked (asked.yaml) count as example questions."""
    examples = [("examples", e) for e in (*getattr(entry, "examples", ()), *asked)]
    if isinstance(entry, Area):
        return [("title", entry.title), *(("title", a) for a in entry.aliases),
                *(("keywords", k) for k in entry.keywords), *examples,
                ("foreign", entry.title_en), ("foreign", entry.title_fr),
                ("text", entry.summary), ("context", entry.secretariat)]
    if isinstance(entry, Commitment):
        return [("title", entry.title), *(("keywords", k) for k in entry.keywords), *examples,
                ("foreign", entry.title_en), ("foreign", entry.title_fr), ("text", entry.text)]
    if isinstance(entry, Faq):
        return [("title", entry.title), *(("keywords", k) for k in entry.keywords), *examples,
                ("foreign", entry.title_en), ("foreign", entry.title_fr),
                ("context", entry.answer)]
    return [("text", entry.text), ("context", entry.section), *examples]


Asked = Mapping[str, tuple[str, ...]]  # entry id -> questions users asked (asked.yaml)


def _documents(entries: list[Entry], asked: Asked) -> list[list[tuple[str, bool]]]:
    """Per entry: its normalised texts, each marked when it is a phrasing — a title or an
    example question (for `CharGrams`)."""
    phrasings = ("examples", "title", "foreign")
    return [[(normalise(text), f in phrasings) for f, text in _fields(e, asked.get(e.id, ()))]
            for e in entries]


Postings = dict[str, dict[int, tuple[str, float]]]  # term -> {entry: (best field, its weight)}
_TitleTerms = tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...]  # (term, idf, parts)


@dataclass(frozen=True)
class _Cut:
    """The catalogue cut into terms once (what `Index` builds its tables from)."""

    postings: Postings
    labels: list[list[frozenset[str]]]      # per entry: term sets of its titles
    examples: list[list[frozenset[str]]]    # per entry: term sets of its phrasings (titles, examples)
    documented: frozenset[str]              # terms of the catalogue's own texts
    key: str | None = field(default=None, compare=False)  # kept under it between runs


def _postings(segmenter: Segmenter, entries: list[Entry], weights: Mapping[str, float],
              asked: Asked) -> _Cut:
    """Every entry's fields cut into terms once: postings, titles, examples, and the terms
    the catalogue's own texts use (not only users' example questions). The questions users
    asked (asked.yaml) come last and bring no Chinese word of their own: their fillers (我想,
    问下) would otherwise become known words that dilute every question holding them. Their
    English and French words do come in (firewood, compagnie): most fillers of those languages
    are stopwords already (stopwords-iso; not all: jamais, told), and the catalogue's own
    English and French are thin."""
    postings: Postings = defaultdict(dict)
    labels: list[list[frozenset[str]]] = []
    examples: list[list[frozenset[str]]] = []
    documented: set[str] = set()
    cut = segmenter.remember(normalise(text) for e in entries
                             for _, text in _fields(e, asked.get(e.id, ())))
    for i, entry in enumerate(entries):
        own: list[frozenset[str]] = []
        phrasings: list[frozenset[str]] = []
        for fld, text in _fields(entry):
            terms = cut[normalise(text)]
            if fld in ("title", "foreign") and terms:
                own.append(frozenset(terms))
            if fld in ("examples", "title", "foreign") and terms:
                phrasings.append(frozenset(terms))  # a title is the canonical phrasing
            if fld != "examples":
                documented.update(terms)
            for term in terms:
                if postings[term].get(i, ("", 0.0))[1] < weights[fld]:
                    postings[term][i] = (fld, weights[fld])
        labels.append(own)
        examples.append(phrasings)
    known = set(postings)
    for i, entry in enumerate(entries):
        for text in asked.get(entry.id, ()):
            terms = [t for t in cut[normalise(text)] if t in known or is_latin(t)]
            if terms:
                examples[i].append(frozenset(terms))
            for term in terms:
                if postings[term].get(i, ("", 0.0))[1] < weights["asked"]:
                    postings[term][i] = ("asked", weights["asked"])
    return _Cut(dict(postings), labels, examples, frozenset(documented))


def _kept_cut(segmenter: Segmenter, entries: list[Entry], weights: Mapping[str, float],
              asked: Asked) -> _Cut:
    """`_postings`, read back from A4P_CACHE_DIR when the same texts were cut by the same
    segmenter and weighed with the same field weights by this code (0.25 s of every start
    with ~18,500 asked questions); built and kept otherwise."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(f"{segmenter.signature}{sorted(weights.items())}".encode())
    texts = 0
    for entry in entries:
        h.update(f"\x1e{entry.id}".encode())
        for fld, text in _fields(entry, asked.get(entry.id, ())):
            h.update(f"{fld}\x1d{normalise(text)}\x1f".encode())
            texts += 1
    key, kept = h.hexdigest()[:32], texts <= KEPT_TEXTS_MAX
    cut = reused("cut", key, lambda: _postings(segmenter, entries, weights, asked),
                 state=lambda cut: (cut.postings, cut.labels, cut.examples, cut.documented),
                 restored=lambda state: _Cut(*state), kept=kept)
    return replace(cut, key=key if kept else None)


class _Holders(NamedTuple):
    """Term -> the positions of an entry's examples that hold it: `positions[a:b]` for
    `spans[term] == (a, b)`, numpy slices that `example_fit` adds gains to in one step."""

    spans: dict[str, tuple[int, int]]
    positions: np.ndarray
    size: int  # how many examples


class _Phrasings(NamedTuple):
    """Per entry, its phrasings' idf norms and which of them hold each term (`example_fit`):
    built from the cut and its idf, and kept beside it (~0.25 s of every start)."""

    norms: list[np.ndarray]
    holders: list[_Holders]

    def state(self) -> tuple:
        return ([n.tobytes() for n in self.norms],
                [(h.spans, h.positions.tobytes(), h.size) for h in self.holders])

    @classmethod
    def restored(cls, state: tuple) -> _Phrasings:
        norms, holders = state
        return cls([np.frombuffer(n, dtype=np.float64) for n in norms],
                   [_Holders(spans, np.frombuffer(positions, dtype=np.intp), size)
                    for spans, positions, size in holders])


def _phrasings(examples: list[list[frozenset[str]]], idf: Mapping[str, float]) -> _Phrasings:
    # an example with no weight (every term idf 0) divides by infinity: a cosine of 0
    return _Phrasings([np.array([math.sqrt(sum(idf[t] ** 2 for t in e)) or math.inf
                                 for e in asked], dtype=np.float64) for asked in examples],
                      [_holders(asked) for asked in examples])


def _holders(examples: list[frozenset[str]]) -> _Holders:
    found: dict[str, list[int]] = defaultdict(list)
    for k, terms in enumerate(examples):
        for t in terms:
            found[t].append(k)
    spans: dict[str, tuple[int, int]] = {}
    flat: list[int] = []
    for t, ks in found.items():
        spans[t] = (len(flat), len(flat) + len(ks))
        flat += ks
    return _Holders(spans, np.array(flat, dtype=np.intp), len(examples))


def _answered(catalogue: Catalogue) -> list[str]:
    """The asked questions an entry answers, normalised."""
    return [normalise(q) for entry, asked in catalogue.asked.items() if entry != OUTSIDE
            for q in asked]


def _left_out(parent: Catalogue, child: Catalogue) -> tuple[list[str], list[str]]:
    """The asked questions `child` (`Catalogue.without_asked`) leaves out of `parent`'s,
    normalised: those an entry answers, and those none does."""
    gone: tuple[list[str], list[str]] = ([], [])
    for entry, asked in parent.asked.items():
        kept = set(child.asked.get(entry, ()))
        gone[entry == OUTSIDE].extend(normalise(q) for q in asked if q not in kept)
    return gone


def _children(entries: list[Entry]) -> dict[int, list[int]]:
    """Per area entry: the entries of the commitments listed under it."""
    position = {entry.id: i for i, entry in enumerate(entries)}
    children: dict[int, list[int]] = defaultdict(list)
    for i, entry in enumerate(entries):
        if isinstance(entry, Commitment) and entry.area in position:
            children[position[entry.area]].append(i)
    return children


def _parts(labels: list[list[frozenset[str]]], postings: Postings
           ) -> dict[str, tuple[tuple[str, float], ...]]:
    """Title term -> the catalogue terms inside it, with the share of it each covers
    (平民 covers half of the one-word title 保护平民)."""
    parts: dict[str, tuple[tuple[str, float], ...]] = {}
    for term in {t for own in labels for label in own for t in label}:
        inner = {term[a:b] for a in range(len(term)) for b in range(a + 2, len(term) + 1)
                 if b - a < len(term) and term[a:b] in postings}
        if inner and is_han(term):
            parts[term] = tuple((t, len(t) / len(term)) for t in sorted(inner))
    return parts


class Index:
    """The catalogue cut into terms once, with postings, idf and fuzzy look-up tables."""

    def __init__(self, catalogue: Catalogue, segmenter: Segmenter | None = None,
                 tuning: Tuning = DEFAULT, *, parent: Index | None = None) -> None:
        """`parent`: the index this one leaves some asked questions out of (`unseen`)."""
        # Such an index has its parent's Chinese terms exactly: asked questions bring no
        # Chinese word of their own (`_postings`), so their look-ups, the fuzzy and pinyin
        # ones included, are the parent's — and warm.
        self._chinese_lookups: Index | None = (
            None if parent is None else parent._chinese_lookups or parent)
        # each index's own cache: one on the class would hold every index it served (an
        # evaluation builds one per development set) for as long as their terms stay in it
        self.similar = lru_cache(maxsize=8192)(self._similar)
        self.catalogue = catalogue
        self.tuning = tuning
        self.segmenter = segmenter or Segmenter(catalogue.vocabulary)
        self.entries: list[Entry] = list(catalogue.entries())
        if parent is None:  # an unseen index's texts are its parent's
            remember([*(text for e in self.entries
                        for _, text in _fields(e, catalogue.asked.get(e.id, ()))),
                      *catalogue.outside])
        cut = (_kept_cut if parent is None else _postings)(
            self.segmenter, self.entries, tuning.field_weights, catalogue.asked)
        self.postings, self.labels, self.examples = cut.postings, cut.labels, cut.examples
        self.children = _children(self.entries)
        # 100 × the kind's prior, per entry (and with an area's listing prior)
        self.priors = [100 * tuning.kind_prior[e.kind] for e in self.entries]
        self.listing_priors = [100 * (tuning.listing_area_prior if e.kind == "area"
                                      else tuning.kind_prior[e.kind]) for e in self.entries]
        self._weigh(cut)
        self._phrasing_tables(parent, cut.key)
        self._lookups()
        # The index is millions of long-lived objects; left to the cyclic garbage collector
        # each full collection walks them all (~100 ms pauses at 100× catalogue size). Not an
        # index leaving a set out (`unseen`): the evaluations build one per set and drop it,
        # and a frozen one is never collected (~64 MB each; 24 GB for a calibration of 182 sets)
        if parent is None:
            gc.freeze()

    def _weigh(self, cut: _Cut) -> None:
        """Term rarity (idf), the weight of each title, the parts of title terms, and the
        words that weigh less: generic ones and those only users' examples use."""
        n = len(self.entries)
        self.idf = {t: math.log((n + 1) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self.parts = _parts(self.labels, self.postings)
        # per entry, per title: its terms with their idf and parts, and the title's weight
        self.label_weights: list[list[tuple[_TitleTerms, float]]] = [
            [(tuple((t, self.idf.get(t, 1.0), self.parts.get(t, ())) for t in label), total)
             for label in own if (total := sum(self.idf.get(t, 1.0) for t in label))]
            for own in self.labels]
        # per entry, every term and part of its titles: most entries a question matches
        # share none of them with it, and their title fit is 0 without a look at each title
        self.title_words: list[frozenset[str]] = [
            frozenset(w for label, _ in own for t, _, parts in label
                      for w in (t, *(part for part, _ in parts)))
            for own in self.label_weights]
        generic = self.segmenter.remember(normalise(w) for w in self.catalogue.vocabulary.generic)
        self.generic = frozenset(t for terms in generic.values() for t in terms)
        self.example_only = frozenset(self.postings.keys() - cut.documented)

    def _phrasing_tables(self, parent: Index | None, key: str | None) -> None:
        """Per entry, its phrasings (titles, example questions) as term sets with their idf
        norms and a term -> phrasings table (kept beside the cut, under its `key`), and as
        character bigrams."""
        def build() -> _Phrasings:
            return _phrasings(self.examples, self.idf)

        tables = build() if key is None else reused(
            "phrasings", key, build, state=_Phrasings.state, restored=_Phrasings.restored)
        self.example_norms: list[np.ndarray] = tables.norms
        self.example_terms: list[_Holders] = tables.holders
        documents = _documents(self.entries, self.catalogue.asked)
        # the tables are kept between runs for the shipped knowledge; not for an index that
        # leaves a development set out (`unseen`), built once per set by the evaluations
        # from its parent's texts, counted once, without the set's
        self.grams = (CharGrams.kept(documents) if parent is None
                      else CharGrams(parent.counted.subset(documents)))
        outside = [normalise(text) for text in self.catalogue.outside]
        self.outside = (Neighbours.kept(self.grams, outside) if parent is None
                        else Neighbours(self.grams, outside, remembered_grams))
        self.odds: Odds = (
            Odds.kept(self.grams.key, outside, lambda: _answered(self.catalogue))
            if parent is None else parent.tally.without(
                *_left_out(parent.catalogue, self.catalogue), counted=remembered_grams).odds())

    @cached_property
    def tally(self) -> Tally:
        """The asked questions' bigrams counted per side (the odds' makings): built when a
        first index leaving some asked questions out (`unseen`) needs them; the bot never
        does."""
        return Tally.of(_answered(self.catalogue),
                        [normalise(text) for text in self.catalogue.outside], remembered_grams)

    @cached_property
    def counted(self) -> Counted:
        """Every text's bigrams counted and numbered: built when a first index leaving
        some asked questions out (`unseen`) needs them; the bot never does."""
        return Counted.of(_documents(self.entries, self.catalogue.asked), remembered_grams)

    def _lookups(self) -> None:
        """The tables questions are looked up in besides the postings: vocabularies for
        fuzzy look-up, actors, small talk, and the domain compounds repair rejoins."""
        self.han_vocab = [t for t in self.postings if is_han(t)]
        self.latin_vocab = [t for t in self.postings if is_latin(t)]
        # a child index passes its Chinese look-ups to its parent (`similar`): no table of its own
        self.han_by_char = (_by_character(self.han_vocab) if self._chinese_lookups is None
                            else {})
        self.actor_terms = {actor: set(self.segmenter.terms(normalise(label)))
                            for actor, label in ACTORS.items() if actor != "collective"}
        self.actor_terms["collective"] = {"集体"}
        self.highest = self.catalogue.highest()
        self.off_topic = Phrases(self.catalogue.vocabulary.off_topic)
        # "help" typed alone: the chat shows the user's /help; the answer it stands for is
        # the FAQ entry about the bot's commands (the one that lists /help as a keyword)
        self.help_matches = tuple(Match(f.id, f.kind, REFERENCE_SCORE, f.title)
                                  for f in self.catalogue.faqs.values() if "/help" in f.keywords)
        self.smalltalk = {compact(normalise(p)): kind
                          for kind, phrases in self.catalogue.vocabulary.smalltalk.items()
                          for p in phrases}
        cut = self.segmenter.remember(self.segmenter.domain_words)
        compounds = [w for w in self.segmenter.domain_words
                     if (ts := cut[w]) and all(t in self.postings for t in ts)]
        # whether a token needs no repair is a property of the token: asked once per process
        parent = self._chinese_lookups
        self.repair: CompoundRepair = CompoundRepair(
            compounds, lru_cache(maxsize=16384)(self._known),
            like=parent.repair if parent is not None else None)

    def _known(self, token: str) -> bool:
        """A question token that needs no repair: a stopword, or catalogue words only."""
        seg = self.segmenter
        if token in seg.stopwords or seg.canonical(token) in seg.stopwords:
            return True
        if len(token) < 2:
            return False
        terms = seg.content([token])
        return bool(terms) and all(t in self.postings for t in terms)

    def question(self, normalised: str) -> Question:
        """A question cut into terms, with misspelt compounds rejoined and resolved."""
        tokens, repaired = self.repair.repair(self.segmenter.tokens(normalised))
        corrections: dict[str, tuple[tuple[str, float, str], ...]] = {}
        for text, (word, similarity) in repaired.items():
            homophone = pinyin_key(text) == pinyin_key(word)
            # no fuzzy discount: a whole domain compound within a few edits is stronger
            # evidence than a loose `ratio` match of one short term
            strength = (max(similarity, self.tuning.homophone_similarity) if homophone
                        else similarity)
            corrections[text] = tuple((t, strength, "pinyin" if homophone else "fuzzy")
                                      for t in self.segmenter.terms(word))
        terms = [t for t in self.segmenter.content(tokens)
                 if t in corrections or not self._glued(t)]
        return Question(tokens, terms[:self.tuning.max_terms], corrections,
                        self.grams.question(normalised), bool(_DEFINITION.search(normalised)))

    def _glued(self, term: str) -> bool:
        """A two-character term that is a function character stuck to a neighbour."""
        return (len(term) == 2 and is_han(term) and not FUNCTION_CHARS.isdisjoint(term)
                and not self.similar(term))

    @cached_property
    def homophones(self) -> dict[str, list[str]]:
        """pinyin -> catalogue terms; built on the first question that needs it."""
        table: dict[str, list[str]] = defaultdict(list)
        for term in self.han_vocab:
            if key := pinyin_key(term):
                table[key].append(term)
        return dict(table)

    @cached_property
    def variant_homophones(self) -> dict[str, list[str]]:
        """pinyin of everyday synonym variants -> the catalogue terms they stand for.

        地累 sounds like the everyday 地雷, which stands for 简易爆炸装置 — a word no
        catalogue text contains. Consulted only for non-words (see `similar`).
        """
        table: dict[str, list[str]] = defaultdict(list)
        for variant, canonical in self.segmenter.han_variants().items():
            targets = [t for t in self.segmenter.terms(canonical) if t in self.postings]
            if len(variant) >= 2 and targets and (key := pinyin_key(variant)):
                table[key] += [t for t in targets if t not in table[key]]
        return dict(table)

    def _sharing_a_character(self, term: str) -> list[str]:
        """The Chinese terms that share a character with `term`, in vocabulary order: the
        only ones `fuzz.ratio` can score above 0 (it counts common characters in order),
        so the fuzzy look-up finds the same terms in a few hundred instead of 41,000."""
        positions: set[int] = set()
        for character in set(term):
            positions.update(self.han_by_char.get(character, ()))
        return [self.han_vocab[k] for k in sorted(positions)]

    def unseen(self, questions: Iterable[str]) -> Index:
        """An index of the same catalogue without these questions among the asked ones
        (sharing segmenter and tuning): how the matcher fares on labelled questions it has
        not read — a development set that asked.yaml was drawn from."""
        gone = set(questions)
        if not self.has_read(gone):
            return self
        return Index(self.catalogue.without_asked(gone), self.segmenter, self.tuning,
                     parent=self)

    def has_read(self, questions: Iterable[str]) -> bool:
        """Does `asked.yaml` hold any of these questions (so that `unseen` builds anew)?"""
        gone = set(questions)
        return any(q in gone for qs in self.catalogue.asked.values() for q in qs)

    def warm(self) -> None:
        """Build the tables the first question with a typo or an unknown word would otherwise
        wait for (the pinyin of every catalogue term: 0.15 s here, seconds at 100×), and the
        pattern of Latin phrases the first English or French question would."""
        _ = self.homophones, self.variant_homophones, self.segmenter.phrases

    def _similar(self, term: str) -> tuple[tuple[str, float, str], ...]:
        """Catalogue terms that `term` may stand for: (term, similarity, channel); read
        through `similar`, this index's own cache of it."""
        if self._chinese_lookups is not None and not is_latin(term):
            return self._chinese_lookups.similar(term)
        if term in self.postings:
            return ((term, 1.0, "exact"),)
        knobs = self.tuning
        found: dict[str, tuple[float, str]] = {}
        latin = is_latin(term)
        vocab = self.latin_vocab if latin else self._sharing_a_character(term)
        cutoff = knobs.latin_fuzzy_cutoff if latin else knobs.han_fuzzy_cutoff
        for other, score, _ in process.extract(term, vocab, scorer=fuzz.ratio,
                                               score_cutoff=cutoff, limit=5):
            gap = abs(len(other) - len(term)) / max(len(other), len(term))
            found[other] = (score / 100 * knobs.fuzzy_discount
                            * (1 - knobs.fuzzy_length_penalty * gap), "fuzzy")
        seen = self.segmenter.frequency(term) if is_han(term) else 0
        if (is_han(term) and seen < knobs.homophone_max_frequency
                and (key := pinyin_key(term))):
            # A real word (工资) that merely sounds like a variant (供资) is not a typo of it.
            variants = () if seen else self.variant_homophones.get(key, ())
            for other in (*self.homophones.get(key, ()), *variants):
                if found.get(other, (0.0, ""))[0] < knobs.homophone_similarity:
                    found[other] = (knobs.homophone_similarity, "pinyin")
        ranked = sorted(found.items(), key=lambda kv: -kv[1][0])
        return tuple((t, s, c) for t, (s, c) in ranked)


_LATIN_WORD = re.compile(r"[a-z0-9]+(?:&[a-z0-9]+)*")  # l'indemnité: two words


def _by_character(vocabulary: list[str]) -> dict[str, tuple[int, ...]]:
    """Character -> the positions of the vocabulary's terms holding it."""
    holders: dict[str, list[int]] = defaultdict(list)
    for k, term in enumerate(vocabulary):
        for character in set(term):
            holders[character].append(k)
    return {character: tuple(ks) for character, ks in holders.items()}


class Phrases:
    """A word list looked up in folded, normalised text: Chinese words wherever they stand
    (jieba may cut them otherwise), Latin ones as whole words ("leave", not "sleeve").
    Set look-ups of the text's slices: a 500-word regex alternation cost 60 µs a question."""

    def __init__(self, words: Iterable[str]) -> None:
        forms = {fold_latin(normalise(w)) for w in words if w.strip()}
        self.han = frozenset(f for f in forms if is_han(f))
        self.latin = frozenset(" ".join(_LATIN_WORD.findall(f)) for f in forms if not is_han(f))
        # the lengths of the phrases that begin with each character / word: most of a
        # question's characters begin none, and are passed over with one look-up
        self.han_starts = _lengths_by_start((f[0], len(f)) for f in self.han)
        self.latin_starts = _lengths_by_start((f.split()[0], len(f.split()))
                                              for f in self.latin if f)

    def found_in(self, text: str) -> bool:
        text = fold_latin(text)
        han = self.han
        for i, char in enumerate(text):
            if (lengths := self.han_starts.get(char)) and any(
                    text[i:i + n] in han for n in lengths):
                return True
        words = _LATIN_WORD.findall(text)
        return any(" ".join(words[i:i + n]) in self.latin
                   for i, word in enumerate(words) for n in self.latin_starts.get(word, ()))


def _lengths_by_start(phrases: Iterable[tuple[str, int]]) -> dict[str, tuple[int, ...]]:
    found: dict[str, set[int]] = defaultdict(set)
    for start, length in phrases:
        found[start].add(length)
    return {start: tuple(sorted(lengths)) for start, lengths in found.items()}


def compact(text: str) -> str:
    return strip_punctuation(text).replace(" ", "")


# -- expand and rank -----------------------------------------------------------------

Lookups = dict[str, tuple[tuple[str, float, str], ...]]
# (strength = similarity × field weight, matched term, field, channel, similarity)
_Gain = tuple[float, str, str, str, float]


@dataclass(frozen=True)
class Ranking:
    """The rank step's output: scored candidates and what the decision needs of them."""

    candidates: tuple[Candidate, ...]
    explained: tuple[float, ...]          # per candidate: question weight it explains
    weights: dict[str, float]             # question term -> weight (0 for unknown terms)
    known: float                          # total weight of the terms the catalogue knows
    unknown: int                          # content terms the catalogue does not know
    lookups: Lookups = field(default_factory=dict)
    positions: tuple[int, ...] = ()       # per candidate: its entry's position in the index
    signals: tuple[Mapping[str, float], ...] = ()  # per candidate: the rerank step's evidence
    probabilities: tuple[float, ...] = ()  # per candidate: the rerank model's probability
    #: per entry, by position: the cosine with its closest phrasing (0 sharing no bigram)
    closest: np.ndarray | tuple[()] = ()
    #: per entry: its share of the question's `voters` closest phrasings (cosine-weighted)
    votes: Mapping[int, float] = field(default_factory=dict)
    #: how many candidates, placed right after the first `rerank_depth`, are neighbours
    neighbours: int = 0


def expand(index: Index, question: Question) -> tuple[Lookups, dict[str, float]]:
    """Each distinct term's catalogue look-ups and its weight (idf; generic words count
    for less; terms the catalogue does not know weigh nothing)."""
    lookups: Lookups = {}
    weights: dict[str, float] = {}
    for term in dict.fromkeys(question.terms):
        found = question.corrections.get(term) or index.similar(term)
        lookups[term] = found
        weight = max((index.idf[t] for t, _, _ in found), default=0.0)
        if found and all(t in index.generic for t, _, _ in found):
            weight *= index.tuning.generic_weight
        elif found and all(t in index.example_only for t, _, _ in found):
            weight = min(weight * index.tuning.example_only_weight,
                         index.tuning.example_only_cap)
        weights[term] = weight
    return lookups, weights


def _title_fit(index: Index, i: int, matched: set[str]) -> float:
    """Share (idf-weighted) of the entry's best-covered title that the question matched.

    A title term that contains a matched term counts for the part it covers: 平民 covers
    half of the title 保护平民 (one domain word, so one term, not 保护 + 平民).
    """
    if matched.isdisjoint(index.title_words[i]):
        return 0.0
    best = 0.0
    for label, total in index.label_weights[i]:
        covered = 0.0
        for t, idf, parts in label:
            if t in matched:
                covered += idf
            elif parts:
                covered += idf * max((share for part, share in parts if part in matched),
                                     default=0.0)
        best = max(best, covered / total)
    return best


def _gains(index: Index, lookups: Lookups) -> dict[int, dict[str, _Gain]]:
    """Per entry, the strongest evidence for each question term (plain tuples: this loop
    touches every entry sharing a common term, thousands in a large catalogue)."""
    gained: dict[int, dict[str, _Gain]] = defaultdict(dict)
    for term, candidates in lookups.items():
        for other, similarity, channel in candidates:
            for i, (fld, field_weight) in index.postings[other].items():
                strength = similarity * field_weight
                slot = gained[i]
                best = slot.get(term)
                if best is None or best[0] < strength:
                    slot[term] = (strength, other, fld, channel, similarity)
    return gained


def rank(index: Index, question: Question, limit: int) -> Ranking:
    """The `limit` best entries by the share of the question's known weight they explain."""
    knobs = index.tuning
    lookups, weights = expand(index, question)
    known = sum(weights.values())
    unknown = sum(1 for found in lookups.values() if not found)
    closest, votes = index.grams.closest(question.grams, index.tuning.voters)
    if not known:
        return _with_neighbours(index, Ranking((), (), weights, 0.0, unknown, lookups,
                                               closest=closest, votes=votes), {},
                                lambda i: (0.0, 0.0))
    gained = _gains(index, lookups)
    listing = question.listing
    priors = index.listing_priors if listing else index.priors

    def bound_of(i: int) -> tuple[float, float, int]:
        """(upper bound of the score, weight explained, entry)"""
        explained = sum([weights[t] * g[0] for t, g in gained[i].items()])
        return min(100.0, priors[i] * explained / known), explained, i

    exact: dict[int, tuple[float, float]] = {}  # entry -> (score, explained)

    def score_of(bound: float, explained: float, i: int) -> float:
        fit = _title_fit(index, i, {g[1] for g in gained[i].values()})
        exact[i] = (bound * (knobs.title_fit_base + (1 - knobs.title_fit_base) * fit), explained)
        return exact[i][0]

    # Title fit only scales a score down, so 100 × prior × coverage bounds it from above:
    # entries are scored exactly in bound order until the bound falls below the
    # `limit`-th best exact score (the rest cannot enter the results).
    # a heap rather than a sort: the loop stops after a few entries of thousands
    bounds = [(-b, -e, i) for b, e, i in map(bound_of, gained)]
    heapq.heapify(bounds)
    best: list[float] = []  # min-heap of the `limit` best exact scores so far
    while bounds:
        negative, unexplained, i = heapq.heappop(bounds)
        bound, explained = -negative, -unexplained
        if len(best) >= limit and bound < best[0]:
            break
        score = score_of(bound, explained, i)
        if len(best) < limit:
            heapq.heappush(best, score)
        elif score > best[0]:
            heapq.heapreplace(best, score)
    if not listing:
        # Exchanges exact scores between scored entries (and scores a commitment on
        # demand, below its bound): the `limit` best scores can only rise, so every entry
        # left unscored still cannot enter the results.
        _family_order(index, gained, weights, exact, lambda c: score_of(*bound_of(c)), limit)
    scored = sorted(((s, e, i) for i, (s, e) in exact.items()),
                    key=lambda s: (-s[0], -s[1], s[2]))[:limit]
    candidates = tuple(Candidate(_entry_match(index, i, score), gained[i], weights)
                       for score, _, i in scored)
    ranking = Ranking(candidates, tuple(e for _, e, _ in scored), weights, known, unknown,
                      lookups, tuple(i for _, _, i in scored), closest=closest, votes=votes)

    def fit(i: int) -> tuple[float, float]:
        """An entry's exact (score, explained), scored now if it was not yet."""
        if i not in exact:
            score_of(*bound_of(i))
        return exact[i]

    return _with_neighbours(index, ranking, gained, fit)


def _with_neighbours(index: Index, ranking: Ranking, gained: Mapping[int, dict[str, _Gain]],
                     scored: Callable[[int], tuple[float, float]]) -> Ranking:
    """The ranking with up to `neighbours` entries that many of users' phrasings closest to
    the question belong to, placed after the first `rerank_depth`, when the rank step left
    them out. Their lexical score is kept (0 without a shared term)."""
    knobs = index.tuning
    taken = set(ranking.positions[:knobs.rerank_depth])
    near = sorted(((share, i) for i, share in ranking.votes.items()
                   if share >= knobs.neighbour_min and i not in taken), reverse=True)
    added = [i for _, i in near][:knobs.neighbours]
    if not added:
        return ranking
    rest = [k for k, i in enumerate(ranking.positions) if k >= knobs.rerank_depth
            and i not in added]
    head = range(min(knobs.rerank_depth, len(ranking.positions)))
    fits = {i: scored(i) if i in gained else (0.0, 0.0) for i in added}
    weights = ranking.weights
    candidates = (*(ranking.candidates[k] for k in head),
                  *(Candidate(_entry_match(index, i, fits[i][0]), gained.get(i, {}), weights)
                    for i in added),
                  *(ranking.candidates[k] for k in rest))
    return replace(ranking, candidates=candidates,
                   explained=(*(ranking.explained[k] for k in head),
                              *(fits[i][1] for i in added),
                              *(ranking.explained[k] for k in rest)),
                   positions=(*(ranking.positions[k] for k in head), *added,
                              *(ranking.positions[k] for k in rest)),
                   neighbours=len(added))


def _entry_match(index: Index, i: int, score: float) -> Match:
    entry = index.entries[i]
    return Match(entry.id, entry.kind, round(score, 1), entry.title)


def _holds_key(area: dict[str, _Gain], child: dict[str, _Gain], weights: dict[str, float],
               share: float) -> bool:
    """Does the commitment hold, at least as strongly, the term that weighs most in its
    area's score (the area's most specific evidence, usually a keyword it shares)?"""
    key = max(area, key=lambda t: (weights[t] * area[t][0], t))
    if key not in child or child[key][0] < area[key][0]:
        return False
    own = sum(weights[t] * g[0] for t, g in child.items())
    return own >= share * sum(weights[t] * g[0] for t, g in area.items())


def _family_order(index: Index, gained: dict[int, dict[str, _Gain]], weights: dict[str, float],
                  exact: dict[int, tuple[float, float]], score: Callable[[int], float],
                  limit: int) -> None:
    """Put a commitment above its own area when it holds the area's key evidence.

    An area's keywords are its commitments' keywords and its title holds general words
    (维和人员, 问责), so a question about one commitment often scores its area higher: the
    area adds a common word to the commitment's specific one. Unless the question asks
    for a list (handled by the caller), the commitment is the precise answer; the pair's
    scores are exchanged, so the area stays next to it and the set of scores — what the
    bound-ordered pruning compares against — does not change, except that a commitment
    not yet scored is scored exactly here (below its bound, like every other score).
    """
    # an area below the `limit`-th best score cannot put a commitment into the results
    floor = heapq.nlargest(limit, (s for s, _ in exact.values()))[-1] if exact else 0.0
    for a in sorted((i for i, (s, _) in exact.items()
                     if s >= floor and index.entries[i].kind == "area"),
                    key=lambda i: (-exact[i][0], i)):
        matched = {g[1] for g in gained[a].values()}
        if any(matched <= label for label in index.labels[a]):
            continue  # the question names the area ("绩效与问责", "conduct and discipline")
        kids = [c for c in index.children.get(a, ()) if c in gained
                and _holds_key(gained[a], gained[c], weights, index.tuning.family_share)]
        if not kids:
            continue
        for c in kids:
            if c not in exact:
                score(c)
        c = max(kids, key=lambda k: (exact[k][0], -k))
        if exact[a][0] > exact[c][0]:
            exact[a], exact[c] = exact[c], exact[a]


def _evidence(gains: Mapping[str, _Gain], weights: Mapping[str, float]) -> tuple[Evidence, ...]:
    found = [Evidence(term, other, fld, channel, similarity, weights[term])
             for term, (_, other, fld, channel, similarity) in gains.items()]
    return tuple(sorted(found, key=lambda e: -e.weight))


def _is_listing(tokens: list[str]) -> bool:
    """Does the question ask for a list ("…方面有哪些承诺")? Read from the tokens, before
    stopwords are dropped: most listing words (哪些, 方面) say nothing about the topic."""
    text = "".join(tokens)
    return (any(word in text for word in LISTING_WORDS) or bool(_COUNTING.search(text))
            or not LISTING_TOKENS.isdisjoint(tokens))


# -- rerank --------------------------------------------------------------------------

def _products(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str, str], ...]:
    """(name, factor, factor) of each product a model weighs: the one place a product's name
    ("share*margin") is made, for the rerank model's signals and the decision's features."""
    return tuple((f"{a}*{b}", a, b) for a, b in pairs)


#: the rerank model's evidence about each candidate, as `signals` gives it
SIGNALS = ("score", "relative", "example", "grams", "grams_example", "votes", "area",
           "paragraph", "faq", "listing_area", "position", "documented", "covered", "title_fit",
           "definition", "bayes")
_KINDS = frozenset({"area", "paragraph", "faq", "listing_area"})
# A flag of the question, the same for all its candidates: it can only reorder them through
# its products (a title fit or an FAQ entry means more when the question asks what
# something is), so its square is left out and its own coefficient stays 0.
_OF_THE_QUESTION = frozenset({"definition"})
# The rerank model is quadratic as the decision is: it weighs the signals' products two by
# two and their squares too (a bigram match means more beside a close lexical score than a
# weak one, a vote more for a paragraph than for a commitment). Products of two kind flags
# are left out: they are 0 or a copy of one flag. Fitted to convergence and graded ten
# folds of the development sets apart, the right entry came first for 0.968 of the
# questions holding it with the first eleven signals alone, 0.971 with their products and
# 0.972 with the next three (`_coverage`) and theirs, 0.9725 with `definition`'s products
# (questions whose answer is F1, "what is A4P", 0.941 -> 0.957).
RERANK_PRODUCTS = _products((a, b) for a, b in combinations_with_replacement(SIGNALS, 2)
                            if not (a in _KINDS and b in _KINDS)
                            and not (a == b and a in _OF_THE_QUESTION))
#: the columns of `rerank_design`: what `rerank_coefficients` weigh
RERANK_FEATURES = (*SIGNALS, *(name for name, _, _ in RERANK_PRODUCTS))
_FACTORS = (np.array([SIGNALS.index(a) for _, a, _ in RERANK_PRODUCTS], dtype=np.intp),
            np.array([SIGNALS.index(b) for _, _, b in RERANK_PRODUCTS], dtype=np.intp))


def rerank_design(rows: tuple[Mapping[str, float], ...]) -> np.ndarray:
    """The candidates' signals and their products, one row each (`RERANK_FEATURES`)."""
    x = np.array([[row[s] for s in SIGNALS] for row in rows], dtype=float).reshape(-1, len(SIGNALS))
    return np.hstack([x, x[:, _FACTORS[0]] * x[:, _FACTORS[1]]])


def signals(index: Index, question: Question, ranking: Ranking) -> tuple[dict[str, float], ...]:
    """Per candidate, the evidence the rerank model weighs (all roughly 0–1)."""
    listing = question.listing
    best = max(ranking.candidates[0].match.score, 1e-9)
    wholes = index.grams.whole(question.grams)
    likeliest = index.grams.likeliest(question.grams)
    rows = []
    for place, (candidate, i) in enumerate(zip(ranking.candidates, ranking.positions)):
        kind = candidate.match.kind
        rows.append({
            "score": candidate.match.score / 100,
            "relative": candidate.match.score / best,
            "example": example_fit(index, i, ranking.weights, ranking.lookups),
            "grams": float(wholes[i]),
            "grams_example": float(ranking.closest[i]),
            "votes": ranking.votes.get(i, 0.0),
            "area": float(kind == "area"),
            "paragraph": float(kind == "paragraph"),
            "faq": float(kind == "faq"),
            "listing_area": float(listing and kind == "area"),
            "position": 1 / (1 + place),
            **_coverage(index, i, candidate.gains, ranking.weights),
            "definition": float(question.defining),
            "bayes": float(likeliest[i]),
        })
    return tuple(rows)


def _coverage(index: Index, i: int, gains: Mapping[str, _Gain], weights: Mapping[str, float]
              ) -> dict[str, float]:
    """How entry `i` explains the question: the share of its evidence found in the
    catalogue's own texts rather than in example questions (a word one user once used,
    *matin*, *briefing*, is weaker than a keyword), the share of the question's known terms
    it matched, and how much of its title the question covers."""
    total = documented = 0.0
    for term, gain in gains.items():
        total += weights[term] * gain[0]
        if gain[2] not in ("asked", "examples"):
            documented += weights[term] * gain[0]
    known = sum(1 for w in weights.values() if w > 0)
    return {"documented": documented / total if total else 0.0,
            "covered": sum(1 for t in gains if weights[t] > 0) / known if known else 0.0,
            "title_fit": _title_fit(index, i, {gain[1] for gain in gains.values()})}


def rerank(index: Index, question: Question, ranking: Ranking) -> Ranking:
    """The candidates reordered by the rerank model, with its probabilities."""
    if not ranking.candidates:
        return ranking
    depth = index.tuning.rerank_depth + ranking.neighbours
    head = replace(ranking, candidates=ranking.candidates[:depth],
                   explained=ranking.explained[:depth], positions=ranking.positions[:depth])
    rows = signals(index, question, head)
    logits = (rerank_design(rows) @ index.tuning.rerank_weights).tolist()
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    # the entries below the rerank depth keep the rank step's order, after the reranked ones
    order = [*sorted(range(len(rows)), key=lambda k: (-logits[k], k)),
             *range(len(rows), len(ranking.candidates))]

    def ordered(values: tuple[Any, ...] | list[Any]) -> tuple[Any, ...]:
        return tuple(values[k] for k in order if k < len(values))

    return replace(ranking, candidates=ordered(ranking.candidates),
                   explained=ordered(ranking.explained), positions=ordered(ranking.positions),
                   signals=ordered(rows), probabilities=ordered([e / total for e in exps]))


# -- decide --------------------------------------------------------------------------

def _related(index: Index, a: str, b: str) -> bool:
    """Two ids of one family (a commitment, its area, the paragraph it cites): a runner-up
    from the same family confirms the best entry rather than competing with it."""
    if a == b:
        return True
    ea, eb = index.catalogue.get(a), index.catalogue.get(b)
    family = {a}
    for entry in (ea, eb):
        if isinstance(entry, Commitment):
            family |= {entry.id, entry.area, entry.paragraph}
    return b in family or (isinstance(eb, Commitment) and a in (eb.area, eb.paragraph))


def example_fit(index: Index, i: int, weights: dict[str, float], lookups: Lookups) -> float:
    """Cosine (idf-weighted) between the question and entry `i`'s closest example question:
    several of the question's words together in one user phrasing are stronger evidence
    than the same words scattered over an entry's fields. (A decision feature only: as a
    ranking bonus it lowered the development sets' rank-1 rate, 0.910 -> 0.897 at +30 %.)"""
    holding = index.example_terms[i]
    if not holding.size:
        return 0.0
    idf, spans, positions = index.idf, holding.spans, holding.positions
    # per example, the question terms' gains summed, term by term in the question's order
    # (the same floats as a loop over examples: each example's sum runs in that order)
    dots = np.zeros(holding.size)
    for t, found in lookups.items():
        if len(found) == 1:  # one catalogue term (most terms: an exact match): one gain each
            x, sim, _ = found[0]
            if span := spans.get(x):
                dots[positions[span[0]:span[1]]] += weights[t] * idf[x] * sim
            continue
        # per example, the strongest catalogue term this question term matched there
        best = np.zeros(holding.size)
        for x, sim, _ in found:
            if span := spans.get(x):
                held = positions[span[0]:span[1]]
                best[held] = np.maximum(best[held], weights[t] * idf[x] * sim)
        dots += best
    norm_q = math.sqrt(sum(w * w for w in weights.values()))
    return float((dots / index.example_norms[i]).max()) / norm_q if norm_q else 0.0


def features(index: Index, question: Question, ranking: Ranking, normalised: str
             ) -> dict[str, float]:
    """The evidence the decision weighs about the best entry of a reranked `ranking` (all
    roughly 0–1)."""
    top = ranking.candidates[0]
    matched = [e for e in top.evidence if e.weight > 0]
    specific = [e for e in matched if e.matched not in index.generic]
    explained = ranking.explained[0]
    exact = sum(e.weight for e in matched if e.channel == "exact")
    # the runner-up among the first `max_results`, so the decision never depends on how
    # many results a caller asked for
    runner = next((c.match.score for c in ranking.candidates[1:index.tuning.max_results]
                   if not _related(index, top.match.id, c.match.id)), 0.0)
    terms = len(ranking.weights)
    share = top.match.score / 100
    evidence = min(explained, 12.0) / 6.0
    mine = ranking.signals[0]  # the rerank step's evidence about the best entry
    example = mine["example"]
    chances = ranking.probabilities  # in rerank order: best first
    return {
        "share": share,
        "evidence": evidence,
        "specific": min(len(specific), 4) / 2.0,
        "generic_only": float(not specific),
        "exact": exact / max(sum(e.weight for e in matched), 1e-9),
        # at least −1: a neighbour the rank step scored 0 may lead after the rerank
        "margin": max(-1.0, (top.match.score - runner) / max(top.match.score, 1e-9)),
        "unknown": ranking.unknown / terms if terms else 1.0,
        "number": float(bool(_NUMBER.search(normalised))),
        "quantity": float(bool(_QUANTITY.search(_COUNTED.sub(" ", normalised)))),
        "off_topic": float(index.off_topic.found_in(normalised)),  # 工资, visa
        # like the questions users asked that no entry answers (asked.yaml's `none`)
        "outside": index.outside.closest(question.grams),
        # … and how much likelier its wording is among all of them than among the answered
        "outside_odds": index.odds.outside_chance(question.grams.keys()),
        "example": example,
        "matched": min(len(matched), 5) / 5.0,
        "grams": mine["grams"],
        "grams_example": mine["grams_example"],
        "votes": mine["votes"],
        "rerank": chances[0],
        "rerank_margin": chances[0] - (chances[1] if len(chances) > 1 else 0.0),
        "defines": _defines(index, question, ranking),
    }


def _defines(index: Index, question: Question, ranking: Ranking) -> float:
    """Does the question ask what the best entry's title names, and name nothing else
    ("A4P是什么", "c'est quoi le HRDDP")? A4P weighs little as a term, because most
    questions name it in passing, yet alone it is the whole question (F1)."""
    if not question.defining:
        return 0.0
    subject = {t for t in ranking.weights if t in index.postings
               and t not in index.generic and t not in index.example_only}
    return float(bool(subject) and subject <= index.title_words[ranking.positions[0]])


# The decision's main evidence, whose products two by two the logistic models weigh too (a
# quadratic model): one piece means more or less by another's value — the rerank model's
# chance by how much evidence a terse question holds, a margin by how much of the question
# the best entry explains (share × evidence: it explains much of a rich question). Fitted on
# the 170 development sets and graded a set at a time on models fitted without it, the
# products took the top-1 rate from 0.932 to 0.940 (precision 0.976 → 0.974, 17 sets under
# 0.95 either way) and, at the same pooled precision of 0.975, from 0.934 to 0.937; the
# models' log loss fell from 0.107 to 0.101. benchmarks/calibrate.py fits them with the rest.
PAIRED = ("share", "evidence", "margin", "example", "rerank", "rerank_margin", "grams",
          "outside", "unknown", "specific")
PAIRS = tuple(combinations(PAIRED, 2))
PRODUCTS = _products(PAIRS)


def weighed(feats: Mapping[str, float]) -> dict[str, float]:
    """The features the decision's models weigh: `features`' own, and `PRODUCTS`."""
    out = dict(feats)
    out.update((name, feats[a] * feats[b]) for name, a, b in PRODUCTS)
    return out


def confidence(tuning: Tuning, feats: Mapping[str, float],
               coefficients: Mapping[str, float] | None = None) -> float:
    """The logistic model's probability that the best entry is the right answer (or, with
    `suggest_coefficients`, that the right entry is among the choices); `feats` as
    `weighed` gives them, products and all."""
    w = tuning.coefficients if coefficients is None else coefficients
    z = w.get("bias", 0.0) + sum(w.get(name, 0.0) * value for name, value in feats.items())
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def _all_domain(feats: Mapping[str, float]) -> bool:
    """Every word of the question is a catalogue word, one of them specific and matched
    exactly, and the best entry explains at least half of them."""
    return (not feats["unknown"] and not feats["generic_only"] and feats["exact"] == 1.0
            and feats["share"] >= 0.5 and not feats["quantity"])


def _only_terms(question: Question) -> bool:
    """The question is its terms and little else ("培训", "mandat", not "我们营什么时候轮换"):
    measured on its tokens, where an English or French word already stands as the catalogue
    term it translates to."""
    terms = set(question.terms)
    total = sum(len(t) for t in question.tokens if not is_blank(t))
    return bool(total) and sum(len(t) for t in question.tokens if t in terms) >= 0.8 * total


def _names_a_resolution(normalised: str) -> bool:
    """Does the question name a resolution by its number?"""
    return bool(_RESOLUTION.search(normalised))


def decide(index: Index, question: Question, ranking: Ranking, normalised: str) -> Decision:
    """Answer, suggest or refuse, from the evidence about the best entry."""
    if not ranking.candidates:
        return Decision("refuse", 0.0)
    feats = features(index, question, ranking, normalised)
    knobs = index.tuning
    both = weighed(feats)  # the products once, for the two models
    p = confidence(knobs, both)
    verdict = ("answer" if p >= knobs.answer_at
               else "suggest" if confidence(knobs, both, knobs.suggest_coefficients)
               >= knobs.suggest_at else "refuse")
    if verdict == "answer" and ((feats["generic_only"] and feats["matched"])
                                or _names_a_resolution(normalised)):
        verdict = "suggest"  # a generic word alone (标准, 钱) is never a confident answer,
        # nor a card about resolutions or WPS to what resolution 2436 or 1325 says
    elif verdict == "refuse" and _all_domain(feats) and _only_terms(question):
        verdict = "suggest"  # 培训, 环境: a topic named in catalogue words alone is no dead end
    return Decision(verdict, p, _frozen(feats))


# -- the steps together --------------------------------------------------------------

def _smalltalk(index: Index, normalised: str, terms: list[str]) -> str | None:
    text = compact(normalised)
    if text in index.smalltalk:
        return index.smalltalk[text]
    if terms:  # a greeting with a topic ("你好，保护平民") is a question
        return None
    for phrase, kind in index.smalltalk.items():
        if phrase and text.startswith(phrase) and len(text) - len(phrase) <= 2:
            return kind
    return None


def _actor(index: Index, question: Question, terms: list[str]) -> str | None:
    """The actor a question asks about when it asks what that actor must do, and nothing else.

    Besides the actor and generic duty words, a question may hold one word the catalogue
    does not know at all ("秘书长那边答应了啥" once 那边 slips through). A question that names
    an actor without asking about its duties ("秘书长是谁") is not a request for its list.
    """
    present = set(terms)
    text = "".join(question.tokens)
    if not any(cue in text for cue in DUTY_CUES) and not question.listing:
        return None
    for actor, words in index.actor_terms.items():
        if not words or not words <= present:
            continue
        rest = present - words - ACTOR_GENERIC
        if not rest or (len(rest) == 1 and not index.similar(next(iter(rest)))):
            return actor
    return None


def match(question: str, index: Index, *, limit: int | None = None) -> Result:
    """Answer a question: ranked matches when confident, else suggestions, else nothing."""
    knobs = index.tuning
    limit = limit or knobs.max_results
    normalised = normalise(question)[:knobs.max_chars]
    base: dict[str, Any] = {"question": question, "normalised": normalised}
    if is_blank(normalised):
        return Result(intent="blank", **base)
    if references := find_references(normalised, index.highest):
        if _MENTION.search(normalised) and (about := _about_typing(index, normalised, base,
                                                                    limit)):
            return about
        return _from_references(index, references, base)
    asked = index.question(normalised)
    terms = asked.resolved()
    if kind := _smalltalk(index, normalised, terms):
        return Result(intent="smalltalk", smalltalk=kind, terms=tuple(terms),
                      matches=index.help_matches[:1] if kind == "help" else (), **base)
    if actor := _actor(index, asked, terms):
        commitments = index.catalogue.commitments_by(actor)
        matches = tuple(Match(c.id, c.kind, ACTOR_SCORE, c.title) for c in commitments)
        return Result(intent="actor", actor=actor, matches=matches, terms=tuple(terms), **base)
    return _search(index, asked, normalised, base, limit)


def _about_typing(index: Index, normalised: str, base: dict[str, Any], limit: int
                  ) -> Result | None:
    """A reference given as an example of what to type ("can I type C14?", 比如输个29) is
    mentioned, not asked about: the question is about the bot when the search answers it
    with an FAQ entry (F6, how to ask) with confidence."""
    found = _search(index, index.question(normalised), normalised, base, limit)
    return found if found.matches and found.matches[0].kind == "faq" else None


def _search(index: Index, asked: Question, normalised: str, base: dict[str, Any], limit: int
            ) -> Result:
    """Rank, rerank and decide: the route of every question that names no entry outright."""
    knobs = index.tuning
    ranking = rank(index, asked, max(limit, knobs.rerank_depth))
    ranking = rerank(index, asked, ranking)
    decision = decide(index, asked, ranking, normalised)
    top = ranking.candidates[0].match.score if ranking.candidates else 0.0
    ranked = tuple(c.match for k, (c, chance)
                   in enumerate(zip(ranking.candidates[:limit], ranking.probabilities))
                   if c.match.score >= knobs.keep_share * top
                   and (k == 0 or chance >= knobs.keep_chance))
    matches = _best_first(ranked) if decision.verdict == "answer" else ()
    # choices are the rerank model's first: a runner-up it ranks high is worth a button
    # even when its rank score is far below the best one's
    suggestions = (_best_first(c.match for c in ranking.candidates[:knobs.max_suggestions])
                   if decision.verdict == "suggest" else ())
    return Result(intent="search", matches=matches, suggestions=suggestions,
                  terms=tuple(asked.terms), weights=ranking.weights,
                  candidates=ranking.candidates, probabilities=ranking.probabilities,
                  decision=decision, **base)


def _best_first(matches: Iterable[Match]) -> tuple[Match, ...]:
    """Matches in the rerank model's order, each score capped by the one before it: whoever
    reads the scores (ask --json) reads the same order (the rank step's lexical scores, in
    `Result.candidates`, stay as they were)."""
    out: list[Match] = []
    for m in matches:
        out.append(replace(m, score=min(m.score, out[-1].score)) if out else m)
    return tuple(out)


def _from_references(index: Index, references: Iterable[Reference], base: dict[str, Any]
                     ) -> Result:
    refs = tuple(references)
    matches = tuple(Match(e.id, e.kind, REFERENCE_SCORE, e.title)
                    for r in refs if (e := index.catalogue.get(r.id)) is not None)
    return Result(intent="reference" if matches else "out_of_range", matches=matches,
                  references=refs, **base)
