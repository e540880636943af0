"""Print how the matcher fares on the labelled sets, per set and per kind of question.

    python benchmarks/evaluate.py [--misses] [--frozen] [SET.yaml …]

For each set (default: the development sets; `--frozen` adds the frozen holdouts):
top-1 accuracy, answer rate and the right entry shown (answered among the first three, or
offered as "did you mean") for in-scope questions; refusal (no answer, no suggestion) for
out-of-scope ones; and the precision of confident answers. A set that knowledge/asked.yaml
was drawn from is measured with an index that has not read its questions. `--misses` lists
the development sets' misses one per line — never a frozen holdout's, whose questions stay unread (see
README, "How the matcher is measured"). A frozen holdout is read only when asked for.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.conversation.assistant import Assistant  # noqa: E402
from bot.answering.matching import match  # noqa: E402
from bot.cli.bench import DEVELOPMENT_SETS, FROZEN_SETS, correct, shown  # noqa: E402

DATA = ROOT / "tests" / "data"


def report(assistant: Assistant, path: Path, misses: bool) -> None:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    # a set that knowledge/asked.yaml was drawn from is measured without its own questions
    index = assistant.index.unseen(item["q"] for item in items)
    counts: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        result, expect = match(item["q"], index), item["expect"]
        right = correct(result, expect)
        for kind in (item["kind"], "all in scope" if expect else "all out of scope"):
            c = counts[kind]
            c["n"] += 1
            if expect:
                c["top1"] += right
                c["answered"] += bool(result.matches)
                c["shown"] += shown(result, expect)
            else:
                c["refused"] += not result.matches and not result.suggestions
                c["answered"] += bool(result.matches)
        if misses and path.name not in FROZEN_SETS and not right:
            print(f"  miss [{item['kind']}] {item['q']}  expect={expect} "
                  f"got={[m.id for m in result.matches[:3]]} "
                  f"suggested={[m.id for m in result.suggestions]}")
    inside, outside = counts["all in scope"], counts["all out of scope"]
    answers = inside["answered"] + outside["answered"]
    unseen = " (without its own questions in asked.yaml)" if index is not assistant.index else ""
    print(f"{path.name}{unseen}: precision of confident answers "
          f"{inside['top1'] / max(1, answers):.3f} ({inside['top1']}/{answers})")
    for kind, c in sorted(counts.items()):
        n = c["n"]
        if "refused" in c or kind == "all out of scope":
            print(f"  {kind:18} n={n:4}  refused {c['refused'] / n:.3f}")
        else:
            print(f"  {kind:18} n={n:4}  top-1 {c['top1'] / n:.3f}  answered "
                  f"{c['answered'] / n:.3f}  shown {c['shown'] / n:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help="labelled sets (default: the development sets)")
    parser.add_argument("--misses", action="store_true", help="list the development sets' misses")
    parser.add_argument("--frozen", action="store_true",
                        help="also the frozen holdouts (aggregates only; a reading to report)")
    args = parser.parse_args()
    assistant = Assistant.load()
    for name in args.sets or (*DEVELOPMENT_SETS, *(FROZEN_SETS if args.frozen else ())):
        path = Path(name) if Path(name).is_file() else DATA / name
        report(assistant, path, args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
