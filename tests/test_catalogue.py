import os
from pathlib import Path

import pytest
import yaml

import bot.answering.catalogue as catalogue_module
import bot.answering.normalisation as normalisation
from bot.answering.catalogue import ACTORS, TITLE_MAX, CatalogueError, check_catalogue, load_catalogue


def edit(directory: Path, name: str, change) -> None:
    path = directory / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_shipped_catalogue_is_complete(catalogue):
    assert list(catalogue.areas) == [f"A{n}" for n in range(1, 9)]
    assert list(catalogue.commitments) == [f"C{n}" for n in range(1, 46)]
    assert list(catalogue.paragraphs) == [f"P{n}" for n in range(1, 25)]


def test_shipped_catalogue_has_no_problems():
    assert check_catalogue() == []


@pytest.mark.parametrize("commitment, actor, paragraph", [
    ("C1", "collective", "P4"), ("C2", "member_states", "P5"), ("C5", "secretary_general", "P6"),
    ("C17", "collective", "P12"), ("C20", "secretary_general", "P13"),
    ("C29", "member_states", "P15"), ("C39", "host_countries", "P19"), ("C45", "collective", "P23"),
])
def test_commitment_actor_and_paragraph_follow_the_seed(catalogue, commitment, actor, paragraph):
    c = catalogue.commitments[commitment]
    assert (c.actor, c.paragraph) == (actor, paragraph)


def test_every_commitment_is_clean(catalogue):
    for c in catalogue.commitments.values():
        assert c.actor in ACTORS
        assert len(c.title) <= TITLE_MAX
        assert "[" not in c.text and "第" + c.paragraph[1:] + "段" not in c.text, c.id
        assert "作和技术" not in c.text


def test_seed_defects_are_corrected(catalogue):
    assert "在国家和区域各级" in catalogue.paragraphs["P4"].text
    everything = " ".join(getattr(e, "text", None) or getattr(e, "summary", None) or e.answer
                          for e in catalogue.entries())
    for defect in ("A45P", "<>", " and ", "30年2019月"):
        assert defect not in everything


def test_paragraphs_know_which_commitments_cite_them(catalogue):
    assert catalogue.paragraphs["P13"].cited_by == tuple(f"C{n}" for n in range(18, 25))
    assert catalogue.paragraphs["P12"].cited_by == ("C17",)
    assert catalogue.paragraphs["P1"].cited_by == ()


def test_missing_field_names_file_entry_and_field(knowledge_copy):
    edit(knowledge_copy, "commitments", lambda d: d[16].pop("actor"))
    assert check_catalogue(knowledge_copy) == ["commitments.yaml: C17: field 'actor': is missing"]


def test_unknown_reference_is_reported(knowledge_copy):
    edit(knowledge_copy, "commitments", lambda d: d[0].update(paragraph="P99"))
    problems = check_catalogue(knowledge_copy)
    assert "commitments.yaml: C1: field 'paragraph': P99 is not a paragraph in paragraphs.yaml" in problems


def test_wrong_actor_duplicate_id_and_long_title(knowledge_copy):
    def change(d):
        d[1].update(actor="everyone")
        d[2].update(id="C2")
        d[3].update(title="这是一个远远超过二十个字的非常非常非常长的标题啊啊")
    edit(knowledge_copy, "commitments", change)
    problems = "\n".join(check_catalogue(knowledge_copy))
    assert "C2: field 'actor': must be one of collective" in problems
    assert "C2: field 'id': is used twice" in problems
    assert "C4: field 'title': must be at most 20 characters" in problems
    assert "must hold exactly 45 entries C1…C45 (missing C3)" in problems


def test_unknown_field_is_a_typo(knowledge_copy):
    edit(knowledge_copy, "areas", lambda d: d[0].update(keyword=["x"]))
    assert "areas.yaml: A1: field 'keyword': is not a known field (typo?)" in check_catalogue(knowledge_copy)


def test_broken_yaml_and_missing_file(knowledge_copy):
    (knowledge_copy / "paragraphs.yaml").write_text("- id: P1\n  text: [unclosed", encoding="utf-8")
    (knowledge_copy / "areas.yaml").unlink()
    problems = "\n".join(check_catalogue(knowledge_copy))
    assert "paragraphs.yaml: (file): cannot be read as UTF-8 YAML" in problems
    assert "areas.yaml: (file): missing file" in problems


def test_synonym_in_two_groups_is_reported(knowledge_copy):
    edit(knowledge_copy, "vocabulary", lambda d: d["synonyms"].append(["安全理事会", "安理会"]))
    assert any("'安理会' is also in group" in p for p in check_catalogue(knowledge_copy))


def test_off_topic_words_are_checked(knowledge_copy):
    (knowledge_copy / "offtopic.yaml").write_text(
        "zh: [工资, 工资]\nen: salary\nfr: [wifi]\nde: [gehalt]\n", encoding="utf-8")
    problems = check_catalogue(knowledge_copy)
    assert problems == ["offtopic.yaml: zh: field '工资': is listed twice",
                        "offtopic.yaml: en: must be a list of non-empty texts",
                        "offtopic.yaml: de: is not a known language (zh, en, fr)"]


