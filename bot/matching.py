"""Question -> ranked catalogue ids.

A pure function of (question, index), shaped like RapidFuzz's `process.extract`: the
question first, knobs keyword-only, a miss is an empty result rather than an exception.

How a free question is scored: it is cut into canonical terms (`Segmenter`); each term is
looked up in the catalogue's vocabulary exactly, then by RapidFuzz's `ratio` on characters
(typos), then by toneless pinyin (homophones: 保户 = 保护). An entry's score is the
share of the question's weight it explains, each term weighted by the rarity (idf) of the
catalogue word it matched, times the strength of the field it matched in (title and
keywords above body text), times how much of the entry's own title the question covers.
When a question is about one commitment and not a list, the commitment ranks above its own
area even where the area scores higher (the area carries its commitments' keywords and
general title words such as 维和人员; `_family_order`).
Terms the catalogue has never seen keep weight in the denominator, which is what makes
"今天天气怎么样" score 0 and "维和津贴多少钱" score low. Before scoring, the pieces of a
misspelt domain compound (非州联盟 -> 非州 / 联盟) are rejoined and resolved to the
compound (`repair.py`), since no single piece resembles it.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from rapidfuzz import fuzz, process

from .catalogue import ACTORS, Area, Catalogue, Commitment, Entry
from .normalisation import is_blank, normalise, strip_punctuation
from .references import Reference, find_references
from .repair import CompoundRepair
from .segmenter import Segmenter, is_han, is_latin, pinyin_key

# -- tuning: every knob in one place, chosen on tests/data/questions.yaml -------------
DEFAULT_THRESHOLD = 44.0   # below: "I don't know"; benchmarks/calibrate.py (max utility, margin)
MAX_RESULTS = 5
MIN_EVIDENCE = 1.2         # idf mass a top answer must explain (rules out "维和" alone)
FIELD_WEIGHTS = {"title": 1.0, "keywords": 1.0, "foreign": 1.0, "text": 0.75, "context": 0.5}
KIND_PRIOR = {"commitment": 1.0, "area": 0.96, "paragraph": 0.9}
FAMILY_ORDER = True        # a commitment holding its area's key evidence ranks above the area
FAMILY_SHARE = 0.5         # ... when it explains at least this share of what the area explains
PARTIAL_TITLE = True       # 平民 covers half of the title term 保护平民
LISTING_AREA_PRIOR = 1.08  # "伙伴关系方面有哪些承诺" asks for an area's list
TITLE_FIT_BASE = 0.7       # score share that does not depend on covering the entry's title
HAN_FUZZY_CUTOFF = 66.0    # fuzz.ratio for Chinese terms: one wrong character in three
LATIN_FUZZY_CUTOFF = 80.0  # civilian ~ civilians, sécurité ~ securite
FUZZY_DISCOUNT = 0.85
FUZZY_LENGTH_PENALTY = 0.5  # × relative length gap: 伙伴 is half of 伙伴关系, not a typo of it
HOMOPHONE_SIMILARITY = 0.9
UNKNOWN_TERM_WEIGHT = 2.2  # weight of a question term the catalogue does not know
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
DUTY_CUES = ("做", "干", "负责", "承诺", "答应", "任务", "责任", "义务", "职责", "该", "应")
# Words that ask for an area's list, looked for in the question before stopwords go (most
# are stopwords): 都有 covers 都有什么 / 都有啥, 块 and 部分 "安全那块", "妇女那部分".
LISTING_WORDS = frozenset({"哪些", "方面", "领域", "有关", "相关", "所有", "全部", "清单", "都有",
                           "那块", "这块", "一块", "部分"})


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
    content terms, and for terms that are rejoined misspelt compounds what they stand for."""

    tokens: list[str]
    terms: list[str]
    corrections: dict[str, tuple[tuple[str, float, str], ...]]

    def resolved(self) -> list[str]:
        """The terms with each corrected compound replaced by the catalogue terms it stands for."""
        return [c for t in self.terms
                for c in ([x for x, _, _ in self.corrections[t]] if t in self.corrections else [t])]


