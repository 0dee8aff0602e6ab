"""A password-reset token (or an invitation's) never reaches a log: the reset link swaps its
token for `set-password` in the session and redirects; every log that holds paths redacts it.
Checked on real output: Django's console handler, gunicorn (infra/gunicorn.conf.py) serving the
app, and Caddy (infra/Caddyfile) in front of it."""

from __future__ import annotations

import io
import logging
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import schema_context

from config.observability import scrub_event
from config.redaction import RedactSecretsFilter, redact
from tests.conftest import PracticeWorld, make_practice

# gunicorn and Caddy run on the real clock: a reset link made at the guard's hour would already
# have expired by theirs.
pytestmark = pytest.mark.wall_clock

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
INVITATION_SECRET = "invite-secret-Qw3rTy-0123456789abcdef"


def reset_path(world: PracticeWorld) -> tuple[str, str]:
    with schema_context(world.practice.schema_name):
        token = default_token_generator.make_token(world.owner)
    uid = urlsafe_base64_encode(force_bytes(world.owner.pk))
    return f"/accounts/password-reset/{uid}/{token}/", token


def test_redact_keeps_the_prefix_and_drops_the_secret() -> None:
    assert redact('"GET /accounts/password-reset/MQ/cx1-4f0a9b/ HTTP/1.1" 302') == (
        '"GET /accounts/password-reset/MQ/[redacted]/ HTTP/1.1" 302')
    assert redact("/accounts/password-reset/MQ/set-password/") == (
        "/accounts/password-reset/MQ/set-password/")
    assert redact("/accounts/password-reset/sent/") == "/accounts/password-reset/sent/"
    assert redact("Not Found: /staff/invitations/accept/abc_DEF-123/") == (
        "Not Found: /staff/invitations/accept/[redacted]/")
    assert redact("https://alpha.example/portal/invitation/abc?x=1") == (
        "https://alpha.example/portal/invitation/[redacted]?x=1")
    assert redact("/portal/invitations/ /accounts/sign-in/") == (
        "/portal/invitations/ /accounts/sign-in/")
    event = scrub_event({"request": {"url": "https://a.example/portal/invitation/s3cret/"}})
    assert event["request"]["url"] == "https://a.example/portal/invitation/[redacted]/"


def test_the_reset_link_moves_its_token_into_the_session(alpha, beta) -> None:
    path, token = reset_path(alpha)
    http = Client(HTTP_HOST=alpha.host)

    opened = http.get(path)

    assert opened.status_code == 302
    assert opened["Location"] == path.replace(token, "set-password")
    assert http.session["_password_reset_token"] == token
    form = http.get(opened["Location"])
    assert form.status_code == 200
    assert token not in form.content.decode()
    assert "_password_reset_token" not in Client(HTTP_HOST=beta.host).session


@pytest.fixture
def django_console() -> Iterator[io.StringIO]:
    """The output of the console handler LOGGING configures (the one production writes)."""
    [handler] = [item for item in logging.getLogger().handlers
                 if any(isinstance(f, RedactSecretsFilter) for f in item.filters)]
    assert isinstance(handler, logging.StreamHandler)
    output = io.StringIO()
    previous = handler.setStream(output)
    yield output
    handler.setStream(previous)


def test_djangos_request_log_redacts_the_secret(alpha, beta, django_console) -> None:
    path, token = reset_path(alpha)

    unknown = Client(HTTP_HOST=f"nowhere.{settings.PLATFORM_DOMAIN}").get(path)
    missing = Client(HTTP_HOST=alpha.host).get(f"/staff/invitations/accept/{INVITATION_SECRET}/")

    assert (unknown.status_code, missing.status_code) == (404, 404)
    output = django_console.getvalue()
    assert token not in output and INVITATION_SECRET not in output
    assert "Not Found: /accounts/password-reset/" in output
    assert output.count("[redacted]") == 2, output


# --- gunicorn and Caddy, for real -------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} exited"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not start")


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@dataclass
class Gunicorn:
    port: int
    stdout: Path
    stderr: Path
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@pytest.fixture
def gunicorn(committed_db, tmp_path: Path) -> Iterator[Gunicorn]:
    port = _free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        # The test's own key: the reset token made here must check there.
        SECRET_KEY=settings.SECRET_KEY, PLATFORM_DOMAIN="localhost",
        STRIPE_SECRET_KEY="sk_test_logs", STRIPE_WEBHOOK_SECRET="whsec_logs",
        WEBPUSH_VAPID_PRIVATE_KEY=settings.WEBPUSH_VAPID_PRIVATE_KEY,
        WEBPUSH_VAPID_PUBLIC_KEY=settings.WEBPUSH_VAPID_PUBLIC_KEY,
        WEBPUSH_VAPID_SUBJECT="mailto:logs@tandem.test",
        PORT=str(port), WEB_CONCURRENCY="1", GUNICORN_THREADS="2",
        DATABASE_URL=_test_database_url(), REDIS_URL=settings.REDIS_URL,
    )
    stdout, stderr = tmp_path / "gunicorn.out", tmp_path / "gunicorn.err"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
         "--config", str(INFRA / "gunicorn.conf.py")],
        cwd=ROOT, env=env, stdout=stdout.open("w"), stderr=stderr.open("w"))
    running = Gunicorn(port, stdout, stderr, server)
    try:
        _wait_for(port, server, "gunicorn")
        yield running
    finally:
        running.stop()