def test_asked_questions_are_checked(knowledge_copy):
    (knowledge_copy / "asked.yaml").write_text(
        "- {q: 营地门口来了一群逃难的人, id: C13}\n- {q: 营地门口来了一群逃难的人, id: C14}\n"
        "- {q: 女兵太少, id: C99}\n- {q: 啥, id: C1}\n- {question: 女兵太少, id: C12}\n",
        encoding="utf-8")
    assert check_catalogue(knowledge_copy) == [
        "asked.yaml: item 2: field 'q': is listed twice",
        "asked.yaml: item 3: field 'id': names no entry: 'C99'",
        "asked.yaml: item 4: field 'q': must be a question of 3–240 characters",
        "asked.yaml: item 5: must have exactly q and id"]
    (knowledge_copy / "asked.yaml").write_text("- {q: 营地门口来了一群逃难的人, id: c13}\n"
                                              "- {q: 营地WiFi密码多少, id: none}\n",
                                              encoding="utf-8")
    catalogue = load_catalogue(knowledge_copy)
    assert catalogue.asked["C13"] == ("营地门口来了一群逃难的人",)
    assert catalogue.outside == ("营地WiFi密码多少",)
    assert catalogue.without_asked(["营地WiFi密码多少"]).outside == ()


def test_checked_asked_questions_are_kept_and_their_problems_replayed(knowledge_copy, tmp_path,
                                                                      monkeypatch):
    """asked.yaml is checked once per content: a second load neither parses nor checks it
    again, yet still reports its problems; an edit is checked anew."""
    monkeypatch.setenv("A4P_CACHE_DIR", str(tmp_path / "cache"))
    asked = knowledge_copy / "asked.yaml"
    asked.write_text("- {q: 女兵太少, id: C12}\n- {q: 女兵太少, id: C12}\n", encoding="utf-8")
    problems = ["asked.yaml: item 2: field 'q': is listed twice"]
    assert check_catalogue(knowledge_copy) == problems
    monkeypatch.setattr(catalogue_module, "_asked", lambda *a: pytest.fail("checked again"))
    assert check_catalogue(knowledge_copy) == problems
    monkeypatch.undo()
    monkeypatch.setenv("A4P_CACHE_DIR", str(tmp_path / "cache"))
    asked.write_text("- {q: 女兵太少, id: C12}\n", encoding="utf-8")
    assert load_catalogue(knowledge_copy).asked == {"C12": ("女兵太少",)}


def test_the_catalogue_texts_normalised_forms_are_read_back(tmp_path, monkeypatch):
    """`remember` keeps the normalised forms of many texts: a second start reads them back
    without normalising again, and they are what `normalise` makes."""
    monkeypatch.setenv("A4P_CACHE_DIR", str(tmp_path / "cache"))
    texts = ["維和人員的安全", "ＡＢＣ１２３ Protection", "保护平民"]
    monkeypatch.setattr(normalisation, "_remembered", {})
    normalisation.remember(texts)
    assert len(list((tmp_path / "cache" / "normalised").glob("*.marshal"))) == 1
    normalisation.normalise.cache_clear()
    monkeypatch.setattr(normalisation, "_remembered", {})
    monkeypatch.setattr(normalisation, "to_simplified", lambda _: pytest.fail("normalised again"))
    normalisation.remember(texts)
    assert [normalisation.normalise(t) for t in texts] == [
        "维和人员的安全", "abc123 protection", "保护平民"]


def test_off_topic_words_are_optional(knowledge_copy):
    (knowledge_copy / "offtopic.yaml").unlink(missing_ok=True)
    assert load_catalogue(knowledge_copy).vocabulary.off_topic == ()


def test_load_raises_with_every_problem(knowledge_copy):
    edit(knowledge_copy, "areas", lambda d: d[0].pop("title"))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(knowledge_copy)
    assert info.value.problems == ["areas.yaml: A1: field 'title': is missing"]


