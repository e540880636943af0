"""Character bigrams: how much of a question's wording an entry shares, without jieba.

The matcher's terms come from jieba and the domain dictionary, and spoken or situational
text is cut into pieces the dictionary does not know (帮人能, 活越), so a question can share
most of its wording with an entry's example questions and still explain little of its
known weight. Overlapping character bigrams (Chinese) and word stems (English, French) do
not depend on the cut: their idf-weighted cosine with the whole entry and with its closest
example question, each entry's share of the phrasings closest to the question (a
neighbours' vote), naive Bayes' chance that the question is one of an entry's texts, and its
odds of being one of the questions no entry answers (`Odds`), are evidence for the rerank and
decide steps. They never rank on their
own: the vote only brings an entry the rank step missed into the candidates.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .derived import KEPT_TEXTS_MAX, reused
from .segmenter import fold_latin

Vector = Mapping[str, float]
_LATIN = re.compile(r"[a-zà-ÿ0-9]{3,}\+?")  # A4P+ is not A4P
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")  # as segmenter.is_han
_STEM = 6  # civilians / civilian, sécurités / securite (unaccented) share six letters
_SMOOTHING = 0.5  # added to the texts holding a gram (Jeffreys): none is not proof of absence


def grams(normalised: str) -> Counter[str]:
    """Han bigrams (a lone Han character counts as itself) and Latin word stems, without
    accents (sécurité and securite are one stem, as they are one term)."""
    found: Counter[str] = Counter()
    for run in _HAN_RUN.findall(normalised):
        found.update(map(str.__add__, run, run[1:]) if len(run) > 1 else (run,))
    found.update("#" + word[:_STEM] for word in _LATIN.findall(fold_latin(normalised)))
    return found


# The evaluations build an index per development set, each weighing the same texts but
# one set's questions: a text's grams are counted once per process there (never mutated).
# The bot builds one index and never calls it.
remembered_grams = lru_cache(maxsize=32768)(grams)


class CharGrams:
    """Unit-length bigram vectors of every entry (all its fields) and of each example."""

    key: str | None = None  # what the tables were kept under (`kept`), if they were

    @classmethod
    def kept(cls, documents: list[list[tuple[str, bool]]]) -> CharGrams:
        """The tables of these documents, read back from A4P_CACHE_DIR when the same texts
        were weighed before: building them was 0.45 s of every start. Keyed by the texts and
        this module's code, so an edit of either builds them anew."""
        key, kept = _digest(documents), sum(map(len, documents)) <= KEPT_TEXTS_MAX
        built = reused("grams", key, lambda: cls(documents), state=cls._state,
                       restored=cls._restored, kept=kept)
        if kept:  # nor is what is weighed in tables that are not (`Neighbours.kept`)
            built.key = key
        return built

    def _state(self) -> tuple[Any, ...]:
        return (self.idf, self.wholes.state(), self.phrasings.state(), self.owners.tobytes(),
                self.starts.tobytes(), self.grouped.tobytes(), self.size,
                self.held.state(), self.unheld.tobytes())

    @classmethod
    def _restored(cls, state: tuple[Any, ...]) -> CharGrams:
        grams = cls.__new__(cls)
        grams.idf, wholes, phrasings, owners, starts, grouped, grams.size, held, unheld = state
        grams.wholes, grams.phrasings = _Table.restored(wholes), _Table.restored(phrasings)
        grams.held, grams.unheld = _Table.restored(held), np.frombuffer(unheld, dtype=np.float64)
        grams.owners, grams.starts, grams.grouped = (np.frombuffer(b, dtype=np.intp)
                                                     for b in (owners, starts, grouped))
        return grams

    def __init__(self, documents: list[list[tuple[str, bool]]] | Counted,
                 counted: Callable[[str], Counter[str]] = grams) -> None:
        """`documents`: per entry, its normalised texts, each marked True when it is a
        phrasing (a title or an example question), in index order — or those texts already
        counted (`Counted`); `counted`: how a text's grams are counted (`remembered_grams`
        for the evaluations' many indexes)."""
        flat = documents if isinstance(documents, Counted) else Counted.of(documents, counted)
        names, keys, counts, lengths = flat.names, flat.keys, flat.counts, flat.lengths
        self.size = n = flat.size
        owned = np.repeat(flat.owners, lengths)  # each gram occurrence's entry
        entry, key, summed = _wholes(keys, counts, owned, len(names))
        # idf: how few entries use a gram (one no text holds any more — `Counted.subset` —
        # is left out, as a build from the texts themselves would never have seen it)
        frequency = np.bincount(key, minlength=len(names)).tolist()
        rarity = [_rarity(n, c) for c in frequency]
        self.idf = {g: r for g, r, c in zip(names, rarity, frequency) if c}
        idf = np.array(rarity, dtype=np.float64)
        self.wholes = _units(names, idf, key, summed, np.bincount(entry, minlength=n))
        self.held, self.unheld = _bayes_tables(names, keys, owned,
                                               np.bincount(flat.owners, minlength=n))
        # every phrasing of every entry in one table, and the entry each belongs to: one
        # pass per question gives every entry's closest phrasing and the neighbours' vote
        kept = np.repeat(flat.marked, lengths)
        self.phrasings = _units(names, idf, keys[kept], counts[kept], lengths[flat.marked])
        self.owners = flat.owners[flat.marked]
        # where each entry's phrasings begin (owners ascend), and whose they are
        self.starts = np.flatnonzero(np.diff(self.owners, prepend=-1))
        self.grouped = self.owners[self.starts]

    @cached_property
    def unseen(self) -> float:
        """The idf of a gram no entry uses: the rarest there can be."""
        return _rarity(self.size, 0)

    def vector(self, counts: Mapping[str, int]) -> dict[str, float]:
        """Sublinear tf × idf, unit length. A gram no entry uses weighs as the rarest do:
        it matches no phrasing, but "工资卡丢了" shares one bigram of four (资卡) with "物资卡在
        海关", not its whole wording, and an unanswerable question's own words (工资) are what
        makes a new question like it."""
        unseen = self.unseen
        weights = {g: (1 + math.log(c)) * self.idf.get(g, unseen) for g, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items()}

    def question(self, normalised: str) -> dict[str, float]:
        return self.vector(grams(normalised))

    def whole(self, question: Vector) -> np.ndarray:
        """The cosine with every entry as a whole, by position."""
        return self.wholes.dots(question)

    def likeliest(self, question: Vector) -> np.ndarray:
        """Per entry (by position), naive Bayes' probability that the question is one of its
        texts (each gram's chance of being in one of them, averaged over the question's grams
        in log so a long question is no surer than a short one; grams no text holds left
        out). Where the cosines weigh how a gram is spread over the catalogue (idf), this
        weighs how often each entry's own texts hold it: 被偷 in a dozen of C17's users'
        questions and one of C15's. Graded ten folds of the sets apart, the rerank model put
        the right entry first for 0.9750 of the questions with it, against 0.9732 without."""
        known = {g: 1.0 for g in question if g in self.held.spans}
        if not known:
            return np.full(self.size, 1 / self.size)
        chances = self.held.dots(known) / len(known) + self.unheld
        chances = np.exp(chances - chances.max())
        return chances / chances.sum()

    def closest(self, question: Vector, k: int) -> tuple[np.ndarray, dict[int, float]]:
        """Per entry (by position), the cosine with its closest phrasing (a title or an
        example question): the entries whose users asked much the same; and per entry
        holding one of the `k` closest phrasings, its share of their cosines (a vote of
        neighbours)."""
        best = np.zeros(self.size)
        if not len(self.owners):
            return best, {}
        dots = self.phrasings.dots(question)
        best[self.grouped] = np.maximum.reduceat(dots, self.starts)
        # a few hundred: argpartition over all is 7x slower; and `dots != 0` first, since
        # nonzero() on a float array is 4x slower than on the bools (80 µs against 20)
        top = np.flatnonzero(dots != 0)
        if len(top) > k:
            top = top[np.argpartition(dots[top], -k)[-k:]]
        total = float(dots[top].sum())
        votes: dict[int, float] = {}
        if total > 0:
            for owner, dot in zip(self.owners[top].tolist(), dots[top].tolist()):
                votes[owner] = votes.get(owner, 0.0) + dot / total
        return best, votes


