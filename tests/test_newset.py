"""benchmarks/newset.py: a writer's set comes in checked, without questions already held,
measured once and headed with who wrote it and that reading."""

import shutil
from pathlib import Path

import benchmark_script
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def newset():
    return benchmark_script.load("newset")


def _write(path: Path, items: list[dict]) -> Path:
    path.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    return path


def test_the_id_list_names_every_entry_and_nothing_of_the_vocabulary(newset, capsys) -> None:
    assert newset.main(["--idlist"]) == 0
    listed = capsys.readouterr().out
    ids = [line[2:].split(":")[0].split(" ")[0] for line in listed.splitlines()
           if line.startswith("- ")]
    assert len(ids) == 8 + 45 + 24 + 10 and {"A8", "C45", "P24", "F10"} <= set(ids)
    assert "keywords" not in listed and "保户" not in listed


def test_a_set_comes_in_without_questions_already_held(newset, tmp_path, capsys) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "tests" / "data", data)
    held = yaml.safe_load((data / "field_dev.yaml").read_text(encoding="utf-8"))[0]["q"]
    written = _write(tmp_path / "written.yaml", [
        {"q": "营地旁边的村子昨晚被抢了，我们该不该出去保护", "expect": ["C13"], "kind": "situation"},
        {"q": held + "！！", "expect": ["C1"], "kind": "spoken"},  # held, bar punctuation
        {"q": "明天朱巴下雨吗", "expect": [], "kind": "out_of_scope"},
    ])
    assert newset.main([str(written), "field_dev999", "--about", "a test writer",
                        "--data", str(data)]) == 0
    text = (data / "field_dev999.yaml").read_text(encoding="utf-8")
    assert [i["q"] for i in yaml.safe_load(text)] == [
        "营地旁边的村子昨晚被抢了，我们该不该出去保护", "明天朱巴下雨吗"]
    assert "(a test writer)" in text and "were removed (1)" in text.replace("\n# ", " ")
    assert "untouched" in capsys.readouterr().out
    # taken in once: a second run refuses to overwrite the set and its reading
    assert newset.main([str(written), "field_dev999", "--about", "again",
                        "--data", str(data)]) == 2


def test_a_question_a_pending_set_holds_is_held(newset, tmp_path) -> None:
    """A set waiting in tests/data/pending joins later: a new set must not hold its
    questions again."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "tests" / "data", data)
    (data / "pending").mkdir(exist_ok=True)
    _write(data / "pending" / "field_dev999.yaml",
           [{"q": "营地门口那条河涨水了村民往我们这边跑", "expect": ["C13"], "kind": "situation"}])
    known = newset.known_questions(newset.load_catalogue(), data)
    assert newset.key("营地门口那条河涨水了，村民往我们这边跑！") in known


@pytest.mark.parametrize("item, problem", [
    ({"q": "保护平民", "expect": ["C99"], "kind": "spoken"}, "names no entry"),
    ({"q": "保护平民", "expect": [], "kind": "spoken"}, "out_of_scope exactly"),
    ({"q": "天气", "expect": [], "kind": "weather"}, "kind 'weather'"),
    ({"q": "保护平民", "expect": ["C13"]}, "exactly q, expect and kind"),
])
def test_a_badly_labelled_item_is_named_and_nothing_is_written(
        newset, tmp_path, capsys, item, problem) -> None:
    data = tmp_path / "data"
    data.mkdir()
    written = _write(tmp_path / "written.yaml", [item])
    assert newset.main([str(written), "field_dev999", "--about", "x", "--data", str(data)]) == 2
    assert problem in capsys.readouterr().err and not list(data.iterdir())
