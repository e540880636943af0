"""The matcher against the labelled questions, the issue's own examples, and properties.

Accuracy floors sit a little under the measured values (README, "Benchmarks"): a change
that makes the bot answer worse fails here, and the floors move up as the matcher improves.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import warnings

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.assistant import Assistant
from bot.bench import correct
from bot.matching import match

DATA = Path(__file__).parent / "data"

# Measured on questions.yaml / holdout.yaml with the shipped knowledge, then rounded down.
DEV_ACCURACY_FLOOR = 0.93       # measured 0.937 at threshold 44 (586 in scope; 0.940 at 42,
                                # given up for a refusal margin, see benchmarks/calibrate.py)
DEV_REJECTION_FLOOR = 0.98      # measured 1.000 (92 out of scope)
HOLDOUT_ACCURACY_FLOOR = 0.75   # measured 0.757: unseen colloquial phrasing is still the gap
HOLDOUT_REJECTION_FLOOR = 0.95  # measured 1.000 (12 out of scope)


def _load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def score_set(assistant: Assistant, items: list[dict]) -> tuple[float, float, dict[str, float]]:
    """(accuracy on in-scope questions, rejection rate on out-of-scope ones, per kind)."""
    graded = [(item, correct(assistant.ask(item["q"]), item["expect"])) for item in items]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for item, ok in graded:
        by_kind[item["kind"]].append(ok)
    in_scope = [ok for item, ok in graded if item["expect"]]
    out = [ok for item, ok in graded if not item["expect"]]
    kinds = {k: sum(v) / len(v) for k, v in by_kind.items()}
    return sum(in_scope) / len(in_scope), sum(out) / len(out), kinds


def test_labelled_sets_are_well_formed(catalogue) -> None:
    dev, holdout = _load("questions.yaml"), _load("holdout.yaml")
    assert len(dev) >= 250 and len(holdout) >= 60
    assert not {d["q"] for d in dev} & {h["q"] for h in holdout}
    for item in dev + holdout:
        assert all(catalogue.get(i) for i in item["expect"]), item


def test_development_set_accuracy(assistant: Assistant) -> None:
    accuracy, rejection, kinds = score_set(assistant, _load("questions.yaml"))
    assert accuracy >= DEV_ACCURACY_FLOOR, kinds
    assert rejection >= DEV_REJECTION_FLOOR, kinds


def test_holdout_accuracy(assistant: Assistant) -> None:
    accuracy, rejection, kinds = score_set(assistant, _load("holdout.yaml"))
    assert accuracy >= HOLDOUT_ACCURACY_FLOOR, kinds
    assert rejection >= HOLDOUT_REJECTION_FLOOR, kinds


@pytest.mark.parametrize("question, expected", [
    ("第十三项承诺", "C13"), ("承诺三十", "C30"), ("第16段", "P16"), ("第九段", "P9"),
    ("领域五", "A5"), ("优先领域三", "A3"), ("C12", "C12"), ("#44", "C44"),
    ("commitment 21", "C21"), ("paragraph 9", "P9"), ("第二十四段", "P24"),
])
def test_references_in_every_form(assistant: Assistant, question: str, expected: str) -> None:
    result = assistant.ask(question)
    assert result.intent == "reference" and result.matches[0].id == expected


@pytest.mark.parametrize("question", ["保户平民", "保護平民", "protection of civilians",
                                      "protection des civils", "老百姓的保护"])
def test_protection_of_civilians_in_many_spellings(assistant: Assistant, question: str) -> None:
    result = assistant.ask(question)
    assert result.matches, question
    assert assistant.catalogue.get(result.matches[0].id) is not None
    assert "平民" in _entry_text(assistant, result.matches[0].id)


@pytest.mark.parametrize("question, word", [
    ("非洲连盟的伙伴关系", "非洲联盟"), ("环境管里", "环境"), ("維和人員的安全", "安全"),
    ("妇女参与和平进程", "妇女"), ("性剥削和性虐待", "性剥削"),
    # a typo cuts a domain compound into pieces; they are rejoined before scoring
    ("非州联盟", "非洲联盟"), ("性剥消和性虐代", "性剥削"), ("外勤资助", "外勤支助"),
    ("国家工做队", "国家工作队"), ("建设和平委员汇", "建设和平委员会"),
])
def test_typos_traditional_and_colloquial(assistant: Assistant, question: str, word: str) -> None:
    result = assistant.ask(question)
    assert result.matches, question
    assert word in _entry_text(assistant, result.matches[0].id)


@pytest.mark.parametrize("accented, plain", [
    ("sécurité des casques bleus", "securite des casques bleus"),
    ("énergies renouvelables", "energies renouvelables"),
    ("désinformation et rumeurs", "desinformation et rumeurs"),
])
def test_french_reads_the_same_without_accents(assistant: Assistant, accented: str,
                                               plain: str) -> None:
    """Latin text is compared without accents: jieba would cut "sécurité" into s / é /
    curit / é, and many keyboards type French without them."""
    with_accents, without = assistant.ask(accented), assistant.ask(plain)
    assert with_accents.matches and with_accents.terms == without.terms
    assert with_accents.matches[0].id == without.matches[0].id


def _entry_text(assistant: Assistant, entry_id: str) -> str:
    entry = assistant.catalogue.get(entry_id)
    return " ".join(str(v) for v in vars(entry).values())


@pytest.mark.parametrize("question, actor", [
    ("秘书长承诺了哪些", "secretary_general"), ("作为会员国我们要做什么", "member_states"),
    ("东道国的承诺", "host_countries"), ("秘书长那边答应了啥", "secretary_general"),
    ("东道国要干嘛", "host_countries"), ("咱们会员国该干啥", "member_states"),
    ("会员国要履行哪些承诺", "member_states"),
])
def test_actor_questions_list_that_actors_commitments(assistant: Assistant, question: str,
                                                     actor: str) -> None:
    result = assistant.ask(question)
    assert result.intent == "actor" and result.actor == actor
    expected = {c.id for c in assistant.catalogue.commitments_by(actor)}
    assert {m.id for m in result.matches} == expected


@pytest.mark.parametrize("question, area", [
    ("伙伴关系方面有哪些承诺", "A7"), ("安全这一块有哪些承诺", "A4"), ("问责方面有哪些承诺", "A5"),
    ("建设和平领域有什么承诺", "A6"), ("妇女那部分讲了什么", "A2"),
])
def test_listing_questions_reach_the_area(assistant: Assistant, question: str, area: str) -> None:
    """哪些, 方面, 领域 are stopwords, yet still tell the matcher a list is asked for."""
    result = assistant.ask(question)
    assert result.matches and result.matches[0].id == area


@pytest.mark.parametrize("question, expected, area", [
    ("维和人员性侵怎么处理", {"C41"}, "A8"), ("language skills for peacekeepers", {"C24"}, "A5"),
    ("跟非盟怎么合作", {"C37", "C38"}, "A7"), ("维和表现不好谁负责", {"C19"}, "A5"),
    ("partnership with the African Union", {"C37", "C38"}, "A7"),
])
def test_a_commitment_ranks_above_its_own_area(assistant: Assistant, question: str,
                                               expected: set[str], area: str) -> None:
    """The area carries its commitments' keywords and general title words (维和人员, 问责):
    when a commitment holds the area's key evidence, the commitment is the answer and the
    area the next button."""
    result = assistant.ask(question)
    assert result.matches and result.matches[0].id in expected
    assert area in [c.match.id for c in result.candidates]


@pytest.mark.parametrize("question, area", [
    ("绩效与问责", "A5"), ("conduct and discipline", "A8"), ("合作关系", "A7"), ("维和人员安全", "A4"),
])
def test_naming_an_area_still_reaches_the_area(assistant: Assistant, question: str,
                                               area: str) -> None:
    result = assistant.ask(question)
    assert result.matches and result.matches[0].id == area


def test_a_word_inside_a_title_compound_counts_towards_the_title(assistant: Assistant) -> None:
    """平民 covers half of C13's title 保护平民 (one domain word), more than C34's share."""
    result = assistant.ask("平民")
    assert result.matches and result.matches[0].id == "C13"


def test_a_loose_fuzzy_match_is_discounted_by_length(assistant: Assistant) -> None:
    """伙伴 is half of 伙伴关系: `ratio` alone (0.67, times the fuzzy discount 0.85) would
    count it nearly as much as a one-character typo of a same-length word."""
    (_, loose, channel), *_ = assistant.index.similar("伙伴")
    assert channel == "fuzzy" and loose < 0.5


def test_bound_ordered_pruning_returns_the_exhaustive_ranking(assistant: Assistant) -> None:
    """Scoring stops early on an upper bound; the top results must be the ones scoring
    every entry would give (the area/commitment exchange included)."""
    for item in _load("questions.yaml"):
        pruned = match(item["q"], assistant.index)
        if pruned.intent != "search":
            continue
        full = match(item["q"], assistant.index, limit=10_000)
        assert [c.match for c in pruned.candidates] == [c.match for c in full.candidates[:5]]
        assert pruned.matches == tuple(m for m in full.matches[:5]), item["q"]


def test_colloquial_filler_is_not_an_unknown_topic(assistant: Assistant) -> None:
    plain, filled = assistant.ask("女兵太少"), assistant.ask("女兵太少了咋整呢")
    assert filled.terms == plain.terms
    assert filled.matches and filled.matches[0].id == plain.matches[0].id


def test_a_stray_character_does_not_turn_a_word_into_another(assistant: Assistant) -> None:
    """让维和人员 is 让 + 维和人员, not a misspelt 女维和人员."""
    assert "女性军警人员" not in assistant.ask("东道国得让维和人员进去吗").terms


def test_matching_raises_no_library_warnings(assistant: Assistant) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for question in ("老百姓的保护", "百姓", "第一百段", "十万火急"):
            match(question, assistant.index)


@pytest.mark.parametrize("question", ["今天天气怎么样", "明天航班几点", "工资什么时候发",
                                      "写一首诗", "😂😂😂", "asdfghjkl", "jjjjjjj", "推荐个餐馆"])
def test_unrelated_questions_get_no_answer(assistant: Assistant, question: str) -> None:
    assert not assistant.ask(question).matches


@pytest.mark.parametrize("question, kind", [("你好", "greeting"), ("您好！", "greeting"),
                                            ("谢谢", "thanks"), ("再见", "goodbye"),
                                            ("hello", "greeting"), ("merci", "thanks")])
def test_small_talk_is_not_a_catalogue_match(assistant: Assistant, question: str,
                                             kind: str) -> None:
    result = assistant.ask(question)
    assert result.intent == "smalltalk" and result.smalltalk == kind and not result.matches


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_text_gives_a_well_formed_result(assistant: Assistant, text: str) -> None:
    result = match(text, assistant.index)
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert len({m.id for m in result.matches}) == len(result.matches)
    assert result.intent in {"search", "reference", "actor", "smalltalk", "blank", "out_of_range"}


@given(st.text(alphabet=" \t\n\r\u3000\u200b\ufeff.,，。！？!?", max_size=30))
@settings(max_examples=100, deadline=None)
def test_blank_and_punctuation_only_gives_no_answer(assistant: Assistant, text: str) -> None:
    assert not match(text, assistant.index).matches


def test_matching_is_deterministic(assistant: Assistant) -> None:
    question = "维和人员安全和伤亡"
    assert match(question, assistant.index) == match(question, assistant.index)


@pytest.mark.parametrize("question, expected", [("女冰", "C12"), ("撤君以后谁管", "C36")])
def test_homophone_typos_of_everyday_words_reach_what_they_stand_for(assistant, question: str,
                                                                     expected: str) -> None:
    """女冰 sounds like 女兵, an everyday variant of 女性军警人员 that no catalogue text uses."""
    assert assistant.ask(question).matches[0].id == expected


def test_a_real_word_that_sounds_like_a_variant_is_not_taken_for_it(assistant) -> None:
    assert assistant.ask("工资卡丢了").matches == ()  # 工资 sounds like 供资 (funding)
