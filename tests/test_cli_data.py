"""`a4pbot db|admin|export|audit` through the real entry point (`bot.cli.main`), on both databases."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, text

from questions import COOPERATION, UNSURE

from bot.conversation.identity import Sender
from bot.conversation.assistant import Assistant, ChatState
from bot.cli.main import main
from bot.briefing.export import COLUMNS
from bot.storage.migrations import HEAD
from bot.storage.store import Store


@pytest.fixture
def cli_store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("DATABASE_URL", db_url)
    opened = Store.open(db_url)
    yield opened
    opened.close()


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_upgrade_reports_the_revision(cli_store: Store, capsys) -> None:
    assert run(capsys, "db", "upgrade")[:2] == (0, f"database at revision {HEAD}\n")


def test_admin_add_invite_assign_users(cli_store: Store, assistant: Assistant, capsys) -> None:
    assert run(capsys, "admin", "add", "555")[0] == 0
    assert cli_store.users.get_or_create("telegram", "555").role == "admin"
    code, out, _ = run(capsys, "admin", "invite", "--role", "focal_point", "--uses", "3",
                       "--days", "2")
    invite_code = out.strip().splitlines()[-1]
    assert code == 0 and "3 use(s)" in out
    desk = assistant.with_store(cli_store)
    ann = Sender("telegram", "42", "Ann")
    assert "登记成功" in desk.respond(f"/register {invite_code}", None, ann).plain()
    user_id = desk.access.get_or_create_user(ann).id
    assert run(capsys, "admin", "assign", str(user_id), "C12", "c13")[0] == 0
    assert cli_store.assignments.commitments(user_id) == ["C12", "C13"]
    _, listing, _ = run(capsys, "admin", "users")
    assert f"{user_id}\ttelegram:42\tfocal_point\tAnn\t\tC12 C13" in listing


def test_admin_errors_exit_2_with_a_message(cli_store: Store, capsys) -> None:
    code, _, err = run(capsys, "admin", "assign", "99", "C12")
    assert code == 2 and "no user 99" in err
    code, _, err = run(capsys, "admin", "invite", "--uses", "0")
    assert code == 2 and "Uses are 1–100" in err  # the CLI speaks English (issue 14)
    code, _, err = run(capsys, "admin", "assign", "1", "C99")
    assert code == 2 and err == 'a4pbot: "C99" is not a commitment number (C1–C45).\n'
    code, _, err = run(capsys, "admin", "invite", "--role", "boss")
    assert code == 2 and 'Role "boss" is not valid' in err


def _seed(store: Store) -> None:
    user = store.users.get_or_create("telegram", "42", "Ann")
    store.updates.add(user.id, "C12", "in_progress", "女性警官比例升至18%", "UNMISS")
    store.updates.add(user.id, "C13", "done", "=HYPERLINK(\"http://evil\")", "MINUSCA")


def test_export_csv_to_stdout_has_the_columns_and_neutralises_formulas(cli_store: Store,
                                                                       capsys) -> None:
    _seed(cli_store)
    code, out, _ = run(capsys, "export", "--format", "csv", "--out", "-")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and tuple(rows[0]) == COLUMNS
    assert rows[1][1:4] == ["C12", "in_progress", "女性警官比例升至18%"]
    assert rows[1][6].endswith("Z") and rows[2][3].startswith("'=")


def test_export_xlsx_file_and_date_range(cli_store: Store, capsys, tmp_path) -> None:
    _seed(cli_store)
    out = tmp_path / "updates.xlsx"
    assert run(capsys, "export", "--format", "xlsx", "--out", str(out))[0] == 0
    sheet = load_workbook(out).active
    values = list(sheet.values)
    assert values[0] == COLUMNS and len(values) == 3
    assert values[2][3] == "=HYPERLINK(\"http://evil\")" and sheet["D3"].data_type == "s"
    empty = tmp_path / "none.csv"
    assert run(capsys, "export", "--from", "2001-01-01", "--to", "2001-01-31", "--out",
               str(empty))[0] == 0
    assert len(empty.read_text(encoding="utf-8-sig").splitlines()) == 1


def test_export_rejects_bad_dates_and_xlsx_on_stdout(cli_store: Store, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--from", "yesterday", "--out", "-"])
    assert exit_info.value.code == 2 and "YYYY-MM-DD" in capsys.readouterr().err
    assert run(capsys, "export", "--format", "xlsx", "--out", "-")[0] == 2


def test_audit_verify_passes_then_names_the_tampered_entry(cli_store: Store, capsys) -> None:
    _seed(cli_store)
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "intact: 3 entries" in out
    victim = cli_store.audit_log.entries()[1].id
    with cli_store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET subject = 'x' WHERE id = :i"), {"i": victim})
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1 and f"BROKEN at entry {victim}" in err


# -- the log checks the stored updates, and a kept head catches a cut or rewritten chain -----

def _sql(store: Store, statement: str, **values: object) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(statement), values)


def _head(out: str) -> str:
    (line,) = [l for l in out.splitlines() if l.startswith("head ")]
    return line.split()[1]


def test_audit_verify_prints_the_head_to_keep(cli_store: Store, capsys) -> None:
    _seed(cli_store)
    code, out, err = run(capsys, "audit", "verify")
    entries = cli_store.audit_log.entries()
    assert code == 0 and err == "" and _head(out) == entries[-1].hash
    assert "3 entries" in out and "4 update and revision rows match" in out
    assert run(capsys, "audit", "verify", "--expect", _head(out))[0] == 0
    cli_store.updates.add(entries[0].user_id, "C14", "done", "后来的进展", "")  # the log grows on
    assert run(capsys, "audit", "verify", "--expect", _head(out))[0] == 0


@pytest.mark.parametrize("tamper, named", [
    ("UPDATE updates SET text = '改过的说明' WHERE commitment_id = 'C12'", "update #1 differs"),
    ("UPDATE updates SET status = 'done' WHERE commitment_id = 'C12'", "update #1 differs"),
    ("UPDATE update_revisions SET text = '改过的说明' WHERE update_id = 2",
     "revision 1 of update #2 differs"),
    ("UPDATE updates SET withdrawn_at = updated_at WHERE id = 2", "update #2 differs"),
])
def test_audit_verify_names_an_update_changed_in_the_database(cli_store: Store, capsys,
                                                              tamper: str, named: str) -> None:
    _seed(cli_store)
    _sql(cli_store, tamper)
    code, out, err = run(capsys, "audit", "verify")
    assert code == 1 and named in err and "do not match" in err and out == ""


def test_audit_verify_names_a_row_the_log_never_saw(cli_store: Store, capsys) -> None:
    _seed(cli_store)
    _sql(cli_store, "INSERT INTO updates (id, commitment_id, user_id, status, text, mission, "
                    "revision, created_at, updated_at) SELECT 99, 'C20', user_id, 'done', "
                    "'伪造的进展', '', 1, created_at, updated_at FROM updates WHERE id = 1")
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1 and "update #99 has no audit entry" in err


def test_deleting_the_newest_audit_entries_is_caught(cli_store: Store, capsys) -> None:
    _seed(cli_store)
    head = _head(run(capsys, "audit", "verify")[1])
    _sql(cli_store, "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)")
    code, _, err = run(capsys, "audit", "verify")  # the rows of the cut entries are named …
    assert code == 1 and "update #2 has no audit entry" in err
    code, _, err = run(capsys, "audit", "verify", "--expect", head)  # … and the head is gone
    assert code == 1 and err.count("\n") == 1
    assert f"does not reach the expected head {head}" in err and "removed or rewritten" in err


def test_cutting_entries_that_wrote_no_update_is_caught_by_the_kept_head(cli_store: Store,
                                                                        capsys) -> None:
    _seed(cli_store)
    user = cli_store.users.get_or_create("telegram", "42")
    cli_store.users.set_role(user.id, "focal_point", by=None)
    cli_store.assignments.add(user.id, ["C12"], by=None)
    head = _head(run(capsys, "audit", "verify")[1])
    _sql(cli_store, "DELETE FROM audit_log WHERE action IN ('assign', 'role.set')")
    assert run(capsys, "audit", "verify")[0] == 0  # the rest is a whole chain on its own
    code, _, err = run(capsys, "audit", "verify", "--expect", head)
    assert code == 1 and "does not reach the expected head" in err


def _as_written_before_content_hashing(store: Store) -> None:
    """Rewrite the log as the bot wrote it before update entries carried content hashes."""
    import json

    from bot.storage.audit import GENESIS, entry_hash

    prev = GENESIS
    for entry in store.audit_log.entries():
        detail = json.dumps({k: v for k, v in json.loads(entry.detail).items()
                             if not k.endswith("_sha256")}, ensure_ascii=False, sort_keys=True)
        digest = entry_hash(prev, entry.at, entry.user_id, entry.action, entry.subject, detail)
        _sql(store, "UPDATE audit_log SET detail = :d, prev_hash = :p, hash = :h WHERE id = :i",
             d=detail, p=prev, h=digest, i=entry.id)
        prev = digest


def test_rows_written_before_content_hashing_are_checked_from_their_next_write(
        cli_store: Store, capsys) -> None:
    _seed(cli_store)
    _as_written_before_content_hashing(cli_store)
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "0 update and revision rows match it, 4 written before" in out
    user_id = cli_store.updates.where()[0].user_id
    cli_store.updates.edit(1, by=user_id, text="更正后的说明")  # hashed from now on
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "2 update and revision rows match it, 3 written before" in out
    _sql(cli_store, "UPDATE updates SET text = '改过的说明' WHERE id = 1")
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1 and "update #1 differs" in err


def test_unreachable_database_is_one_line_exit_1(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=2")
    code, _, err = run(capsys, "audit", "verify")
    assert code == 1 and err.startswith("a4pbot: the database is not reachable") and \
        "Traceback" not in err


def test_sqlite_file_survives_sigkill_mid_submission(tmp_path) -> None:
    """A writer killed with SIGKILL: the file opens cleanly and holds every committed update."""
    url = f"sqlite:///{tmp_path / 'a4p.sqlite3'}"
    script = (
        "import sys\nfrom bot.storage.store import Store\n"
        f"s = Store.open({url!r}); u = s.users.get_or_create('telegram', '1', 'A')\n"
        "n = 0\n"
        "while True:\n"
        "    s.updates.add(u.id, 'C1', 'in_progress', f'u{n}', '', key=f'k{n}')\n"
        "    print(n, flush=True); n += 1\n")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    confirmed = [process.stdout.readline() for _ in range(40)]
    process.kill()
    process.wait()
    store = Store.open(url)
    texts = {u.text for u in store.updates.where()}
    assert {f"u{int(n)}" for n in confirmed} <= texts
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    from bot.storage.audit import first_broken
    assert first_broken(store.audit_log.entries()) is None
    store.close()


def test_database_password_is_redacted_from_logs() -> None:
    import logging

    from bot.settings import RedactSecrets, Settings

    settings = Settings(database_url="postgresql+psycopg://bot:s3cret-pw@db:5432/a4p")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "cannot reach %s",
                               ("postgresql+psycopg://bot:s3cret-pw@db:5432/a4p",), None)
    RedactSecrets(settings).filter(record)
    assert "s3cret-pw" not in record.getMessage() and "<redacted>" in record.getMessage()


def test_audit_export_carries_a_chain_anyone_can_recompute(cli_store: Store, capsys) -> None:
    from datetime import datetime

    from bot.storage.audit import GENESIS, entry_hash

    _seed(cli_store)
    code, out, _ = run(capsys, "audit", "export", "--out", "-")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 3
    prev = GENESIS
    for row in rows:
        at = datetime.fromisoformat(row["at"].replace("Z", "+00:00"))
        user = int(row["user_id"]) if row["user_id"] else None
        assert row["prev_hash"] == prev
        assert row["hash"] == entry_hash(prev, at, user, row["action"], row["subject"], row["detail"])
        prev = row["hash"]


def test_admin_link(cli_store: Store, capsys) -> None:
    telegram, slack = cli_store.users.get_or_create("telegram", "42", "Ann"), cli_store.users.get_or_create("slack", "U42", "ann")
    code, out, _ = run(capsys, "admin", "link", str(slack.id), str(telegram.id))
    assert code == 0 and f"now acts as user {telegram.id}" in out
    assert cli_store.users.get_or_create("slack", "U42").id == telegram.id
    assert run(capsys, "admin", "link", "99", str(telegram.id))[0] == 2


def test_admin_assign_a_mission(cli_store: Store, capsys) -> None:
    user = cli_store.users.get_or_create("telegram", "42", "Ann")
    code, out, _ = run(capsys, "admin", "assign", str(user.id), "--mission", "UNMISS")
    assert code == 0 and "missions UNMISS" in out
    assert cli_store.users.get(user.id).role == "focal_point"
    assert cli_store.users.get(user.id).mission == "UNMISS"
    assert run(capsys, "admin", "assign", str(user.id))[0] == 2


def test_unanswered_questions_are_logged_without_identity_and_listed(
        cli_store: Store, assistant: Assistant, capsys) -> None:
    from bot.conversation.identity import Sender

    desk = assistant.with_store(cli_store)
    ann = Sender("telegram", "42", "Ann")
    for _ in range(2):
        assert "没有找到" in desk.respond("食堂几点开饭", None, ann).plain()
    state = ChatState()
    answer = desk.respond("保护平民", state, ann)
    assert answer.buttons[-1][0].action == "wrong"
    assert "已记下" in desk.press("wrong", state, ann).plain()
    assert run(capsys, "ask", "火星上的维和行动")[0] == 0  # the CLI logs its misses too
    code, out, _ = run(capsys, "admin", "unanswered")
    lines = out.splitlines()
    assert code == 0 and lines[1].startswith("2\t0\t") and lines[1].endswith("食堂几点开饭")
    assert any(l.split("\t")[1] == "1" and l.endswith("保护平民") for l in lines)
    assert any(l.endswith("火星上的维和行动") for l in lines)
    columns = [c["name"] for c in inspect(cli_store.engine).get_columns("misses")]
    assert "text" in columns and not any("user" in c for c in columns)  # nobody's identity
    assert "since then" in run(capsys, "admin", "unanswered", "--since", "2099-01-01")[1]


def test_what_users_choose_among_suggestions_is_listed_with_the_question(
        cli_store: Store, assistant: Assistant, capsys) -> None:
    desk = assistant.with_store(cli_store)
    ann = Sender("telegram", "42", "Ann")
    state = ChatState()
    unsure = desk.respond(UNSURE, state, ann)
    picks = [b.action for row in unsure.buttons for b in row]
    first = picks[0].removeprefix("pick:")  # one of cooperation's entries
    assert first in COOPERATION and picks[-1] == "pick:none"
    assert desk.press(picks[0], state, ann).heading.startswith(f"承诺 {first} ")
    code, out, _ = run(capsys, "admin", "unanswered")
    row = next(line for line in out.splitlines() if line.endswith(UNSURE))
    assert code == 0 and row.split("\t")[0] == "1" and row.split("\t")[5] == f"{first}×1"
