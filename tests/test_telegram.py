"""The Telegram bot end to end: the real PTB Application (built and served by the production
wiring) polling a fake Bot API server on 127.0.0.1; tests script users and read what the
bot sent."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from fake_telegram import Call, FakeTelegram
from running_bot import TOKEN, RunningBot, free_port, shown
from questions import COOPERATION, UNSURE

from bot.conversation import i18n
from bot.conversation.assistant import Assistant
from bot.transports.telegram.conversation import SORRY
from bot.transports.telegram.render import MESSAGE_LIMIT

QUIET = 0.4  # seconds to wait before concluding the bot stayed silent


@pytest.fixture(scope="module")
def running(tg: FakeTelegram, assistant: Assistant) -> Iterator[RunningBot]:
    with RunningBot(tg, assistant) as bot:
        yield bot


@pytest.fixture
def bot(running: RunningBot, tg: FakeTelegram) -> RunningBot:
    tg.wait_for("getUpdates")
    return running


def say(tg: FakeTelegram, text: str, *, count: int = 1, **message: object) -> list[Call]:
    """Send a user message and return the `count` sendMessage calls it caused."""
    before = len(tg.calls_to("sendMessage"))
    tg.message(text, **message)
    return tg.wait_for("sendMessage", before + count)[before:]


def buttons(call: Call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", [])
            for b in row]


def last_message(tg: FakeTelegram, chat_id: int) -> dict:
    return max(tg.sent_messages(chat_id), key=lambda m: m["message_id"])


def test_start_registers_command_menu_in_chinese_english_and_french(bot: RunningBot,
                                                                    tg: FakeTelegram) -> None:
    calls = tg.wait_for("setMyCommands", 3)
    by_language = {c.params.get("language_code") or "": c.params["commands"] for c in calls}
    assert set(by_language) == {"", "en", "fr"}
    zh, en, fr = ({c["command"]: c["description"] for c in by_language[code]}
                  for code in ("", "en", "fr"))
    assert {"start", "help", "areas", "c", "p", "why"} <= set(zh) and set(zh) == set(en) == set(fr)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["areas"])
    assert en["areas"].isascii() and fr["areas"] != en["areas"]


def test_start_welcomes_with_examples_and_area_buttons(bot: RunningBot, tg: FakeTelegram) -> None:
    (reply,) = say(tg, "/start")
    assert "欢迎" in shown(reply)
    assert shown(reply).count("• ") == 3
    assert [data for _, data in buttons(reply)] == [f"A{n}" for n in range(1, 9)]


def test_deep_link_opens_the_card(bot: RunningBot, tg: FakeTelegram) -> None:
    (reply,) = say(tg, "/start C17")
    assert shown(reply).startswith("承诺 C17 · ")


def test_question_gets_a_card_with_paragraph_area_and_next_best_buttons(
        bot: RunningBot, tg: FakeTelegram) -> None:
    (reply,) = say(tg, "村子里的平民遭到袭击了我们怎么保护", user_id=2001)
    text = shown(reply)
    assert text.startswith("承诺 C"), text
    assert "保护" in text and "出处：宣言第" in text
    data = [d for _, d in buttons(reply)]
    assert data[0].startswith("P") and data[1].startswith("A")
    *next_best, wrong = data[2:]
    assert 1 <= len(next_best) <= 3 and wrong == "wrong"  # at most three next-best entries
    assert reply.params["parse_mode"] == "HTML"


def test_button_edits_the_message_in_place(bot: RunningBot, tg: FakeTelegram) -> None:
    (reply,) = say(tg, "/c 17", user_id=2002)
    card = last_message(tg, 2002)
    paragraph = next(d for _, d in buttons(reply) if d.startswith("P"))
    sends = len(tg.calls_to("sendMessage"))
    edits = len(tg.calls_to("editMessageText"))
    answers = len(tg.calls_to("answerCallbackQuery"))
    tg.callback(paragraph, message=card, user_id=2002)
    (edit,) = tg.wait_for("editMessageText", edits + 1)[edits:]
    tg.wait_for("answerCallbackQuery", answers + 1)
    assert edit.params["message_id"] == card["message_id"]
    assert shown(edit).startswith(f"宣言第{paragraph[1:]}段")
    assert len(tg.calls_to("sendMessage")) == sends  # no chat spam

    # Pressing the button of the card already shown is a no-op edit: no error, no reply.
    tg.callback(paragraph, message=last_message(tg, 2002), user_id=2002)
    tg.wait_for("answerCallbackQuery", answers + 2)
    time.sleep(QUIET)
    assert len(tg.calls_to("sendMessage")) == sends
    assert not tg.errors


def test_commands_browse_the_catalogue(bot: RunningBot, tg: FakeTelegram) -> None:
    (areas,) = say(tg, "/areas")
    assert len(buttons(areas)) == 8
    (area,) = say(tg, "/area 2")
    assert shown(area).startswith("优先领域 A2 · ")
    (paragraph,) = say(tg, "/paragraph 第四段")
    assert shown(paragraph).startswith("宣言第4段")
    assert "国家和区域各级" in shown(paragraph)  # the seed's "and" glitch is fixed
    (commitment,) = say(tg, "/commitment 十三")
    assert shown(commitment).startswith("承诺 C13 · ")


@pytest.mark.parametrize("text, expected", [
    ("/c 99", "没有 C99"),
    ("/c", "请给出承诺编号"),
    ("/p abc", "不是段落编号"),
    ("/frobnicate", "不认识命令 /frobnicate"),
])
def test_bad_commands_get_a_polite_correction(bot: RunningBot, tg: FakeTelegram, text: str,
                                              expected: str) -> None:
    (reply,) = say(tg, text)
    assert expected in shown(reply)


def test_a_miss_says_so_in_one_line_with_examples(bot: RunningBot, tg: FakeTelegram) -> None:
    (reply,) = say(tg, "明天的航班几点起飞")
    first, *rest = shown(reply).split("\n")
    assert "没有找到" in first
    assert any("可以这样问" in line for line in rest)
    assert not any(d.startswith("C") for _, d in buttons(reply))


def test_group_chatter_is_ignored_but_mentions_and_replies_are_answered(
        bot: RunningBot, tg: FakeTelegram) -> None:
    group = -100555
    before = len(tg.calls_to("sendMessage"))
    tg.message("大家中午吃什么", chat_type="group", chat_id=group)
    tg.message("保护平民", chat_type="group", chat_id=group)
    tg.message("/help@some_other_bot", chat_type="group", chat_id=group)
    time.sleep(QUIET)
    assert len(tg.calls_to("sendMessage")) == before

    (mention,) = say(tg, f"@{tg.bot_username} 保护平民", chat_type="group", chat_id=group)
    assert shown(mention).startswith("承诺 C")
    answer = last_message(tg, group)
    (follow_up,) = say(tg, "女兵呢", chat_type="group", chat_id=group, reply_to_message=answer)
    assert follow_up.params["chat_id"] == group
    (command,) = say(tg, f"/areas@{tg.bot_username}", chat_type="group", chat_id=group)
    assert len(buttons(command)) == 8


def test_inline_query_offers_catalogue_cards(bot: RunningBot, tg: FakeTelegram) -> None:
    before = len(tg.calls_to("answerInlineQuery"))
    tg.inline_query("保护平民")
    tg.inline_query("")
    first, empty = tg.wait_for("answerInlineQuery", before + 2)[before:]
    if not first.params["results"] or first.params["results"][0]["id"].startswith("A"):
        first, empty = empty, first  # concurrent processing may answer out of order
    ids = [r["id"] for r in first.params["results"]]
    assert 1 <= len(ids) <= 10 and ids[0].startswith("C")
    assert first.params["cache_time"] > 0
    assert [r["id"] for r in empty.params["results"]] == [f"A{n}" for n in range(1, 9)]
    content = first.params["results"][0]["input_message_content"]
    assert content["parse_mode"] == "HTML" and "承诺" in content["message_text"]


def test_html_in_a_question_comes_back_escaped(bot: RunningBot, tg: FakeTelegram) -> None:
    say(tg, "<b>维和</b> & <script>alert(1)</script> 天气", user_id=2003)
    (why,) = say(tg, "/why", user_id=2003)
    assert "&lt;script&gt;" in why.params["text"]
    assert "<script>alert(1)</script>" in shown(why)  # the user sees exactly what they typed
    assert not tg.errors


def test_a_huge_question_is_answered_within_the_limit(bot: RunningBot, tg: FakeTelegram) -> None:
    """The matcher reads a bounded prefix, so a 6,000-character message is answered (and
    explained) like a short one, every message under Telegram's limit."""
    (answer,) = say(tg, "保护平民" + "啊" * 6000, user_id=2004)
    assert shown(answer).startswith("承诺 C13")
    (why,) = say(tg, "/why", user_id=2004)
    assert "为什么这样回答" in shown(why)
    assert all(len(p.params["text"]) <= MESSAGE_LIMIT for p in (answer, why))


