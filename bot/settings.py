"""Settings from the environment (pydantic-settings): one typed object, validated at start."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"
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

    def base_url(self) -> str:
        url = self.telegram_base_url.rstrip("/")
        return url if url.endswith("/bot") else url + "/bot"
