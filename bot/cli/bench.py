"""`a4pbot bench`: cold start, per-question latency (real and 100x catalogue), peak memory.

Targets (README): cold start <= 1.0 s, p99 <= 5 ms, p99 <= 20 ms on a catalogue 100x larger;
`a4pbot health` and an admin command within 2x a bare `import sqlalchemy`; /brief < 1 s
in a running bot (first and warm).
Numbers are printed, not asserted: a benchmark informs, tests decide.
"""

from __future__ import annotations

import argparse
import heapq
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path


from bot.conversation.assistant import Assistant
from bot.answering.catalogue import Catalogue, load_catalogue, read_yaml
from bot.answering.derived import parsed
from bot.answering.matching import Index, Result, _fields, match
from bot.answering.normalisation import normalise

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
QUESTION_SETS = ("questions.yaml", "field_dev.yaml")  # catalogue-worded and field-worded
# The labelled sets of tests/data. Development sets choose every knob (benchmarks/calibrate.py,
# evaluate.py, knowledge/asked.yaml); the frozen holdouts are only read to report, never
# tuned on and never copied into the knowledge (README, "How the matcher is measured").
# The field sets are every tests/data/field_devN.yaml, in the order they arrived (no number
# is the first): `benchmarks/newset.py` writes one, and tests/labelled.py must give it floors.
DEVELOPMENT_SETS = ("questions.yaml", "holdout.yaml", *(
    path.name for path in sorted(DATA.glob("field_dev*.yaml"),
                                 key=lambda path: int(path.stem.removeprefix("field_dev") or 1))))
FROZEN_SETS = ("field_holdout.yaml", "field_holdout2.yaml", "field_holdout3.yaml",
               "field_holdout4.yaml")
FALLBACK_QUESTIONS = ("保护平民", "维和人员伤亡越来越多怎么办", "第十三项承诺", "女兵太少",
                      "附加限制条件", "性剥削和性虐待零容忍", "今天天气怎么样", "环境管理")


def correct(result: Result, expect: list[str]) -> bool:
    """How a labelled question is graded (tests/labelled.py and benchmarks/calibrate.py
    alike): the top answer is right; an actor question lists exactly that actor's
    commitments; an out-of-scope question (no expected id) gets no answer."""
    if not expect:
        return not result.matches
    if result.intent == "actor":
        return {m.id for m in result.matches} == set(expect)
    return bool(result.matches) and result.matches[0].id in expect


def shown(result: Result, expect: list[str]) -> bool:
    """Did the user see the right entry: among the answer's first three (the card and its
    next-best buttons) or among the "did you mean" suggestions?"""
    ids = [m.id for m in (*result.matches[:3], *result.suggestions)]
    return correct(result, expect) or bool(set(expect) & set(ids))


