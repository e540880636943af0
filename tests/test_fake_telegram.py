"""The fake Telegram server, driven by the real PTB client (no mocks): can we trust the fixture?"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fake_telegram import FakeTelegram
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, InvalidToken
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


def run_bot(tg: FakeTelegram, scenario, token: str | None = None):
    """Run `scenario(bot)` against the fake with a real, initialised PTB Bot."""

    async def main():
        async with Bot(token or tg.token, base_url=tg.base_url) as bot:
            return await scenario(bot)

    return asyncio.run(main())


def test_get_me_and_send_message_are_recorded(tg: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("更多", callback_data="more:1")]])

    async def scenario(bot: Bot):
        me = await bot.get_me()
        sent = await bot.send_message(42, "<b>维和</b> &amp; A4P", parse_mode="HTML",
                                      reply_markup=keyboard)
        return me, sent

    me, sent = run_bot(tg, scenario)
    assert me.is_bot and me.username == "a4p_test_bot" and me.supports_inline_queries
    assert sent.chat.id == 42 and sent.from_user.id == tg.bot_id
    assert sent.text == "维和 & A4P"  # what Telegram shows: tags parsed away
    assert sent.reply_markup == keyboard
    [call] = tg.calls_to("sendMessage")
    assert call.params["chat_id"] == 42  # PTB's JSON-encoded form field decoded back to int
    assert call.params["text"] == "<b>维和</b> &amp; A4P"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more:1"
    assert tg.sent_messages(42)[0]["message_id"] == sent.message_id


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": "字" * 4097}, "message is too long"),
        ({"text": "  "}, "message text is empty"),
        ({"text": "<b>unclosed", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "1 < 2", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "x", "reply_markup": InlineKeyboardMarkup(
            [[InlineKeyboardButton("x", callback_data="d" * 65)]])}, "BUTTON_DATA_INVALID"),
    ],
)
def test_what_telegram_rejects_raises_bad_request(tg: FakeTelegram, kwargs, error) -> None:
    async def scenario(bot: Bot):
        await bot.send_message(42, **kwargs)

    # PTB strips "Bad Request: " and str.capitalize()s the rest (BUTTON_DATA_INVALID -> Button_...)
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        run_bot(tg, scenario)
    assert tg.calls_to("sendMessage")  # recorded even though it failed


def test_get_updates_offset_confirms_and_long_poll_times_out(tg: FakeTelegram) -> None:
    pushed = tg.message("/start", user_id=7)

    async def scenario(bot: Bot):
        first = await bot.get_updates(timeout=1)
        again = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0.3)
        return first, again

    first, again = run_bot(tg, scenario)
    assert [u.update_id for u in first] == [pushed["update_id"]]
    assert first[0].message.text == "/start" and first[0].message.chat.id == 7
    assert first[0].message.entities[0].type == "bot_command"
    assert again == () and tg.pending_updates == []  # confirmed, then dropped


def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    async def scenario():
        bot = Bot("999:WRONG", base_url=tg.base_url)
        try:
            await bot.initialize()  # calls getMe
        finally:
            await bot.shutdown()

    with pytest.raises(InvalidToken):
        asyncio.run(scenario())
    assert tg.calls == []


def test_send_document_uses_multipart(tg: FakeTelegram) -> None:
    async def scenario(bot: Bot):
        return await bot.send_document(42, b"hello", filename="报告.txt", caption="A4P")

    sent = run_bot(tg, scenario)
    assert sent.document.file_name == "报告.txt" and sent.caption == "A4P"
    document = tg.calls_to("sendDocument")[0].params["document"]
    assert document["bytes"] == b"hello" and document["size"] == 5


def test_application_echo_over_polling(tg: FakeTelegram) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    async def main() -> None:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
        app.add_handler(MessageHandler(filters.TEXT, echo))
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            tg.message("你好", user_id=55)
            await asyncio.to_thread(tg.wait_for, "sendMessage")  # keep the loop running
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()

    asyncio.run(main())
    [call] = tg.calls_to("sendMessage")
    assert call.params["chat_id"] == 55 and call.params["text"] == "echo: 你好"
    assert tg.pending_updates == []  # the updater confirmed the update on shutdown
