"""`grant-credits` and `set-tier`: the operator's billing commands, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

from tests.cli.test_cli import Cli, cli, cli_env, query  # noqa: F401  (fixtures)

CLI_ENV = {"CREDITS_PRO_MONTHLY": "1000"}


def ledger_total(cli_env: dict[str, str], email: str) -> tuple[int, int]:  # noqa: F811
    [(balance, total)] = query(
        cli_env, "SELECT credit_balance, (SELECT coalesce(sum(delta), 0) FROM credit_ledger "
                 "WHERE user_id = users.id) FROM users WHERE email = :email", email=email)
    return balance, total


def test_grant_credits_adds_and_removes_but_refuses_to_go_below_zero(cli: Cli, cli_env: dict[str, str]) -> None:  # noqa: F811
    assert cli("migrate").returncode == 0
    assert cli("create-user", "--email", "ada@example.com", "--password", "long enough pw").returncode == 0
    added = cli("grant-credits", "--email", "ada@example.com", "--amount", "40", "--reason", "support ticket 7")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) | {"user_id": None} == {
        "user_id": None, "email": "ada@example.com", "amount": 40, "balance": 40, "reason": "support ticket 7"}
    refused = cli("grant-credits", "--email", "ada@example.com", "--amount", "-100", "--reason", "chargeback")
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("error: Cannot remove 100 credits: the balance is 40.")
    removed = cli("grant-credits", "--email", "ada@example.com", "--amount", "-40", "--reason", "chargeback")
    assert removed.returncode == 0, removed.stderr
    assert (json.loads(removed.stdout)["amount"], json.loads(removed.stdout)["balance"]) == (-40, 0)
    assert ledger_total(cli_env, "ada@example.com") == (0, 0)
    assert [row[0] for row in query(cli_env, "SELECT action FROM audit_logs ORDER BY created_at")] == [
        "user.credits_granted", "user.credits_removed"]


def test_grant_credits_to_an_unknown_email_fails_with_a_clear_message(cli: Cli) -> None:  # noqa: F811
    assert cli("migrate").returncode == 0
    result = cli("grant-credits", "--email", "nobody@example.com", "--amount", "5", "--reason", "x")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no user with email nobody@example.com"


def test_set_tier_changes_the_plan_and_tops_up_to_its_allowance(cli: Cli, cli_env: dict[str, str]) -> None:  # noqa: F811
    assert cli("migrate").returncode == 0
    assert cli("create-user", "--email", "bo@example.com", "--password", "long enough pw", "--credits", "12",
               "--verified").returncode == 0
    result = cli("set-tier", "--email", "bo@example.com", "--tier", "pro", env=CLI_ENV)
    assert result.returncode == 0, result.stderr
    changed = json.loads(result.stdout)
    assert (changed["previous"], changed["tier"], changed["granted"], changed["balance"]) == ("FREE", "PRO", 988, 1000)
    assert query(cli_env, "SELECT tier FROM users WHERE email = 'bo@example.com'") == [("PRO",)]
    assert ledger_total(cli_env, "bo@example.com") == (1000, 1000)
    again = cli("set-tier", "--email", "bo@example.com", "--tier", "pro", env=CLI_ENV)
    assert json.loads(again.stdout)["granted"] == 0, "the month's allowance is granted once"
    plain = cli("set-tier", "--email", "bo@example.com", "--tier", "enterprise", "--no-grant")
    assert (json.loads(plain.stdout)["tier"], json.loads(plain.stdout)["balance"]) == ("ENTERPRISE", 1000)