@dataclass
class Graded:
    """How a labelled set (or one kind of its questions) fares, in the issue's terms."""

    in_scope: int = 0
    correct: int = 0       # right entry answered first
    answered: int = 0      # in-scope questions answered
    shown: int = 0         # right entry answered (top 3) or offered as a suggestion
    out_of_scope: int = 0
    refused: int = 0       # out of scope: neither an answer nor suggestions
    wrong_oos: int = 0     # out of scope answered

    def add(self, other: Graded) -> None:
        """Count another set's (or kind's) questions in: the development sets together."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def top1(self) -> float:
        return self.correct / self.in_scope

    @property
    def precision(self) -> float:
        return self.correct / max(1, self.answered + self.wrong_oos)

    @property
    def shown_rate(self) -> float:
        return self.shown / self.in_scope

    @property
    def refusal(self) -> float:
        return self.refused / self.out_of_scope


def grade(index: Index, items: list[dict]
          ) -> tuple[Graded, dict[str, Graded], list[tuple[dict, Result]]]:
    """A labelled set graded (tests/labelled.py's floors, benchmarks/evaluate.py): the
    whole set, each kind, and the misses as (item, result). A set that knowledge/asked.yaml
    was drawn from is graded by an index that has not read its questions."""
    total, kinds = Graded(), defaultdict[str, Graded](Graded)
    misses: list[tuple[dict, Result]] = []
    index = index.unseen(item["q"] for item in items)
    for item in items:
        result, expect = match(item["q"], index), item["expect"]
        right = correct(result, expect)
        for g in (total, kinds[item["kind"]]):
            if expect:
                g.in_scope += 1
                g.correct += right
                g.answered += bool(result.matches)
                g.shown += shown(result, expect)
            else:
                g.out_of_scope += 1
                g.refused += not result.matches and not result.suggestions
                g.wrong_oos += bool(result.matches)
        if not right:
            misses.append((item, result))
    return total, dict(kinds), misses


_GRADING: list[Index] = []  # the index forked graders share (`grade_all`)


def _grade_named(name: str) -> tuple[str, Graded]:
    return name, grade(_GRADING[0], labelled_set(DATA / name))[0]


def grade_all(index: Index, names: tuple[str, ...], workers: int = 2) -> dict[str, Graded]:
    """Each labelled set of tests/data graded (`grade`), `workers` sets at a time: the
    graders are forked from this process, so they share its loaded index."""
    _GRADING[:] = [index]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return dict(pool.imap_unordered(_grade_named, names))


def labelled_set(path: Path) -> list[dict]:
    """A labelled question set (tests/data/*.yaml): its items, in order. Parsed once per
    content (`parsed`): the gate, the suite and newset.py read every set, ~18 ms each
    (3.1 s for 173 sets; 0.15 s read back)."""
    return parsed(path, read_yaml, folder="sets") or []


def _questions(limit: int) -> list[str]:
    questions = [q["q"] for name in QUESTION_SETS if (DATA / name).is_file()
                 for q in labelled_set(DATA / name)]
    questions = questions or list(FALLBACK_QUESTIONS)
    return questions[:limit] if limit else questions


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def cold_start(knowledge: str | None, runs: int = 5) -> list[float]:
    """Wall time of fresh `a4pbot ask --json` processes, start to answer printed."""
    command = [sys.executable, "-m", "bot.cli"]
    if knowledge:
        command += ["--knowledge", knowledge]
    command += ["ask", "--json", "维和人员伤亡越来越多，宣言里怎么说的？"]
    subprocess.run(command, check=True, capture_output=True)  # builds caches once
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def _child_run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_cost(knowledge: str | None, runs: int = 5) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) of fresh processes: a bare `import sqlalchemy` (the floor of any command that
    opens the database), `a4pbot health` and `a4pbot admin users`, on a scratch SQLite database
    at HEAD (the configured one is not touched). Runs are interleaved, so a machine that gets
    busier slows all three alike."""
    from bot.storage.store import Store

    cli = [sys.executable, "-m", "bot.cli"] + (["--knowledge", knowledge] if knowledge else [])
    commands = {"import sqlalchemy": [sys.executable, "-c", "import sqlalchemy"],
                "a4pbot health": [*cli, "health"], "a4pbot admin users": [*cli, "admin", "users"]}
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'a4p.sqlite3'}"
        Store.open(url).close()  # migrated here: the commands measured never migrate
        env = {**os.environ, "DATABASE_URL": url}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for command in commands.values():
            _child_run(command, env)  # warm the file cache and .pyc files once
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(_child_run(command, env))
    return times


def cli_cost_rows(times: dict[str, list[tuple[float, float]]]) -> list[str]:
    """One line each: median wall and CPU, and the ratio to the bare import (target <= 2x)."""
    medians = {name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
               for name, runs in times.items()}
    floor_wall, floor_cpu = medians["import sqlalchemy"]
    rows = []
    for name, (wall, cpu) in medians.items():
        ratio = ("" if name == "import sqlalchemy" else
                 f"   {wall / floor_wall:.2f}x wall, {cpu / floor_cpu:.2f}x CPU of the bare import "
                 "(target <= 2x)")
        rows.append(f"{name:<34} median {wall:.3f} s wall, {cpu:.3f} s CPU{ratio}   "
                    f"runs={len(times[name])}")
    return rows


def _new_question() -> None:
    """Forget the questions normalised so far: in service nearly every question is new, so
    neither the matcher nor the baseline may find it cached (term-level tables — fuzzy
    look-ups, the cut of catalogue words — stay warm, as they do in service)."""
    normalise.cache_clear()


def _timed(ask: Callable[[str], object], questions: list[str]) -> list[float]:
    """Milliseconds per question, each one asked as a new question."""
    out = []
    for question in questions:
        _new_question()
        started = time.perf_counter()
        ask(question)
        out.append((time.perf_counter() - started) * 1000)
    return out


def latencies(index: Index, questions: list[str]) -> list[float]:
    """Milliseconds per question; the fuzzy term look-ups start cold and fill as in service
    (a term recurs across questions, a question seldom does)."""
    index.warm()  # as a server does at start
    index.similar.cache_clear()
    for question in questions[:5]:
        match(question, index)  # imports built on first use
    index.similar.cache_clear()
    return _timed(lambda question: match(question, index), questions)


def scaled_catalogue(catalogue: Catalogue, factor: int, seed: int = 7) -> Catalogue:
    """A synthetic catalogue `factor` times larger: renumbered copies with extra vocabulary.

    Each copy gets words drawn from jieba's dictionary so the vocabulary (what fuzzy
    look-ups scan) grows with the entries, not only the postings.
    """
    import jieba

    rng = random.Random(seed)
    words = [line.split()[0] for line in
             (Path(jieba.__file__).parent / "dict.txt").read_text(encoding="utf-8").splitlines()
             if len(line.split()[0]) in (2, 3, 4)]
    rng.shuffle(words)
    pool = iter(words)

    def extra(k: int) -> tuple[str, ...]:
        return tuple(next(pool) for _ in range(k))

    areas, commitments, paragraphs = {}, {}, {}
    for copy in range(factor):
        for a in catalogue.areas.values():
            new = f"A{copy * 8 + a.number}"
            areas[new] = replace(a, id=new, keywords=a.keywords + extra(3))
        for c in catalogue.commitments.values():
            new = f"C{copy * 45 + c.number}"
            commitments[new] = replace(c, id=new, area=f"A{copy * 8 + int(c.area[1:])}",
                                       paragraph=f"P{copy * 24 + int(c.paragraph[1:])}",
                                       keywords=c.keywords + extra(4), text=c.text + "".join(extra(3)))
        for p in catalogue.paragraphs.values():
            new = f"P{copy * 24 + p.number}"
            paragraphs[new] = replace(p, id=new, text=p.text + "".join(extra(5)))
    return Catalogue(areas, commitments, paragraphs, catalogue.vocabulary)


class Bm25:
    """The baseline the matcher's cost is held to: jieba + BM25 over each entry's text.

    Same normalisation and segmenter, no fuzzy look-ups, no decision: what a plain search
    engine would spend per question (issue: the matcher stays within 2x of it)."""

    def __init__(self, index: Index, k1: float = 1.2, b: float = 0.75) -> None:
        self.segmenter, self.entries, self.k1, self.b = index.segmenter, index.entries, k1, b
        self.postings: dict[str, dict[int, int]] = {}
        lengths = []
        for i, entry in enumerate(self.entries):
            terms = [t for _, text in _fields(entry, index.catalogue.asked.get(entry.id, ()))
                     for t in self.segmenter.terms(normalise(text))]
            lengths.append(len(terms))
            for t in terms:
                self.postings.setdefault(t, {}).setdefault(i, 0)
                self.postings[t][i] += 1
        self.lengths, self.average = lengths, sum(lengths) / max(1, len(lengths))
        n = len(self.entries)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5))
                    for t, p in self.postings.items()}

    def search(self, question: str, limit: int = 5) -> list[tuple[str, float]]:
        scores: dict[int, float] = {}
        for t in self.segmenter.terms(normalise(question)):
            for i, tf in self.postings.get(t, {}).items():
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.average)
                scores[i] = scores.get(i, 0.0) + self.idf[t] * tf * (self.k1 + 1) / (tf + norm)
        best = heapq.nlargest(limit, scores.items(), key=lambda kv: kv[1])
        return [(self.entries[i].id, s) for i, s in best]


def baseline_latencies(engine: Bm25, questions: list[str]) -> list[float]:
    return _timed(engine.search, questions)


def _row(label: str, values: list[float], unit: str) -> str:
    return (f"{label:<34} p50 {percentile(values, 50):8.2f} {unit}   "
            f"p99 {percentile(values, 99):8.2f} {unit}   max {max(values):8.2f} {unit}   n={len(values)}")


def brief_probe(knowledge: str | None, warm: bool, runs: int = 5) -> None:
    """In a fresh process: /brief on a scratch store with 30 updates, as a running bot answers
    it. Prints JSON: with `warm`, the warm-up a server starts with (`chart.warm`) and the first
    /brief after it; without, the first /brief paying matplotlib's import; then `runs` more."""
    import json
    from datetime import UTC, datetime, timedelta

    from bot.briefing import chart
    from bot.conversation.identity import Sender
    from bot.storage.store import Store

    with tempfile.TemporaryDirectory() as scratch:
        day = [datetime(2026, 11, 1, tzinfo=UTC)]
        store = Store.open(f"sqlite:///{Path(scratch) / 'a4p.sqlite3'}", clock=lambda: day[0])
        desk = Assistant.load(knowledge).with_store(store, frozenset({"console:bench"}))
        admin = Sender("console", "bench", "Bench")
        rng = random.Random(7)
        for n in range(1, 31):
            desk.respond(f"/update C{rng.randint(1, 45)} {rng.choice(['进行中', '已完成', '受阻'])} "
                         f"进展 {n}", None, admin)
            day[0] += timedelta(days=1)
        out: dict[str, object] = {}
        if warm:
            started = time.perf_counter()
            chart.warm(desk.catalogue).join()
            out["warm_up"] = time.perf_counter() - started
        started = time.perf_counter()
        desk.respond("/brief", None, admin)
        out["first"] = time.perf_counter() - started
        times = []
        for n in range(runs):  # a new update each time: a new picture, drawn
            desk.respond(f"/update C{n + 1} 已完成 进展", None, admin)
            started = time.perf_counter()
            desk.respond("/brief", None, admin)
            times.append(time.perf_counter() - started)
        out["next"] = times
        started = time.perf_counter()
        desk.respond("/brief", None, admin)  # nothing new: the picture drawn last time
        out["again"] = time.perf_counter() - started
        store.close()
    print(json.dumps(out))


def brief_rows(knowledge: str | None) -> list[str]:
    """/brief's time, first and warm, in fresh processes: without the warm-up (what a bot
    paid before) and after it (what `a4pbot run` and `a4pbot slack` do at start; target < 1 s)."""
    import json

    rows = []
    for warm in (False, True):
        code = f"from bot.cli.bench import brief_probe; brief_probe({knowledge!r}, {warm})"
        found = json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                          capture_output=True, text=True).stdout)
        label = "/brief after the warm-up" if warm else "/brief, no warm-up"
        rows.append(f"{label:<34} first {found['first']:.3f} s   after a new update median "
                    f"{statistics.median(found['next']):.3f} s   max {max(found['next']):.3f} s   "
                    f"unchanged {found['again']:.3f} s"
                    + (f"   (warm-up {found['warm_up']:.3f} s, in the background at start)"
                       if warm else ""))
    return rows


def run_benchmarks(args: argparse.Namespace) -> int:
    questions = _questions(args.questions)
    starts = cold_start(args.knowledge)
    print(f"{'cold start (process -> first answer)':<34} median {statistics.median(starts):.3f} s"
          f"   min {min(starts):.3f} s   max {max(starts):.3f} s   runs={len(starts)}")
    for row in cli_cost_rows(cli_cost(args.knowledge)):
        print(row)
    for row in brief_rows(args.knowledge):
        print(row)

    started = time.perf_counter()
    assistant = Assistant.load(args.knowledge)
    print(f"{'load catalogue + build index':<34} {time.perf_counter() - started:.3f} s")
    engine = Bm25(assistant.index)
    # one pass each first: tables built on first use (pinyin, homophones) and jieba's own
    # caches are paid once per process, not per question; then both are measured alike
    latencies(assistant.index, questions)
    baseline_latencies(engine, questions)
    ours = latencies(assistant.index, questions)
    print(_row("latency, shipped catalogue", ours, "ms"))
    base = baseline_latencies(engine, questions)
    print(_row("jieba + BM25 baseline, same run", base, "ms"))
    print(f"{'cost vs baseline (mean, p50)':<34} {statistics.mean(ours) / statistics.mean(base):.2f}x"
          f"   {percentile(ours, 50) / percentile(base, 50):.2f}x   (target <= 2x)")

    big = scaled_catalogue(load_catalogue(args.knowledge), 100)
    started = time.perf_counter()
    big_index = Index(big, assistant.index.segmenter)
    print(f"{'build index, 100x catalogue':<34} {time.perf_counter() - started:.3f} s "
          f"({sum(1 for _ in big.entries())} entries, {len(big_index.postings)} terms)")
    print(_row("latency, 100x catalogue", latencies(big_index, questions), "ms"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak RSS (this process)':<34} {peak_mb:.1f} MB")
    return 0
