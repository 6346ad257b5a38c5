"""`python -m dreampixel analytics`: the page's tables in a terminal, as CSV or as JSON."""

from __future__ import annotations

import csv
import io
import json

from tests.cli.test_cli import Cli, cli, cli_env  # noqa: F401  (fixtures)


def test_analytics_prints_each_table_as_a_table_csv_or_json(cli: Cli) -> None:  # noqa: F811
    assert cli("migrate").returncode == 0
    for email in ("ann@example.com", "bob@example.com"):
        assert cli("create-user", "--email", email, "--password", "correct-horse-battery", "--verified").returncode == 0
    table = cli("analytics", "funnel", "--weeks", "2")
    assert table.returncode == 0, table.stderr
    heading, _last_week, this_week = table.stdout.splitlines()
    assert heading.split()[:3] == ["cohort_week", "signed_up", "verified"]
    assert this_week.split()[1:4] == ["2", "2", "100.0"]
    rows = list(csv.reader(io.StringIO(cli("analytics", "cohorts", "--weeks", "3", "--format", "csv").stdout)))
    assert rows[0][:4] == ["cohort_week", "users", "week_0_active", "week_0_percent"] and len(rows) == 4
    providers = json.loads(cli("analytics", "providers", "--format", "json").stdout)
    assert providers["object"] == "admin.analytics.providers" and providers["rows"] == []
    assert json.loads(cli("analytics", "rebuild").stdout) == {"rebuilt": ["user_activity", "user_active_weeks"]}