@dataclass(frozen=True)
class Candidate:
    match: Match
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Result:
    """Everything the matcher concluded about one question."""

    question: str
    normalised: str
    intent: str  # search | reference | actor | smalltalk | blank | out_of_range
    matches: tuple[Match, ...] = ()
    terms: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()
    references: tuple[Reference, ...] = ()
    threshold: float = DEFAULT_THRESHOLD
    actor: str | None = None
    smalltalk: str | None = None

    @property
    def answered(self) -> bool:
        return bool(self.matches)

    @property
    def missed(self) -> bool:
        """A real question the knowledge could not answer (worth logging for maintainers)."""
        return self.intent == "search" and not self.matches


def _fields(entry: Entry) -> list[tuple[str, str]]:
    """(field, text) pairs of an entry, in the order they are indexed."""
    if isinstance(entry, Area):
        return [("title", entry.title), *(("title", a) for a in entry.aliases),
                *(("keywords", k) for k in entry.keywords),
                ("foreign", entry.title_en), ("foreign", entry.title_fr),
                ("text", entry.summary), ("context", entry.secretariat)]
    if isinstance(entry, Commitment):
        return [("title", entry.title), *(("keywords", k) for k in entry.keywords),
                ("foreign", entry.title_en), ("foreign", entry.title_fr), ("text", entry.text)]
    return [("text", entry.text), ("context", entry.section)]


