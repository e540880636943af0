"""Shared fixtures: the shipped catalogue and one Assistant per test session (jieba loads once)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.catalogue import DEFAULT_DIR

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def assistant() -> Assistant:
    return Assistant.load()


@pytest.fixture(scope="session")
def catalogue(assistant: Assistant):
    return assistant.catalogue


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target