def test_failing_update_is_reported_and_the_bot_keeps_serving(
        bot: RunningBot, tg: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    tg.message("你好", user_id=2005)  # makes the chat known to the fake
    tg.wait_for("sendMessage", len(tg.calls_to("sendMessage")) + 1)
    before = len(tg.calls_to("sendMessage"))
    tg.stale_button_press(2005)  # answering the query fails: Telegram no longer accepts it
    (sorry,) = tg.wait_for("sendMessage", before + 1)[before:]
    assert shown(sorry) == i18n.translate("zh", SORRY)
    assert any("failed: BadRequest" in r.getMessage() for r in caplog.records)
    (answer,) = say(tg, "女性维和人员太少", user_id=2005)
    assert shown(answer).startswith(("承诺", "优先领域"))


def test_logs_carry_neither_the_token_nor_message_text(
        bot: RunningBot, tg: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    say(tg, "秘密问题：简易爆炸装置怎么办")
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records
                       if r.levelno >= logging.INFO)
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged
    assert "秘密问题" not in logged


def _post(port: int, update: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(f"http://127.0.0.1:{port}/telegram",
                                     data=json.dumps(update).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_webhook_serves_only_requests_with_the_secret(assistant: Assistant) -> None:
    port, secret = free_port(), "s3cret-token_for-tests"
    with FakeTelegram(token=TOKEN) as fake, RunningBot(
            fake, assistant, webhook_url=f"https://bot.example.org:{port}", listen="127.0.0.1",
            port=port, secret=secret):
        (registered,) = fake.wait_for("setWebhook")
        assert registered.params["url"] == f"https://bot.example.org:{port}/telegram"
        assert registered.params["secret_token"] == secret
        user = {"id": 3001, "is_bot": False, "first_name": "W"}
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/c 5", "from": user,
            "chat": {"id": 3001, "type": "private", "first_name": "W"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 2}]}}
        fake.message("hi", user_id=3001)  # makes the chat known to the fake; not delivered
        assert _post(port, update, "wrong") == 403
        assert _post(port, update, None) == 403
        assert _post(port, update, secret) == 200
        (reply,) = fake.wait_for("sendMessage")
        assert shown(reply).startswith("承诺 C5 · ")
        time.sleep(QUIET)
        assert len(fake.calls_to("sendMessage")) == 1  # the rejected posts did nothing


