"""Take in a question set an independent writer wrote, as a development set.

    python benchmarks/newset.py --idlist > idlist.md
    python benchmarks/newset.py WRITTEN.yaml field_dev37 --about "who wrote it, how"

A writer gets `benchmarks/writers.md`, the seeds and the id list `--idlist` prints (ids
and titles only), and nothing else of this repository. This script checks each written
item (a question, ids the knowledge holds, a known kind), drops the questions that a
labelled set, `knowledge/asked.yaml` or an entry's examples already hold (compared as
normalised text without punctuation: a question seen elsewhere would measure nothing),
measures the rest once, untouched, and writes `tests/data/NAME.yaml` with a header that
records who wrote it, what was dropped and that reading; from then on it is one of the
`DEVELOPMENT_SETS`. Then give NAME floors in tests/labelled.py (a test asks for them), run
`benchmarks/asked.py NAME.yaml` and `benchmarks/calibrate.py --cv --write` (README, "How the
matcher is measured").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.catalogue import Catalogue, load_catalogue  # noqa: E402
from bot.answering.matching import Index  # noqa: E402
from bot.answering.normalisation import normalise  # noqa: E402
from bot.cli.bench import DATA, grade, labelled_set  # noqa: E402

ASKED = ROOT / "knowledge" / "asked.yaml"
KINDS = ("situation", "spoken", "typo", "traditional", "english", "french", "faq", "out_of_scope")


def idlist(catalogue: Catalogue) -> str:
    """What a writer labels with: every id and its title, nothing of the vocabulary."""
    lines = ["# A4P id list (labels for question writers)", ""]
    for kind, entries in (("Priority areas", catalogue.areas), ("Commitments", catalogue.commitments),
                          ("Declaration paragraphs", catalogue.paragraphs),
                          ("About A4P and the bot", catalogue.faqs)):
        lines += [f"{kind}:", ""]
        for entry in entries.values():
            extra = (f" ({entry.area}, {entry.actor}, {entry.paragraph})"
                     if kind == "Commitments" else "")
            title = (f"第{entry.number}段 ({entry.section})" if kind == "Declaration paragraphs"
                     else f"{entry.title} / {getattr(entry, 'title_en', '')}")
            lines.append(f"- {entry.id}{extra}: {title}")
        lines.append("")
    return "\n".join(lines)


def key(question: str) -> str:
    return re.sub(r"[\W_]+", "", normalise(question))


def known_questions(catalogue: Catalogue, data: Path) -> set[str]:
    """Every question already labelled somewhere: the sets (those waiting in `pending/` too:
    they join later), the asked ones, the examples."""
    seen = {key(item["q"]) for path in data.rglob("*.yaml")
            for item in labelled_set(path)}
    seen |= {key(q) for qs in catalogue.asked.values() for q in qs}
    seen |= {key(q) for e in catalogue.entries() for q in getattr(e, "examples", ())}
    return seen


def problems(items: Any, catalogue: Catalogue) -> list[str]:
    if not isinstance(items, list):
        return ["the file must be a YAML list of {q, expect, kind}"]
    found = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) != {"q", "expect", "kind"}:
            found.append(f"item {number}: must have exactly q, expect and kind")
        elif not isinstance(item["q"], str) or not item["q"].strip():
            found.append(f"item {number}: q must be a question")
        elif not isinstance(item["expect"], list) or any(
                catalogue.get(str(i)) is None for i in item["expect"]):
            found.append(f"item {number}: expect names no entry: {item['expect']!r}")
        elif item["kind"] not in KINDS or (item["kind"] == "out_of_scope") != (not item["expect"]):
            found.append(f"item {number}: kind {item['kind']!r} (one of {', '.join(KINDS)}; "
                         "out_of_scope exactly when expect is empty)")
    return found


def header(name: str, about: str, dropped: int, reading: str) -> str:
    text = (f"Development question set {name}, written from the seeds and the id list by an "
            f"independent writer on {date.today().isoformat()} ({about}). Used to tune the "
            f"matcher; not a frozen test set. Questions other sets or the knowledge already "
            f"held were removed ({dropped}). Measured once untouched, before its questions "
            f"went into knowledge/asked.yaml: top-1 / precision / shown / out of scope "
            f"refused {reading}.")
    return "".join(f"# {line}\n" for line in textwrap.wrap(text, 94))


def take_in(written: Path, name: str, about: str, data: Path = DATA) -> int:
    catalogue = load_catalogue()
    items = yaml.safe_load(written.read_text(encoding="utf-8"))
    if found := problems(items, catalogue):
        print("\n".join(found), file=sys.stderr)
        return 2
    target = data / f"{name}.yaml"
    if target.exists():
        print(f"{target} exists: a set is taken in once", file=sys.stderr)
        return 2
    seen, kept = known_questions(catalogue, data), []
    for item in items:
        if (k := key(item["q"])) not in seen:
            seen.add(k)
            kept.append(item)
    total, _, _ = grade(Index(catalogue), kept)
    reading = " / ".join(f"{v:.3f}" for v in (total.top1, total.precision, total.shown_rate,
                                               total.refusal))
    body = "".join(f"- q: {json.dumps(i['q'], ensure_ascii=False)}\n"
                   f"  expect: [{', '.join(i['expect'])}]\n  kind: {i['kind']}\n" for i in kept)
    target.write_text(header(name, about, len(items) - len(kept), reading) + body,
                      encoding="utf-8")
    print(f"{target.name}: {len(kept)} questions kept, {len(items) - len(kept)} already held; "
          f"untouched {reading}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("written", nargs="?", type=Path, help="the writer's YAML file")
    parser.add_argument("name", nargs="?", help="the set's name, e.g. field_dev37")
    parser.add_argument("--about", default="", help="who wrote it and how, for the header")
    parser.add_argument("--idlist", action="store_true", help="print the writers' id list")
    parser.add_argument("--data", type=Path, default=DATA, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.idlist:
        print(idlist(load_catalogue()))
        return 0
    if not (args.written and args.name and args.about):
        parser.error("give the written file, the set's name and --about")
    return take_in(args.written, args.name, args.about, args.data)


if __name__ == "__main__":
    raise SystemExit(main())
