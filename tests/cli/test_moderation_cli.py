"""`moderation ...`: prompt rules and the prompt tester from a shell, as a named moderator, audited."""

from __future__ import annotations

import json

from tests.cli.test_cli import Cli, cli, cli_env, query  # noqa: F401  (fixtures)

# "moon" in full-width letters, which reads as the ASCII word.
FULLWIDTH_MOON = "".join(chr(ord(c) + 0xFEE0) for c in "moon")


def test_a_moderator_adds_tests_disables_and_deletes_a_rule(cli: Cli, cli_env: dict[str, str]) -> None:  # noqa: F811
    assert cli("migrate").returncode == 0
    assert cli("create-user", "--email", "mo@example.com", "--password", "long enough pw", "--role",
               "MODERATOR").returncode == 0
    added = cli("moderation", "add-rule", "--as", "mo@example.com", "--phrase", "Moon Cheese", "--category",
                "dairy lies")
    assert added.returncode == 0, added.stderr
    rule = json.loads(added.stdout)
    assert (rule["phrase"], rule["category"], rule["enabled"], rule["created_by"]) == (
        "Moon Cheese", "dairy lies", True, "mo@example.com")

    tested = json.loads(cli("moderation", "test", "--as", "mo@example.com", FULLWIDTH_MOON + "  cheese pie").stdout)
    assert (tested["matched"], tested["category"]) == (True, "dairy lies")

    disabled = cli("moderation", "set-rule", "--as", "mo@example.com", "--id", rule["id"], "--disable")
    assert json.loads(disabled.stdout)["enabled"] is False
    assert json.loads(cli("moderation", "test", "--as", "mo@example.com", "moon cheese").stdout)["matched"] is False

    assert cli("moderation", "delete-rule", "--as", "mo@example.com", "--id", rule["id"]).returncode == 0
    listed = [json.loads(line) for line in cli("moderation", "rules", "--as", "mo@example.com").stdout.splitlines()]
    assert "gore" in {r["phrase"] for r in listed} and "Moon Cheese" not in {r["phrase"] for r in listed}
    assert [a for (a,) in query(cli_env, "SELECT action FROM audit_logs ORDER BY created_at, id")] == [
        "moderation.rule_created", "moderation.rule_disabled", "moderation.rule_deleted"]


def test_a_user_cannot_act_as_staff(cli: Cli) -> None:  # noqa: F811
    assert cli("migrate").returncode == 0
    assert cli("create-user", "--email", "u@example.com", "--password", "long enough pw").returncode == 0
    refused = cli("moderation", "add-rule", "--as", "u@example.com", "--phrase", "x", "--category", "y")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: u@example.com is not an active admin or moderator"
