"""Fit the matcher's rerank and decide steps on the development sets, and print why.

    python benchmarks/calibrate.py [--write] [--keep-rerank] [--cv] [--cv-rerank] [--sets …]

0. Every development question is ranked once (`rerank_depth` candidates) and the rerank
   step's `signals` of each candidate and their products (`rerank_design`) are recorded; a
   conditional-logit model (softmax over a question's candidates, L2-regularised, fitted by
   Newton's method) learns to put a right entry first: its coefficients are
   `rerank_coefficients`.
1. With that model, every question is reranked; for each free-text question with candidates
   the decision features of its best entry (`bot.answering.matching.features`) are recorded, labelled
   1 when that entry is a right answer and 0 otherwise (out-of-scope questions are all 0).
2. An L2-regularised logistic regression is fitted on them (Newton's method, numpy): its
   coefficients are the `coefficients` of `bot.answering.matching.Tuning`.
   A second model over the same features learns whether the right entry is among the
   first `max_suggestions` (out-of-scope questions: never): its coefficients are
   `suggest_coefficients` — "did you mean" is its own question, not a weaker answer.
3. `answer_at` is the lowest confidence whose answers keep a precision of at least
   `PRECISION` on the development sets together and leave at most `SETS_UNDER` of the sets,
   each on its own, under the issue's `SET_PRECISION` (a wrong card costs a field officer
   more than a "did you mean"); `suggest_at` the lowest
   confidence of the second model that still leaves `OOS_REFUSED` of the out-of-scope
   questions with neither an answer nor choices. `--cv` prints a leave-one-set-out estimate
   of the whole decision step; `--cv-rerank` only the rerank model's, ten folds of the sets
   apart (how often a right entry comes first), and stops — the quick test of a new signal.

The frozen holdouts (`tests/data/field_holdout*.yaml`) are never read here: tuning on them would
make their numbers meaningless. `--write` puts the fitted coefficients and thresholds into
`Tuning`'s defaults in bot/answering/matching.py (review the diff, then run the tests).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.catalogue import load_catalogue  # noqa: E402
from bot.cli.bench import DEVELOPMENT_SETS, labelled_set  # noqa: E402
from bot.answering.matching import (DEFAULT, PRODUCTS, RERANK_FEATURES, Index,  # noqa: E402
                                   match, rank, rerank_design, signals, weighed)

FEATURES = ("share", "evidence", "specific", "generic_only", "exact", "margin", "unknown",
            "number", "quantity", "example", "matched", "grams", "grams_example", "rerank",
            "rerank_margin", "off_topic", "outside", "outside_odds", "votes", "defines",
            *(name for name, _, _ in PRODUCTS))
RERANK_L2 = 0.3
# Precision of answers on the development sets together: the 0.95 with a margin,
# because sets differ (leave-one-set-out, each set's own precision ran from 0.90 to 0.99).
# A floor on every large set was tried instead: with sixteen sets it held the worst of them
# (English and French typed by non-native speakers, field_dev13) to it, answers needed 0.84
# and the leave-one-set-out top-1 fell from 0.919 to 0.891 for a precision of 0.976.
PRECISION = 0.97
# The pooled rule alone moves with the make-up of the pool: as sets in plain words joined,
# the sets answered under 0.95 each on their own grew from 15 of 114 to 19 of 146 at the
# same pooled 0.97 (graded as the floors grade them; 21 of 146 held out). An unseen set is
# one more set, so the share of sets kept at the 0.95 is the number that speaks for it. One in ten is near the noise floor: a set of ~180
# answers at a true 0.97 falls under 0.95 about one time in sixteen.
SET_PRECISION = 0.95
SETS_UNDER = 0.10
# Out-of-scope questions left with neither an answer nor choices. The issue asks for 0.90 of
# them refused and the right entry shown for 0.97 of the rest; choices trade one for the
# other. Graded a set at a time (leave-one-set-out), the sets missing the first target and
# the second were, by this value: 0.92 -> 52 and 57 of 170 (pooled refused 0.920, shown
# 0.974), 0.93 -> 44 and 59, 0.94 -> 28 and 60 (0.940, 0.973), 0.95 -> 20 and 66 (0.949,
# 0.971), 0.96 -> pooled shown 0.967, under the target. 0.94 is where the sets refusing too
# little fall most steeply while pooled shown keeps a margin above 0.97. (Picking the value
# that minimised the missed sets on the training sets themselves overshot: shown 0.967 held
# out.) Session 26's naive Bayes odds and rerank signal tell out-of-scope questions apart
# better, and the same criterion moved: over 182 sets, 0.94 -> 37 and 55 (0.940, 0.975),
# 0.95 -> 30 and 55 (0.949, 0.975), 0.955 -> 23 and 56, 0.96 -> 16 and 56 (0.959, 0.973),
# 0.965 -> 14 and 60 (0.964, 0.972), 0.97 -> 8 and 68 (0.969, 0.967).
OOS_REFUSED = 0.96
L2 = 0.5


def _questions(index: Index, names: list[str]):  # noqa: ANN202 - an iterator of tuples
    """(set number, item, match()'s result, index) for every development question the
    decision weighs (not a reference, an actor's list or small talk, which match() routes
    before ranking). A set that knowledge/asked.yaml was drawn from is seen through an
    index that has not read its questions, as a new question would be: fitting on questions
    the index holds word for word would teach the models that an exact phrasing is always
    right."""
    for number, name in enumerate(names):
        items = labelled_set(ROOT / "tests" / "data" / name)
        seen_by = index.unseen(item["q"] for item in items)
        for item in items:
            if (result := match(item["q"], seen_by)).intent == "search":
                yield number, item, result, seen_by


class RerankSample(NamedTuple):
    """One in-scope question whose right entry is among the candidates: each candidate's
    signals and products (`rerank_design`, in the rank step's order: `position` is its
    place), which of them are right, and where the question comes from."""
    rows: np.ndarray
    right: np.ndarray
    set: int
    kind: str


def rerank_samples(index: Index, names: list[str]) -> list[RerankSample]:
    out = []
    for number, item, result, seen_by in _questions(index, names):
        question = seen_by.question(result.normalised)
        ranking = rank(seen_by, question, index.tuning.rerank_depth)
        right = np.array([float(c.match.id in item["expect"]) for c in ranking.candidates])
        if right.any():
            out.append(RerankSample(rerank_design(signals(seen_by, question, ranking)), right,
                                    number, item["kind"]))
    return out


def fit_rerank(data: Sequence[tuple[np.ndarray, np.ndarray] | RerankSample]) -> np.ndarray:
    """Conditional logit: maximise the probability of the right entries among each question's
    candidates, L2-penalised, by Newton's method from the rank step's own order (score
    first). The questions are padded to one array (a question has at most ten candidates);
    each step solves with the softmax's curvature and is halved until the objective rises.
    (Session 20's fixed-rate gradient ascent stopped after 600 passes far from the optimum:
    log-likelihood −3,841 against −3,379.)"""
    width = max(len(sample[1]) for sample in data)
    x = np.zeros((len(data), width, len(RERANK_FEATURES)))
    right = np.zeros((len(data), width))
    present = np.zeros((len(data), width), dtype=bool)
    for n, (rows, marks, *_) in enumerate(data):
        x[n, :len(marks)], right[n, :len(marks)], present[n, :len(marks)] = rows, marks, True
    w = np.zeros(len(RERANK_FEATURES))
    w[RERANK_FEATURES.index("score")] = 5.0

    def chances(w: np.ndarray) -> tuple[np.ndarray, float]:
        z = np.where(present, x @ w, -np.inf)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        total, good = e.sum(axis=1), (e * right).sum(axis=1)
        return e / total[:, None], float(np.log(good / total).sum() - RERANK_L2 / 2 * w @ w)

    p, objective = chances(w)
    for _ in range(100):
        target = right * p / (right * p).sum(axis=1, keepdims=True)
        gradient = np.einsum("nkf,nk->f", x, target - p) - RERANK_L2 * w
        mean = np.einsum("nkf,nk->nf", x, p)
        flat = x.reshape(-1, len(w))
        curvature = ((flat * p.reshape(-1, 1)).T @ flat - mean.T @ mean
                     + RERANK_L2 * np.eye(len(w)))
        step = np.linalg.solve(curvature, gradient)
        rate = 1.0
        while True:
            p_new, new = chances(w + rate * step)
            if new >= objective or rate < 1e-4:
                break
            rate /= 2
        if new < objective:
            break
        w, p, gained, objective = w + rate * step, p_new, new - objective, new
        if gained < 1e-7 * abs(objective):
            break
    return w


def cross_validate_rerank(data: list[RerankSample], folds: int = 10) -> dict[str, float]:
    """Ten folds of the development sets (set number modulo `folds`): fit the rerank model on
    nine, count how often it puts a right entry first in the tenth. Sets, not questions, are
    held out, as an unseen set of users would be; this is how a new rerank signal is judged
    before the decision is refitted around it. Returns the share right-first, in all and per
    kind of question."""
    first: dict[str, list[int]] = {}
    for k in range(folds):
        w = fit_rerank([d for d in data if d.set % folds != k])
        for d in (d for d in data if d.set % folds == k):
            hit = int(d.right[int(np.argmax(d.rows @ w))] > 0)
            for key in ("all", d.kind):
                first.setdefault(key, []).append(hit)
    shares = {key: sum(hits) / len(hits) for key, hits in first.items()}
    print(f"rerank, {folds} folds of the sets apart: right entry first for {shares['all']:.4f} "
          f"of {len(first['all'])} questions holding it")
    for key in sorted(k for k in shares if k != "all"):
        print(f"  {key:16} n={len(first[key]):6}  {shares[key]:.4f}")
    return shares


def samples(index: Index, names: list[str]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(features, best entry right?, right entry among the choices?, out of scope?, which
    set) for every free-text development question."""
    rows, labels, shown, oos, sets = [], [], [], [], []
    choices = index.tuning.max_suggestions
    for number, item, result, _ in _questions(index, names):
        # match() ranked, reranked and weighed it already: its evidence is the decision's
        if not result.candidates:
            if not item["expect"]:
                oos.append(True)
                rows.append([0.0] * len(FEATURES))
                labels.append(0.0)
                shown.append(0.0)
                sets.append(number)
            continue
        feats = weighed(result.decision.features)
        rows.append([feats[f] for f in FEATURES])
        labels.append(float(result.candidates[0].match.id in item["expect"]))
        shown.append(float(any(c.match.id in item["expect"]
                               for c in result.candidates[:choices])))
        oos.append(not item["expect"])
        sets.append(number)
    return (np.array(rows), np.array(labels), np.array(shown), np.array(oos), np.array(sets))


def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logistic regression by Newton's method; returns [bias, *weights]."""
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    penalty = L2 * np.eye(len(w))
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + penalty @ w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def sets_under(answered: np.ndarray, y: np.ndarray, sets: np.ndarray) -> float:
    """The share of the sets present whose own answers fall under `SET_PRECISION`."""
    size = int(sets.max()) + 1
    answers = np.bincount(sets[answered], minlength=size)
    right = np.bincount(sets[answered], weights=y[answered], minlength=size)
    under = (answers > 0) & (right < SET_PRECISION * answers)
    return float(under.sum() / len(np.unique(sets)))


def thresholds(p: np.ndarray, y: np.ndarray, p_shown: np.ndarray, oos: np.ndarray,
               sets: np.ndarray) -> tuple[float, float]:
    """The lowest answer threshold that keeps the precision of the development sets together
    and of nine sets in ten on their own, then the suggestion threshold."""
    answer_at = 0.99
    for cut in np.arange(0.99, 0.05, -0.01):
        answered = p >= cut
        if (answered.any() and y[answered].mean() >= PRECISION
                and sets_under(answered, y, sets) <= SETS_UNDER):
            answer_at = float(cut)
    suggest_at = 0.99
    unanswered = oos & (p < round(answer_at, 2))  # an answered one gets no choices anyway
    for cut in np.arange(0.99, 0.01, -0.01):
        if (unanswered & (p_shown < cut)).sum() >= OOS_REFUSED * oos.sum():
            suggest_at = float(cut)
    return round(answer_at, 2), round(suggest_at, 2)


def cross_validate(x: np.ndarray, y: np.ndarray, y_shown: np.ndarray, oos: np.ndarray,
                   sets: np.ndarray, names: list[str]) -> None:
    """Leave one development set out: fit both decision models and thresholds on the others,
    grade the one left out. An out-of-sample estimate of the decision step (the rerank model
    is the one fitted on all sets, so ranking is slightly optimistic)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    total = np.zeros(5)  # right answers, in scope, answers, shown, out-of-scope refused
    under = 0  # sets whose own answers, held out, fall under SET_PRECISION
    for k in np.unique(sets):
        train, test = sets != k, sets == k
        w, w_shown = fit(x[train], y[train]), fit(x[train], y_shown[train])
        p, p_shown = 1 / (1 + np.exp(-design @ w)), 1 / (1 + np.exp(-design @ w_shown))
        answer_at, suggest_at = thresholds(p[train], y[train], p_shown[train], oos[train],
                                           sets[train])
        answered = test & (p >= answer_at)
        offered = test & ~answered & (p_shown >= suggest_at)
        inside = test & ~oos
        counts = np.array([(answered & (y > 0)).sum(), inside.sum(), answered.sum(),
                           (((answered & (y > 0)) | (offered & (y_shown > 0))) & inside).sum(),
                           (test & oos & ~answered & ~offered).sum()])
        total += counts
        under += int(counts[0] < SET_PRECISION * counts[2])
        print(f"  held out {names[k]:18} top-1 {counts[0] / counts[1]:.3f}  precision "
              f"{counts[0] / max(1, counts[2]):.3f}  shown {counts[3] / counts[1]:.3f}  out of "
              f"scope refused {counts[4] / max(1, (test & oos).sum()):.3f}  (answer at "
              f"{answer_at:.2f}, suggest at {suggest_at:.2f})")
    print(f"  leave-one-set-out: top-1 {total[0] / total[1]:.3f}  precision "
          f"{total[0] / total[2]:.3f}  shown {total[3] / total[1]:.3f}  out of scope refused "
          f"{total[4] / oos.sum():.3f}  (free-text questions only); {under} of "
          f"{len(np.unique(sets))} sets under {SET_PRECISION} precision")


MATCHING = ROOT / "bot" / "answering" / "matching.py"
_INDENT = " " * 8


def _mapping_body(values: dict[str, float], width: int = 84) -> str:
    """A mapping's items as Tuning's defaults lay them out: eight spaces in, lines wrapped."""
    lines, line = [], ""
    for item in (f'"{k}": {v}' for k, v in values.items()):
        if line and len(line) + len(item) + 2 > width:
            lines.append(line + ",")
            line = ""
        line = f"{line}, {item}" if line else item
    return "".join(f"\n{_INDENT}{text}" for text in (*lines, line))


def tuned_source(source: str, mappings: dict[str, dict[str, float]],
                 numbers: dict[str, float]) -> str:
    """matching.py's text with Tuning's fitted defaults replaced: each mapping field's
    `_frozen({...})` body and each float field's value (its comment kept)."""
    for name, values in mappings.items():
        pattern = re.compile(rf"(\n    {name}: Mapping\[str, float\] = field\(default_factory="
                             rf"lambda: _frozen\(\{{)([^}}]*)(\}}\)\))")
        source, found = pattern.subn(lambda m: m.group(1) + _mapping_body(values) + m.group(3),
                                     source)
        if found != 1:
            raise SystemExit(f"calibrate: Tuning.{name} not found once in {MATCHING}")
    for name, value in numbers.items():
        source, found = re.subn(rf"(\n    {name}: float = )[0-9.]+", rf"\g<1>{value}", source)
        if found != 1:
            raise SystemExit(f"calibrate: Tuning.{name} not found once in {MATCHING}")
    return source


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="put the fitted values into Tuning's defaults in matching.py")
    parser.add_argument("--sets", nargs="+", default=list(DEVELOPMENT_SETS), metavar="NAME",
                        help="development sets in tests/data to fit on (default: all of them)")
    parser.add_argument("--keep-rerank", action="store_true",
                        help="keep Tuning's rerank coefficients; refit only the decision")
    parser.add_argument("--cv", action="store_true",
                        help="also print the leave-one-set-out estimate of the decision step")
    parser.add_argument("--cv-rerank", action="store_true",
                        help="print the rerank model's ten-fold estimate (folds of sets) and stop")
    parser.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE",
                        help="try another value of a numeric Tuning field (repeatable)")
    args = parser.parse_args()
    knobs = {k: type(getattr(DEFAULT, k))(float(v))
             for k, v in (item.split("=", 1) for item in args.set)}
    index = Index(load_catalogue(), tuning=replace(DEFAULT, **knobs))
    if args.cv_rerank:
        cross_validate_rerank(rerank_samples(index, args.sets))
        return 0
    if args.keep_rerank:
        rerank_coefficients = dict(index.tuning.rerank_coefficients)
    else:
        r = fit_rerank(rerank_samples(index, args.sets))
        rerank_coefficients = {s: round(float(v), 3) for s, v in zip(RERANK_FEATURES, r)}
    print("rerank coefficients:", rerank_coefficients)
    index.tuning = replace(index.tuning, rerank_coefficients=rerank_coefficients)
    x, y, y_shown, oos, sets = samples(index, args.sets)
    w, w_shown = fit(x, y), fit(x, y_shown)
    coefficients, suggest_coefficients = (
        {"bias": round(float(v[0]), 3), **{f: round(float(c), 3) for f, c in zip(FEATURES, v[1:])}}
        for v in (w, w_shown))
    design = np.hstack([np.ones((len(x), 1)), x])
    p = 1 / (1 + np.exp(-design @ w))
    p_shown = 1 / (1 + np.exp(-design @ w_shown))
    answer_at, suggest_at = thresholds(p, y, p_shown, oos, sets)
    in_scope = int((~oos).sum())
    print(f"{len(y)} free-text development questions, {int(oos.sum())} out of scope; ranking: "
          f"right best entry for {y.sum() / in_scope:.3f} of the {in_scope} in scope")
    print("coefficients:", coefficients)
    answered = p >= answer_at
    print(f"  answer at {answer_at:.2f}: {answered.sum()} answers, precision "
          f"{y[answered].mean():.3f}, out of scope answered {int((answered & oos).sum())}, "
          f"sets under {SET_PRECISION} precision {sets_under(answered, y, sets):.3f}")
    offered = ~answered & (p_shown >= suggest_at)
    print(f"  suggest at {suggest_at:.2f}: {offered.sum()} more get choices, the right one among "
          f"them for {y_shown[offered].mean() if offered.any() else 0:.3f}, out of scope "
          f"{int((offered & oos).sum())}; right entry shown overall "
          f"{((answered & (y > 0)) | (offered & (y_shown > 0)))[~oos].mean():.3f}")
    print(f"answer_at {answer_at}  suggest_at {suggest_at}")
    if args.cv:
        cross_validate(x, y, y_shown, oos, sets, args.sets)
    if args.write:
        MATCHING.write_text(tuned_source(
            MATCHING.read_text(encoding="utf-8"),
            {"rerank_coefficients": rerank_coefficients, "coefficients": coefficients,
             "suggest_coefficients": suggest_coefficients},
            {"answer_at": answer_at, "suggest_at": suggest_at}), encoding="utf-8")
        print(f"written to {MATCHING.relative_to(ROOT)}: review the diff, then run the tests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
