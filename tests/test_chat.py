"""`a4pbot chat` as a user sees it: scripted sessions through the console transport."""

import io

from questions import COOPERATION, UNSURE

from bot.transports.console import chat


def session(assistant, *lines: str) -> str:
    out = io.StringIO()
    assert chat(assistant, io.StringIO("\n".join(lines) + "\n"), out) == 0
    return out.getvalue()


def test_welcome_then_question_then_button(assistant):
    out = session(assistant, "维和人员伤亡越来越多，宣言里怎么说的？", "1")
    assert "欢迎使用 A4P 助手" in out
    assert "承诺 C17 · " in out
    assert "宣言第12段 · " in out  # button 1 opened the paragraph


def test_commands(assistant):
    out = session(assistant, "/areas", "/area 3", "/c 十七", "/p 12", "/commitment C5", "/help")
    assert "八个优先领域" in out
    assert "优先领域 A3 · 加强维和行动所提供的保护" in out
    assert "承诺 C17 · " in out and "承诺 C5 · " in out
    assert "宣言第12段 · " in out
    assert "/why — " in out


def test_bad_commands_get_polite_corrections(assistant):
    out = session(assistant, "/c", "/c 99", "/p abc", "/area 9", "/frobnicate")
    assert "请给出承诺编号（1–45），例如 /c 17。" in out
    assert "没有 C99：承诺编号为 C1–C45。" in out
    assert "“abc”不是段落编号。" in out
    assert "没有 A9：优先领域为 A1–A8。" in out
    assert "不认识命令 /frobnicate。" in out


def test_why_explains_the_last_answer(assistant):
    out = session(assistant, "/why", "保护平民", "/why")
    assert "还没有可以解释的回答。" in out
    assert "你问的是：「保护平民」" in out
    assert "我回答 C13 保护平民，因为你的问题提到了「保护平民」" in out
    assert "规范化问题" not in out  # the technical view is `a4pbot ask --explain`


def test_miss_smalltalk_and_quit(assistant):
    out = session(assistant, "你好", "食堂几点开饭", "谢谢", "/quit", "保护平民")
    assert "你好！我是 A4P 助手" in out
    assert "抱歉，这个问题我在 A4P 宣言里没有找到答案。" in out
    assert "不客气" in out
    assert out.rstrip().endswith("再见！")  # nothing after /quit


def test_deep_link_start_opens_a_card(assistant):
    assert assistant.respond("/start C17").heading.startswith("承诺 C17")
    assert assistant.respond("/start@a4p_bot").heading == "欢迎使用 A4P 助手！"


def test_cards_never_offer_the_same_button_twice(assistant) -> None:
    for question in ("保户平民", "女性维和人员", "第十段", "保护领域有哪些承诺", "维和人员伤亡"):
        reply = assistant.respond(question)
        actions = [b.action for row in reply.buttons for b in row]
        assert len(actions) == len(set(actions)), (question, actions)


def test_did_you_mean_offers_choices_and_a_way_out(assistant):
    first = assistant.ask(UNSURE).suggestions[0].id  # one of cooperation's entries
    out = session(assistant, UNSURE, "1", UNSURE, "4")
    assert "我不太确定您问的是哪一项" in out and first in COOPERATION
    assert f"[1] {first} " in out and "都不是" in out
    assert f"承诺 {first} · " in out  # choice 1 opened the card
    assert out.count("抱歉，这个问题我在 A4P 宣言里没有找到答案。") == 1  # "none of these"


def test_faq_cards_answer_in_the_users_language(assistant):
    out = session(assistant, "A4P是啥", "/lang en", "how do I report progress")
    assert "❓ 什么是" in out and "来源：" in out
    assert "❓ How do I report progress" in out and "Source: " in out


def test_a_paragraph_card_leads_to_the_commitments_citing_it_and_its_area(assistant):
    reply = assistant.respond("/p 10")
    actions = [b.action for row in reply.buttons for b in row]
    assert {"C13", "C14", "C15"} <= set(actions) and actions[-1] == "A3"