def test_example_questions_are_checked(knowledge_copy):
    """An example under two entries, or a paragraph-long one, would pull answers astray."""
    import yaml as _yaml

    path = knowledge_copy / "commitments.yaml"
    data = _yaml.safe_load(path.read_text(encoding="utf-8"))
    data[1]["examples"] = [data[0]["examples"][0], "太长" * 50]
    path.write_text(_yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = check_catalogue(knowledge_copy)
    assert any(p.startswith("commitments.yaml: C2: field 'examples'") and "also an example of C1" in p
               for p in problems), problems
    assert any("must be 3–80 characters" in p for p in problems), problems


def test_every_entry_carries_users_example_questions(catalogue):
    for entry in (*catalogue.areas.values(), *catalogue.commitments.values(),
                  *catalogue.faqs.values()):
        assert 3 <= len(entry.examples) <= 12, entry.id
    assert sorted(catalogue.faqs, key=lambda i: int(i[1:])) == [f"F{n}" for n in range(1, 11)]


def test_parsed_knowledge_is_reused_and_an_edit_is_never_missed(small_knowledge_copy,
                                                                tmp_path, monkeypatch):
    """The parsed YAML is kept per file content: a second load reads it back (parsing is
    not repeated), an edit of the same size and time is seen, a damaged cache is ignored."""
    monkeypatch.setenv("A4P_CACHE_DIR", str(tmp_path / "cache"))
    first = load_catalogue(small_knowledge_copy)
    kept = sorted((tmp_path / "cache" / "knowledge").glob("*.marshal"))
    assert {p.name.split("-")[0] for p in kept} == {"areas", "asked", "commitments", "faq",
                                                     "offtopic", "paragraphs", "vocabulary"}
    monkeypatch.setattr(yaml, "load", lambda *a, **k: pytest.fail("parsed again"))
    assert load_catalogue(small_knowledge_copy).commitments == first.commitments
    monkeypatch.undo()
    monkeypatch.setenv("A4P_CACHE_DIR", str(tmp_path / "cache"))

    path = small_knowledge_copy / "commitments.yaml"
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: 推动政治解决与互补的政治目标",
                                 "title: 推动政治解决与互补的政治方向"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same time
    edited = load_catalogue(small_knowledge_copy)
    assert edited.commitments["C1"].title == "推动政治解决与互补的政治方向"
    # the earlier version is kept beside it (an edit undone is read back too)
    assert len(list((tmp_path / "cache" / "knowledge").glob("commitments-*"))) == 2

    for cached in (tmp_path / "cache" / "knowledge").glob("*.marshal"):
        cached.write_bytes(b"\x00 not marshal")
    edited = load_catalogue(small_knowledge_copy)
    assert edited.commitments["C1"].title == "推动政治解决与互补的政治方向"


def test_asked_questions_come_from_the_development_sets_only() -> None:
    """benchmarks/asked.py refuses a frozen holdout, and the shipped asked.yaml already holds
    every development question it would add (running it changes nothing)."""
    import subprocess
    import sys

    script = Path(__file__).parents[1] / "benchmarks" / "asked.py"
    refused = subprocess.run([sys.executable, script, "field_holdout2.yaml"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "frozen holdout" in refused.stderr
    again = subprocess.run([sys.executable, script, "field_dev.yaml", "field_dev2.yaml",
                            "field_dev3.yaml"], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stdout.startswith("0 questions added")


def test_every_file_an_faq_source_names_exists(catalogue) -> None:
    """An FAQ card about the bot shows its source to users ("this bot (README.md,
    bot/desk/access.py, …)"): a module that moved must not leave the card pointing nowhere."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    named = {path for faq in catalogue.faqs.values()
             for path in re.findall(r"(?:bot/[\w/.]+|README\.md)", faq.source)}
    assert named, "the FAQ about the bot names its files"
    assert sorted(p for p in named if not (root / p).exists()) == []


def test_a_derived_files_newest_versions_are_kept_and_older_ones_removed(tmp_path,
                                                                         monkeypatch) -> None:
    """An edited knowledge file's parse is kept beside the shipped one's (the tests' edited
    copies no longer evict it) while they fit in VERSIONS_BYTES_MAX; the one used longest
    ago goes first."""
    import marshal

    import bot.answering.derived as derived

    def version(n: int | str) -> dict:
        return {"version": n, "text": "维和" * 500}

    monkeypatch.setattr(derived, "VERSIONS_BYTES_MAX", 3 * len(marshal.dumps(version(0))) + 200)
    paths = [tmp_path / f"asked-{n}.marshal" for n in range(5)]
    for n, path in enumerate(paths):
        derived.keep(path, version(n), stale="asked-*.marshal")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))  # written in this order
    assert sorted(tmp_path.glob("asked-*")) == paths[2:]  # three fit
    assert derived.load(paths[2]) == version(2)  # read: used again, so another one goes next
    derived.keep(tmp_path / "asked-new.marshal", version("new"), stale="asked-*.marshal")
    assert sorted(tmp_path.glob("asked-*")) == [paths[2], paths[4],
                                                tmp_path / "asked-new.marshal"]
    small = tmp_path / "asked-small.marshal"  # the room is in bytes: a small one evicts none
    derived.keep(small, {"version": "small"}, stale="asked-*.marshal")
    assert len(list(tmp_path.glob("asked-*"))) == 4 and small.exists()


def test_the_same_knowledge_is_indexed_once_per_process_and_an_edit_is_read(
        small_knowledge_copy):
    """`Assistant.load` builds the index once per version of the knowledge files: the CLI's
    commands run in one process share it, and an edited file is read again."""
    from bot.conversation.assistant import Assistant

    first, again = Assistant.load(small_knowledge_copy), Assistant.load(small_knowledge_copy)
    assert again is not first and again.index is first.index
    asked = small_knowledge_copy / "asked.yaml"
    asked.write_text(asked.read_text(encoding="utf-8")
                     + "- {id: C13, q: '营地门口那帮人又来抢粮食了咋整'}\n", encoding="utf-8")
    edited = Assistant.load(small_knowledge_copy)
    assert edited.index is not first.index
    assert "营地门口那帮人又来抢粮食了咋整" in edited.catalogue.asked["C13"]
    assert "营地门口那帮人又来抢粮食了咋整" not in first.catalogue.asked["C13"]
