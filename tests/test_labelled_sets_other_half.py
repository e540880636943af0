"""The matcher graded on the other half of the labelled sets (see labelled.py)."""

from __future__ import annotations

import pytest
from labelled import HALVES, assert_above_floors

from bot.conversation.assistant import Assistant


@pytest.mark.parametrize("name", HALVES[1])
def test_labelled_set_accuracy(assistant: Assistant, name: str) -> None:
    assert_above_floors(assistant.index, name)
