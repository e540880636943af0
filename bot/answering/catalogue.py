"""The A4P catalogue: areas, commitments, paragraphs and vocabulary, loaded from YAML.

The knowledge is data edited by non-programmers, so it is validated once at start-up and
every problem is reported with the file, the entry and the field — never discovered at
question time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .derived import digest_of, parsed, reused

try:  # libyaml parses the knowledge ~10x faster; pure Python is the fallback.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge"


def read_yaml(text: str) -> Any:
    """YAML as the knowledge is read: with libyaml's parser where PyYAML has it (the
    labelled question sets are read the same way: tens of thousands of questions)."""
    return yaml.load(text, Loader=_Loader)

ACTORS: dict[str, str] = {
    "collective": "集体承诺",
    "member_states": "会员国",
    "secretary_general": "秘书长",
    "host_countries": "东道国",
}
EXPECTED_COUNTS = {"areas": 8, "commitments": 45, "paragraphs": 24}
TITLE_MAX = 20
ID_PATTERN = re.compile(r"^([ACPF])([1-9][0-9]*)$")
KINDS = {"A": "area", "C": "commitment", "P": "paragraph", "F": "faq"}
EXAMPLES_MAX = 12       # example questions per entry: a handful of users' phrasings, not a corpus
EXAMPLE_LENGTH = (3, 80)  # characters: a phone question, not a paragraph


@dataclass(frozen=True)
class Area:
    id: str
    title: str
    aliases: tuple[str, ...]
    title_en: str
    title_fr: str
    summary: str
    secretariat: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...] = ()
    summary_en: str = ""  # unofficial renderings: the Chinese text is the official one
    summary_fr: str = ""

    kind = "area"

    @property
    def number(self) -> int:
        return int(self.id[1:])


@dataclass(frozen=True)
class Commitment:
    id: str
    area: str
    actor: str
    paragraph: str
    title: str
    title_en: str
    title_fr: str
    text: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...] = ()
    text_en: str = ""  # unofficial renderings: the Chinese text is the official one
    text_fr: str = ""

    kind = "commitment"

    @property
    def number(self) -> int:
        return int(self.id[1:])


@dataclass(frozen=True)
class Paragraph:
    id: str
    section: str
    area: str | None
    text: str
    cited_by: tuple[str, ...] = ()
    text_en: str = ""  # unofficial renderings of the official Chinese text
    text_fr: str = ""

    kind = "paragraph"

    @property
    def number(self) -> int:
        return int(self.id[1:])

    @property
    def title(self) -> str:
        return f"第{self.number}段 · {self.section}"


@dataclass(frozen=True)
class Faq:
    """A question about A4P itself or about the bot, answered in three languages."""

    id: str
    title: str
    title_en: str
    title_fr: str
    answer: str
    answer_en: str
    answer_fr: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    source: str

    kind = "faq"

    @property
    def number(self) -> int:
        return int(self.id[1:])


Entry = Area | Commitment | Paragraph | Faq


@dataclass(frozen=True)
class GlossaryEntry:
    zh: str
    en: tuple[str, ...]
    fr: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    dictionary: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    glossary: tuple[GlossaryEntry, ...] = ()
    smalltalk: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    stopwords: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()  # words too general to answer on alone (标准, 钱, use)
    off_topic: tuple[str, ...] = ()  # offtopic.yaml: everyday matters (工资, visa) it never covers


@dataclass(frozen=True)
class Catalogue:
    areas: Mapping[str, Area]
    commitments: Mapping[str, Commitment]
    paragraphs: Mapping[str, Paragraph]
    vocabulary: Vocabulary
    faqs: Mapping[str, Faq] = field(default_factory=dict)
    #: asked.yaml: questions users asked, per entry id (more example questions, in their words);
    #: those A4P does not answer are under OUTSIDE
    asked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def outside(self) -> tuple[str, ...]:
        """Questions users asked that no entry answers (asked.yaml's `id: none`): a new
        question much like one of them is probably outside A4P too."""
        return self.asked.get(OUTSIDE, ())

    def get(self, entry_id: str) -> Entry | None:
        """Look an entry up by its id (`A3`, `c17`, `P12`, `F1`); None when there is none."""
        key = entry_id.strip().upper()
        return (self.areas.get(key) or self.commitments.get(key) or self.paragraphs.get(key)
                or self.faqs.get(key))

    def entries(self) -> Iterator[Entry]:
        yield from self.areas.values()
        yield from self.commitments.values()
        yield from self.paragraphs.values()
        yield from self.faqs.values()

    def without_asked(self, questions: Iterable[str]) -> Catalogue:
        """This catalogue minus some asked questions: to measure the matcher on labelled
        questions it has not read (a development set that asked.yaml was drawn from)."""
        gone = set(questions)
        return replace(self, asked={i: kept for i, qs in self.asked.items()
                                    if (kept := tuple(q for q in qs if q not in gone))})

    def highest(self) -> dict[str, int]:
        """Each numbered kind's highest number: what "the last commitment" refers to."""
        groups = (("area", self.areas), ("commitment", self.commitments),
                  ("paragraph", self.paragraphs))
        return {kind: max(e.number for e in group.values()) for kind, group in groups if group}

    def commitments_in(self, area_id: str) -> list[Commitment]:
        return [c for c in self.commitments.values() if c.area == area_id]

    def commitments_by(self, actor: str) -> list[Commitment]:
        return [c for c in self.commitments.values() if c.actor == actor]


class CatalogueError(Exception):
    """The knowledge directory is not valid; `problems` lists every message."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# -- validation ---------------------------------------------------------------------

# field name -> (type, required). "text" = non-empty string, "texts" = list of strings.
_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "areas": {
        "id": ("id", True), "title": ("text", True), "aliases": ("texts", False),
        "title_en": ("text", True), "title_fr": ("text", True), "summary": ("text", True),
        "secretariat": ("text", False), "keywords": ("texts", True),
        "examples": ("texts", False), "summary_en": ("text", False), "summary_fr": ("text", False),
    },
    "commitments": {
        "id": ("id", True), "area": ("ref", True), "actor": ("actor", True),
        "paragraph": ("ref", True), "title": ("title", True), "title_en": ("text", True),
        "title_fr": ("text", True), "text": ("text", True), "keywords": ("texts", True),
        "examples": ("texts", False), "text_en": ("text", False), "text_fr": ("text", False),
    },
    "paragraphs": {
        "id": ("id", True), "section": ("text", True), "area": ("ref?", False),
        "text": ("text", True), "text_en": ("text", False), "text_fr": ("text", False),
    },
    "faq": {
        "id": ("id", True), "title": ("text", True), "title_en": ("text", True),
        "title_fr": ("text", True), "answer": ("text", True), "answer_en": ("text", True),
        "answer_fr": ("text", True), "keywords": ("texts", True), "examples": ("texts", True),
        "source": ("text", True),
    },
}
_PREFIX = {"areas": "A", "commitments": "C", "paragraphs": "P", "faq": "F"}


class _Problems:
    """Collects messages so a maintainer sees every problem in one run, not one per run."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, file: str, entry: str, fld: str, message: str) -> None:
        where = f"{file}: {entry}" + (f": field '{fld}'" if fld else "")
        self.messages.append(f"{where}: {message}")


def _read_yaml(path: Path, problems: _Problems) -> Any:
    if not path.is_file():
        problems.add(path.name, "(file)", "", f"missing file {path}")
        return None
    try:
        return parsed(path, read_yaml)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.add(path.name, "(file)", "", f"cannot be read as UTF-8 YAML: {exc}")
        return None


def _check_text(kind: str, value: Any, _prefix: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "must be non-empty text"
    if kind == "title" and len(value) > TITLE_MAX:
        return f"must be at most {TITLE_MAX} characters (has {len(value)})"
    return None


def _check_texts(_kind: str, value: Any, _prefix: str) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return "must be a list of non-empty texts"
    return None


def _check_id(_kind: str, value: Any, prefix: str) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(prefix + r"[1-9][0-9]*", value):
        return f"must look like {prefix}1, {prefix}2, …"
    return None


def _check_actor(_kind: str, value: Any, _prefix: str) -> str | None:
    return None if value in ACTORS else f"must be one of {', '.join(ACTORS)}"


def _check_ref(kind: str, value: Any, _prefix: str) -> str | None:
    if value is None and kind == "ref?":
        return None
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        return "must be an id such as A3 or P12"
    return None


_CHECKS = {"text": _check_text, "title": _check_text, "texts": _check_texts, "id": _check_id,
           "actor": _check_actor, "ref": _check_ref, "ref?": _check_ref}


def _check_value(kind: str, value: Any, prefix: str) -> str | None:
    """Return a message when `value` does not have the declared `kind`."""
    check = _CHECKS.get(kind)
    return check(kind, value, prefix) if check else None


def _entries(name: str, data: Any, problems: _Problems,
             declared: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Validate one list file's fields; return the entries that can be used."""
    file = f"{name}.yaml"
    if data is None:
        return []
    if not isinstance(data, list):
        problems.add(file, "(file)", "", "must be a list of entries")
        return []
    good: list[dict[str, Any]] = []
    seen = declared.setdefault(name, set())  # ids in the file, valid or not
    for position, raw in enumerate(data, start=1):
        label = f"entry {position}"
        if not isinstance(raw, dict):
            problems.add(file, label, "", "must be a mapping of fields")
            continue
        if isinstance(raw.get("id"), str):
            label = raw["id"]
        ok = True
        for fld, (kind, required) in _FIELDS[name].items():
            if fld not in raw:
                if required:
                    problems.add(file, label, fld, "is missing")
                    ok = False
                continue
            message = _check_value(kind, raw[fld], _PREFIX[name])
            if message:
                problems.add(file, label, fld, message)
                ok = False
        for fld in raw.keys() - _FIELDS[name].keys():
            problems.add(file, label, str(fld), "is not a known field (typo?)")
        if isinstance(raw.get("id"), str):
            if raw["id"] in seen:
                problems.add(file, label, "id", "is used twice")
                ok = False
            seen.add(raw["id"])
        if ok:
            good.append(raw)
    return good


_VOCABULARY = "vocabulary.yaml"


def _vocabulary(data: Any, problems: _Problems) -> Vocabulary:
    if data is None:
        return Vocabulary()
    if not isinstance(data, dict):
        problems.add(_VOCABULARY, "(file)", "", "must be a mapping with dictionary, synonyms, …")
        return Vocabulary()

    def texts(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if message := _check_texts("texts", value, ""):
            problems.add(_VOCABULARY, key, "", message)
            return ()
        return tuple(v.strip() for v in value)

    return Vocabulary(texts("dictionary"), _synonyms(data.get("synonyms"), problems),
                      _glossary(data.get("glossary"), problems),
                      _smalltalk(data.get("smalltalk"), problems),
                      texts("stopwords"), texts("generic"))


_OFF_TOPIC = "offtopic.yaml"
_ASKED = "asked.yaml"
ASKED_MAX = 240  # characters: two or three sentences typed on a phone (the matcher reads 240)
OUTSIDE = "NONE"  # asked.yaml's id for a question A4P does not answer


def _asked(data: Any, known: set[str], problems: _Problems) -> dict[str, tuple[str, ...]]:
    """asked.yaml: a list of {q, id}; the id must name an entry of the knowledge files (`known`,
    even one reported broken) or be `none`, and a question appears once."""
    if not isinstance(data, list):
        problems.add(_ASKED, "(file)", "", "must be a list of {q: question, id: entry}")
        return {}
    asked: dict[str, list[str]] = {}
    seen: set[str] = set()
    ids = known | {OUTSIDE}  # once: a union per item was most of a start's catalogue load
    fields = {"q", "id"}
    for number, item in enumerate(data, start=1):  # lean: a server and `health` load it
        if not isinstance(item, dict) or item.keys() != fields:
            problems.add(_ASKED, f"item {number}", "", "must have exactly q and id")
            continue
        question, entry = item["q"], item["id"]
        text = question.strip() if isinstance(question, str) else ""
        name = entry.strip().upper() if isinstance(entry, str) else None
        if not 3 <= len(text) <= ASKED_MAX:
            problems.add(_ASKED, f"item {number}", "q",
                         f"must be a question of 3–{ASKED_MAX} characters")
        elif name not in ids:
            problems.add(_ASKED, f"item {number}", "id", f"names no entry: {entry!r}")
        elif text in seen:
            problems.add(_ASKED, f"item {number}", "q", "is listed twice")
        else:
            seen.add(text)
            asked.setdefault(name, []).append(text)
    return {entry: tuple(questions) for entry, questions in asked.items()}


def _checked_asked(path: Path, known: set[str],
                   problems: _Problems) -> dict[str, tuple[str, ...]]:
    """`_asked` of the file, kept per content and set of ids: checking its ~25,000 items was
    most of every start's and health check's catalogue load (~35 ms)."""
    def build() -> tuple[dict[str, tuple[str, ...]], list[str]]:
        found = _Problems()
        return _asked(_read_yaml(path, found), known, found), found.messages

    key = digest_of(path.read_bytes(), "\n".join(sorted(known)).encode())
    asked, messages = reused("asked", key, build)
    problems.messages.extend(messages)
    return asked


def _off_topic(data: Any, problems: _Problems) -> tuple[str, ...]:
    """The words of offtopic.yaml: a mapping zh / en / fr -> list of texts, none twice in a
    language (one word may serve two: wifi, football)."""
    if not isinstance(data, dict) or not data:
        problems.add(_OFF_TOPIC, "(file)", "", "must be a mapping zh / en / fr -> list of words")
        return ()
    words: dict[str, None] = {}
    for language, values in data.items():
        if language not in ("zh", "en", "fr"):
            problems.add(_OFF_TOPIC, str(language), "", "is not a known language (zh, en, fr)")
            continue
        if message := _check_texts("texts", values, ""):
            problems.add(_OFF_TOPIC, language, "", message)
            continue
        seen: set[str] = set()
        for word in values:
            key = word.strip().lower()
            if key in seen:
                problems.add(_OFF_TOPIC, language, word, "is listed twice")
            seen.add(key)
            words[key] = None
    return tuple(words)


def _synonyms(raw: Any, problems: _Problems) -> tuple[tuple[str, ...], ...]:
    """Groups of at least two words; a word in two groups is a problem."""
    groups: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for number, group in enumerate(raw or [], start=1):
        if not isinstance(group, list) or len(group) < 2 or not all(
            isinstance(w, (str, int)) and str(w).strip() for w in group
        ):
            problems.add(_VOCABULARY, f"synonyms group {number}", "", "must list at least two words")
            continue
        words = tuple(str(w).strip() for w in group)
        for word in words:
            if word.lower() in seen and seen[word.lower()] != number:
                problems.add(_VOCABULARY, f"synonyms group {number}", "",
                             f"'{word}' is also in group {seen[word.lower()]}")
            seen[word.lower()] = number
        groups.append(words)
    return tuple(groups)


def _phrases(item: dict[str, Any], language: str) -> tuple[str, ...]:
    value = item.get(language) or []
    value = [value] if isinstance(value, str) else value
    return tuple(str(v).strip().lower() for v in value if str(v).strip())


def _glossary(raw: Any, problems: _Problems) -> tuple[GlossaryEntry, ...]:
    """Chinese terms with the English and French phrases that stand for them."""
    glossary: list[GlossaryEntry] = []
    for number, item in enumerate(raw or [], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("zh"), str):
            problems.add(_VOCABULARY, f"glossary entry {number}", "zh", "is missing")
            continue
        glossary.append(GlossaryEntry(item["zh"].strip(), _phrases(item, "en"),
                                      _phrases(item, "fr")))
    return tuple(glossary)


SMALLTALK = ("greeting", "thanks", "goodbye", "help")  # each has its reply


def _smalltalk(raw: Any, problems: _Problems) -> dict[str, tuple[str, ...]]:
    """greeting/thanks/goodbye/help -> the phrases that mean it."""
    smalltalk: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw or {}, dict):
        problems.add(_VOCABULARY, "smalltalk", "", f"must map {'/'.join(SMALLTALK)} to lists")
        return smalltalk
    for key, value in (raw or {}).items():
        if key not in SMALLTALK:
            problems.add(_VOCABULARY, f"smalltalk.{key}", "",
                         f"unknown kind (one of {', '.join(SMALLTALK)})")
            continue
        if not isinstance(value, list):
            problems.add(_VOCABULARY, f"smalltalk.{key}", "", "must be a list of texts")
            continue
        smalltalk[str(key)] = tuple(str(v).strip() for v in value if str(v).strip())
    return smalltalk


def _build(raw: dict[str, list[dict[str, Any]]], vocabulary: Vocabulary) -> Catalogue:
    areas = {
        a["id"]: Area(a["id"], a["title"].strip(), tuple(a.get("aliases") or ()),
                      a["title_en"].strip(), a["title_fr"].strip(), a["summary"].strip(),
                      (a.get("secretariat") or "").strip(), tuple(a["keywords"]),
                      _texts(a.get("examples")), _text(a.get("summary_en")),
                      _text(a.get("summary_fr")))
        for a in raw["areas"]
    }
    commitments = {
        c["id"]: Commitment(c["id"], c["area"], c["actor"], c["paragraph"], c["title"].strip(),
                            c["title_en"].strip(), c["title_fr"].strip(), c["text"].strip(),
                            tuple(c["keywords"]), _texts(c.get("examples")),
                            _text(c.get("text_en")), _text(c.get("text_fr")))
        for c in raw["commitments"]
    }
    paragraphs = {
        p["id"]: Paragraph(p["id"], p["section"].strip(), p.get("area"), p["text"].strip(),
                           tuple(c.id for c in commitments.values() if c.paragraph == p["id"]),
                           _text(p.get("text_en")), _text(p.get("text_fr")))
        for p in raw["paragraphs"]
    }
    faqs = {
        f["id"]: Faq(f["id"], _text(f["title"]), _text(f["title_en"]), _text(f["title_fr"]),
                     _text(f["answer"]), _text(f["answer_en"]), _text(f["answer_fr"]),
                     _texts(f["keywords"]), _texts(f["examples"]), _text(f["source"]))
        for f in raw.get("faq", ())
    }
    return Catalogue(areas, commitments, paragraphs, vocabulary, faqs)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _texts(value: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value or ())


def _check_examples(catalogue: Catalogue, problems: _Problems) -> None:
    """Example questions carry users' phrasings into the matcher: one that stands under two
    entries, or a paragraph-long one, would pull answers towards the wrong entry."""
    owner: dict[str, str] = {}
    files = {"area": "areas.yaml", "commitment": "commitments.yaml", "faq": "faq.yaml"}
    for entry in catalogue.entries():
        examples = getattr(entry, "examples", ())
        file = files.get(entry.kind, "")
        if len(examples) > EXAMPLES_MAX:
            problems.add(file, entry.id, "examples",
                         f"must hold at most {EXAMPLES_MAX} questions (has {len(examples)})")
        for example in examples:
            low, high = EXAMPLE_LENGTH
            if not low <= len(example) <= high:
                problems.add(file, entry.id, "examples",
                             f"'{example}' must be {low}–{high} characters (has {len(example)})")
            key = re.sub(r"\W+", "", example.lower())
            if key in owner and owner[key] != entry.id:
                problems.add(file, entry.id, "examples", f"'{example}' is also an example of {owner[key]}")
            elif key in owner:
                problems.add(file, entry.id, "examples", f"'{example}' is listed twice")
            owner[key] = entry.id


def _check_references(catalogue: Catalogue, problems: _Problems, complete: bool,
                      declared: dict[str, set[str]]) -> None:
    """Refer to declared ids: an entry already reported as invalid is not reported again."""
    for c in catalogue.commitments.values():
        if c.area not in declared.get("areas", ()):
            problems.add("commitments.yaml", c.id, "area", f"{c.area} is not an area in areas.yaml")
        if c.paragraph not in declared.get("paragraphs", ()):
            problems.add("commitments.yaml", c.id, "paragraph",
                         f"{c.paragraph} is not a paragraph in paragraphs.yaml")
    for p in catalogue.paragraphs.values():
        if p.area is not None and p.area not in declared.get("areas", ()):
            problems.add("paragraphs.yaml", p.id, "area", f"{p.area} is not an area in areas.yaml")
    titles: dict[str, str] = {}
    for c in catalogue.commitments.values():
        if c.title in titles:
            problems.add("commitments.yaml", c.id, "title", f"is the same as {titles[c.title]}'s")
        titles[c.title] = c.id
    if complete:
        for name, count in EXPECTED_COUNTS.items():
            have = declared.get(name, set())
            expected = {f"{_PREFIX[name]}{n}" for n in range(1, count + 1)}
            if set(have) != expected:
                missing = sorted(expected - set(have), key=lambda i: int(i[1:]))
                extra = sorted(set(have) - expected, key=lambda i: int(i[1:]))
                detail = "; ".join(
                    part for part in (f"missing {', '.join(missing)}" if missing else "",
                                      f"unexpected {', '.join(extra)}" if extra else "") if part)
                problems.add(f"{name}.yaml", "(file)", "",
                             f"must hold exactly {count} entries "
                             f"{_PREFIX[name]}1…{_PREFIX[name]}{count} ({detail})")


def load_catalogue(directory: Path | str | None = None, *, complete: bool = True) -> Catalogue:
    """Load and validate the knowledge directory.

    `complete` demands the shipped catalogue's exact 8/45/24 entries; tests and the
    synthetic benchmark catalogue turn it off. Raises `CatalogueError` listing every
    problem found.
    """
    base = Path(directory) if directory is not None else DEFAULT_DIR
    problems = _Problems()
    declared: dict[str, set[str]] = {}
    raw = {name: _entries(name, _read_yaml(base / f"{name}.yaml", problems), problems, declared)
           for name in EXPECTED_COUNTS}
    if (base / "faq.yaml").is_file():  # optional: a catalogue without an FAQ is still whole
        raw["faq"] = _entries("faq", _read_yaml(base / "faq.yaml", problems), problems, declared)
    vocabulary = _vocabulary(_read_yaml(base / "vocabulary.yaml", problems), problems)
    if (base / _OFF_TOPIC).is_file():  # optional, like the FAQ
        vocabulary = replace(vocabulary, off_topic=_off_topic(_read_yaml(base / _OFF_TOPIC,
                                                                         problems), problems))
    catalogue = _build(raw, vocabulary)
    if (base / _ASKED).is_file():  # optional, like the FAQ
        known = set().union(*declared.values())  # a broken entry is reported once
        catalogue = replace(catalogue, asked=_checked_asked(base / _ASKED, known, problems))
    _check_references(catalogue, problems, complete, declared)
    _check_examples(catalogue, problems)
    if problems.messages:
        raise CatalogueError(problems.messages)
    return catalogue


def check_catalogue(directory: Path | str | None = None) -> list[str]:
    """Every problem in a knowledge directory, as messages; empty when it is valid."""
    try:
        load_catalogue(directory)
    except CatalogueError as exc:
        return exc.problems
    return []


def parse_id(text: str) -> tuple[str, int] | None:
    """Split an id such as `C17` into (`commitment`, 17); None when it is not one."""
    match = ID_PATTERN.match(text.strip().upper())
    return (KINDS[match.group(1)], int(match.group(2))) if match else None
