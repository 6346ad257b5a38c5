"""`python -m dreampixel migrate` from every replica at once: one migrates, the others wait and find nothing to do."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from dreampixel.core.migrations import alembic_config
from tests.fixtures.postgres import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = 4


def test_four_replicas_migrating_one_fresh_postgresql_at_once_all_succeed_and_migrate_it_once(
        postgres_server: str, tmp_path: Path) -> None:
    url = create_database(postgres_server, f"replicas_{uuid.uuid4().hex[:10]}")
    try:
        env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test", "REDIS_URL": "",
               "DATA_DIR": str(tmp_path / "data")}
        replicas = [subprocess.Popen([sys.executable, "-m", "dreampixel", "migrate"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for _ in range(REPLICAS)]
        outputs = [replica.communicate(timeout=180) for replica in replicas]

        assert [replica.returncode for replica in replicas] == [0] * REPLICAS, [err[-2000:] for _, err in outputs]
        said = [out for out, _ in outputs]
        assert sum("migrated from revision none" in out for out in said) == 1, said
        assert sum("already at revision" in out for out in said) == REPLICAS - 1, said
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [(head,)]
        finally:
            engine.dispose()
    finally:
        drop_database(url)
