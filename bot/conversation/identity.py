"""Who is speaking: a platform and that platform's user id, as every transport reports it."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.desk.sanitise import clean_text


@dataclass(frozen=True)
class Sender:
    """Who sent a message: a platform and that platform's user id (plus a display name and
    the language the platform reports for them — Telegram's `language_code`, "" if none)."""

    platform: str
    id: str
    name: str = ""
    language: str = ""

    def __post_init__(self) -> None:
        # Names and ids come from the platform's payload, stored as they are: made storable here.
        for field in fields(self):
            value = getattr(self, field.name)
            object.__setattr__(self, field.name, clean_text(value if isinstance(value, str)
                                                            else str(value or "")))

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.id}"


ANONYMOUS = Sender("anonymous", "0")
