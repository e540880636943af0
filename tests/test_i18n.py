"""Every user-facing string in Chinese and English: the two catalogues match, the language
follows Telegram's language_code and /lang (kept in the database on both SQLite and
PostgreSQL, across a restart), and reminders come in the recipient's language."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

import pytest
from fake_telegram import FakeTelegram
from running_bot import RunningBot, answer

from bot.conversation import i18n
from bot.conversation.assistant import Assistant, ChatState
from bot.conversation.identity import Sender
from bot.storage.store import Store

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
ADMIN = Sender("telegram", "1", "Admin")
LI = Sender("telegram", "1002", "Li", "zh-hans")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_catalogue_has_the_same_keys_and_placeholders(language: str) -> None:
    zh, other = i18n.messages("zh"), i18n.messages(language)
    assert set(zh) == set(other)
    assert {k: placeholders(v) for k, v in zh.items()} == {k: placeholders(v) for k, v in other.items()}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_english_and_french_have_no_chinese_characters(language: str) -> None:
    assert {k: v for k, v in i18n.messages(language).items() if CJK.search(v)} == {}


@pytest.mark.parametrize("stored, platform, expected", [
    (None, None, "zh"), (None, "", "zh"), (None, "zh-hans", "zh"), (None, "en", "en"),
    (None, "en-GB", "en"), (None, "fr", "fr"), (None, "fr-FR", "fr"), (None, "de", "zh"),
    ("zh", "en", "zh"), ("en", "zh-hans", "en"), ("fr", "en", "fr"),
])
def test_stored_choice_wins_then_the_platform_then_chinese(stored, platform, expected) -> None:
    assert i18n.choose(stored, platform) == expected


def test_a_missing_english_string_falls_back_to_chinese() -> None:
    i18n.messages("en")  # loaded
    with i18n.use("en"):
        assert i18n.t("no.such.key") == "no.such.key"
        assert i18n.translate("de", "welcome.heading") == i18n.translate("zh", "welcome.heading")


def test_status_words_in_both_languages_are_understood(desk: Assistant) -> None:
    from bot.desk.statuses import parse_status

    for word, code in (("进行中", "in_progress"), ("in progress", "in_progress"),
                       ("In Progress", "in_progress"), ("not started", "not_started"),
                       ("done", "done"), ("Blocked", "blocked"), ("已完成", "done")):
        assert parse_status(word) == code, word


# -- the core, on both databases -----------------------------------------------------------

def test_lang_switches_a_chinese_users_replies_and_survives_a_restart(desk: Assistant,
                                                                      store: Store) -> None:
    assert desk.respond("/c 13", None, LI).heading.startswith("承诺 C13 · ")
    assert desk.respond("/lang", None, LI).heading == "当前语言：中文"
    assert desk.respond("/lang en", None, LI).heading == "OK, I will answer in English from now on."
    c13 = desk.catalogue.commitments["C13"]
    card = desk.respond("/c 13", ChatState(), LI)  # a new chat: the choice is stored
    assert card.heading == f"Commitment C13 · {c13.title_en}"
    assert card.body[:2] == (c13.text_en, "(Unofficial translation; the official text is the Chinese one.)")
    assert "Area: A3 Protection" in card.body[-1]
    official = card.buttons[-1][0]
    assert official.action == "official:C13"
    chinese = desk.press(official.action, ChatState(), LI)
    assert chinese.heading.startswith("承诺 C13 · ") and c13.text in chinese.body
    restarted = Assistant(desk.catalogue, desk.index, store=store)
    assert restarted.respond("/help", None, LI).heading == "Commands"
    assert restarted.respond("食堂几点开饭", None, LI).heading.startswith("Sorry, I could not")
    assert restarted.respond("/lang 中文", None, LI).heading == "好的，以后用中文回答。"
    assert desk.respond("/c 13", None, LI).heading.startswith("承诺 C13 · ")
    assert "不是可用的语言" in desk.respond("/lang de", None, LI).heading
    assert desk.respond("/lang fr", None, LI).heading.startswith("D")  # D'accord …
    assert desk.respond("/c 13", None, LI).heading.startswith("Engagement C13 · ")


def test_an_english_platform_user_can_choose_chinese(desk: Assistant) -> None:
    english = Sender("telegram", "1003", "Sam", "en-US")
    assert desk.respond("/start", None, english).heading == "Welcome to the A4P assistant!"
    desk.respond("/lang zh", None, english)
    assert desk.respond("/start", None, english).heading == "欢迎使用 A4P 助手！"


def test_asking_a_question_stores_nobody(desk: Assistant, store: Store) -> None:
    desk.respond("保护平民", None, Sender("telegram", "1004", "Reader", "en"))
    assert store.users.all() == []


def test_without_a_store_lang_holds_for_the_chat(assistant: Assistant) -> None:
    state = ChatState()
    assert assistant.respond("/lang en", state).heading.startswith("OK")
    assert assistant.respond("/areas", state).heading.startswith("The eight priority areas")
    assert assistant.respond("/areas", ChatState()).heading == "《以行动促维和》的八个优先领域"


def test_progress_desk_speaks_english(desk: Assistant) -> None:
    desk.respond("/lang en", None, ADMIN)
    stored = desk.respond("/update C12 in progress Share of women officers rose to 18%", None, ADMIN)
    assert stored.heading.startswith("Update #") and "Status: In progress" in stored.body
    assert desk.respond("/progress", None, ADMIN).heading == "Progress by priority area"
    assert desk.respond("/update", None, ADMIN).heading == "Step 1/4: which commitment?"
    assert [b.label for b in desk.press("draft:c:C13", None, ADMIN).buttons[0]] == \
        ["Not started", "In progress", "Done", "Blocked"]
    for reply in (desk.respond("/whoami", None, ADMIN), desk.respond("/brief", None, ADMIN),
                  desk.respond("/stale", None, ADMIN), desk.respond("/myupdates", None, ADMIN),
                  desk.respond("/cancel", None, ADMIN), desk.respond("/remind", None, ADMIN)):
        assert not CJK.search(reply.heading or ""), reply.heading


def test_a_focal_points_reminder_comes_in_their_language(desk: Assistant, clock) -> None:
    for sender, language in ((Sender("telegram", "2001", "Ann"), "en"),
                             (Sender("telegram", "2002", "Bo"), None)):
        code = desk.respond("/invite focal_point", None, ADMIN).body[0]
        desk.respond(f"/register {code}", None, sender)
        desk.respond(f"/assign {desk.access.get_or_create_user(sender).id} C12", None, ADMIN)
        if language:
            desk.respond(f"/lang {language}", None, sender)
    clock.advance(days=31)
    by_user = {r.user.external_id: r.reply for r in desk.reminders.claim_due("telegram")}
    assert by_user["2001"].heading == "Hello Ann! Progress reminder"
    assert "• C12 " + desk.catalogue.commitments["C12"].title_en in by_user["2001"].plain()
    assert [b.label for row in by_user["2001"].buttons for b in row] == ["Update C12"]
    assert by_user["2002"].heading == "Bo，你好！进展提醒"


# -- Telegram end to end -------------------------------------------------------------------

@pytest.fixture(scope="module")
def bot(tg: FakeTelegram, assistant: Assistant) -> Iterator[RunningBot]:
    with RunningBot(tg, assistant) as running:
        tg.wait_for("getUpdates")
        yield running


def say_en(tg: FakeTelegram, text: str, user_id: int = 4001) -> str:
    return answer(tg, text, user_id=user_id, language_code="en")


def test_an_english_speaking_telegram_user_gets_english(bot: RunningBot, tg: FakeTelegram,
                                                        assistant: Assistant) -> None:
    c13 = assistant.catalogue.commitments["C13"]
    start = say_en(tg, "/start")
    assert start.startswith("Welcome to the A4P assistant!") and not CJK.search(start)
    help_ = say_en(tg, "/help")
    assert help_.startswith("Commands") and "/lang zh|en|fr — Switch language" in help_
    card = say_en(tg, "/c 13").split("\n")
    assert card[0] == f"Commitment C13 · {c13.title_en}"
    assert card[1:3] == [c13.text_en, "(Unofficial translation; the official text is the Chinese one.)"]
    assert card[-1].startswith("Area: A3 Protection | Actor: Collective")
    miss = say_en(tg, "when does the flight to Juba leave tomorrow")
    assert miss.startswith("Sorry, I could not find an answer") and "Try asking" in miss
    assert say_en(tg, "/c 13", user_id=4002).startswith("Commitment C13")


def test_english_buttons_carry_english_titles(bot: RunningBot, tg: FakeTelegram,
                                             assistant: Assistant) -> None:
    before = len(tg.calls_to("sendMessage"))
    tg.message("/area 3", user_id=4003, language_code="en")
    (call,) = tg.wait_for("sendMessage", before + 1)[before:]
    labels = [b["text"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
    assert f"C13 {assistant.catalogue.commitments['C13'].title_en}" in labels
    assert labels[-2:] == ["All areas", "📜 Official Chinese text"]
    assert all(len(label) <= 45 and not CJK.search(label) for label in labels)


def test_one_members_choice_does_not_change_a_shared_chat(desk: Assistant) -> None:
    group = ChatState()
    desk.respond("/lang en", group, LI)
    assert desk.respond("/areas", group, LI).heading.startswith("The eight")
    other = Sender("telegram", "1005", "Wu", "zh-hans")
    assert desk.respond("/areas", group, other).heading == "《以行动促维和》的八个优先领域"


def test_french_speakers_read_french_and_their_status_words_work(desk: Assistant) -> None:
    amina = Sender("telegram", "1010", "Amina", "fr-FR")
    c13 = desk.catalogue.commitments["C13"]
    card = desk.respond("/c 13", ChatState(), amina)
    assert card.heading == f"Engagement C13 · {c13.title_fr}" and card.body[0] == c13.text_fr
    assert desk.respond("/help", ChatState(), amina).heading != desk.respond("/help").heading
    from bot.desk.statuses import parse_status
    assert parse_status("en cours") == "in_progress" and parse_status("terminé") == "done"


def test_a_question_is_answered_in_its_own_language_unless_one_was_chosen(desk: Assistant
                                                                         ) -> None:
    """Without a /lang choice the reply follows the question (an English question under a
    Chinese interface gets an English card); a /lang choice wins."""
    wei = Sender("telegram", "1020", "Wei", "zh-hans")
    assert desk.respond("protection of civilians", ChatState(), wei).heading.startswith(
        "Commitment C13")
    assert desk.respond("protection des civils", ChatState(), wei).heading.startswith(
        "Engagement C13")
    assert desk.respond("保护平民", ChatState(), wei).heading.startswith("承诺 C13")
    # a whole message of small talk is in a language too
    assert desk.respond("hello", ChatState(), wei).heading == i18n.translate("en", "smalltalk.greeting")
    assert desk.respond("merci", ChatState(), wei).heading == i18n.translate("fr", "smalltalk.thanks")
    desk.respond("/lang zh", None, wei)
    assert desk.respond("protection of civilians", ChatState(), wei).heading.startswith("承诺 C13")
