"""Settings, observability and per-tenant keys of shared infrastructure (cache, files, logs)."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis
import sentry_sdk
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context

from config.observability import SCRUBBED, scrub_event

BASE_DIR = Path(__file__).resolve().parent.parent


def test_check_deploy_with_production_settings_reports_nothing() -> None:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        STRIPE_SECRET_KEY="sk_test_check", STRIPE_WEBHOOK_SECRET="whsec_check",
        WEBPUSH_VAPID_PRIVATE_KEY=settings.WEBPUSH_VAPID_PRIVATE_KEY,
        WEBPUSH_VAPID_PUBLIC_KEY=settings.WEBPUSH_VAPID_PUBLIC_KEY,
        WEBPUSH_VAPID_SUBJECT="mailto:ops@tandem.example",
        PLATFORM_DOMAIN="tandem.example",
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=os.environ["REDIS_URL"],
    )
    env.pop("SENTRY_DSN", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.production")
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr


def test_sentry_is_off_without_a_dsn() -> None:
    assert settings.SENTRY_DSN == ""
    assert sentry_sdk.get_client().is_active() is False


def test_sentry_events_are_scrubbed_of_bodies_cookies_and_users() -> None:
    event: dict[str, Any] = {
        "request": {
            "url": "https://alpha.tandem.example/staff/",
            "data": {"note": "client said something private"},
            "cookies": {"sessionid": "abc"},
            "query_string": "q=Chris",
            "headers": {"Cookie": "sessionid=abc", "User-Agent": "x", "Referer": "https://r"},
        },
        "user": {"email": "client@example.org"},
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"body": "secret"}}]}}]},
    }
    scrubbed = scrub_event(event)
    assert scrubbed["request"]["data"] == SCRUBBED
    assert scrubbed["request"]["cookies"] == SCRUBBED
    assert scrubbed["request"]["query_string"] == SCRUBBED
    assert scrubbed["request"]["headers"]["Cookie"] == SCRUBBED
    assert scrubbed["request"]["headers"]["Referer"] == SCRUBBED
    assert scrubbed["request"]["headers"]["User-Agent"] == "x"
    assert "user" not in scrubbed
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0] == {}


def test_cache_keys_carry_the_practice(alpha, beta) -> None:
    with schema_context(alpha.practice.schema_name):
        cache.set("greeting", "alpha's")
    with schema_context(beta.practice.schema_name):
        assert cache.get("greeting") is None
        cache.set("greeting", "beta's")
    with schema_context(alpha.practice.schema_name):
        assert cache.get("greeting") == "alpha's"
    raw_keys = sorted(
        key.decode() for key in redis.Redis.from_url(settings.REDIS_URL).keys("*greeting")
    )
    assert raw_keys == sorted([
        f"{alpha.practice.schema_name}:cache:1:greeting",
        f"{beta.practice.schema_name}:cache:1:greeting",
    ])


def test_file_storage_paths_carry_the_practice(alpha, beta, media_root) -> None:
    tmp_path = media_root
    with schema_context(alpha.practice.schema_name):
        name = default_storage.save("uploads/note.txt", ContentFile(b"alpha"))
        alpha_path = Path(default_storage.path(name))
    with schema_context(beta.practice.schema_name):
        assert default_storage.exists(name) is False
    assert alpha_path.parent.parent == tmp_path / alpha.practice.schema_name
    assert alpha_path.read_bytes() == b"alpha"


def test_log_records_carry_the_schema(alpha, caplog) -> None:
    from config.logging import SchemaFilter

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None)
    with schema_context(alpha.practice.schema_name):
        SchemaFilter().filter(record)
    assert record.schema == alpha.practice.schema_name  # type: ignore[attr-defined]
