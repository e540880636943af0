"""Putting typo'd domain compounds back together before a question is scored.

The domain dictionary keeps compounds whole (外勤支助, 非洲联盟) so that they match as
one rare, telling term. The price is that one wrong character makes jieba cut the
compound into pieces that match nothing: 非州联盟 -> 非州 / 联盟, 性剥消和性虐代 ->
性 / 剥 / 消和性 / 虐代. Fuzzy look-up term by term cannot recover from that, because no
piece resembles the whole word. So, for questions only, runs of neighbouring tokens that
contain a piece the catalogue does not know are joined and compared with the domain
compounds by Levenshtein similarity (a wrong character costs one edit, where `ratio`
would count two and forgive moved characters: 维和人员死 is not 女维和人员); the run
becomes one term that the matcher resolves to the closest compound, keeping the typed
text so that explanations show the correction.

Only spans holding an unknown piece are tried, so correctly spelled questions are never
rewritten; compounds shorter than three characters are left to the matcher's own fuzzy
and homophone channels (one wrong character in two is not evidence of anything).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .segmenter import is_han

MIN_COMPOUND = 3        # shortest domain word a run of pieces may be repaired into
MAX_COMPOUND = 8        # longest run (in characters) worth comparing
MAX_SPAN_TOKENS = 4     # a compound cut by one or two typos rarely falls into more pieces
REPAIR_CUTOFF = 0.7     # Levenshtein similarity: one wrong character in four, two in seven


def _suspect(unknown: list[int]) -> bool:
    """Could these pieces (unknown characters per token) be a cut-up compound?

    One stray character next to one known word is a function word (让 / 维和人员), not a
    typo: repairing it would turn 让维和人员 into 女维和人员.
    """
    return sum(unknown) >= 2 or (sum(unknown) == 1 and len(unknown) >= 3)


class CompoundRepair:
    """Rejoins the pieces of a misspelt domain compound (question side only)."""

    def __init__(self, compounds: Iterable[str], known: Callable[[str], bool],
                 like: CompoundRepair | None = None) -> None:
        """`compounds`: domain words to repair into; `known`: is a token already useful as it
        is; `like`: a repairer of the same compounds, whose look-ups this one shares (an
        index leaving a development set out has its parent's Chinese words exactly)."""
        self._known = known
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(set(compounds)):
            if MIN_COMPOUND <= len(word) <= MAX_COMPOUND + 1 and is_han(word):
                by_length[len(word)].append(word)
        self._by_length = dict(by_length)
        self.closest: Callable[[str], tuple[str, float] | None]
        if like is not None and like._by_length == self._by_length:
            self.closest = like.closest
        else:  # per repairer, bounded: a question's runs recur across questions
            self.closest = lru_cache(maxsize=8192)(self._closest)

    def _closest(self, text: str) -> tuple[str, float] | None:
        """The domain compound `text` most probably misspells, and how similar (None: none)."""
        best: tuple[str, float] | None = None
        for length in (len(text), len(text) - 1, len(text) + 1):
            choices = self._by_length.get(length)
            if not choices:
                continue
            found = process.extractOne(text, choices, scorer=Levenshtein.normalized_similarity,
                                       score_cutoff=REPAIR_CUTOFF)
            if found and found[0] != text and (best is None or found[1] > best[1]):
                best = (found[0], found[1])
        return best

    def repair(self, tokens: list[str]) -> tuple[list[str], dict[str, tuple[str, float]]]:
        """`tokens` with each misspelt compound's pieces joined into one token, and for each
        such token the compound it stands for with its similarity. The typed text is kept
        (not replaced by the compound) so that explanations show what was corrected."""
        han = [is_han(t) for t in tokens]
        unknown = [len(t) if h and not self._known(t) else 0 for t, h in zip(tokens, han)]
        if not any(unknown):
            return tokens, {}
        spans: list[tuple[float, int, int, int, str, float]] = []
        for start in range(len(tokens)):
            for end in range(start + 1, min(start + MAX_SPAN_TOKENS, len(tokens)) + 1):
                text = "".join(tokens[start:end])
                if not all(han[start:end]) or len(text) > MAX_COMPOUND:
                    break
                if len(text) < MIN_COMPOUND or not _suspect(unknown[start:end]):
                    continue
                if (found := self.closest(text)) is not None:
                    spans.append((-found[1], start - end, start, end, found[0], found[1]))
        taken: set[int] = set()
        out = list(tokens)
        corrections: dict[str, tuple[str, float]] = {}
        for *_, start, end, word, similarity in sorted(spans):
            if taken.isdisjoint(range(start, end)):
                taken.update(range(start, end))
                text = "".join(tokens[start:end])
                out[start:end] = [text] + [""] * (end - start - 1)
                corrections[text] = (word, similarity)
        return [t for t in out if t], corrections