def _request(port: int, host: str, path: str, *, tls: bool = False) -> tuple[int, str]:
    """One GET to 127.0.0.1:port for `host` (SNI too); the status and the Location."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=15)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # Caddy's own local CA
        raw = context.wrap_socket(raw, server_hostname=host)
    extra = "" if tls else "X-Forwarded-Proto: https\r\n"
    with raw:
        raw.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}"
                    f"User-Agent: LogTest/1.0\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode()
    status = int(head.split(" ", 2)[1])
    location = [line.split(":", 1)[1].strip() for line in head.split("\r\n")[1:]
                if line.lower().startswith("location:")]
    return status, location[0] if location else ""


def test_gunicorn_logs_no_token(gunicorn: Gunicorn) -> None:
    port, stdout, stderr = gunicorn.port, gunicorn.stdout, gunicorn.stderr
    world = make_practice("alpha", "Alpha Therapy")
    path, token = reset_path(world)

    opened = _request(port, "alpha.localhost", path)
    unknown = _request(port, "nowhere.localhost", f"/portal/invitation/{INVITATION_SECRET}/")
    time.sleep(0.5)  # the access log line is written after the answer

    assert opened == (302, path.replace(token, "set-password"))
    assert unknown == (404, "")
    access, errors = stdout.read_text(), stderr.read_text()
    for log in (access, errors):
        assert token not in log and INVITATION_SECRET not in log
    uid = path.split("/")[3]
    assert f'"GET /accounts/password-reset/{uid}/[redacted]/" 302' in access, access
    assert '"GET /portal/invitation/[redacted]/" 404' in access, access
    assert "Not Found: /portal/invitation/[redacted]/" in errors, errors


def _caddyfile(tmp_path: Path, *, upstream: int, http_port: int, https_port: int) -> Path:
    """infra/Caddyfile as is, but on free ports, with gunicorn here as `web`, its state under
    tmp_path and the system's trust store left alone."""
    text = (INFRA / "Caddyfile").read_text()
    assert text.count("web:8000") == 3 and text.count("\tadmin off\n") == 1
    text = text.replace("web:8000", f"127.0.0.1:{upstream}").replace(
        "\tadmin off\n",
        f"\tadmin off\n\thttp_port {http_port}\n\thttps_port {https_port}\n"
        f"\tskip_install_trust\n\tstorage file_system {tmp_path / 'caddy-data'}\n")
    path = tmp_path / "Caddyfile"
    path.write_text(text)
    return path


def test_caddy_logs_no_token(gunicorn: Gunicorn, tmp_path: Path) -> None:
    caddy = shutil.which("caddy")
    assert caddy, "caddy is missing"
    upstream = gunicorn.port
    world = make_practice("alpha", "Alpha Therapy")
    path, token = reset_path(world)
    http_port, https_port = _free_port(), _free_port()
    config = _caddyfile(tmp_path, upstream=upstream, http_port=http_port, https_port=https_port)
    stdout, stderr = tmp_path / "caddy.out", tmp_path / "caddy.err"
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), PLATFORM_DOMAIN="localhost")
    proxy = subprocess.Popen([caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
                             env=env, stdout=stdout.open("w"), stderr=stderr.open("w"))
    try:
        _wait_for(https_port, proxy, "caddy")
        opened = _request(https_port, "alpha.localhost", path, tls=True)
        invitation = _request(https_port, "nowhere.localhost",
                              f"/staff/invitations/accept/{INVITATION_SECRET}/", tls=True)
        # With the app down, Caddy logs the request in its own (error) log too.
        gunicorn.stop()
        unreachable = _request(https_port, "alpha.localhost", path, tls=True)
        time.sleep(0.5)
    finally:
        proxy.terminate()
        proxy.wait(timeout=15)

    assert opened == (302, path.replace(token, "set-password"))
    assert invitation == (404, "")
    assert unreachable == (502, "")
    access, errors = stdout.read_text(), stderr.read_text()
    for log in (access, errors):
        assert token not in log and INVITATION_SECRET not in log
    uid = path.split("/")[3]
    assert access.count(f'"uri":"/accounts/password-reset/{uid}/[redacted]/"') == 2, access
    assert access.count('"uri":"/staff/invitations/accept/[redacted]/"') == 1, access
    assert f'"uri":"/accounts/password-reset/{uid}/[redacted]/"' in errors, errors
