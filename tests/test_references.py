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
])
def test_references_in_every_form(question, ids):
    assert [r.id for r in find_references(normalise(question))] == ids


@pytest.mark.parametrize("question", [
    "A4P是什么", "八个优先领域", "12345", "保护平民", "采取一切必要手段", "2019年4月的调查",
])
def test_no_reference_where_there_is_none(question):
    assert find_references(normalise(question)) == []
