"""PostgreSQL for backups: which pg_dump/pg_restore to run, how to reach the server, per-table
checksums, and replaying a custom-format dump under another schema name.

The client tools must have the server's major version (a newer pg_dump writes archives an older
pg_restore cannot read, and an older pg_dump refuses a newer server), so they are looked up by
version, never by name alone: `PG_BIN_DIR`, then the embedded server's bundled binaries
(pgserver), then `/usr/lib/postgresql/<major>/bin`, then `PATH`.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper


class BackupError(Exception):
    """A backup, restore or move did not happen; the message says why, fit for an operator."""


# --- the server and its client tools ------------------------------------------------------------

@dataclass(frozen=True)
class ServerAddress:
    """Where a database is, as libpq environment variables (the password never in argv)."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, settings_dict: Mapping[str, Any]) -> ServerAddress:
        # A socket directory given as ?host= (the embedded server) arrives in OPTIONS.
        options = settings_dict.get("OPTIONS") or {}
        host = settings_dict.get("HOST") or options.get("host") or ""
        port = settings_dict.get("PORT") or options.get("port") or ""
        return cls(name=str(settings_dict["NAME"]), host=str(host), port=str(port),
                   user=str(settings_dict.get("USER") or ""),
                   password=str(settings_dict.get("PASSWORD") or ""))

    @classmethod
    def from_connection(cls, connection: BaseDatabaseWrapper) -> ServerAddress:
        return cls.from_settings(connection.settings_dict)

    def environ(self) -> dict[str, str]:
        values = {"PGDATABASE": self.name, "PGHOST": self.host, "PGPORT": self.port,
                  "PGUSER": self.user, "PGPASSWORD": self.password}
        return {**os.environ, **{key: value for key, value in values.items() if value}}

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        params: dict[str, Any] = {
            "dbname": self.name, "host": self.host or None, "port": self.port or None,
            "user": self.user or None, "password": self.password or None}
        return psycopg.connect(**{k: v for k, v in params.items() if v}, **kwargs)

    def url(self) -> str:
        """postgres:// URL for a child process's DATABASE_URL (a socket directory as ?host=)."""
        from urllib.parse import quote

        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        if self.host.startswith("/"):
            port = f"&port={self.port}" if self.port else ""
            return f"postgres://{auth}@/{quote(self.name)}?host={quote(self.host)}{port}"
        port = f":{self.port}" if self.port else ""
        return f"postgres://{auth}@{self.host or 'localhost'}{port}/{quote(self.name)}"


def server_major(connection: Any) -> int:
    """The major version of the server behind a Django or psycopg connection."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def _candidate_dirs(major: int) -> Iterator[Path]:
    if os.environ.get("PG_BIN_DIR"):
        yield Path(os.environ["PG_BIN_DIR"])
    try:
        import pgserver

        yield Path(pgserver.__file__).parent / "pginstall" / "bin"
    except ImportError:
        pass
    yield Path(f"/usr/lib/postgresql/{major}/bin")
    for name in ("pg_dump", "pg_restore"):
        found = shutil.which(name)
        if found:
            yield Path(found).resolve().parent


@cache
def _tool_major(path: Path) -> int | None:
    try:
        output = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                                check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", output)
    return int(match.group(1)) if match else None


def client_tool(name: str, major: int) -> Path:
    """The `pg_dump` or `pg_restore` whose major version is the server's."""
    seen: list[str] = []
    for directory in _candidate_dirs(major):
        path = directory / name
        if path.is_file() and os.access(path, os.X_OK):
            tool_major = _tool_major(path)
            if tool_major == major:
                return path
            seen.append(f"{path} ({tool_major})")
    raise BackupError(
        f"No {name} for PostgreSQL {major} was found (tried: {', '.join(seen) or 'none'}). "
        f"Install the PostgreSQL {major} client tools or set PG_BIN_DIR to their directory.")


def run_tool(args: list[str], address: ServerAddress, what: str) -> bytes:
    completed = subprocess.run(args, env=address.environ(), capture_output=True, check=False)
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise BackupError(f"{what} failed: {detail}")
    return completed.stdout


# --- checksums -----------------------------------------------------------------------------------

# Row text depends on these session settings; fix them so two servers agree. Rows are ordered by
# their text in the "C" collation: stable without knowing each table's key.
CHECKSUM_SESSION = [
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, MDY'",
    "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1",
    "SET LOCAL bytea_output = 'hex'",
]
_TABLES = """
    SELECT c.relname FROM pg_class c
    WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' ORDER BY c.relname
"""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_checksums(cursor: Any, schema: str) -> dict[str, dict[str, Any]]:
    """{table: {"rows": n, "md5": ...}} for every table of `schema`, in the caller's
    transaction (the session settings above are set for the rest of that transaction)."""
    for statement in CHECKSUM_SESSION:
        cursor.execute(statement)
    cursor.execute(_TABLES, [schema])
    tables = [row[0] for row in cursor.fetchall()]
    result: dict[str, dict[str, Any]] = {}
    for table in tables:
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' "
            "ORDER BY t::text COLLATE \"C\"), '')) "
            f"FROM {quote_ident(schema)}.{quote_ident(table)} t")
        count, digest = cursor.fetchone()
        result[table] = {"rows": int(count), "md5": digest}
    return result


# --- replaying a dump under another schema name --------------------------------------------------

_SET = re.compile(r"^SET (\w+) = ")
_COPY = re.compile(r"^COPY (.+) FROM stdin;$")


def _renamer(source: str, target: str) -> re.Pattern[str]:
    return re.compile(r'(?<![\w$"])(?:"' + re.escape(source) + r'"|' + re.escape(source)
                      + r")(?![\w$\"])")


def replay_restore_script(lines: Iterable[str], source: str, target: str, cursor: Any) -> None:
    """Run pg_restore's SQL (streamed line by line) on a Django cursor, in its transaction, with
    the schema renamed in every statement (never in the data) and every SET made
    transaction-local so the connection is left as it was."""
    pattern = _renamer(source, target)
    new_name = target if re.fullmatch(r"[a-z_][a-z0-9_]*", target) else quote_ident(target)
    sql: list[str] = []
    remaining = iter(lines)
    for line in remaining:
        copy_match = _COPY.match(line.rstrip("\n"))
        if copy_match:
            if sql:
                cursor.execute("".join(sql))
                sql = []
            statement = "COPY " + pattern.sub(new_name, copy_match.group(1)) + " FROM STDIN"
            with cursor.cursor.copy(statement) as copy:
                for data_line in remaining:
                    if data_line.rstrip("\n") == "\\.":
                        break
                    copy.write(data_line)
            continue
        if line.startswith("\\"):
            continue  # psql meta-commands (\restrict, \unrestrict): not SQL
        line = _SET.sub(r"SET LOCAL \1 = ", line)
        line = line.replace("set_config('search_path', '', false)",
                            "set_config('search_path', '', true)")
        sql.append(pattern.sub(new_name, line))
    if sql:
        cursor.execute("".join(sql))


def restore_script_lines(pg_restore: Path, dump_path: Path) -> Iterator[str]:
    """pg_restore's SQL for a custom-format dump, line by line (no database connection)."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [str(pg_restore), "--no-owner", "--no-privileges", "--file=-", str(dump_path)],
            stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        # Only "\n" ends a line and nothing is translated: the SQL is replayed byte for byte.
        output = io.TextIOWrapper(process.stdout, encoding="utf-8", newline="\n")
        try:
            yield from output
        finally:
            output.close()
            returncode = process.wait()
        if returncode != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip()[-2000:]
            raise BackupError(f"pg_restore failed: {detail}")