@dataclass(frozen=True)
class Counted:
    """Every text's grams, counted and numbered once, flat: what `CharGrams` weighs. An
    index that leaves a development set out takes its parent's and drops that set's texts
    (`subset`) rather than counting and numbering ~25,000 texts again."""

    documents: list[list[tuple[str, bool]]]
    names: list[str]        # every gram, numbered in order of first use
    keys: np.ndarray        # each text's grams as numbers, text after text
    counts: np.ndarray      # … and how often each occurs in its text
    lengths: np.ndarray     # per text: how many distinct grams it holds
    owners: np.ndarray      # per text: its entry's position
    marked: np.ndarray      # per text: a phrasing that holds a gram

    @property
    def size(self) -> int:
        return len(self.documents)

    @classmethod
    def of(cls, documents: list[list[tuple[str, bool]]],
           counted: Callable[[str], Counter[str]] = grams) -> Counted:
        counted_texts = [[(counted(text), phrasing) for text, phrasing in texts]
                         for texts in documents]
        names = list(dict.fromkeys(chain.from_iterable(
            part for parts in counted_texts for part, _ in parts)))
        number = {g: k for k, g in enumerate(names)}
        parts = [part for texts in counted_texts for part, _ in texts]
        keys = np.fromiter(chain.from_iterable(map(number.__getitem__, part) for part in parts),
                           dtype=np.intp)
        counts = np.fromiter(chain.from_iterable(part.values() for part in parts),
                             dtype=np.intp, count=len(keys))
        lengths = np.array([len(part) for part in parts], dtype=np.intp)
        owners = np.repeat(np.arange(len(counted_texts), dtype=np.intp),
                           [len(texts) for texts in counted_texts])
        marked = np.array([phrasing and bool(part) for texts in counted_texts
                           for part, phrasing in texts], dtype=bool)
        return cls(documents, names, keys, counts, lengths, owners, marked)

    def subset(self, documents: list[list[tuple[str, bool]]]) -> Counted:
        """The same, for these documents: each entry's texts a subsequence of this one's
        (the same entries, some texts left out). The grams keep their numbers; a gram no
        kept text holds any more is simply never used."""
        kept = np.zeros(len(self.lengths), dtype=bool)
        start = 0
        for mine, theirs in zip(self.documents, documents, strict=True):
            k = 0
            for j, text in enumerate(mine):
                if k < len(theirs) and theirs[k] == text:
                    kept[start + j] = True
                    k += 1
            if k != len(theirs):
                raise ValueError("not a subset of the counted documents")
            start += len(mine)
        grams_kept = np.repeat(kept, self.lengths)
        return Counted(documents, self.names, self.keys[grams_kept], self.counts[grams_kept],
                       self.lengths[kept], self.owners[kept], self.marked[kept])


