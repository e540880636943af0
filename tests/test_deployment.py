"""The deployment files stay true to the code: every setting documented, compose wired up,
the container's health check a real command."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.cli import build_parser, main
from bot.settings import Settings

ROOT = Path(__file__).parent.parent


def test_env_example_lists_every_setting() -> None:
    documented = {line.split("=", 1)[0].lstrip("# ").strip()
                  for line in (ROOT / ".env.example").read_text().splitlines() if "=" in line}
    assert {name.upper() for name in Settings.model_fields} <= documented


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n.upper() for n in Settings.model_fields if f"`{n.upper()}`" not in readme]
    assert missing == []


def test_compose_runs_the_bot_in_webhook_mode_against_postgres() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    bot = compose["services"]["bot"]
    assert bot["command"][0] == "run" and "--webhook-url" in bot["command"]
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert {"pgdata", "botdata"} <= set(compose["volumes"])
    build_parser().parse_args(["run", "--webhook-url", "https://x", "--listen", "0.0.0.0",
                               "--port", "8443"])


def test_dockerfile_runs_as_non_root_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER a4p" in dockerfile and "VOLUME /data" in dockerfile
    assert 'HEALTHCHECK' in dockerfile and '["a4pbot", "health"]' in dockerfile
    assert dockerfile.count("FROM python:3.11-slim") == 2


def test_health_command(capsys, monkeypatch) -> None:
    assert main(["db", "upgrade"]) == 0  # health never migrates (tests/test_cli_schema.py)
    assert main(["health"]) == 0
    out = capsys.readouterr().out
    assert "45 commitments" in out and "database: ok" in out
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=1")
    assert main(["health"]) == 1
