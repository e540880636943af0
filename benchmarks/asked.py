"""Append a labelled development set's in-scope questions to knowledge/asked.yaml.

    python benchmarks/asked.py field_dev4.yaml [more sets …]

Each in-scope question goes in once, under its first (most specific) id; questions already
there are skipped. A frozen holdout is refused: its questions must never reach the
knowledge. After adding, refit (`python benchmarks/calibrate.py --write`): the development
sets are then fitted and graded through an index that has not read their own questions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
ASKED = ROOT / "knowledge" / "asked.yaml"
FROZEN = ("field_holdout.yaml", "field_holdout2.yaml")


def line(question: str, entry: str) -> str:
    """One flow-style item, as the file writes them."""
    item = yaml.safe_dump({"id": entry, "q": question}, allow_unicode=True,
                          default_flow_style=True, width=10_000).strip()
    return f"- {item}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="labelled sets in tests/data")
    args = parser.parse_args()
    if frozen := [name for name in args.sets if Path(name).name in FROZEN]:
        print(f"asked.py: {', '.join(frozen)} is a frozen holdout; never added", file=sys.stderr)
        return 2
    present = {item["q"] for item in yaml.safe_load(ASKED.read_text(encoding="utf-8")) or []}
    added = []
    for name in args.sets:
        for item in yaml.safe_load((DATA / Path(name).name).read_text(encoding="utf-8")):
            if item["expect"] and item["q"] not in present:
                present.add(item["q"])
                added.append(line(item["q"], item["expect"][0]))
    with ASKED.open("a", encoding="utf-8") as out:
        out.writelines(added)
    print(f"{len(added)} questions added to {ASKED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