def _wholes(keys: np.ndarray, counts: np.ndarray, owners: np.ndarray, width: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each entry's texts as one, flat: (entry, gram, summed count), each entry's grams in
    order of first use (as `Counter.update` over its texts would hold them)."""
    pairs, first, inverse = np.unique(owners * width + keys, return_index=True,
                                      return_inverse=True)
    summed = np.bincount(inverse, counts, len(pairs)).astype(np.intp)
    order = np.lexsort((first, pairs // width))  # by entry, then by first use
    return pairs[order] // width, pairs[order] % width, summed[order]


def _bayes_tables(names: list[str], keys: np.ndarray, owners: np.ndarray, texts: np.ndarray
                  ) -> tuple[_Table, np.ndarray]:
    """`CharGrams.likeliest`'s tables from the texts' grams, flat (`keys`, each text's grams
    distinct, and whose text each is): per (entry, gram) the log of how many of the entry's
    texts hold it, smoothed, against none; per entry the log chance of a gram none holds."""
    width = len(names)
    pairs, held = np.unique(owners * width + keys, return_counts=True)
    table = _Table(names, pairs % width, pairs // width,
                   np.log((held + _SMOOTHING) / _SMOOTHING), len(texts))
    return table, np.log(_SMOOTHING / (texts + 2 * _SMOOTHING))


def _units(names: list[str], idf: np.ndarray, keys: np.ndarray, counts: np.ndarray,
           lengths: np.ndarray) -> _Table:
    """`CharGrams.vector` of every text at once, given flat (each text's grams in its own
    order): the ~15,000 phrasings in numpy rather than a dict each, as an index leaving a
    development set out rebuilds them. The same floats as `vector`: logs by `math.log`,
    each norm by `sum` over the text's grams in order."""
    sublinear = np.array([1 + math.log(c) if c else 0.0
                          for c in range(int(counts.max(initial=0)) + 1)])
    weights = sublinear[counts] * idf[keys]
    squares = weights * weights  # summed per text as Python floats, one text at a time:
    ends = np.cumsum(lengths).tolist()  # all at once, the list peaked at +90 MB at 100×
    norms = [math.sqrt(sum(squares[a:b].tolist())) or 1.0
             for a, b in zip([0, *ends[:-1]], ends)]
    rows = np.repeat(np.arange(len(lengths), dtype=np.intp), lengths)
    return _Table(names, keys, rows, weights / np.array(norms)[rows], len(lengths))


class Neighbours:
    """Questions weighed in a `CharGrams` space, for how close a new question comes to the
    closest few of them (asked questions that no entry answers: a question much like
    several of them is probably out of scope too)."""

    def __init__(self, space: CharGrams, texts: Iterable[str],
                 counted: Callable[[str], Counter[str]] = grams) -> None:
        """`texts`: normalised questions; `counted` as for `CharGrams`. (Python postings, not
        a `_Table`: for ~2,600 questions and the three closest, the loop takes 6 µs and
        numpy 20.)"""
        self.postings = _postings([v for t in texts if (v := space.vector(counted(t)))])

    @classmethod
    def kept(cls, space: CharGrams, texts: list[str]) -> Neighbours:
        """These questions weighed in a kept `space`, read back from A4P_CACHE_DIR when they
        were weighed in it before (0.17 s of every start for ~2,900 questions). Keyed by the
        space's key and the texts; a space that was not kept weighs them anew."""
        if (key := _kept_key(space.key, texts)) is None:
            return cls(space, texts)
        return reused("neighbours", key, lambda: cls(space, texts),
                      state=lambda built: built.postings, restored=cls._restored)

    @classmethod
    def _restored(cls, postings: dict[str, tuple[tuple[int, float], ...]]) -> Neighbours:
        found = cls.__new__(cls)
        found.postings = postings
        return found

    def closest(self, question: Vector, k: int = 3) -> float:
        """The mean cosine of the `k` closest: one held question that shares a rare bigram
        (怎么保护平民 and 步枪在沙漠里怎么保养 share 么保) is not a neighbourhood."""
        return sum(heapq.nlargest(k, _dots(question, self.postings).values())) / k


class Odds:
    """How much likelier a question's wording is among the asked questions no entry answers
    than among those an entry does: a naive Bayes estimate over document frequencies of
    bigrams and stems, as a probability (the log-odds ratio of the question's grams, averaged
    so a long question weighs no more than a short one, through the logistic). Where
    `Neighbours` asks how close the three closest unanswerable questions come, this weighs
    every one of them and every answerable one at once: 工资 and 签证 are what unanswerable
    questions share, whatever else each says. Graded a development set at a time on models
    fitted without it, it took the top-1 rate from 0.956 to 0.960 at the same refusal (its
    AUC for out of scope 0.996, the neighbours' 0.939)."""

    def __init__(self, ratios: dict[str, float], sizes: tuple[int, int]) -> None:
        """`ratios`: per gram, the log of its share among unanswerable questions over its
        share among answered ones (`Tally.odds`); `sizes`: how many questions each side has."""
        self.ratios, self.sizes = ratios, sizes

    @classmethod
    def of(cls, inside: Sequence[str], outside: Sequence[str],
           counted: Callable[[str], Counter[str]] = grams) -> Odds:
        """From normalised questions: those an entry answers, and those none does."""
        return Tally.of(inside, outside, counted).odds()

    @classmethod
    def kept(cls, space_key: str | None, outside: list[str],
             inside: Callable[[], list[str]]) -> Odds:
        """`of` the `inside` questions and these `outside` ones, read back from
        A4P_CACHE_DIR when they were counted before (counting ~40,000 questions is a quarter
        of a second a start would pay). Keyed as `Neighbours.kept` is: the answered
        questions are texts of the entries the kept bigram tables (`space_key`) weighed, so
        only the unanswerable ones are hashed again; `inside` is listed only to count."""
        if (key := _kept_key(space_key, outside)) is None:
            return cls.of(inside(), outside)
        return reused("odds", key, lambda: cls.of(inside(), outside),
                      state=lambda built: (built.ratios, built.sizes),
                      restored=lambda state: cls(state[0], tuple(state[1])))

    def outside_chance(self, question: Iterable[str]) -> float:
        """The probability the wording of a question (its grams) is an unanswerable one's;
        0.5 when neither side ever used any of them, or one side holds no question (a
        knowledge without unanswerable questions makes every wording look unlike its own)."""
        if not all(self.sizes):
            return 0.5
        found = [r for g in question if (r := self.ratios.get(g)) is not None]
        mean = sum(found) / len(found) if found else 0.0
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, mean))))


