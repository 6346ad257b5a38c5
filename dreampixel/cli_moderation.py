"""`python -m dreampixel moderation ...`: the moderation page's work from a shell, as a named admin or
moderator (`--as EMAIL`), audited like the page. Results are JSON on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

CATEGORIES = ["portrait", "landscape", "anime", "abstract", "other"]


def _staff(session: Any, email: str) -> Any:
    from services.accounts.service import get_by_email
    from services.admin import service

    actor = get_by_email(session, email)
    try:
        return service.staff(session, user_id=actor.id if actor else None, allowed=service.MODERATORS)
    except service.NoSuchPage:
        from dreampixel.cli import CommandError

        raise CommandError(f"{email} is not an active admin or moderator") from None


def _print(model: Any) -> None:
    # stdout carries only results (the logs go to stderr), one JSON object a line.
    sys.stdout.write(model.model_dump_json() + "\n")


def _rules(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.moderation import rules

    with uow() as session:
        for rule in rules.list_rules(session, actor=_staff(session, args.as_email), q=args.q or "",
                                     category=args.category or ""):
            _print(rule)
    return 0


def _add_rule(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.moderation import rules
    from services.moderation.schemas import RulePublic

    with uow() as session:
        rule = rules.create(session, actor=_staff(session, args.as_email), phrase=args.phrase, category=args.category,
                            enabled=not args.disabled)
        _print(RulePublic.of_rows(session, [rule])[0])
    return 0


def _set_rule(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.moderation import rules
    from services.moderation.schemas import RulePublic

    enabled = True if args.enable else False if args.disable else None
    with uow() as session:
        rule = rules.update(session, actor=_staff(session, args.as_email), rule_id=args.id, phrase=args.phrase,
                            category=args.category, enabled=enabled)
        _print(RulePublic.of_rows(session, [rule])[0])
    return 0


def _delete_rule(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.moderation import rules

    with uow() as session:
        rules.delete(session, actor=_staff(session, args.as_email), rule_id=args.id)
    sys.stdout.write(json.dumps({"deleted": args.id}) + "\n")
    return 0


def _test(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.moderation import rules

    with uow() as session:
        _print(rules.check_prompt(session, actor=_staff(session, args.as_email), prompt=args.prompt))
    return 0


def _blocked(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.moderation import blocks
    from services.moderation.schemas import BlockedPromptPublic

    with uow() as session:
        for row, email in blocks.search(session, actor=_staff(session, args.as_email), user=args.user or "",
                                        category=args.category or "", limit=args.limit):
            _print(BlockedPromptPublic.of(row, email))
    return 0


def _seeds(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.seeds import moderation

    with uow() as session:
        for entry in moderation.queue(session, actor=_staff(session, args.as_email), status=args.status or "",
                                      limit=args.limit):
            _print(entry)
    return 0


def _seed(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from dreampixel.core.models import Seed
    from services.seeds import moderation

    with uow() as session:
        actor = _staff(session, args.as_email)
        if args.approve or args.reject:
            moderation.moderate_seed(session, actor=actor, seed_id=args.id, approve=args.approve, reason=args.reason)
        if args.feature or args.unfeature:
            moderation.set_featured(session, actor=actor, seed_id=args.id, featured=args.feature, reason=args.reason)
        if args.category:
            moderation.recategorise(session, actor=actor, seed_id=args.id, category=args.category, reason=args.reason)
        seed = session.get(Seed, args.id)
        assert seed is not None  # each action above found it
        _print(moderation.entry(session, seed))
    return 0


def add_commands(commands: Any) -> None:
    """Register `moderation` and its subcommands on the CLI's subparsers."""
    parser = commands.add_parser("moderation", help="prompt rules, blocked prompts and the seed queue (as staff)")
    sub = parser.add_subparsers(dest="moderation_command", required=True, metavar="subcommand")

    def command(name: str, help_text: str, run: Any) -> argparse.ArgumentParser:
        one = sub.add_parser(name, help=help_text)
        one.add_argument("--as", dest="as_email", required=True, help="the acting admin's or moderator's email")
        one.set_defaults(run=run)
        return one

    listing = command("rules", "print the prompt rules, one JSON object a line", _rules)
    listing.add_argument("--q", help="phrases containing this")
    listing.add_argument("--category")

    add = command("add-rule", "add a prompt rule (a word or phrase, and the category the refusal names)", _add_rule)
    add.add_argument("--phrase", required=True)
    add.add_argument("--category", required=True)
    add.add_argument("--disabled", action="store_true", help="add it switched off")

    change = command("set-rule", "change a rule's phrase or category, or enable/disable it", _set_rule)
    change.add_argument("--id", required=True)
    change.add_argument("--phrase")
    change.add_argument("--category")
    toggle = change.add_mutually_exclusive_group()
    toggle.add_argument("--enable", action="store_true")
    toggle.add_argument("--disable", action="store_true")

    command("delete-rule", "delete a prompt rule", _delete_rule).add_argument("--id", required=True)
    command("test", "which rule would refuse a prompt (logs nothing)", _test).add_argument("prompt")

    blocked = command("blocked", "print blocked prompts, newest first, one JSON object a line", _blocked)
    blocked.add_argument("--user", help="an email or a user id")
    blocked.add_argument("--category")
    blocked.add_argument("--limit", type=int, default=50)

    seeds = command("seeds", "print the seed queue (pending first), one JSON object a line", _seeds)
    seeds.add_argument("--status", choices=["PENDING", "APPROVED", "REJECTED"], type=str.upper)
    seeds.add_argument("--limit", type=int, default=50)

    seed = command("seed", "decide on a seed: approve, reject (with --reason), feature, unfeature, recategorise",
                   _seed)
    seed.add_argument("--id", required=True)
    decision = seed.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true")
    decision.add_argument("--reject", action="store_true")
    featuring = seed.add_mutually_exclusive_group()
    featuring.add_argument("--feature", action="store_true")
    featuring.add_argument("--unfeature", action="store_true")
    seed.add_argument("--category", choices=CATEGORIES, type=str.lower)
    seed.add_argument("--reason", default="")
