"""`a4pbot db|admin|export|audit`: the store's console commands, for operators.

Output that scripts read is put on the last line (an invite code) or on standard output
(`export --out -`); messages for people go to standard error.

One language rule: everything a4pbot says to its operator — confirmations, listings,
errors, help — is in English, whatever the locale; only what the bot says to chat users
(`ask`, `chat`, and the servers) follows the chat's language rules. Checks shared with the
chat commands (invite arguments, commitment lists) speak through the message catalogue,
so they run here `in_english()`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy loads only when a store command runs
    from bot.storage.store import Store


# summary.FORMATS, named here so the parser loads no store (tests/test_briefing.py compares)
REPORT_FORMATS = ("md", "html", "pdf", "png", "svg", "xlsx")


class SchemaNotCurrent(Exception):
    """The database's schema is not the revision this a4pbot is written for. Operator commands
    never migrate (a migration takes a lock and loads Alembic): `db upgrade` and server start do."""


@contextmanager
def in_english() -> Iterator[None]:
    """Messages from the catalogue in English, the CLI's one language (see above)."""
    from bot.conversation import i18n

    with i18n.use("en"):
        yield


def open_store() -> Store:
    """The configured database as it is: its schema checked with one query, never migrated."""
    from bot.settings import Settings
    from bot.storage.store import Store

    store = Store.open(Settings().db_url(), migrate=False)
    if problem := schema_problem(store):
        store.close()
        raise SchemaNotCurrent(problem)
    return store


def schema_problem(store: Store) -> str | None:
    """Why the schema is not usable by this version (None when it is at HEAD), in one line."""
    from sqlalchemy.exc import OperationalError

    from bot.storage.migrations import HEAD, schema_revision
    from bot.storage.store import StoreError

    try:
        found = schema_revision(store.engine)
    except OperationalError as exc:  # the same one line as every unreachable database
        raise StoreError(str(exc.orig).splitlines()[0] if exc.orig else str(exc)) from exc
    if found == HEAD:
        return None
    where = "no schema yet" if found is None else f"schema at revision {found}"
    return (f"{where}, this a4pbot needs {HEAD}: run `a4pbot db upgrade` "
            "(servers also migrate when they start)")


def _date(value: str) -> datetime:
    from bot.answering.numbers import FIRST_DAY, LAST_DAY, day_start, parse_day

    day = parse_day(value)
    if day is None:
        raise argparse.ArgumentTypeError(f"not a date from {FIRST_DAY} to {LAST_DAY} "
                                         f"(YYYY-MM-DD): {value[:20]!r}")
    return day_start(day)


def _user_number(value: str) -> int:
    """A user number as `a4pbot admin users` lists it (bounded like every stored id)."""
    from bot.answering.numbers import is_number, parse_id

    user_id = parse_id(value)
    if user_id is None:
        raise argparse.ArgumentTypeError(f"no user {value[:20]!r}" if is_number(value)
                                         else f"not a user number: {value[:20]!r}")
    return user_id


def _count(low: int, high: int):  # -> an argparse type: a whole number in low..high
    def parse(value: str) -> int:
        from bot.answering.numbers import parse_count

        number = parse_count(value, low, high)
        if number is None:
            raise argparse.ArgumentTypeError(f"not a whole number from {low} to {high}: "
                                             f"{value[:20]!r}")
        return number
    return parse


def _text(value: str) -> str:
    """Free text from the command line, made storable (no NUL, no undecodable bytes)."""
    from bot.desk.sanitise import clean_text

    return clean_text(value)


def cmd_health(args: argparse.Namespace) -> int:
    """The container health check: the knowledge loads, the database answers and its schema is
    at HEAD. Never migrates (it runs every 30 s, beside a server that may hold the lock)."""
    from bot.answering.catalogue import load_catalogue
    from bot.desk.health import health_line
    from bot.settings import Settings
    from bot.storage.store import Store, StoreError

    catalogue = load_catalogue(args.knowledge)
    store = Store.open(Settings().db_url(), migrate=False)
    try:
        database = store.ping()
        if database == "ok":
            database = schema_problem(store) or "ok"
    except StoreError as exc:
        database = f"unreachable: {exc}"
    finally:
        store.close()
    print(health_line(catalogue, database))
    return 0 if database == "ok" else 1


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    """The one operator command that migrates (servers do too, when they start)."""
    from bot.storage.migrations import current
    from bot.settings import Settings
    from bot.storage.store import Store

    store = Store.open(Settings().db_url())
    print(f"database at revision {current(store.engine)}")
    return 0


