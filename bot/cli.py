"""`backline`: the product's one command line."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
from datetime import datetime
from pathlib import Path

from bot import heap
from bot.app import load_flows, open_backline
from bot.coaching.content import check_plan, check_plan_flows, load_plan
from bot.flows.graph import mermaid
from bot.flows.lint import lint
from bot.flows.load import FlowsInvalid, load_flowset
from bot.flows.model import flow_json_schema
from bot.locales import LOCALES
from bot.settings import Settings, SettingsError
from bot.storage import InUse, StorageUnavailable


NEW_LANGUAGE = "a new person's language (default: en; /language changes it)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--user", help="who you are (default: your login name)")
    chat.add_argument("--database", help="database URL (default: DATABASE_URL or a local SQLite file)")
    chat.add_argument("--language", choices=LOCALES, help=NEW_LANGUAGE)

    sim = commands.add_parser("simulate", help="JSON Lines conversation over stdin/stdout, one person")
    sim.add_argument("--user", default="sim", help="the simulated person's id")
    sim.add_argument("--database", help="database URL (default: DATABASE_URL or a local SQLite file)")
    sim.add_argument("--files", type=Path, help="folder for pictures and documents (default: a new "
                                                "temporary one)")
    sim.add_argument("--language", choices=LOCALES, help=NEW_LANGUAGE)
    sim.add_argument("--start", type=_instant, help="the simulated clock's start, ISO 8601 with a zone "
                                                    "(default: now), e.g. 2027-03-20T09:00Z")

    run = commands.add_parser("run", help="run the Telegram bot (long polling, or a webhook)")
    run.add_argument("--webhook-url", help="public HTTPS URL Telegram should post updates to "
                                           "(default: polling)")
    run.add_argument("--port", type=int, default=8080, help="port of the webhook server (default 8080)")
    run.add_argument("--listen", default="0.0.0.0", help="address of the webhook server (default 0.0.0.0)")

    commands.add_parser("health", help="exit 0 if the flows load and the database answers (for HEALTHCHECK)")

    test = commands.add_parser("test", help="play conversation tests (YAML) and compare what comes back")
    test.add_argument("path", type=Path, help="a conversation test file, or a folder of them")
    test.add_argument("--database", help="database URL (default: a new SQLite file, removed afterwards)")
    test.add_argument("--language", choices=LOCALES + ("all",), default="en",
                      help="play the cases in this language, typing conversation-inputs/<language>.yaml "
                           "(default: en; all: every language)")

    flows = commands.add_parser("flows", help="check, draw or describe flow files")
    flow_commands = flows.add_subparsers(dest="flows_command", required=True)
    check = flow_commands.add_parser("check", help="validate flows and prove them safe")
    check.add_argument("path", nargs="?", type=Path, help="a flows folder or one flow file (default: flows/)")
    graph = flow_commands.add_parser("graph", help="print a Mermaid state diagram of a flow")
    graph.add_argument("flow", help="a flow id or a flow file")
    schema = flow_commands.add_parser("schema", help="print the JSON Schema of flow files")
    schema.add_argument("-o", "--output", type=Path, help="write it to this file")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        if args.command == "flows":
            return _flows(args, settings)
        if args.command == "chat":
            return asyncio.run(_chat(args, settings))
        if args.command == "simulate":
            return asyncio.run(_simulate(args, settings))
        if args.command == "run":
            return asyncio.run(_run(args, settings.telegram()))
        if args.command == "health":
            return asyncio.run(_health(settings))
        if args.command == "test":
            return asyncio.run(_test(args, settings))
    except SettingsError as exc:
        print(f"backline: {exc}", file=sys.stderr)
        return 2
    except FlowsInvalid as exc:
        print(f"backline: the flows failed their checks:\n{exc}", file=sys.stderr)
        return 1
    except (StorageUnavailable, InUse) as exc:
        print(f"backline: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a zone, such as Z or +01:00: {text!r}")
    return value


def _flows(args: argparse.Namespace, settings: Settings) -> int:
    if args.flows_command == "check":
        try:
            flowset = load_flowset(args.path or settings.flows, base=settings.flows)
        except FlowsInvalid as exc:
            raise FlowsInvalid(exc.problems + check_plan(settings.plan_file)) from None
        plan = load_plan(settings.plan_file)
        texts = set().union(*flowset.texts.values())
        problems = check_plan_flows(settings.plan_file, plan, flowset.flows, texts)
        if problems:
            raise FlowsInvalid(problems)
        for warning in lint(flowset):
            print(f"warning: {warning}")
        print(f"ok: {len(flowset.flows)} flows, {len(flowset.clinical.flags)} red flags screened, "
              f"{len(flowset.texts)} locale(s); plan of {len(plan.weeks)} weeks")
        return 0
    if args.flows_command == "graph":
        path = Path(args.flow)
        flowset = load_flowset(path, base=settings.flows) if path.suffix == ".yaml" else load_flows(settings)
        flow_id = next((f for f, s in flowset.sources.items() if s.path == path), args.flow)
        if flow_id not in flowset.flows:
            print(f"backline: no flow {args.flow!r}; there are: {', '.join(flowset.flows)}", file=sys.stderr)
            return 1
        sys.stdout.write(mermaid(flowset.flows[flow_id]))
        return 0
    text = json.dumps(flow_json_schema(), indent=2) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _with_database(settings: Settings, url: str | None) -> Settings:
    """`settings` with the database given on the command line, if one was."""
    return dataclasses.replace(settings, database_url=url) if url else settings


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.terminal import TerminalChat

    backline = await open_backline(_with_database(settings, args.database))
    try:
        await TerminalChat(backline, args.user, language=args.language).run()
    finally:
        await backline.store.close()
    return 0


async def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.simulator import Simulator

    backline = await open_backline(_with_database(settings, args.database))
    try:
        await Simulator(backline, args.user, start=args.start, files=args.files, language=args.language).run()
    finally:
        await backline.store.close()
    return 0


async def _test(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from bot.conversations.play import case_files, inputs_for, play_file
    from bot.sourcefile import SourceError

    files = case_files(args.path)
    if not files:
        print(f"backline: no conversation tests at {args.path}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{folder}/test.db"
        backline = await open_backline(dataclasses.replace(settings, database_url=url))
        failed = passed = 0
        try:
            for file, locale in ((f, loc) for loc in (LOCALES if args.language == "all" else (args.language,))
                                 for f in files):
                try:
                    results = await play_file(backline, file, inputs_for(args.path, locale))
                except SourceError as exc:
                    print(f"FAIL {exc}")
                    failed += 1
                    continue
                for result in results:
                    print(result.report())
                    passed, failed = passed + result.ok, failed + (not result.ok)
        finally:
            await backline.store.close()
    print(f"conversations: {passed} passed, {failed} failed")
    return 1 if failed else 0


async def _health(settings: Settings) -> int:
    backline = await open_backline(settings)
    try:
        ok = await backline.store.ping()
    finally:
        await backline.store.close()
    print(json.dumps({"status": "ok" if ok else "unhealthy", "database": "ok" if ok else "unreachable"}))
    return 0 if ok else 1


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot import logs
    from bot.adapters.telegram.runner import run

    logs.configure(settings.log_level, secrets=settings.secrets)
    backline = await open_backline(settings)
    heap.settle()
    try:
        await run(settings, backline, args.webhook_url, args.port, args.listen)
    finally:
        await backline.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
