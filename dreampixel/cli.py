"""The operator's commands: `python -m dreampixel <command> --help`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dreampixel.core.errors import DreamPixelError

if TYPE_CHECKING:  # the commands import what they need when they run, to start fast
    from sqlmodel import Session


class CommandError(Exception):
    """A failure worth one clear line on stderr and a non-zero exit."""


def _migrate(_args: argparse.Namespace) -> int:
    from dreampixel.core.db import get_engine
    from dreampixel.core.migrations import current_revision, upgrade_head, wait_for_database

    engine = get_engine()
    wait_for_database(engine)
    before = upgrade_head(engine)
    after = current_revision(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        print(f"database already at revision {after} ({where})")
    else:
        print(f"database migrated from revision {before or 'none'} to {after} ({where})")
    return 0


def _create_user(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from dreampixel.core.models import Role, Tier
    from services.accounts import service as accounts

    with uow() as session:
        user = accounts.create_user(
            session,
            email=args.email,
            password=args.password,
            name=args.name or "",
            role=Role(args.role),
            tier=Tier(args.tier),
            credits=args.credits,
            verified=args.verified,
        )
        summary = {"id": user.id, "email": user.email, "role": user.role.value, "tier": user.tier.value,
                   "credits": user.credit_balance, "verified": user.email_verified_at is not None}
    print(json.dumps(summary))
    return 0


def _create_api_key(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.accounts import service as accounts
    from services.api_keys import service as api_keys

    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()] if args.scopes else list(api_keys.DEFAULT_SCOPES)
    expires_at = datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    with uow() as session:
        user = accounts.get_by_email(session, args.email)
        if user is None:
            raise CommandError(f"no user with email {args.email}")
        key, plaintext = api_keys.create_key(
            session, user_id=user.id, name=args.name, scopes=scopes, expires_at=expires_at,
            daily_credit_cap=args.daily_credit_cap, allow_unverified=True,  # the operator vouches for the account
        )
        key_id = key.id
    print(plaintext)
    print(f"key {key_id} for {args.email} ({', '.join(scopes)}); it is shown only this once", file=sys.stderr)
    return 0


def production_refusal() -> str | None:
    """Why this installation must not start in production (one line), or None when it may.

    The app (`python -m dreampixel.serve` and the app's lifespan) and the worker call it at
    start; the settings have already refused weak secrets and development defaults.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from dreampixel.core.db import uow
    from dreampixel.core.settings import Environment, settings
    from services.health import readiness

    if settings.environment is not Environment.PRODUCTION:
        return None
    try:
        with uow() as session:
            problems = readiness.production_problems(session)
    except SQLAlchemyError as error:
        return f"the database cannot be read ({type(error).__name__}); run python -m dreampixel migrate first"
    return "; ".join(problems) or None


def _refuse_unsafe_production() -> None:
    refusal = production_refusal()
    if refusal:
        raise CommandError(f"refusing to start in production: {refusal}")


def _check(_args: argparse.Namespace) -> int:
    from dreampixel.core.settings import settings
    from services.health import service as health

    report = asyncio.run(health.check())
    print(json.dumps({"environment": settings.environment.value, "features": settings.features(),
                      "health": report}, indent=2, default=str))
    _refuse_unsafe_production()
    return 0 if report["status"] == "ok" else 1


def _delete_demo_accounts(_args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.accounts import deletion
    from services.accounts import service as accounts
    from services.health import readiness

    keys: list[str] = []
    with uow() as session:
        emails = readiness.demo_accounts(session)
        for email in emails:
            user = accounts.get_by_email(session, email)
            if user is not None:
                keys += deletion.erase_account(session, user_id=user.id)
    asyncio.run(deletion.delete_files(keys))
    print(f"deleted {', '.join(emails)}" if emails else "no demo account present")
    return 0


def _user_id(session: Session, email: str) -> str:
    from services.accounts import service as accounts

    user = accounts.get_by_email(session, email)
    if user is None:
        raise CommandError(f"no user with email {email}")
    return user.id


def _actor_id(session: Session, email: str | None) -> str | None:
    """The acting admin's id for the audit row (`--as`), or None: the operator's command line."""
    return None if email is None else str(_as_admin(session, email).id)


def _grant_credits(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.billing import service as billing

    with uow() as session:
        change = billing.grant_credits(session, user_id=_user_id(session, args.email), amount=args.amount,
                                       reason=args.reason, actor=_actor_id(session, args.as_email))
    print(change.model_dump_json())
    return 0


def _set_tier(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from dreampixel.core.models import Tier
    from services.billing import service as billing

    with uow() as session:
        change = billing.set_tier(session, user_id=_user_id(session, args.email), tier=Tier(args.tier),
                                  actor=_actor_id(session, args.as_email), grant=not args.no_grant,
                                  reason=args.reason)
    print(change.model_dump_json())
    return 0


def _seed_demo(_args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from dreampixel.core.models import Role, Tier
    from dreampixel.core.settings import Environment, settings
    from services.accounts import service as accounts
    from services.seeds import demo

    if settings.environment is Environment.PRODUCTION:
        raise CommandError("seed-demo creates accounts whose passwords are published in the README; "
                           "it runs only outside production (ENVIRONMENT=development or test)")
    with uow() as session:
        # The admin account marks a database that was seeded already.
        if accounts.get_by_email(session, settings.demo_admin_email) is not None:
            print("demo data already present")
            return 0
        admin = accounts.create_user(
            session, email=settings.demo_admin_email, password=settings.demo_admin_password.get_secret_value(),
            name="Dream Pixel Admin", role=Role.ADMIN, tier=Tier.ENTERPRISE, credits=1000, verified=True,
        )
        accounts.create_user(
            session, email=settings.demo_user_email, password=settings.demo_user_password.get_secret_value(),
            name="Demo User", tier=Tier.PRO, credits=100, verified=True,
        )
        admin_id = admin.id
    asyncio.run(demo.seed_marketplace(creator_id=admin_id))
    print("demo data created")
    return 0


def _worker(args: argparse.Namespace) -> int:
    from dreampixel.core.settings import settings
    from workers.settings import WorkerSettings
    from workers.worker import run_worker

    if not settings.redis_url:
        raise CommandError("REDIS_URL is not set: without Redis, jobs run inside the app process (make run)")
    _refuse_unsafe_production()
    run_worker(WorkerSettings, burst=args.burst)
    return 0


def _reap(_args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.generation import reaper
    from services.jobs import service as jobs
    from services.jobs.queue import ArqQueue

    async def sweep() -> dict[str, int]:
        from dreampixel.core.settings import settings

        queue = None
        if settings.redis_url:
            queue = await ArqQueue.connect(settings.redis_url)
            jobs.install(queue)

        def run() -> dict[str, int]:
            with uow() as session:
                return reaper.reap(session)

        try:
            return await asyncio.to_thread(run)
        finally:
            if queue is not None:
                jobs.uninstall()
                await queue.close()

    print(json.dumps(asyncio.run(sweep())))
    return 0


def _worker_health(args: argparse.Namespace) -> int:
    import socket

    from dreampixel.core.db import uow
    from services.admin import system

    host = socket.gethostname() if args.this_host else None
    with uow() as session:
        beats = system.heartbeats(session, max_age=args.max_age, host=host)
    for beat in beats:
        state = "alive" if beat["alive"] else "stale"
        print(f"{state} {beat['name']} ({beat['kind']}) last seen {beat['age_seconds']} s ago, "
              f"jobs done {beat['jobs_done']}, failed {beat['jobs_failed']}")
    if any(beat["alive"] for beat in beats):
        return 0
    where = f" on {host}" if host else ""
    print(f"no worker{where} has reported within {args.max_age:g} s", file=sys.stderr)
    return 1


def _cleanup(_args: argparse.Namespace) -> int:
    from dreampixel.core.db import in_uow
    from services.cleanup import service as cleanup

    print(json.dumps(asyncio.run(cleanup.run(unit_of_work=in_uow))))
    return 0


def _rekey_seed_examples(_args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.seeds import examples

    print(json.dumps({"moved": asyncio.run(examples.rekey_legacy_examples(unit_of_work=uow))}))
    return 0


def _stats(_args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.admin import stats

    with uow() as session:
        print(stats.dashboard(session).model_dump_json(indent=2))
    return 0


def _rollup(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.admin import stats

    with uow() as session:
        print(json.dumps({"rolled_up_days": stats.ensure_rollups(session, days=args.days)}))
    return 0


def _analytics(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.admin import analytics

    with uow() as session:
        if args.table == "rebuild":
            analytics.rebuild(session)
            print(json.dumps({"rebuilt": ["user_activity", "user_active_weeks"]}))
            return 0
        if args.table == "cohorts":
            cohorts = analytics.cohorts(session, weeks=args.weeks)
            table, records = cohorts.model_dump_json(indent=2), analytics.cohort_records(cohorts)
        elif args.table == "funnel":
            funnel = analytics.funnel(session, weeks=args.weeks)
            table, records = funnel.model_dump_json(indent=2), analytics.funnel_records(funnel)
        else:
            providers = analytics.providers(session, weeks=args.weeks)
            table, records = providers.model_dump_json(indent=2), analytics.provider_records(providers)
    if args.format == "json":
        print(table)
    elif args.format == "csv":
        print(analytics.to_csv(*records), end="")
    else:
        print(analytics.to_text(*records))
    return 0


def _errors(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.admin import error_log

    with uow() as session:
        for entry in error_log.search(session, state=args.state, level=args.level or "", limit=args.limit):
            print(entry.model_dump_json())
    return 0


def _as_admin(session: Any, email: str) -> Any:
    from services.accounts.service import get_by_email
    from services.admin import service

    actor = get_by_email(session, email)
    try:
        return service.staff(session, user_id=actor.id if actor else None)
    except service.NoSuchPage:
        raise CommandError(f"{email} is not an active admin") from None


def _target(session: Any, email: str) -> str:
    from services.accounts.service import get_by_email

    user = get_by_email(session, email)
    if user is None:
        raise CommandError(f"no account with the email {email}")
    return str(user.id)


def _suspend(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.admin import service

    with uow() as session:
        actor, user_id = _as_admin(session, args.as_email), _target(session, args.email)
        if args.undo:
            user = service.unsuspend(session, actor=actor, user_id=user_id, reason=args.reason)
        else:
            user = service.suspend(session, actor=actor, user_id=user_id, reason=args.reason)
        print(json.dumps({"user_id": user.id, "status": user.status.value}))
    return 0


def _set_role(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from dreampixel.core.models import Role
    from services.admin import service

    with uow() as session:
        actor, user_id = _as_admin(session, args.as_email), _target(session, args.email)
        user = service.set_role(session, actor=actor, user_id=user_id, role=Role(args.role), reason=args.reason)
        print(json.dumps({"user_id": user.id, "role": user.role.value}))
    return 0


def _end_sessions(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.admin import service

    with uow() as session:
        actor, user_id = _as_admin(session, args.as_email), _target(session, args.email)
        print(json.dumps({"user_id": user_id, "ended": service.end_sessions(session, actor=actor, user_id=user_id)}))
    return 0


def _resend_verification(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.admin import service

    with uow() as session:
        actor, user_id = _as_admin(session, args.as_email), _target(session, args.email)
        sent = service.resend_verification(session, actor=actor, user_id=user_id)
        print(json.dumps({"user_id": user_id, "sent": sent}))
    return 0


def _delete_user(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.accounts import deletion
    from services.admin import service

    with uow() as session:
        actor, user_id = _as_admin(session, args.as_email), _target(session, args.email)
        keys = service.delete_user(session, actor=actor, user_id=user_id, reason=args.reason)
    # The rows are gone once committed; the files follow.
    removed = asyncio.run(deletion.delete_files(keys))
    print(json.dumps({"user_id": user_id, "deleted": True, "files_removed": removed}))
    return 0


def _generation_action(args: argparse.Namespace) -> int:
    from dreampixel.core.db import uow
    from services.admin import service
    from services.gallery import service as gallery

    keys: list[str] = []
    with uow() as session:
        actor = _as_admin(session, args.as_email)
        if args.action == "retry":
            retried = service.retry_generation(session, actor=actor, generation_id=args.generation_id)
            answer: dict[str, Any] = {"generation_id": args.generation_id, "retried_as": retried.id,
                                      "status": retried.status.value}
        elif args.action == "cancel":
            canceled = service.cancel_generation(session, actor=actor, generation_id=args.generation_id)
            answer = {"generation_id": canceled.id, "status": canceled.status.value}
        else:
            keys = service.delete_generation(session, actor=actor, generation_id=args.generation_id,
                                             reason=args.reason)
            answer = {"generation_id": args.generation_id, "deleted": True}
    if keys:
        answer["files_removed"] = asyncio.run(gallery.delete_files(keys))
    print(json.dumps(answer))
    return 0


def _admin_command(commands: Any, name: str, help_text: str, run: Callable[[argparse.Namespace], int], *,
                   email: bool = True) -> argparse.ArgumentParser:
    """A console action from the command line: `--as` names the acting admin for the audit row."""
    command: argparse.ArgumentParser = commands.add_parser(name, help=help_text)
    command.add_argument("--as", dest="as_email", required=True, help="the acting admin's email")
    if email:
        command.add_argument("--email", required=True, help="the account acted on")
    command.set_defaults(run=run)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dreampixel", description="Dream Pixel operations.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    commands.add_parser("migrate", help="wait for the database and apply every migration (safe to run from "
                        "every replica at once: PostgreSQL migrations hold an advisory lock)").set_defaults(run=_migrate)

    user = commands.add_parser("create-user", help="create an account")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--name")
    user.add_argument("--role", choices=["USER", "MODERATOR", "ADMIN"], default="USER", type=str.upper)
    user.add_argument("--tier", choices=["FREE", "PRO", "ENTERPRISE"], default="FREE", type=str.upper)
    user.add_argument("--credits", type=int, default=0)
    user.add_argument("--verified", action="store_true", help="mark the email as verified")
    user.set_defaults(run=_create_user)

    key = commands.add_parser("create-api-key", help="create an API key and print it once")
    key.add_argument("--email", required=True)
    key.add_argument("--name", default="CLI key")
    key.add_argument("--scopes", help="comma-separated scopes (default: all but webhooks:manage)")
    key.add_argument("--expires-in-days", type=int)
    key.add_argument("--daily-credit-cap", type=int)
    key.set_defaults(run=_create_api_key)

    grant = commands.add_parser("grant-credits", help="add credits to an account, or remove them (never below 0)")
    grant.add_argument("--email", required=True)
    grant.add_argument("--amount", required=True, type=int, help="credits to add; negative to remove")
    grant.add_argument("--reason", required=True, help="why, kept in the ledger and the audit log")
    grant.add_argument("--as", dest="as_email", help="the acting admin's email, named in the audit row")
    grant.set_defaults(run=_grant_credits)

    tier = commands.add_parser("set-tier", help="change an account's plan and top its credits up to the plan's allowance")
    tier.add_argument("--email", required=True)
    tier.add_argument("--tier", required=True, choices=["FREE", "PRO", "ENTERPRISE"], type=str.upper)
    tier.add_argument("--no-grant", action="store_true", help="change the plan only, grant no credits")
    tier.add_argument("--reason", default="", help="why, kept in the audit log")
    tier.add_argument("--as", dest="as_email", help="the acting admin's email, named in the audit row")
    tier.set_defaults(run=_set_tier)

    commands.add_parser("seed-demo", help="create the demo admin, user and marketplace seeds once").set_defaults(
        run=_seed_demo
    )

    commands.add_parser("check", help="print the settings in use and every dependency's health with details; "
                        "exit 1 when one is down or production would refuse to start").set_defaults(run=_check)

    commands.add_parser("delete-demo-accounts", help="delete the demo admin and user accounts").set_defaults(
        run=_delete_demo_accounts
    )

    worker = commands.add_parser("worker", help="run the arq worker (needs REDIS_URL)")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.set_defaults(run=_worker)

    commands.add_parser("reap", help="return stuck generations to the queue or fail them with a refund").set_defaults(
        run=_reap
    )
    health = commands.add_parser(
        "worker-health", help="exit 0 when a worker reported a heartbeat recently, 1 otherwise (a healthcheck)")
    health.add_argument("--max-age", type=float, default=120.0, metavar="SECONDS",
                        help="how recent the heartbeat must be (default 120; workers beat every 30 s)")
    health.add_argument("--this-host", action="store_true", help="only workers running on this host")
    health.set_defaults(run=_worker_health)
    commands.add_parser(
        "cleanup", help="delete expired records, spent tokens, orphaned uploads and files of deleted generations"
    ).set_defaults(run=_cleanup)
    commands.add_parser(
        "rekey-seed-examples", help="move seed example files stored under their creator's id to id-free keys"
    ).set_defaults(run=_rekey_seed_examples)

    commands.add_parser("stats", help="print the admin dashboard's numbers as JSON").set_defaults(run=_stats)
    rollup = commands.add_parser("rollup", help="count finished days into daily_stats (the dashboard does it too)")
    rollup.add_argument("--days", type=int, default=30)
    rollup.set_defaults(run=_rollup)
    report = commands.add_parser("analytics", help="print an analytics table (retention, funnel, providers), "
                                 "or recount the per-account counts after a bulk import (rebuild)")
    report.add_argument("table", choices=["cohorts", "funnel", "providers", "rebuild"])
    report.add_argument("--weeks", type=int, default=8, help="how many weeks back, this one included (1-52)")
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report.set_defaults(run=_analytics)
    errors = commands.add_parser("errors", help="print captured warnings and errors, one JSON object a line")
    errors.add_argument("--state", choices=["open", "resolved", "ignored", ""], default="open")
    errors.add_argument("--level", choices=["warning", "error"])
    errors.add_argument("--limit", type=int, default=50)
    errors.set_defaults(run=_errors)
    suspend = _admin_command(commands, "suspend", "suspend an account (ends its sessions and API keys), audited",
                             _suspend)
    suspend.add_argument("--reason", default="", help="required to suspend")
    suspend.add_argument("--undo", action="store_true", help="unsuspend instead")
    role = _admin_command(commands, "set-role", "give an account another role (USER, MODERATOR, ADMIN), audited",
                          _set_role)
    role.add_argument("--role", required=True, choices=["USER", "MODERATOR", "ADMIN"], type=str.upper)
    role.add_argument("--reason", default="")
    _admin_command(commands, "end-sessions", "sign an account out of every browser, audited", _end_sessions)
    _admin_command(commands, "resend-verification", "send the email confirmation link again, audited",
                   _resend_verification)
    delete = _admin_command(commands, "delete-user", "delete an account and its files as its owner can, audited",
                            _delete_user)
    delete.add_argument("--reason", required=True)
    generation = _admin_command(commands, "generation", "retry, cancel or delete one generation, audited",
                                _generation_action, email=False)
    generation.add_argument("action", choices=["retry", "cancel", "delete"])
    generation.add_argument("generation_id")
    generation.add_argument("--reason", default="", help="kept in the audit log (delete)")
    from dreampixel.cli_moderation import add_commands as add_moderation_commands

    add_moderation_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from dreampixel.core.logging import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging()  # logs go to stderr; stdout carries only each command's result
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except (CommandError, DreamPixelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the operator gets one line; the traceback is for --debug tools
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(error, SQLAlchemyError | OSError):
            print(f"error: {type(error).__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
            return 1
        raise