def cmd_admin_add(args: argparse.Namespace) -> int:
    user = open_store().users.get_or_create(args.platform, args.id, role="admin")
    print(f"user {user.id} ({user.platform}:{user.external_id}) is {user.role}")
    return 0


def cmd_admin_invite(args: argparse.Namespace) -> int:
    from bot.desk.access import new_code, parse_invite_args

    with in_english():
        parsed = parse_invite_args(f"{args.role} {args.uses} {args.days}")
    if isinstance(parsed, str):
        print(f"a4pbot: {parsed}", file=sys.stderr)
        return 2
    code = new_code()
    invite = open_store().invites.create(code, *parsed, by=None)
    print(f"invite for {invite.role}: {invite.uses_left} use(s), expires "
          f"{invite.expires_at:%Y-%m-%d %H:%M} UTC; users send /register CODE")
    print(code)
    return 0


def cmd_admin_assign(args: argparse.Namespace) -> int:
    from bot.desk.access import parse_commitments
    from bot.answering.catalogue import load_catalogue

    store = open_store()
    user = store.users.get(args.user)
    with in_english():
        ids = (parse_commitments(" ".join(args.commitments), load_catalogue(args.knowledge))
               if args.commitments else [])
    problem = (ids if isinstance(ids, str) else f"no user {args.user}" if user is None
               else "give commitments and/or --mission" if not ids and not args.mission else None)
    if problem or user is None or isinstance(ids, str):
        print(f"a4pbot: {problem}", file=sys.stderr)
        return 2
    if user.role == "reader":
        store.users.set_role(user.id, "focal_point", by=None)
    if ids:
        store.assignments.add(user.id, ids, by=None)
    if args.mission:
        store.assignments.add_mission(user.id, args.mission, by=None)
    print(f"user {user.id} now owns {' '.join(store.assignments.commitments(user.id)) or '-'}"
          f"; missions {' '.join(store.assignments.missions(user.id)) or '-'}")
    return 0


def cmd_admin_link(args: argparse.Namespace) -> int:
    from bot.desk.access import can_link

    store = open_store()
    alias, main = store.users.get(args.alias), store.users.get(args.main)
    if alias is None or main is None or not can_link(alias, main):
        print("a4pbot: give two existing users on different platforms; the main one must not "
              "itself be linked", file=sys.stderr)
        return 2
    store.users.link(alias.id, main.id, by=None)
    print(f"user {alias.id} ({alias.platform}:{alias.external_id}) now acts as user {main.id}")
    return 0


def cmd_admin_weblink(args: argparse.Namespace) -> int:
    """A one-time sign-in link to the dashboard for a user, on the last line."""
    from bot.settings import Settings
    from bot.web.links import sign_in_url
    from bot.web.sessions import WebSessions

    store = open_store()
    user = store.users.get(args.user)
    if user is None:
        print(f"a4pbot: no user {args.user} (see `a4pbot admin users`)", file=sys.stderr)
        return 2
    main = user.linked_to or user.id  # a linked account signs in as the one it acts as
    base = Settings().a4p_public_url
    if base is None:
        base = "http://127.0.0.1:8080"
        print(f"note: A4P_PUBLIC_URL is not set; this link is for `a4pbot web` on {base}",
              file=sys.stderr)
    token = WebSessions(store).new_link(main, args.minutes)
    print(f"sign-in link for user {main}, valid once within {args.minutes} minutes:",
          file=sys.stderr)
    print(sign_in_url(base, token))
    return 0


def cmd_admin_unanswered(args: argparse.Namespace) -> int:
    """The most frequent questions the bot could not answer: candidates for knowledge/."""
    rows = open_store().misses.unanswered(since=args.since, limit=args.limit)
    if not rows:
        print("no unanswered questions logged" + (" since then" if args.since else ""))
        return 0
    print("count\twrong\tlast seen (UTC)\tbest guess\tscore\tusers chose\tquestion")
    for row in rows:
        chose = " ".join(f"{i}×{n}" for i, n in row["chose"]) or "-"
        print(f"{row['count']}\t{row['wrong']}\t{row['last']:%Y-%m-%d %H:%M}\t"
              f"{row['best_id'] or '-'}\t{row['score']:.1f}\t{chose}\t{row['text']}")
    return 0


