"""Replaying pg_restore's SQL under another schema name: statements are renamed and made
transaction-local, data is passed through untouched (no database needed)."""

from __future__ import annotations

from typing import Any

from tenants.backup.postgres import replay_restore_script

SCRIPT = """\\restrict abc123
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE SCHEMA p_old;
CREATE TABLE p_old.accounts_user (id bigint NOT NULL, full_name text);
CREATE TABLE p_older.other (id bigint);
COPY p_old.accounts_user (id, full_name) FROM stdin;
1\tp_old.accounts_user
2\tSET x = 1;
\\.
ALTER TABLE ONLY p_old.accounts_user ADD CONSTRAINT accounts_user_pkey PRIMARY KEY (id);
SELECT pg_catalog.setval('p_old.accounts_user_id_seq', 2, true);
\\unrestrict abc123
"""


class FakeCopy:
    def __init__(self, log: list[tuple[str, str]], statement: str) -> None:
        self.log, self.statement, self.data = log, statement, ""

    def __enter__(self) -> FakeCopy:
        return self

    def __exit__(self, *args: Any) -> None:
        self.log.append(("copy", self.statement + "\n" + self.data))

    def write(self, data: str) -> None:
        self.data += data


class FakeCursor:
    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.cursor = self

    def execute(self, sql: str) -> None:
        self.log.append(("sql", sql))

    def copy(self, statement: str) -> FakeCopy:
        return FakeCopy(self.log, statement)


def test_statements_are_renamed_and_local_and_data_is_untouched() -> None:
    cursor = FakeCursor()
    replay_restore_script(SCRIPT.splitlines(keepends=True), "p_old", "p_new", cursor)
    assert cursor.log == [
        ("sql", "SET LOCAL statement_timeout = 0;\n"
                "SELECT pg_catalog.set_config('search_path', '', true);\n"
                "CREATE SCHEMA p_new;\n"
                "CREATE TABLE p_new.accounts_user (id bigint NOT NULL, full_name text);\n"
                "CREATE TABLE p_older.other (id bigint);\n"),
        ("copy", "COPY p_new.accounts_user (id, full_name) FROM STDIN\n"
                 "1\tp_old.accounts_user\n2\tSET x = 1;\n"),
        ("sql", "ALTER TABLE ONLY p_new.accounts_user ADD CONSTRAINT accounts_user_pkey "
                "PRIMARY KEY (id);\n"
                "SELECT pg_catalog.setval('p_new.accounts_user_id_seq', 2, true);\n"),
    ]
