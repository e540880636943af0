"""Append a labelled development set's questions to knowledge/asked.yaml.

    python benchmarks/asked.py field_dev4.yaml [more sets …]

Each question goes in once: an in-scope one under its first (most specific) id, an
out-of-scope one under `none`; questions already there are skipped. A frozen holdout is
refused: its questions must never reach the knowledge. After adding, refit (`python benchmarks/calibrate.py --write`): the development
sets are then fitted and graded through an index that has not read their own questions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.catalogue import ASKED_MAX  # noqa: E402
from bot.cli.bench import DATA, FROZEN_SETS, labelled_set  # noqa: E402

ASKED = ROOT / "knowledge" / "asked.yaml"


def line(question: str, entry: str) -> str:
    """One flow-style item, as the file writes them."""
    item = yaml.safe_dump({"id": entry, "q": question}, allow_unicode=True,
                          default_flow_style=True, width=10_000).strip()
    return f"- {item}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="labelled sets in tests/data")
    args = parser.parse_args()
    if frozen := [name for name in args.sets if Path(name).name in FROZEN_SETS]:
        print(f"asked.py: {', '.join(frozen)} is a frozen holdout; never added", file=sys.stderr)
        return 2
    present = {item["q"] for item in labelled_set(ASKED)}
    added, odd = [], 0
    for name in args.sets:
        for item in labelled_set(DATA / Path(name).name):
            if item["q"] in present:
                continue
            if not 3 <= len(item["q"].strip()) <= ASKED_MAX:  # the catalogue check refuses it
                odd += 1
                continue
            present.add(item["q"])
            added.append(line(item["q"], item["expect"][0] if item["expect"] else "none"))
    with ASKED.open("a", encoding="utf-8") as out:
        out.writelines(added)
    print(f"{len(added)} questions added to {ASKED.relative_to(ROOT)}"
          + (f"; {odd} shorter than 3 or longer than {ASKED_MAX} characters left out"
             if odd else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