def cmd_admin_users(_args: argparse.Namespace) -> int:
    store = open_store()
    owners = store.assignments.owners()
    for user in store.users.all():
        mine = " ".join(c for c, ids in owners.items() if user.id in ids)
        print(f"{user.id}\t{user.platform}:{user.external_id}\t{user.role}\t{user.name}\t"
              f"{user.mission or ''}\t{mine}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from bot.answering.numbers import period_end
    from bot.briefing.export import render

    until = period_end(args.until)  # --to is inclusive
    items = open_store().updates.where(since=args.since, until=until, include_withdrawn=True,
                                       newest_first=False)
    data = render(items, args.format)
    if args.out == "-":
        if args.format != "csv":
            print("a4pbot: only CSV can be written to standard output", file=sys.stderr)
            return 2
        sys.stdout.write(data.decode("utf-8").lstrip("\ufeff"))
        return 0
    Path(args.out).write_bytes(data)
    print(f"{len(items)} updates written to {args.out}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """A one-page briefing: per area status counts, latest updates, silent commitments; the
    path written goes on standard output."""
    from bot.answering.catalogue import load_catalogue
    from bot.answering.numbers import period_end
    from bot.briefing import summary

    area = args.area.upper() if args.area else None
    catalogue = load_catalogue(args.knowledge)
    problem = (f"no area {args.area} (A1–A{len(catalogue.areas)})" if area and area not in catalogue.areas
               else "--from is after --to" if args.since and args.until and args.since > args.until
               else f"only {', '.join(summary.TEXT_FORMATS)} can be written to standard output"
               if args.out == "-" and args.format not in summary.TEXT_FORMATS else None)
    if problem:
        print(f"a4pbot: {problem}", file=sys.stderr)
        return 2
    until = period_end(args.until)  # --to is inclusive
    scope = summary.Scope(area=area, mission=args.mission, since=args.since, until=until)
    report = summary.build(open_store(), catalogue, scope, stale_days=args.stale_days)
    data = summary.render(report, catalogue, args.format)
    if args.out == "-":
        sys.stdout.write(data.decode("utf-8"))
        return 0
    out = Path(args.out) if args.out else Path(report_name(report, args.format))
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(f"a4pbot: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if args.format in ("png", "svg") and _english_only():
        print("a4pbot: no CJK font installed, so the chart is in English (Debian: "
              "apt-get install fonts-wqy-microhei)", file=sys.stderr)
    print(out)
    return 0


def report_name(report, fmt: str) -> str:  # report: bot.briefing.summary.Briefing
    """`a4p-briefing-2026-11-25[-A5][-UNMISS].png`: the day, and what the briefing covers."""
    import re

    parts = ["a4p-briefing", f"{report.generated:%Y-%m-%d}"]
    if report.scope.area:
        parts.append(report.scope.area)
    if report.scope.mission and (slug := re.sub(r"[^\w-]+", "-", report.scope.mission).strip("-_.")):
        parts.append(slug[:40])
    return "-".join(parts) + f".{fmt}"


def _english_only() -> bool:
    """Was a Chinese chart drawn in English for want of a font?"""
    from bot.briefing import chart
    from bot.conversation import i18n

    return i18n.current() == "zh" and chart.cjk_font() is None


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Check the chain, the stored updates and revisions against it, and (with --expect) that
    it still reaches a head kept from before; the head goes on the last line, to keep."""
    from bot.storage.audit import GENESIS, check_rows, first_broken, reaches

    entries, update_rows, revision_rows = open_store().audit_log.snapshot()
    broken = first_broken(entries)
    if broken is not None:
        print(f"audit chain BROKEN at entry {broken} (of {len(entries)})", file=sys.stderr)
        return 1
    if args.expect and not reaches(entries, args.expect):
        print(f"audit chain does not reach the expected head {args.expect.strip()}: entries were "
              f"removed or rewritten ({len(entries)} now)", file=sys.stderr)
        return 1
    rows = check_rows(entries, update_rows, revision_rows)
    for problem in rows.problems:
        print(f"audit: {problem}", file=sys.stderr)
    if rows.problems:
        print(f"audit chain intact, but {len(rows.problems)} stored row(s) do not match it",
              file=sys.stderr)
        return 1
    head = entries[-1].hash if entries else GENESIS
    print(f"audit chain intact: {len(entries)} entries; {rows.checked} update and revision rows "
          f"match it" + (f", {rows.unchecked} written before content hashing not checked"
                         if rows.unchecked else ""))
    print(f"head {head} ({len(entries)} entries) — keep it; later: audit verify --expect HASH")
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    from bot.briefing.export import audit_csv

    data = audit_csv(open_store().audit_log.entries())
    if args.out == "-":
        sys.stdout.write(data.decode("utf-8"))
    else:
        Path(args.out).write_bytes(data)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the store commands on the main parser."""
    sub.add_parser("health", help="exit 0 when the knowledge loads and the database answers"
                   ).set_defaults(func=cmd_health)
    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="run migrations (also done at start)").set_defaults(func=cmd_db_upgrade)

    admin = sub.add_parser("admin", help="users, roles and invites").add_subparsers(
        dest="action", required=True)
    add = admin.add_parser("add", help="make a user an admin")
    add.add_argument("id", type=_text, help="the user's platform id (Telegram: the numeric user id)")
    add.add_argument("--platform", default="telegram", choices=("telegram", "slack", "console"),
                     help="where the id comes from (default telegram; console: the name "
                          "`a4pbot chat --user NAME` uses)")
    add.set_defaults(func=cmd_admin_add)
    invite = admin.add_parser("invite", help="create an invite code (printed on the last line)")
    invite.add_argument("--role", default="focal_point", help="focal_point (default) or admin")
    invite.add_argument("--uses", type=_count(0, 10**9), default=1,
                        help="how many people may register with it (default 1, at most 100)")
    invite.add_argument("--days", type=float, default=7.0,
                        help="days until it expires (default 7, at most 90)")
    invite.set_defaults(func=cmd_admin_invite)
    assign = admin.add_parser("assign", help="assign commitments to a focal point")
    assign.add_argument("user", type=_user_number, help="user number (see `a4pbot admin users`)")
    assign.add_argument("commitments", nargs="*", help="commitment ids, e.g. C12 C13")
    assign.add_argument("--mission", type=_text, help="a mission the focal point owns (every commitment)")
    assign.set_defaults(func=cmd_admin_assign)
    link = admin.add_parser("link", help="make one person's second account act as the first")
    link.add_argument("alias", type=_user_number, help="user number of the account to link (e.g. Slack)")
    link.add_argument("main", type=_user_number, help="user number of the main account")
    link.set_defaults(func=cmd_admin_link)
    weblink = admin.add_parser("weblink", help="a one-time sign-in link to the web dashboard "
                               "(printed on the last line)")
    weblink.add_argument("user", type=_user_number, help="user number (see `a4pbot admin users`)")
    weblink.add_argument("--minutes", type=_count(1, 24 * 60), default=15,
                         help="how long the link stays valid (default 15)")
    weblink.set_defaults(func=cmd_admin_weblink)
    unanswered = admin.add_parser("unanswered", help="questions the bot could not answer")
    unanswered.add_argument("--since", type=_date, help="only those asked since (YYYY-MM-DD)")
    unanswered.add_argument("--limit", type=_count(1, 100_000), default=50,
                            help="at most this many questions (default 50)")
    unanswered.set_defaults(func=cmd_admin_unanswered)
    admin.add_parser("users", help="list users (tab-separated)").set_defaults(func=cmd_admin_users)

    export = sub.add_parser("export", help="export progress updates as CSV or XLSX")
    export.add_argument("--from", dest="since", type=_date, help="first day (YYYY-MM-DD, UTC)")
    export.add_argument("--to", dest="until", type=_date, help="last day, inclusive")
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv",
                        help="file format (default csv)")
    export.add_argument("--out", required=True, help="file to write, or - for CSV on stdout")
    export.set_defaults(func=cmd_export)

    report = sub.add_parser("report", help="a progress briefing: md, html, pdf, png, svg or xlsx")
    report.add_argument("--format", choices=REPORT_FORMATS, default="md",
                        help="Markdown; HTML or PDF with the dashboard's look; the chart as PNG "
                             "or SVG; an XLSX workbook with an Excel chart (default md)")
    report.add_argument("--area", help="one priority area, e.g. A5")
    report.add_argument("--mission", type=_text, help="only updates reported for this mission")
    report.add_argument("--from", dest="since", type=_date, help="only updates from this day "
                        "(YYYY-MM-DD, UTC)")
    report.add_argument("--to", dest="until", type=_date, help="only updates to this day, "
                        "inclusive")
    report.add_argument("--stale-days", type=_count(1, 3650), default=90,
                        help="a commitment is silent after this many days without an update")
    report.add_argument("--out", help="file to write (default: a4p-briefing-DAY.FORMAT here), "
                        "or - for md, html or svg on standard output")
    report.set_defaults(func=cmd_report)

    audit = sub.add_parser("audit", help="the tamper-evident audit log").add_subparsers(
        dest="action", required=True)
    verify = audit.add_parser("verify", help="check the hash chain and the stored updates "
                              "against it; print the head hash")
    verify.add_argument("--expect", metavar="HASH",
                        help="a head printed by an earlier verify: fail unless the chain still "
                             "reaches it (nothing cut off or rewritten)")
    verify.set_defaults(func=cmd_audit_verify)
    chain = audit.add_parser("export", help="the audit chain as CSV (with every hash)")
    chain.add_argument("--out", required=True, help="file to write, or - for stdout")
    chain.set_defaults(func=cmd_audit_export)

