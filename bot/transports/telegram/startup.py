"""Start-up failures from python-telegram-bot as one-line messages for `a4pbot run`.

The CLI is core and imports no transport (tests/test_architecture.py), so the mapping from
PTB's exceptions lives here, next to the other Telegram code.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram.error import InvalidToken, TelegramError


def start_error(exc: BaseException, redact: Callable[[str], str]) -> tuple[int, str] | None:
    """(exit status, message) for a failure to start serving; None if it is not Telegram's.

    PTB's InvalidToken message quotes the token, so it is never shown; other messages pass
    through `redact` (which blanks the token and webhook secret).
    """
    if isinstance(exc, InvalidToken):
        return 2, ("TELEGRAM_BOT_TOKEN was rejected by Telegram: the token is revoked or "
                   "mistyped; get the current one from @BotFather.")
    if isinstance(exc, TelegramError):  # e.g. the Bot API unreachable at start
        return 1, f"Telegram: {redact(str(exc))}"
    return None
