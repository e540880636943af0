"""Fit the matcher's decision (answer / suggest / refuse) on the development sets, and print why.

    python benchmarks/calibrate.py [--write]

1. Every development question is ranked once; for each free-text question with candidates
   the decision features of its best entry (`bot.answering.matching.features`) are recorded, labelled
   1 when that entry is a right answer and 0 otherwise (out-of-scope questions are all 0).
2. An L2-regularised logistic regression is fitted on them (Newton's method, numpy): its
   coefficients are the `coefficients` of `bot.answering.matching.Tuning`.
3. `answer_at` is the lowest confidence whose answers keep a precision of at least
   `PRECISION` on each development set (a wrong card costs a field officer more than a
   "did you mean"); `suggest_at` the lowest confidence at which at most `OOS_SUGGESTED`
   of the out-of-scope questions would still get suggestions.

The frozen holdout (`tests/data/field_holdout.yaml`) is never read here: tuning on it would
make its numbers meaningless. `--write` prints the Tuning lines to paste into matching.py.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.catalogue import load_catalogue  # noqa: E402
from bot.answering.matching import DEFAULT, Index, features, rank  # noqa: E402
from bot.answering.normalisation import normalise  # noqa: E402
from bot.answering.references import find_references  # noqa: E402

DEV_SETS = ("questions.yaml", "holdout.yaml", "field_dev.yaml")
FEATURES = ("share", "evidence", "share_evidence", "example_share", "specific", "generic_only", "exact", "margin", "unknown",
            "number", "quantity", "example", "matched")
PRECISION = 0.95
MIN_ANSWERS = 100  # a set with fewer answers cannot resolve a point of precision on its own
OOS_SUGGESTED = 0.05
L2 = 0.5


def samples(index: Index) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(features, right?, out of scope?, which set) for every free-text development question."""
    rows, labels, oos, sets = [], [], [], []
    for number, name in enumerate(DEV_SETS):
        for item in yaml.safe_load((ROOT / "tests" / "data" / name).read_text(encoding="utf-8")):
            normalised = normalise(item["q"])[:index.tuning.max_chars]
            if find_references(normalised):
                continue
            question = index.question(normalised)
            ranking = rank(index, question, index.tuning.max_results)
            if not ranking.candidates:
                if not item["expect"]:
                    oos.append(True)
                    rows.append([0.0] * len(FEATURES))
                    labels.append(0.0)
                    sets.append(number)
                continue
            feats = features(index, question, ranking, normalised)
            rows.append([feats[f] for f in FEATURES])
            labels.append(float(ranking.candidates[0].match.id in item["expect"]))
            oos.append(not item["expect"])
            sets.append(number)
    return np.array(rows), np.array(labels), np.array(oos), np.array(sets)


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


def thresholds(p: np.ndarray, y: np.ndarray, oos: np.ndarray, sets: np.ndarray
               ) -> tuple[float, float]:
    """The lowest answer threshold that keeps the precision of the development sets together
    and of each large one (the catalogue-worded set must not carry the field-worded one),
    then the suggestion threshold."""
    answer_at = 0.99
    for cut in np.arange(0.99, 0.05, -0.01):
        answered = p >= cut
        if y[answered].mean() >= PRECISION and all(
                y[answered & (sets == k)].mean() >= PRECISION
                for k in np.unique(sets) if (answered & (sets == k)).sum() >= MIN_ANSWERS):
            answer_at = float(cut)
    suggest_at = answer_at
    for cut in np.arange(answer_at, 0.01, -0.01):
        if (p[oos] >= cut).mean() <= OOS_SUGGESTED:
            suggest_at = float(cut)
    return round(answer_at, 2), round(suggest_at, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="print the Tuning fields to paste")
    parser.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE",
                        help="try another value of a numeric Tuning field (repeatable)")
    args = parser.parse_args()
    knobs = {k: float(v) for k, v in (item.split("=", 1) for item in args.set)}
    index = Index(load_catalogue(), tuning=replace(DEFAULT, **knobs))
    x, y, oos, sets = samples(index)
    w = fit(x, y)
    coefficients = {"bias": round(float(w[0]), 3),
                    **{f: round(float(v), 3) for f, v in zip(FEATURES, w[1:])}}
    design = np.hstack([np.ones((len(x), 1)), x])
    p = 1 / (1 + np.exp(-design @ w))
    answer_at, suggest_at = thresholds(p, y, oos, sets)
    in_scope = int((~oos).sum())
    print(f"{len(y)} free-text development questions, {int(oos.sum())} out of scope; ranking: "
          f"right best entry for {y.sum() / in_scope:.3f} of the {in_scope} in scope")
    print("coefficients:", coefficients)
    for cut in (suggest_at, answer_at):
        answered = p >= cut
        print(f"  at {cut:.2f}: {answered.sum()} above, precision {y[answered].mean():.3f}, "
              f"out of scope above {int((answered & oos).sum())}")
    print(f"answer_at {answer_at}  suggest_at {suggest_at}")
    tuned = replace(DEFAULT, coefficients=coefficients, answer_at=answer_at, suggest_at=suggest_at)
    if args.write:
        print(f"coefficients = {tuned.coefficients!r}\nanswer_at = {tuned.answer_at}\n"
              f"suggest_at = {tuned.suggest_at}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
