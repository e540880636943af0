"""Choose the matcher's answer threshold from the labelled questions, and print why.

    python benchmarks/calibrate.py [tests/data/questions.yaml]

For every candidate threshold it counts, over free-text questions (references and actor
questions do not depend on it): in-scope questions answered correctly at rank 1, answered
wrongly, left unanswered, and out-of-scope questions wrongly answered. The chosen value
maximises correct answers minus 2 x wrong answers (a wrong card costs a field officer more
than an honest "I don't know"), ties going to the higher threshold — among thresholds with
a safety margin: the next lower step must still refuse every out-of-scope question, so a
question a hair above the line (维和津贴多少钱 at 41.96) does not decide it.

Then, at the threshold in bot/matching.py, it prints each labelled set's accuracy as the
tests grade it (top-1 in scope, refusal out of scope), per set and per question kind.
Only these totals are printed for the holdout set: its questions stay unread.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant  # noqa: E402
from bot.bench import correct  # noqa: E402
from bot.matching import DEFAULT_THRESHOLD, match  # noqa: E402

WRONG_COST = 2.0
SETS = ("questions.yaml", "holdout.yaml")


def summary(index, path: Path) -> None:
    """Accuracy at DEFAULT_THRESHOLD of one labelled set: totals and per kind."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_kind: dict[str, list[bool]] = defaultdict(list)
    in_scope: list[bool] = []
    out: list[bool] = []
    for item in items:
        ok = correct(match(item["q"], index), item["expect"])
        by_kind[item["kind"]].append(ok)
        (in_scope if item["expect"] else out).append(ok)
    print(f"{path.name}: top-1 in scope {sum(in_scope)}/{len(in_scope)} = "
          f"{sum(in_scope) / len(in_scope):.3f}; out of scope refused {sum(out)}/{len(out)} = "
          f"{sum(out) / len(out):.3f}")
    print("  " + "  ".join(f"{kind} {sum(oks)}/{len(oks)}" for kind, oks in sorted(by_kind.items())))


def main(path: str = str(ROOT / "tests/data/questions.yaml")) -> None:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    index = Assistant.load().index
    rows = []
    for item in items:
        result = match(item["q"], index, threshold=0.0)
        if result.intent != "search":
            continue
        top = result.candidates[0].match.score if result.candidates else 0.0
        top_id = result.candidates[0].match.id if result.candidates else None
        rows.append((set(item["expect"]), top, top_id, result))
    print(f"{len(rows)} free-text questions of {len(items)} in {path}")
    print(f"{'threshold':>9} {'correct':>8} {'wrong':>6} {'silent':>7} {'oos answered':>13} {'utility':>8}")
    best = None
    oos_at: dict[int, int] = {}
    for threshold in range(20, 81, 2):
        correct = wrong = silent = oos = 0
        for expect, top, top_id, result in rows:
            answered = bool(match(result.question, index, threshold=threshold).matches)
            if not expect:
                oos += answered
            elif not answered:
                silent += 1
            elif top_id in expect:
                correct += 1
            else:
                wrong += 1
        utility = correct - WRONG_COST * (wrong + oos)
        print(f"{threshold:>9} {correct:>8} {wrong:>6} {silent:>7} {oos:>13} {utility:>8.1f}")
        oos_at[threshold] = oos
        safe = oos_at.get(threshold - 2, 1) == 0  # the step below refuses all out of scope
        if safe and (best is None or utility >= best[0]):
            best = (utility, threshold)
    print(f"chosen threshold: {best[1]} (DEFAULT_THRESHOLD in bot/matching.py is {DEFAULT_THRESHOLD})")
    print(f"\nat DEFAULT_THRESHOLD {DEFAULT_THRESHOLD}:")
    for name in SETS:
        if (ROOT / "tests/data" / name).is_file():
            summary(index, ROOT / "tests/data" / name)


if __name__ == "__main__":
    main(*sys.argv[1:])