class Index:
    """The catalogue cut into terms once, with postings, idf and fuzzy look-up tables."""

    def __init__(self, catalogue: Catalogue, segmenter: Segmenter | None = None) -> None:
        self.catalogue = catalogue
        self.segmenter = segmenter or Segmenter(catalogue.vocabulary)
        self.entries: list[Entry] = list(catalogue.entries())
        # term -> {entry index: (best field, field weight)}
        self.postings: dict[str, dict[int, tuple[str, float]]] = defaultdict(dict)
        self.labels: list[list[frozenset[str]]] = []  # per entry: term sets of its titles
        position = {entry.id: i for i, entry in enumerate(self.entries)}
        # per area entry: the entries of the commitments listed under it
        self.children: dict[int, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            if isinstance(entry, Commitment) and entry.area in position:
                self.children[position[entry.area]].append(i)
        for i, entry in enumerate(self.entries):
            labels: list[frozenset[str]] = []
            for fld, text in _fields(entry):
                terms = self.segmenter.terms(normalise(text))
                if fld in ("title", "foreign") and terms:
                    labels.append(frozenset(terms))
                weight = FIELD_WEIGHTS[fld]
                for term in terms:
                    if self.postings[term].get(i, ("", 0.0))[1] < weight:
                        self.postings[term][i] = (fld, weight)
            self.labels.append(labels)
        n = len(self.entries)
        self.idf = {t: math.log((n + 1) / (len(p) + 0.5)) for t, p in self.postings.items()}
        # per entry: (title term set, its idf total), for the title-fit share
        self.label_weights: list[list[tuple[frozenset[str], float]]] = [
            [(label, total) for label in labels
             if (total := sum(self.idf.get(t, 1.0) for t in label))] for labels in self.labels]
        # title term -> the catalogue terms inside it, with the share of it each covers
        self.parts: dict[str, tuple[tuple[str, float], ...]] = {}
        for term in {t for labels in self.labels for label in labels for t in label}:
            inner = {term[a:b] for a in range(len(term)) for b in range(a + 2, len(term) + 1)
                     if b - a < len(term) and term[a:b] in self.postings}
            if inner and is_han(term):
                self.parts[term] = tuple((t, len(t) / len(term)) for t in sorted(inner))
        self.han_vocab = [t for t in self.postings if is_han(t)]
        self.latin_vocab = [t for t in self.postings if is_latin(t)]
        self.actor_terms = {actor: set(self.segmenter.terms(normalise(label)))
                            for actor, label in ACTORS.items() if actor != "collective"}
        self.actor_terms["collective"] = {"集体"}
        smalltalk = catalogue.vocabulary.smalltalk
        self.smalltalk = {self._compact(normalise(p)): kind
                          for kind, phrases in smalltalk.items() for p in phrases}
        self._homophones: dict[str, list[str]] | None = None
        compounds = [w for w in self.segmenter.domain_words
                     if (ts := self.segmenter.terms(w)) and all(t in self.postings for t in ts)]
        self.repair = CompoundRepair(compounds, self._known)
        # The index is millions of long-lived objects; left to the cyclic garbage collector
        # each full collection walks them all (~100 ms pauses at 100× catalogue size).
        gc.freeze()

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
            # no FUZZY_DISCOUNT: a whole domain compound within a few edits is stronger
            # evidence than a loose `ratio` match of one short term
            strength = max(similarity, HOMOPHONE_SIMILARITY) if homophone else similarity
            corrections[text] = tuple((t, strength, "pinyin" if homophone else "fuzzy")
                                      for t in self.segmenter.terms(word))
        terms = [t for t in self.segmenter.content(tokens)
                 if t in corrections or not self._glued(t)]
        return Question(tokens, terms, corrections)

    def _glued(self, term: str) -> bool:
        """A two-character term that is a function character stuck to a neighbour."""
        return (len(term) == 2 and is_han(term) and not FUNCTION_CHARS.isdisjoint(term)
                and not self.similar(term))

    @staticmethod
    def _compact(text: str) -> str:
        return strip_punctuation(text).replace(" ", "")

    def homophones(self) -> dict[str, list[str]]:
        """pinyin -> catalogue terms; built on the first question that needs it."""
        if self._homophones is None:
            table: dict[str, list[str]] = defaultdict(list)
            for term in self.han_vocab:
                if key := pinyin_key(term):
                    table[key].append(term)
            self._homophones = dict(table)
        return self._homophones

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

    @lru_cache(maxsize=8192)  # noqa: B019 - the index lives as long as the process
    def similar(self, term: str) -> tuple[tuple[str, float, str], ...]:
        """Catalogue terms that `term` may stand for: (term, similarity, channel)."""
        if term in self.postings:
            return ((term, 1.0, "exact"),)
        found: dict[str, tuple[float, str]] = {}
        latin = is_latin(term)
        vocab = self.latin_vocab if latin else self.han_vocab
        cutoff = LATIN_FUZZY_CUTOFF if latin else HAN_FUZZY_CUTOFF
        for other, score, _ in process.extract(term, vocab, scorer=fuzz.ratio,
                                               score_cutoff=cutoff, limit=5):
            gap = abs(len(other) - len(term)) / max(len(other), len(term))
            found[other] = (score / 100 * FUZZY_DISCOUNT * (1 - FUZZY_LENGTH_PENALTY * gap), "fuzzy")
        if is_han(term) and (key := pinyin_key(term)):
            # A real word (工资) that merely sounds like a variant (供资) is not a typo of it.
            variants = () if self.segmenter.is_word(term) else self.variant_homophones.get(key, ())
            for other in (*self.homophones().get(key, ()), *variants):
                if found.get(other, (0.0, ""))[0] < HOMOPHONE_SIMILARITY:
                    found[other] = (HOMOPHONE_SIMILARITY, "pinyin")
        ranked = sorted(found.items(), key=lambda kv: -kv[1][0])
        return tuple((t, s, c) for t, (s, c) in ranked)


def _entry_match(index: Index, i: int, score: float) -> Match:
    entry = index.entries[i]
    return Match(entry.id, entry.kind, round(score, 1), entry.title)


def _title_fit(index: Index, i: int, matched: set[str]) -> float:
    """Share (idf-weighted) of the entry's best-covered title that the question matched.

    A title term that contains a matched term counts for the part it covers: 平民 covers
    half of the title 保护平民 (one domain word, so one term, not 保护 + 平民).
    """
    best = 0.0
    for label, total in index.label_weights[i]:
        covered = 0.0
        for t in label:
            if t in matched:
                covered += index.idf.get(t, 1.0)
            elif PARTIAL_TITLE and (parts := index.parts.get(t)):
                share = max((share for part, share in parts if part in matched), default=0.0)
                covered += index.idf.get(t, 1.0) * share
        best = max(best, covered / total)
    return best


# (strength = similarity × field weight, matched term, field, channel, similarity)
_Gain = tuple[float, str, str, str, float]


def _gains(index: Index, lookups: dict[str, tuple[tuple[str, float, str], ...]]
           ) -> dict[int, dict[str, _Gain]]:
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


def _score(index: Index, question: Question, threshold: float, limit: int
           ) -> tuple[tuple[Match, ...], tuple[Candidate, ...], dict[str, float]]:
    weights: dict[str, float] = {}
    lookups: dict[str, tuple[tuple[str, float, str], ...]] = {}
    listing = _is_listing(question.tokens)
    for term in dict.fromkeys(question.terms):
        lookups[term] = question.corrections.get(term) or index.similar(term)
        weights[term] = (max(index.idf[t] for t, _, _ in lookups[term]) if lookups[term]
                         else UNKNOWN_TERM_WEIGHT)
    total = sum(weights.values())
    if not total:
        return (), (), weights
    gained = _gains(index, lookups)

    def bound_of(i: int) -> tuple[float, float, int]:
        """(upper bound of the score, idf mass explained, entry)"""
        explained = sum(weights[t] * g[0] for t, g in gained[i].items())
        kind = index.entries[i].kind
        prior = LISTING_AREA_PRIOR if (listing and kind == "area") else KIND_PRIOR[kind]
        return min(100.0, 100 * prior * explained / total), explained, i

    exact: dict[int, tuple[float, float]] = {}  # entry -> (score, explained)

    def score_of(bound: float, explained: float, i: int) -> float:
        fit = _title_fit(index, i, {g[1] for g in gained[i].values()})
        exact[i] = (bound * (TITLE_FIT_BASE + (1 - TITLE_FIT_BASE) * fit), explained)
        return exact[i][0]

    # Title fit only scales a score down, so 100 × prior × coverage bounds it from above:
    # entries are scored exactly in bound order until the bound falls below the
    # `limit`-th best exact score (the rest cannot enter the results).
    bounds = sorted(map(bound_of, gained), key=lambda b: (-b[0], -b[1], b[2]))
    best: list[float] = []  # min-heap of the `limit` best exact scores so far
    for bound, explained, i in bounds:
        if len(best) >= limit and bound < best[0]:
            break
        score = score_of(bound, explained, i)
        if len(best) < limit:
            heapq.heappush(best, score)
        elif score > best[0]:
            heapq.heapreplace(best, score)
    if not listing and FAMILY_ORDER:
        # Exchanges exact scores between scored entries (and scores a commitment on
        # demand, below its bound): the `limit` best scores can only rise, so every entry
        # left unscored still cannot enter the results.
        _family_order(index, gained, weights, exact, lambda c: score_of(*bound_of(c)), limit)
    scored = sorted(((s, e, i) for i, (s, e) in exact.items()),
                    key=lambda s: (-s[0], -s[1], s[2]))
    candidates = tuple(Candidate(_entry_match(index, i, score), _evidence(gained[i], weights))
                       for score, _, i in scored[:limit])
    confident = bool(scored) and scored[0][0] >= threshold and scored[0][1] >= MIN_EVIDENCE
    matches = tuple(c.match for c in candidates if c.match.score >= threshold) if confident else ()
    return matches, candidates, weights


def _holds_key(area: dict[str, _Gain], child: dict[str, _Gain], weights: dict[str, float]) -> bool:
    """Does the commitment hold, at least as strongly, the term that weighs most in its
    area's score (the area's most specific evidence, usually a keyword it shares)?"""
    key = max(area, key=lambda t: (weights[t] * area[t][0], t))
    if key not in child or child[key][0] < area[key][0]:
        return False
    own = sum(weights[t] * g[0] for t, g in child.items())
    return own >= FAMILY_SHARE * sum(weights[t] * g[0] for t, g in area.items())


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
                and _holds_key(gained[a], gained[c], weights)]
        if not kids:
            continue
        for c in kids:
            if c not in exact:
                score(c)
        c = max(kids, key=lambda k: (exact[k][0], -k))
        if exact[a][0] > exact[c][0]:
            exact[a], exact[c] = exact[c], exact[a]