def test_did_you_mean_offers_choices_and_a_tap_opens_the_card(bot: RunningBot, tg: FakeTelegram
                                                              ) -> None:
    (reply,) = say(tg, UNSURE, user_id=2077)
    assert shown(reply).startswith("我不太确定您问的是哪一项")
    data = [d for _, d in buttons(reply)]
    first = data[0].removeprefix("pick:")  # one of cooperation's entries
    assert first in COOPERATION and data[-1] == "pick:none" and len(data) <= 4
    edits = len(tg.calls_to("editMessageText"))
    tg.callback(data[0], message=last_message(tg, 2077), user_id=2077)
    (edit,) = tg.wait_for("editMessageText", edits + 1)[edits:]
    assert shown(edit).startswith(f"承诺 {first} · ")


def test_a_long_card_is_paged_and_more_edits_it_in_place(bot: RunningBot, tg: FakeTelegram) -> None:
    (reply,) = say(tg, "/area 5", user_id=2090)
    card = last_message(tg, 2090)
    assert shown(reply).splitlines()[0].endswith("（1/2）")
    more = next(data for label, data in buttons(reply) if label == "更多 ▸")
    edits = len(tg.calls_to("editMessageText"))
    tg.callback(more, message=card, user_id=2090)
    (edit,) = tg.wait_for("editMessageText", edits + 1)[edits:]
    assert edit.params["message_id"] == card["message_id"]
    assert shown(edit).splitlines()[0].endswith("（2/2）") and "C29" in shown(edit)
    assert [label for label, _ in buttons(edit)][-1] == "◂ 上一页"