class Tally(NamedTuple):
    """Per gram, how many answered (`inside`) and unanswerable (`outside`) questions hold it,
    and how many each side has: what `Odds` are worked out from. Only an index leaving a set
    out needs it (`Index.tally`): it takes its parent's and subtracts the set's questions
    (`without`) rather than counting ~40,000 again; the bot keeps the odds alone."""

    inside: Counter[str]
    outside: Counter[str]
    sizes: tuple[int, int]

    @classmethod
    def of(cls, inside: Sequence[str], outside: Sequence[str],
           counted: Callable[[str], Counter[str]] = grams) -> Tally:
        return cls(_holding(inside, counted), _holding(outside, counted),
                   (len(inside), len(outside)))

    def without(self, inside: Sequence[str], outside: Sequence[str],
                counted: Callable[[str], Counter[str]] = grams) -> Tally:
        """The same counts without these questions (a gram none holds any more is gone)."""
        return Tally(self.inside - _holding(inside, counted),
                     self.outside - _holding(outside, counted),
                     (self.sizes[0] - len(inside), self.sizes[1] - len(outside)))

    def odds(self) -> Odds:
        a = _SMOOTHING
        n_in, n_out = (math.log(n + 2 * a) for n in self.sizes)
        return Odds({g: math.log(self.outside.get(g, 0) + a) - n_out
                     - math.log(self.inside.get(g, 0) + a) + n_in
                     for g in self.inside.keys() | self.outside.keys()}, self.sizes)