def _evidence(gains: dict[str, _Gain], weights: dict[str, float]) -> tuple[Evidence, ...]:
    found = [Evidence(term, other, fld, channel, similarity, weights[term])
             for term, (_, other, fld, channel, similarity) in gains.items()]
    return tuple(sorted(found, key=lambda e: -e.weight))


def _is_listing(tokens: list[str]) -> bool:
    """Does the question ask for a list ("…方面有哪些承诺")? Read from the tokens, before
    stopwords are dropped: most listing words (哪些, 方面) say nothing about the topic."""
    text = "".join(tokens)
    return any(word in text for word in LISTING_WORDS)


def _smalltalk(index: Index, normalised: str, terms: list[str]) -> str | None:
    compact = index._compact(normalised)
    if compact in index.smalltalk:
        return index.smalltalk[compact]
    for phrase, kind in index.smalltalk.items():
        if phrase and compact.startswith(phrase) and len(compact) - len(phrase) <= 2 and not terms:
            return kind
    return None


def _actor(index: Index, tokens: list[str], terms: list[str]) -> str | None:
    """The actor a question asks about when it asks about nothing else.

    Besides the actor and generic duty words, a question may hold one word the catalogue
    does not know at all ("秘书长那边答应了啥" once 那边 slips through) when it plainly asks
    what the actor must do (`DUTY_CUES`): that word names no topic to search for instead.
    """
    present = set(terms)
    asks_duty = any(cue in "".join(tokens) for cue in DUTY_CUES)
    for actor, words in index.actor_terms.items():
        if not words or not words <= present:
            continue
        rest = present - words - ACTOR_GENERIC
        if not rest or (asks_duty and len(rest) == 1 and not index.similar(next(iter(rest)))):
            return actor
    return None


