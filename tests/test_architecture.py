"""The core knows no transport: only adapters may import telegram or slack."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "bot"
TRANSPORTS = ("telegram", "slack_bolt", "slack_sdk")
ADAPTERS = ("telegram", "slack")  # bot/transports/telegram/ is Telegram's, bot/transports/slack/ is Slack's


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


CORE = [p for p in PACKAGE.rglob("*.py")
        if not any(part in ADAPTERS for part in p.relative_to(PACKAGE).parts)]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_imports_no_transport(path):
    assert not imported_modules(path) & set(TRANSPORTS)


def test_importing_the_core_loads_nothing_heavy():
    """Nothing reads YAML or opens a database at import time."""
    import subprocess
    import sys

    code = ("import sys, bot.conversation.assistant, bot.cli.main, bot.conversation.replies;"
            "print(sorted(m for m in ('telegram', 'slack_bolt') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


ADAPTER_FILES = [p for p in PACKAGE.rglob("*.py")
                 if any(part in ADAPTERS for part in p.relative_to(PACKAGE).parts)]


@pytest.mark.parametrize("path", ADAPTER_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_adapters_ask_the_assistant_not_the_matcher(path):
    """What to answer is the core's decision (Assistant); an adapter only delivers it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = {node.module.rpartition(".")[2] for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module}
    assert not modules & {"matching", "segmenter", "repair", "references"}
