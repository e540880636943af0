"""`a4pbot`: the command-line entry point, a thin client of the core.

The `ask` subcommand's output is a public contract (../shared/PRODUCT.md): other tools
parse `a4pbot ask --json`, so its shape changes only deliberately.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from . import operations

if TYPE_CHECKING:  # the matcher (jieba, rapidfuzz) loads only for the commands that answer
    from bot.answering.matching import Result

log = logging.getLogger("a4pbot")


def _assistant(args: argparse.Namespace):  # -> Assistant, imported late: jieba is slow to load
    from bot.conversation.assistant import Assistant

    return Assistant.load(args.knowledge)


def _with_store(assistant, settings):  # -> Assistant with the progress desk
    from bot.desk.access import parse_admin_ids
    from bot.storage.store import Store

    return assistant.with_store(Store.open(settings.db_url()), parse_admin_ids(settings.admin_ids),
                                settings.remind_after_days, settings.a4p_public_url)


def result_json(result: Result) -> dict:
    """The `ask --json` object: query and results best first (empty when not confident),
    and "did you mean" suggestions when the bot is unsure but has plausible candidates."""
    def rows(matches: tuple) -> list[dict]:
        return [{"id": m.id, "kind": m.kind, "score": m.score, "title": m.title} for m in matches]

    out: dict = {"query": result.question, "results": rows(result.matches[:5])}
    if result.suggestions:  # not confident, but plausible: "did you mean"
        out["suggestions"] = rows(result.suggestions[:3])
    return out


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.conversation import replies
    from bot.transports.console import render

    assistant = _assistant(args)
    missed: list[Result] = []
    if args.question == "-":
        for line in _stdin_lines():
            result = assistant.ask(line)
            missed += [result] if result.missed else []
            print(json.dumps(result_json(result), ensure_ascii=False), flush=True)
        _log_misses(assistant, missed)
        return 0
    result = assistant.ask(args.question)
    if args.json:
        print(json.dumps(result_json(result), ensure_ascii=False))
    elif args.explain:
        with operations.in_english():  # a developer's view: the operator's language
            print(render(replies.explanation(result)))
    else:  # what a chat user asking this would see, in the question's language
        from bot.conversation import i18n

        with i18n.use(i18n.detect(args.question) or i18n.DEFAULT):
            print(render(replies.answer(assistant.catalogue, result)))
    _log_misses(assistant, [result] if result.missed else [])
    return 0


def _stdin_lines() -> Iterator[str]:
    """Standard input, one question a line. Read as bytes and decoded line by line, so one
    undecodable line becomes its decodable text (U+FFFD for the rest) and the batch goes on."""
    binary = getattr(sys.stdin, "buffer", None)  # None when a caller passes text (tests)
    for raw in binary if binary is not None else sys.stdin:
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        yield line.removeprefix("\ufeff").rstrip("\r\n")


def _log_misses(assistant, missed: list[Result]) -> None:
    """Unanswered questions go to the store's log like the chat's (the store opens only then)."""
    if not missed:
        return
    from bot.conversation.identity import ANONYMOUS
    from bot.settings import SettingsError
    from bot.storage.store import StoreError

    try:
        logger = assistant.with_store(operations.open_store())
    except operations.SchemaNotCurrent as exc:  # `ask` never migrates: a server or `db upgrade` does
        log.info("unanswered questions not logged: database: %s", exc)
        return
    except (SettingsError, StoreError) as exc:
        log.warning("unanswered questions not logged: %s", exc)
        return
    for result in missed:
        logger.log_miss("miss", ANONYMOUS, result)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.transports.console import chat, console_sender
    from bot.settings import Settings

    if hasattr(sys.stdin, "reconfigure"):  # an undecodable line is its text with U+FFFD, not the end
        sys.stdin.reconfigure(errors="replace")
    return chat(_with_store(_assistant(args), Settings()), sender=console_sender(args.user))


def cmd_catalogue_check(args: argparse.Namespace) -> int:
    from bot.answering.catalogue import check_catalogue

    problems = check_catalogue(args.directory or args.knowledge)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print("catalogue OK: 8 areas, 45 commitments, 24 paragraphs")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_benchmarks

    return run_benchmarks(args)


def _checked_settings(check: str):  # -> Settings | None
    """Settings with `check` (a Settings method) passed; else its one-line error on stderr."""
    from bot.settings import Settings, SettingsError

    settings = Settings()
    try:
        getattr(settings, check)()
    except SettingsError as exc:
        print(f"a4pbot: {exc}", file=sys.stderr)
        return None
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    settings = _checked_settings("bot_token")
    if settings is None:
        return 2
    from bot.transports.telegram.app import run
    from bot.transports.telegram.startup import start_error
    secrets = _quiet_secrets(settings)
    try:
        assistant = _with_store(_assistant(args), settings)
        run(settings, assistant, webhook_url=args.webhook_url, listen=args.listen,
            port=args.port, started=lambda: _warm(assistant, settings))
    except Exception as exc:  # noqa: BLE001 - Telegram's start-up failures become one line
        failure = start_error(exc, secrets.redact)
        if failure is None:
            raise
        print(f"a4pbot: {failure[1]}", file=sys.stderr)
        return failure[0]
    return 0


def _quiet_secrets(settings):  # -> RedactSecrets
    """Blank every token and secret out of the logs, then set the serving log level."""
    from bot.settings import RedactSecrets

    secrets = RedactSecrets(settings)
    for handler in logging.getLogger().handlers:
        handler.addFilter(secrets)
    logging.getLogger().setLevel(settings.a4p_log_level.upper())
    return secrets


def cmd_slack(args: argparse.Namespace) -> int:
    settings = _checked_settings("slack")
    if settings is None:
        return 2
    from bot.transports.slack.app import run

    _quiet_secrets(settings)
    assistant = _with_store(_assistant(args), settings)
    _warm(assistant, settings)
    run(settings, assistant, listen=args.listen, port=args.port)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """The dashboard on its own (the webhook mode of `run` also serves it, under /dashboard)."""
    import asyncio

    from bot.settings import Settings
    from bot.web.server import serve

    settings = Settings()
    _quiet_secrets(settings)
    assistant = _with_store(_assistant(args), settings)
    _warm(assistant, settings)  # the dashboard answers questions and draws charts too
    print(f"dashboard on http://{args.listen}:{args.port}/ — sign in with a link from /web "
          "or `a4pbot admin weblink USER`", file=sys.stderr)
    asyncio.run(serve(assistant, listen=args.listen, port=args.port))
    return 0


def _warm(assistant, settings) -> None:  # assistant: Assistant, settings: Settings
    """Servers pay matplotlib's start-up and the matcher's pinyin tables in the background,
    not in the first /brief or the first question with a typo (unless A4P_WARM_UP=false)."""
    if not settings.a4p_warm_up:
        return
    import threading

    from bot.briefing.chart import warm

    warm(assistant.catalogue)
    log.debug("warm-ups started")
    threading.Thread(target=assistant.index.warm, name="matcher-warm-up", daemon=True).start()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="a4pbot", description="A4P declaration chatbot.")
    parser.add_argument("--knowledge", default=os.environ.get("A4P_KNOWLEDGE_DIR"),
                        help="knowledge directory (default: the shipped knowledge/)")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question (or '-' for one per stdin line)")
    ask.add_argument("question", help="the question, or '-' to read one per line (JSON out)")
    mode = ask.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print the results as one JSON object")
    mode.add_argument("--explain", action="store_true", help="show why the bot answers as it does")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="talk to the bot in the console (no token needed)")
    chat.add_argument("--user", type=_name, help="who you are in the chat: the console user "
                      "NAME (default: your login name); `a4pbot admin add NAME --platform "
                      "console` makes NAME an admin")
    chat.set_defaults(func=cmd_chat)

    catalogue = sub.add_parser("catalogue", help="knowledge maintenance")
    catalogue_sub = catalogue.add_subparsers(dest="action", required=True)
    check = catalogue_sub.add_parser("check", help="validate a knowledge directory")
    check.add_argument("directory", nargs="?", help="directory to check (default: knowledge/)")
    check.set_defaults(func=cmd_catalogue_check)

    run = sub.add_parser("run", help="serve Telegram (token from TELEGRAM_BOT_TOKEN)")
    run.add_argument("--webhook-url", help="public HTTPS base URL; omit for long polling")
    run.add_argument("--listen", default="0.0.0.0", help="webhook listen address")
    run.add_argument("--port", type=int, default=8443, help="webhook listen port")
    run.set_defaults(func=cmd_run)

    slack = sub.add_parser("slack", help="serve Slack (HTTP on /slack/events, or Socket Mode)")
    slack.add_argument("--listen", default="0.0.0.0", help="HTTP listen address")
    slack.add_argument("--port", type=int, default=3000, help="HTTP listen port")
    slack.set_defaults(func=cmd_slack)

    web = sub.add_parser("web", help="serve the web dashboard (sign in with a link from /web)")
    web.add_argument("--listen", default="127.0.0.1", help="listen address")
    web.add_argument("--port", type=int, default=8080, help="listen port")
    web.set_defaults(func=cmd_web)

    operations.add_parsers(sub)

    bench = sub.add_parser("bench", help="measure start-up, latency and memory")
    bench.add_argument("--questions", type=int, default=0,
                       help="limit the labelled questions used (0 = all)")
    bench.set_defaults(func=cmd_bench)
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """`a4pbot X --help` opens with what X does: each subcommand's one-line help is also
    its description (argparse shows `help=` only in the parent's list)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                sub.description = sub.description or helps.get(name)
                _describe(sub)


def _name(value: str) -> str:
    """A console user name: what `admin add NAME --platform console` names."""
    from bot.desk.sanitise import clean_text

    name = clean_text(value).strip()
    if not name or len(name) > 64:
        raise argparse.ArgumentTypeError(f"not a user name (1–64 characters): {value[:20]!r}")
    return name


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("A4P_LOG_LEVEL", "WARNING").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if getattr(args, "question", None) == "-" and (args.json is False and args.explain):
        print("a4pbot: --explain does not read from standard input", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except operations.SchemaNotCurrent as exc:
        print(f"a4pbot: database: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `a4pbot ask --json - | head` closed the pipe: not an error
        return 0
    except Exception as exc:
        catalogue = sys.modules.get("bot.answering.catalogue")  # imported only by commands that read it
        if catalogue is not None and isinstance(exc, catalogue.CatalogueError):
            print("a4pbot: the knowledge is not valid:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        settings = sys.modules.get("bot.settings")  # imported late: pydantic is slow to load
        if settings is not None and isinstance(exc, settings.SettingsError):
            print(f"a4pbot: {exc}", file=sys.stderr)  # e.g. a malformed DATABASE_URL
            return 2
        if (names := _malformed_settings(exc)) is not None:
            print(f"a4pbot: malformed setting(s) in the environment: {names}", file=sys.stderr)
            return 2
        store = sys.modules.get("bot.storage.store")  # imported only by commands that use the database
        if store is None or not isinstance(exc, store.StoreError):
            raise
        print(f"a4pbot: the database is not reachable: {exc}", file=sys.stderr)
        return 1


def _malformed_settings(exc: Exception) -> str | None:
    """The variables pydantic refused (names only: a value may be a secret); None otherwise."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(exc, pydantic.ValidationError):
        return None
    return ", ".join(sorted({str(error["loc"][0]).upper() for error in exc.errors()
                             if error.get("loc")})) or "?"


if __name__ == "__main__":
    sys.exit(main())