def match(question: str, index: Index, *, limit: int = MAX_RESULTS,
          threshold: float = DEFAULT_THRESHOLD) -> Result:
    """Answer a question with ranked catalogue matches (empty when not confident)."""
    normalised = normalise(question)
    base = {"question": question, "normalised": normalised, "threshold": threshold}
    if is_blank(normalised):
        return Result(intent="blank", **base)
    references = find_references(normalised)
    if references:
        return _from_references(index, references, base)
    asked = index.question(normalised)
    tokens, terms = asked.tokens, asked.resolved()
    if kind := _smalltalk(index, normalised, terms):
        return Result(intent="smalltalk", smalltalk=kind, terms=tuple(terms), **base)
    if actor := _actor(index, tokens, terms):
        commitments = index.catalogue.commitments_by(actor)
        matches = tuple(Match(c.id, c.kind, ACTOR_SCORE, c.title) for c in commitments)
        return Result(intent="actor", actor=actor, matches=matches, terms=tuple(terms), **base)
    matches, candidates, weights = _score(index, asked, threshold, limit)
    return Result(intent="search", matches=matches, terms=tuple(asked.terms), weights=weights,
                  candidates=candidates, **base)


def _from_references(index: Index, references: Iterable[Reference], base: dict) -> Result:
    refs = tuple(references)
    matches = tuple(Match(e.id, e.kind, REFERENCE_SCORE, e.title)
                    for r in refs if (e := index.catalogue.get(r.id)) is not None)
    return Result(intent="reference" if matches else "out_of_range", matches=matches,
                  references=refs, **base)
