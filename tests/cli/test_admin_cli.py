"""The console's account and generation actions from the command line: `--as` names an active
admin, every action leaves the same audit row the pages and /api/admin leave."""

from __future__ import annotations

import json

from sqlalchemy import create_engine
from sqlmodel import Session, select

from dreampixel.core.models import User
from tests.cli.test_cli import Cli, arrange_staff, cli, cli_env, db_url, query  # noqa: F401  (fixtures)
from tests.factories import create_generation


def actions(cli_env: dict[str, str]) -> list[tuple[str, str | None]]:  # noqa: F811
    return [(row[0], row[1]) for row in query(
        cli_env, "SELECT a.action, u.email FROM audit_logs a LEFT JOIN users u ON u.id = a.actor_id "
                 "ORDER BY a.created_at")]


def test_a_non_admin_is_refused_and_nothing_changes(cli: Cli, cli_env: dict[str, str]) -> None:  # noqa: F811
    arrange_staff(cli)
    for args in (("set-role", "--email", "ann@example.com", "--role", "admin"),
                 ("delete-user", "--email", "ann@example.com", "--reason", "x"),
                 ("end-sessions", "--email", "ann@example.com")):
        refused = cli(*args, "--as", "mod@example.com")
        assert refused.returncode == 1 and refused.stderr.strip() == "error: mod@example.com is not an active admin"
    assert query(cli_env, "SELECT role FROM users WHERE email = 'ann@example.com'") == [("USER",)]
    assert actions(cli_env) == []


def test_an_admin_acts_on_an_account_and_each_action_is_audited(cli: Cli, cli_env: dict[str, str]) -> None:  # noqa: F811
    arrange_staff(cli)
    admin = ("--as", "boss@example.com")
    role = cli("set-role", *admin, "--email", "ann@example.com", "--role", "moderator", "--reason", "new hire")
    assert json.loads(role.stdout)["role"] == "MODERATOR", role.stderr
    assert json.loads(cli("resend-verification", *admin, "--email", "ann@example.com").stdout)["sent"] is True
    assert json.loads(cli("end-sessions", *admin, "--email", "ann@example.com").stdout)["ended"] == 0
    granted = cli("grant-credits", *admin, "--email", "ann@example.com", "--amount", "5", "--reason", "welcome")
    assert json.loads(granted.stdout)["balance"] == 5, granted.stderr
    deleted = cli("delete-user", *admin, "--email", "ann@example.com", "--reason", "asked to leave")
    assert json.loads(deleted.stdout)["deleted"] is True, deleted.stderr
    assert query(cli_env, "SELECT count(*) FROM users WHERE email = 'ann@example.com'") == [(0,)]
    assert actions(cli_env) == [("user.role_changed", "boss@example.com"),
                                ("user.verification_resent", "boss@example.com"),
                                ("user.sessions_ended", "boss@example.com"),
                                ("user.credits_granted", "boss@example.com"),
                                ("user.deleted", "boss@example.com")]


def queued_generation(cli_env: dict[str, str], email: str) -> str:  # noqa: F811
    engine = create_engine(db_url(cli_env))
    try:
        with Session(engine) as session:
            owner = session.exec(select(User).where(User.email == email)).one()
            owner.credit_balance = 2
            generation = create_generation(session, owner, credits_held=2)
            session.commit()
            return generation.id
    finally:
        engine.dispose()


def test_an_admin_cancels_and_deletes_a_generation_by_id(cli: Cli, cli_env: dict[str, str]) -> None:  # noqa: F811
    arrange_staff(cli)
    generation_id = queued_generation(cli_env, "ann@example.com")
    missing = cli("generation", "cancel", "gen_missing", "--as", "boss@example.com")
    assert missing.returncode == 1 and missing.stderr.strip() == "error: No such generation."
    canceled = cli("generation", "cancel", generation_id, "--as", "boss@example.com")
    assert json.loads(canceled.stdout) == {"generation_id": generation_id, "status": "canceled"}, canceled.stderr
    deleted = cli("generation", "delete", generation_id, "--as", "boss@example.com", "--reason", "abuse report")
    assert json.loads(deleted.stdout)["deleted"] is True, deleted.stderr
    assert query(cli_env, "SELECT count(*) FROM generations") == [(0,)]
    assert [a for a, _ in actions(cli_env)] == ["generation.canceled", "generation.deleted"]
