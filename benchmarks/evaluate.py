"""Print how the matcher fares on the labelled sets, per set and per kind of question.

    python benchmarks/evaluate.py [--misses] [--frozen] [SET.yaml …]
    python benchmarks/evaluate.py --floors

For each set (default: the development sets; `--frozen` adds the frozen holdouts):
top-1 accuracy, answer rate and the right entry shown (answered among the first three, or
offered as "did you mean") for in-scope questions; refusal (no answer, no suggestion) for
out-of-scope ones; and the precision of confident answers. A set that knowledge/asked.yaml
was drawn from is measured with an index that has not read its questions. `--misses` lists
the development sets' misses one per line — never a frozen holdout's, whose questions stay unread (see
README, "How the matcher is measured"). A frozen holdout is read only when asked for.
With more than one development set, the development sets together come last, per kind too
(each still graded without its own asked questions). `--floors` grades every development
set on both cores and checks it against its floors in tests/labelled.py (exit 1 when one
falls under): CI's accuracy gate, of which the test suite grades a quarter.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.conversation.assistant import Assistant  # noqa: E402
from bot.cli.bench import (DEVELOPMENT_SETS, FROZEN_SETS, Graded, grade,  # noqa: E402
                           grade_all, labelled_set)

DATA = ROOT / "tests" / "data"


def report(assistant: Assistant, path: Path, misses: bool) -> tuple[Graded, dict[str, Graded]]:
    items = labelled_set(path)
    total, kinds, missed = grade(assistant.index, items)
    if misses and path.name not in FROZEN_SETS:
        for item, result in missed:
            print(f"  miss [{item['kind']}] {item['q']}  expect={item['expect']} "
                  f"got={[m.id for m in result.matches[:3]]} "
                  f"suggested={[m.id for m in result.suggestions]}")
    unseen = (" (without its own questions in asked.yaml)"
              if assistant.index.has_read(item["q"] for item in items) else "")
    rows(f"{path.name}{unseen}", total, kinds)
    return total, kinds


def rows(title: str, total: Graded, kinds: dict[str, Graded]) -> None:
    print(f"{title}: precision of confident answers {total.precision:.3f} "
          f"({total.correct}/{total.answered + total.wrong_oos})")
    lines = {"all in scope": total, "all out of scope": total, **kinds}
    for kind, g in sorted(lines.items()):
        if kind == "all out of scope" or (kind != "all in scope" and not g.in_scope):
            print(f"  {kind:18} n={g.out_of_scope:4}  refused {g.refusal:.3f}")
        else:
            print(f"  {kind:18} n={g.in_scope:4}  top-1 {g.top1:.3f}  answered "
                  f"{g.answered / g.in_scope:.3f}  shown {g.shown_rate:.3f}")


def check_floors() -> int:
    """Every development set graded against its floors, two sets at a time (forked after the
    knowledge is loaded, so each grader shares it): the sets that fell under, one a line."""
    sys.path.insert(0, str(ROOT / "tests"))
    from labelled import below_floors

    index = Assistant.load().index
    index.warm()
    graded = grade_all(index, DEVELOPMENT_SETS)
    failed = {name: missed for name in DEVELOPMENT_SETS
              if (missed := below_floors(name, graded[name]))}
    for name, missed in failed.items():
        print(f"{name}: under its floors: {'; '.join(missed)}")
    print(f"floors: {len(DEVELOPMENT_SETS) - len(failed)} of {len(DEVELOPMENT_SETS)} "
          "development sets hold theirs")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help="labelled sets (default: the development sets)")
    parser.add_argument("--misses", action="store_true", help="list the development sets' misses")
    parser.add_argument("--frozen", action="store_true",
                        help="also the frozen holdouts (aggregates only; a reading to report)")
    parser.add_argument("--floors", action="store_true",
                        help="grade every development set against its floors (exit 1 if one "
                             "falls under)")
    args = parser.parse_args()
    if args.floors:
        return check_floors()
    assistant = Assistant.load()
    together, kinds = Graded(), defaultdict[str, Graded](Graded)
    developed = 0
    for name in args.sets or (*DEVELOPMENT_SETS, *(FROZEN_SETS if args.frozen else ())):
        path = Path(name) if Path(name).is_file() else DATA / name
        total, per_kind = report(assistant, path, args.misses)
        if path.name not in FROZEN_SETS:  # a holdout is never pooled with what is tuned on
            developed += 1
            together.add(total)
            for kind, g in per_kind.items():
                kinds[kind].add(g)
    if developed > 1:
        rows(f"the {developed} development sets together", together, dict(kinds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
