"""Who is speaking: a platform and that platform's user id, as every transport reports it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sender:
    """Who sent a message: a platform and that platform's user id (plus a display name and
    the language the platform reports for them — Telegram's `language_code`, "" if none)."""

    platform: str
    id: str
    name: str = ""
    language: str = ""

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.id}"


ANONYMOUS = Sender("anonymous", "0")
