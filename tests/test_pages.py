"""Every reply fits two phone screens (bot/conversation/pages.py says what that is): /help for
each role, every card, every list, in zh, en and fr, over a store seeded like a mission's
quarter; a long one is paged, and "more ▸" walks to its end and back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from conftest import Clock

from bot.conversation import i18n, pages
from bot.conversation.assistant import Assistant, ChatState
from bot.conversation.identity import Sender
from bot.conversation.replies import Reply
from bot.storage.store import Store

ADMIN = Sender("telegram", "1", "Admin Amina Diallo-Mbeki")
FOCAL = Sender("telegram", "100", "Focal point Oksana Petrenko-Lindqvist")
READER = Sender("telegram", "999", "Reader")
LANGUAGES = ("zh", "en", "fr")
LONG_TEXT = ("本季度在三个地区完成了对维和人员的部署前培训，女性警官比例升至18%，"
             "并与当地社区举行了四次关于保护平民的协调会议，下一步将扩大到其余两个地区。") * 2


@pytest.fixture(scope="module")
def seeded(assistant: Assistant, sqlite_template, tmp_path_factory) -> Iterator[Assistant]:
    """A mission's quarter: 12 focal points owning every commitment, 5 long updates on C12,
    10 by one focal point, 20 commitments updated 100 days ago and 5 today."""
    path = tmp_path_factory.mktemp("pages") / "a4p.sqlite3"
    shutil.copyfile(sqlite_template, path)
    clock = Clock()
    store = Store.open(f"sqlite:///{path}", clock=clock)
    desk = assistant.with_store(store, frozenset({ADMIN.key}))
    desk.access.get_or_create_user(ADMIN)
    owners = [store.users.get_or_create("telegram", str(100 + n), f"Focal point {n} {'Ndiaye-Okonkwo ' * 2}",
                         role="focal_point") for n in range(12)]
    owners[0] = desk.access.get_or_create_user(FOCAL)
    store.users.set_role(owners[0].id, "focal_point", by=None)
    commitments = list(assistant.catalogue.commitments)
    for n, owner in enumerate(owners):
        store.assignments.add(owner.id, commitments[n::12], by=None)
        store.assignments.add_mission(owner.id, f"MISSION{n}", by=None)
    for n, commitment in enumerate(commitments[:20]):
        store.updates.add(owners[n % 12].id, commitment, "in_progress", LONG_TEXT, "UNMISS")
    clock.advance(days=100)
    for n in range(10):
        store.updates.add(owners[0].id, "C12" if n < 5 else commitments[n * 12 % 45],
                         "done" if n % 2 else "blocked", f"{n}. {LONG_TEXT}", "MINUSCA")
    desk.access.get_or_create_user(READER)
    yield desk
    store.close()


def walk(desk: Assistant, first: Reply, sender: Sender, state: ChatState,
         back: bool = False) -> list[Reply]:
    """Every page of a reply, following "more ▸" to the end (and checking that "◂" leads back)."""
    seen = [first]
    while (more := _nav(seen[-1], "more")) is not None:
        seen.append(desk.press(more, state, sender))
        assert len(seen) <= 10, f"{first.heading}: more than 10 pages"
        previous = _nav(seen[-1], "previous")
        assert previous is not None
        assert not back or desk.press(previous, state, sender) == seen[-2]
    return seen


def _nav(reply: Reply, which: str) -> str | None:
    from bot.conversation.i18n import t

    label = t(f"page.{which}")
    return next((b.action for row in reply.buttons for b in row
                 if b.label in (label,) or (b.action.startswith("more:") and
                                            b.label.endswith("▸") == (which == "more")
                                            and b.label.startswith("◂") == (which != "more"))),
                None)


def assert_fits(desk: Assistant, text_or_action: str, sender: Sender, language: str,
                press: bool = False, back: bool = False) -> list[Reply]:
    state = ChatState(language=language)  # nobody here has a stored /lang choice
    first = (desk.press if press else desk.respond)(text_or_action, state, sender)
    shown = walk(desk, first, sender, state, back)
    for reply in shown:
        assert pages.fits(reply), (language, text_or_action, reply.plain(), reply.buttons)
    return shown


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_fits_for_every_role(seeded: Assistant, language: str) -> None:
    for sender in (READER, FOCAL, ADMIN):
        assert_fits(seeded, "/help", sender, language)
        assert_fits(seeded, "help:all", sender, language, press=True)
    assert_fits(seeded, "/help", Sender("telegram", "12345", "Stranger"), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_card_fits(seeded: Assistant, language: str) -> None:
    catalogue = seeded.catalogue
    paged = []
    for entry_id in (*catalogue.areas, *catalogue.commitments, *catalogue.paragraphs,
                     *catalogue.faqs):
        shown = assert_fits(seeded, entry_id, READER, language, press=True)
        body = [line for reply in shown for line in reply.body]
        with i18n.use(language):
            full = seeded._card(entry_id)  # the whole card, as made before paging
        if len(shown) > 1:
            paged.append(entry_id)
            assert "".join(body).replace(" ", "") == "".join(full.body).replace(" ", "")
    assert "A5" in paged  # ~3 phone screens in one piece before


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_list_fits(seeded: Assistant, language: str) -> None:
    for command in ("/areas", "/progress", *(f"/progress A{n}" for n in range(1, 9)),
                    "/stale", "/stale 七天", "/stale 7", "/updates C12", "/whoami"):
        assert_fits(seeded, command, READER, language, back=command == "/progress A5")
    for command in ("/myupdates", "/whoami"):
        assert_fits(seeded, command, FOCAL, language)
    for command in ("/users", "/overdue", "/whoami"):
        assert_fits(seeded, command, ADMIN, language)
    for question in ("秘书长的承诺有哪些", "会员国承诺了什么", "东道国的承诺"):
        assert_fits(seeded, question, READER, language)


def test_stale_is_paged_and_every_line_is_shown_once(seeded: Assistant) -> None:
    whole = seeded.progress.stale(READER, "七天")
    shown = assert_fits(seeded, "/stale 七天", READER, "zh", back=True)
    assert len(shown) >= 2
    assert [line for reply in shown for line in reply.body] == list(whole.body)
    assert shown[0].heading == f"{whole.heading}（1/{len(shown)}）"


def test_a_page_button_from_another_replica_or_after_a_restart(seeded: Assistant) -> None:
    """Pages are not stored: a fresh state (another replica, a restart) shows the same page."""
    first = seeded.respond("/area 5", ChatState(), READER)
    more = _nav(first, "more")
    assert more is not None and len(more.encode()) <= 64
    assert seeded.press(more, ChatState(), READER) == seeded.press(more, ChatState(), READER)
    assert "C29" in seeded.press(more, ChatState(), READER).plain()


def test_a_forged_page_button_is_refused_politely(seeded: Assistant) -> None:
    for action in ("more:2:assign:2 C12", "more:x:areas:", "more:2:nothing:"):
        reply = seeded.press(action, ChatState(), READER)
        assert reply.heading == "这个按钮已失效。", action
    assert seeded.store.assignments.commitments(seeded.access.get_or_create_user(READER).id) == []
