"""benchmarks/calibrate.py --write: the fitted values land in Tuning's defaults, nothing else."""

import difflib

import benchmark_script
import pytest

from bot.answering.matching import DEFAULT

FITTED = ("rerank_coefficients", "coefficients", "suggest_coefficients")


@pytest.fixture(scope="module")
def calibrate():
    return benchmark_script.load("calibrate")


def _shipped() -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    return ({name: dict(getattr(DEFAULT, name)) for name in FITTED},
            {"answer_at": DEFAULT.answer_at, "suggest_at": DEFAULT.suggest_at})


def test_writing_the_shipped_values_changes_nothing(calibrate) -> None:
    source = calibrate.MATCHING.read_text(encoding="utf-8")
    assert calibrate.tuned_source(source, *_shipped()) == source


def test_new_values_replace_only_their_lines(calibrate) -> None:
    source = calibrate.MATCHING.read_text(encoding="utf-8")
    mappings, numbers = _shipped()
    mappings["coefficients"]["bias"] = -1.25
    numbers["answer_at"] = 0.71
    tuned = calibrate.tuned_source(source, mappings, numbers)
    compile(tuned, "matching.py", "exec")
    changed = [line for line in difflib.unified_diff(source.splitlines(), tuned.splitlines(),
                                                     lineterm="", n=0)
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert len(changed) == 4  # the bias's line and answer_at's, each removed and added
    assert '        "bias": -1.25, ' in tuned
    assert "    answer_at: float = 0.71  # confidence to answer with a card" in tuned


def test_a_field_it_cannot_find_stops_it(calibrate) -> None:
    with pytest.raises(SystemExit, match="answer_at"):
        calibrate.tuned_source("class Tuning:\n    pass\n", {}, {"answer_at": 0.5})
