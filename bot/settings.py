"""Settings from the environment (pydantic-settings): one typed object, validated at start."""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

from pydantic import PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"
SLACK_API = "https://slack.com/api/"
_TOKEN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{20,100}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = TELEGRAM_API
    telegram_webhook_secret: SecretStr | None = None
    a4p_knowledge_dir: Path | None = None
    a4p_log_level: str = "INFO"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API
    a4p_data_dir: Path = Path("data")
    remind_after_days: int = 30
    a4p_reminder_interval: float = 3600.0
    # At a server's start, matplotlib and the matcher's pinyin tables load in the background
    # (~2.6 s of CPU) so the first /brief and the first typo do not wait; off for servers
    # that live seconds (the tests' bots).
    a4p_warm_up: bool = True
    database_url: str | None = None
    # PostgreSQL from its parts (docker-compose.yml): the password is URL-encoded here, so
    # `p@ss/w:rd#1` works as it is; DATABASE_URL, when set, wins.
    postgres_host: str | None = None
    postgres_port: int = 5432
    postgres_user: str = "a4p"
    postgres_password: SecretStr | None = None
    postgres_db: str = "a4p"
    admin_ids: str = ""
    # The web dashboard's public address (https://bot.example.org/dashboard): /web's sign-in
    # links, and /brief's link to it.
    a4p_public_url: str | None = None
    _random_secret: str | None = PrivateAttr(default=None)

    @field_validator("a4p_public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        """An absolute http(s) address (the links are opened from a chat); "" = not set."""
        value = (value or "").strip().rstrip("/")
        if value and not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
            raise ValueError("expected an address such as https://bot.example.org/dashboard")
        return value or None

    def db_url(self) -> str:
        """DATABASE_URL (checked for shape; never echoed), else PostgreSQL from POSTGRES_HOST and
        its companions, else a SQLite file in the data directory."""
        from .storage.database import default_url
        if not self.database_url:
            if self.postgres_host:
                return postgres_url(self.postgres_host, self.postgres_port, self.postgres_user,
                                    _value(self.postgres_password), self.postgres_db)
            return default_url(self.a4p_data_dir)
        if problem := _url_problem(self.database_url):
            raise SettingsError(f"DATABASE_URL is malformed: {problem}; expected e.g. "
                                "postgresql+psycopg://user:password@host:5432/a4p or "
                                "sqlite:////data/a4p.sqlite3 (percent-encode @ : / # in the "
                                "password).")
        return self.database_url

    def bot_token(self) -> str:
        """The Telegram token, checked for shape; never echoed in an error."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set: export the token @BotFather "
                                "gave you (or use `a4pbot chat`, which needs none).")
        token = self.telegram_bot_token.get_secret_value().strip()
        if not _TOKEN.match(token):
            raise SettingsError("TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and "
                                "the secret part, like 123456789:AA… from @BotFather.")
        return token

    def slack(self) -> tuple[str, str | None, str | None]:
        """(bot token, signing secret, app token) for `a4pbot slack`; what is missing, said once.

        HTTP mode needs the signing secret (requests are verified); Socket Mode, chosen by
        SLACK_APP_TOKEN, needs no public endpoint and no secret.
        """
        token = _value(self.slack_bot_token)
        app_token = _value(self.slack_app_token)
        secret = _value(self.slack_signing_secret)
        if not token:
            raise SettingsError("SLACK_BOT_TOKEN is not set: export the xoxb-… Bot User OAuth "
                                "Token from your Slack app's OAuth & Permissions page.")
        if not token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN is malformed: expected the bot token, xoxb-….")
        if app_token and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN is malformed: expected an app-level token, xapp-….")
        if not app_token and not secret:
            raise SettingsError("SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request "
                                "with it (or set SLACK_APP_TOKEN for Socket Mode).")
        return token, secret, app_token

    def webhook_secret(self) -> str:
        """TELEGRAM_WEBHOOK_SECRET, else a random one for this process (Telegram learns it
        through setWebhook); made once, so the log filter knows it too."""
        if self._random_secret is None:
            self._random_secret = secrets.token_urlsafe(32)
        configured = _value(self.telegram_webhook_secret)
        return configured or self._random_secret

    def base_url(self) -> str:
        url = self.telegram_base_url.rstrip("/")
        return url if url.endswith("/bot") else url + "/bot"


def postgres_url(host: str, port: int, user: str, password: str, database: str) -> str:
    """A psycopg URL with every part percent-encoded (`@ : / # %` in a password included)."""
    from sqlalchemy.engine import URL

    return URL.create("postgresql+psycopg", username=user or None, password=password or None,
                      host=host, port=port, database=database).render_as_string(hide_password=False)


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value().strip() if secret is not None else ""


def _url_problem(url: str) -> str | None:
    """What is wrong with a database URL (without quoting it: it may hold a password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return "it cannot be parsed"
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        return "only sqlite and postgresql are supported"
    try:
        parsed.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError):
        return f"the driver {parsed.drivername!r} is not installed"
    return None


def _password(url: str | None) -> str:
    """The password inside DATABASE_URL, if any (it must not reach the logs either)."""
    if not url:
        return ""
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).password or ""
    except Exception:  # noqa: BLE001 - a malformed URL fails later, with its own message
        return ""


class RedactSecrets(logging.Filter):
    """A handler filter that blanks every token and secret out of every record: the bot
    token, the webhook secret (configured or random), Slack's, the database password (in
    DATABASE_URL or POSTGRES_PASSWORD).

    Libraries put the token in their own messages (PTB's InvalidToken reads "The token `…` was
    rejected by the server"; request URLs carry it), so the guarantee sits at the handlers,
    where every record passes, message and traceback alike.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        values = [settings.telegram_bot_token, settings.telegram_webhook_secret,
                  settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token,
                  settings.postgres_password]
        found = {v.get_secret_value().strip() for v in values if v is not None}
        found.add(settings.webhook_secret())  # the random one too: PTB logs it at DEBUG
        found.add(_password(settings.database_url))
        self.secrets = sorted(found - {""}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg, record.args = self.redact(record.getMessage()), None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.redact(record.exc_text)
        return True