def _kept_key(space_key: str | None, texts: list[str]) -> str | None:
    """What is kept from a kept bigram space (`CharGrams.key`: its texts and this code) and
    these texts is filed under; None when the space was not kept (nor is what depends on it)."""
    if space_key is None:
        return None
    h = hashlib.sha256(space_key.encode())
    for text in texts:
        h.update(f"{text}\x1f".encode())
    return h.hexdigest()[:32]


def _holding(texts: Sequence[str], counted: Callable[[str], Counter[str]]) -> Counter[str]:
    """Per gram, how many of these texts hold it."""
    return Counter(chain.from_iterable(counted(text).keys() for text in texts))


class _Table:
    """Unit vectors as numpy columns (gram -> the vectors holding it): a question's cosines
    with all ~9,000 phrasings are one `bincount`, against a Python loop over postings a
    third of the per-question cost. The sums run in the question's gram order, as the
    loop's did, so the cosines are the same floats."""

    def __init__(self, names: list[str], keys: np.ndarray, rows: np.ndarray,
                 weights: np.ndarray, size: int) -> None:
        """`size` vectors, flat: `weights[k]` is vector `rows[k]`'s weight of gram
        `names[keys[k]]`, each vector's grams in its own order."""
        # grouped by gram with a stable sort: vectors in order within a gram
        order = np.argsort(keys, kind="stable")
        self.rows, self.weights = rows[order], weights[order]
        held = np.bincount(keys, minlength=len(names))
        ends, sizes = np.cumsum(held).tolist(), held.tolist()
        self.spans: dict[str, tuple[int, int]] = {
            names[g]: (ends[g] - sizes[g], ends[g]) for g in np.flatnonzero(held).tolist()}
        self.size = size

    def state(self) -> tuple[bytes, bytes, dict[str, tuple[int, int]], int]:
        return self.rows.tobytes(), self.weights.tobytes(), self.spans, self.size

    @classmethod
    def restored(cls, state: tuple[bytes, bytes, dict[str, tuple[int, int]], int]) -> _Table:
        table = cls.__new__(cls)
        rows, weights, table.spans, table.size = state
        table.rows = np.frombuffer(rows, dtype=np.intp)
        table.weights = np.frombuffer(weights, dtype=np.float64)
        return table

    def dots(self, question: Vector) -> np.ndarray:
        """The cosine of `question` (a unit vector) with every vector, in order."""
        spans = [(self.spans[g], w) for g, w in question.items() if g in self.spans]
        if not spans:
            return np.zeros(self.size)
        rows = np.concatenate([self.rows[a:b] for (a, b), _ in spans])
        products = np.concatenate([w * self.weights[a:b] for (a, b), w in spans])
        return np.bincount(rows, products, self.size)


