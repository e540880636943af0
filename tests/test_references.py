import pytest

from bot.answering.normalisation import normalise
from bot.answering.references import find_references


@pytest.mark.parametrize("question, ids", [
    ("第十三项承诺", ["C13"]), ("承诺三十", ["C30"]), ("第16段", ["P16"]), ("第九段", ["P9"]),
    ("领域五", ["A5"]), ("优先领域三", ["A3"]), ("C12", ["C12"]), ("c12", ["C12"]),
    ("Ｃ１２", ["C12"]), ("#44", ["C44"]), ("commitment 21", ["C21"]), ("paragraph 9", ["P9"]),
    ("paragraphe 9", ["P9"]), ("engagement n° 12", ["C12"]), ("area 3", ["A3"]),
    ("第四个优先领域", ["A4"]), ("第45项", ["C45"]), ("宣言第二段", ["P2"]), ("17", ["C17"]),
    ("第二十一条承诺讲的啥", ["C21"]), ("第十二段和第十三段", ["P12", "P13"]), ("第13项承諾", ["C13"]),
    ("p12", ["P12"]), ("a3", ["A3"]), ("第一个领域", ["A1"]),
    ("le 5e paragraphe parle de quoi", ["P5"]), ("the 12th commitment", ["C12"]),
    ("1er domaine", ["A1"]), ("3ème paragraphe", ["P3"]), ("2nd priority area", ["A2"]),
    ("l'engagement numéro 29, c'est lequel", ["C29"]), ("engagement numero 12", ["C12"]),
    ("area number 4", ["A4"]), ("engagement n 8 stp", ["C8"]), ("paragraphe numéro 9", ["P9"]),
    ("le cinquième domaine", ["A5"]), ("the fifth priority area", ["A5"]),
    ("third paragraph", ["P3"]), ("engagement vingt-neuf", ["C29"]),
    ("commitment twenty one", ["C21"]), ("C 12 c'est quoi", ["C12"]), ("A 5", ["A5"]),
    ("领域五一堆承诺 能列一下不", ["A5"]),
    ("宣言第五项", ["C5"]), ("决议第五项承诺", ["C5"]),  # the declaration's, or said outright
])
def test_references_in_every_form(question, ids):
    assert [r.id for r in find_references(normalise(question))] == ids


LAST = {"area": 8, "commitment": 45, "paragraph": 24}


@pytest.mark.parametrize("question, ids", [
    ("宣言最后一段说了啥", ["P24"]), ("最后一条承诺", ["C45"]), ("最後一個領域", ["A8"]),
    ("the last paragraph of the declaration", ["P24"]), ("dernier engagement", ["C45"]),
    ("结尾那段和第二段", ["P24", "P2"]), ("宣言开头那段是谁发表的", ["P1"]),
    ("the first commitment", ["C1"]), ("premier paragraphe", ["P1"]),
])
def test_the_first_and_the_last_one_by_their_ordinal(question, ids):
    assert [r.id for r in find_references(normalise(question), LAST)] == ids


@pytest.mark.parametrize("question, ids", [
    ("45项承诺是按什么板块分的", []), ("以前的四十五项承诺还作数吗", []),
    ("第45项承诺", ["C45"]), ("承诺45", ["C45"]), ("13项承诺", ["C13"]),
])
def test_all_45_commitments_is_their_count_not_the_last_one(question, ids):
    assert [r.id for r in find_references(normalise(question), LAST)] == ids


def test_the_last_one_is_never_read_as_number_one():
    """cn2an makes 最后一段 最后1段: without the catalogue's counts it is no reference at
    all, never paragraph 1."""
    assert find_references(normalise("宣言最后一段说了啥")) == []


@pytest.mark.parametrize("question", [
    "A4P是什么", "八个优先领域", "12345", "保护平民", "采取一切必要手段", "2019年4月的调查",
    "怎么申请联合国P3岗位", "P-4 post in MINUSCA", "D1级别的工资", "性剥削零容忍在宣言哪一段",
    "保护平民是哪一条承诺", "这一条承诺谁负责", "每一项承诺都要报告吗", "哪一个领域管培训",
    "最近一段时间营地外面老有枪声", "帮我写一段给老婆的生日祝福", "报告里要加一段性别分析", "事情告一段落",
    "这个领域一共有几条", "这个承诺一直没落实", "承诺一定要兑现吗", "这个领域一般谁负责", "段落一样吗",
    # quantities after a French or SMS word, not ids: "a" (has), "c" (c'est), "à" unaccented
    "on a 5 femmes sur 160", "la mission a 30 taches", "un village a 2 km de la base",
    "le mandat c 40 taches a la fois", "attaquer a 5km de la base",
    "notre contingent a 3% de femmes", "le bataillon a 3 000 hommes",
    # UN staff grades
    "c combien le salaire d un P3 en mission", "comment postuler à un poste P3",
    "how do I apply for a P4 job at DPO", "civilian job P3 in inspira",
    "any P3 vacancies in DPO for ex military officers?",
    # the UN's personal history form, and paper sizes
    "P11表格里的工作经历要从哪年开始填", "how to fill the P11 form", "formulaire P11 a remplir",
    "Comment imprimer un PDF en format A3 ?", "报告用A4纸打印", "print it on A4 paper",
    # words that begin with 一 after a numeral or a kind, and 两 (a count)
    "八个优先领域一览", "一个领域一句话", "安全那块是不是就两条承诺", "环境那块 是两条承诺吧",
    # the item or article of another document
    "联合国可持续发展目标第六项是什么", "宪章第七条怎么说", "维和人员行为守则第三条",
])
def test_no_reference_where_there_is_none(question):
    assert find_references(normalise(question)) == []


@pytest.mark.parametrize("question", [
    "un engagement sur les femmes", "one commitment on protection",
    "les deux engagements sur l'environnement", "engagement n'est pas tenu",
])
def test_number_words_that_count_nothing_are_no_reference(question):
    assert find_references(normalise(question)) == []


def test_a_reference_given_as_an_example_of_typing_is_a_question_about_the_bot(assistant):
    """"Si je tape « engagement 16 »" mentions C16; it does not ask about it. Measured with
    an index that has not read the question (it is a development question)."""
    from bot.answering.matching import match

    question = "si je tape juste « engagement 16 » tu comprends ?"
    index = assistant.index.unseen([question])
    assert [m.id for m in match(question, index).matches][:1] == ["F6"]
    assert [m.id for m in match("engagement 16 c'est quoi", index).matches] == ["C16"]
