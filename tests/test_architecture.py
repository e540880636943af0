"""The core knows no transport: only adapters may import telegram or slack."""

import ast
from collections.abc import Iterator
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


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _top_level_imports(statements: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads: in its body and in top-level `try`/`if` blocks,
    but not under `if TYPE_CHECKING:` nor inside functions (lazy imports break cycles)."""
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            yield from _top_level_imports(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level_imports(node.body + node.orelse + node.finalbody
                                          + [s for h in node.handlers for s in h.body])


def _imports_of(name: str) -> set[str]:
    """The bot modules `name` imports at load time (`from pkg import module` counts)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _top_level_imports(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
            continue
        base = package.rsplit(".", node.level - 1)[0] if node.level else ""
        module = ".".join(p for p in (base, node.module or "") if p)
        found |= {f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module
                  for a in node.names}
    return {m for m in found if m in MODULES and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_bot_modules():
    """A module's load-time imports form no cycle, so each can be read (and loaded) after the
    ones it uses; a function-level import is the way to call back up the graph."""
    graph = {name: _imports_of(name) for name in MODULES}
    assert _imports_of("bot.desk.progress") >= {"bot.desk.access", "bot.briefing.export"}
    assert _cycles(graph) == []


CHECKED = list(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_function_is_more_complex_than_c(path):
    """Cyclomatic complexity at most C (≤ 20, radon's rank): past it, split the function."""
    from radon.complexity import cc_rank, cc_visit

    too_complex = [f"{block.name} (line {block.lineno}): {block.complexity}"
                   for block in cc_visit(path.read_text(encoding="utf-8"))
                   if cc_rank(block.complexity) > "C"]
    assert too_complex == []


def _defined_in(path: Path) -> set[str]:
    """The names a module defines itself (classes, functions, assignments), not imports."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


ROOT = PACKAGE.parent
USERS = [p for folder in ("bot", "tests", "benchmarks") for p in (ROOT / folder).rglob("*.py")]


@pytest.mark.parametrize("path", USERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_names_come_from_the_module_that_defines_them(path):
    """No re-exports: `from bot.storage.updates import ProgressUpdate`, never via store.py."""
    wrong = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                and node.module.startswith("bot.storage.") and node.module in MODULES):
            defined = _defined_in(MODULES[node.module])
            wrong += [f"{a.name} from {node.module}" for a in node.names
                      if a.name not in defined and f"{node.module}.{a.name}" not in MODULES]
    assert wrong == []