def _dots(question: Vector, postings: Mapping[str, tuple[tuple[int, float], ...]]
          ) -> dict[int, float]:
    """The cosine of a unit vector with each unit vector held in `postings` it shares a
    gram with, by position."""
    dots: dict[int, float] = {}
    get = dots.get  # the rerank step's hottest loop: a plain dict is a third faster here
    for g, w in question.items():
        if found := postings.get(g):
            for k, weight in found:
                dots[k] = get(k, 0.0) + w * weight
    return dots


def _postings(vectors: list[dict[str, float]]) -> dict[str, tuple[tuple[int, float], ...]]:
    found: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for k, vector in enumerate(vectors):
        for g, w in vector.items():
            found[g].append((k, w))
    return {g: tuple(pairs) for g, pairs in found.items()}


def _rarity(entries: int, holding: int) -> float:
    """idf of a gram `holding` of `entries` entries use."""
    return math.log((entries + 1) / (holding + 0.5))


def _digest(documents: list[list[tuple[str, bool]]]) -> str:
    """What the tables depend on: the texts, their marks, this code and numpy's int size."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(str(np.dtype(np.intp).itemsize).encode())
    for texts in documents:
        h.update(b"\x1e")
        for text, phrasing in texts:
            h.update(f"{int(phrasing)}{text}\x1f".encode())
    return h.hexdigest()[:32]
