"""What a worker thread keeps open between deliveries: one mail connection and one HTTP session
for push services, each reused for every notification the thread sends.

Opening an SMTP connection (TCP, greeting, EHLO, STARTTLS, login) costs more than sending one
email over it, and so does a TLS handshake with a push service. Each worker thread keeps its own
(an SMTP connection carries one conversation at a time), opened on first use and again after a
failure: a connection that raised anything other than the server's answer to one email is
closed, and the next delivery opens a new one. A connection idle for a few seconds is checked
with a NOOP before it is used (servers drop idle clients), and replaced if it is gone: an email
is never resent here on a second connection, so a failure is recorded as one attempt and retried
by the pipeline, with the same Message-ID, as before.

The connection is keyed by the mail settings it was opened with, so a change of settings (a
test's own server) opens a new one rather than talking to the old server.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings
from django.core.mail import get_connection

_local = threading.local()
# A connection unused for longer is checked with a NOOP before it is used again.
IDLE_CHECK_SECONDS = 5.0

# The mail server's answer about one email: the connection itself is still good.
_ANSWERS = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)


def _mail_settings() -> tuple[Any, ...]:
    return tuple(getattr(settings, name, None) for name in (
        "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS",
        "EMAIL_USE_SSL"))


def mail_connection() -> Any:
    """This thread's open mail backend. One idle for more than `IDLE_CHECK_SECONDS` is asked
    for a NOOP first and replaced if the server has gone or closed it."""
    key = _mail_settings()
    held = getattr(_local, "mail", None)
    if held is not None and held[0] == key and _open(held[1]):
        backend = held[1]
        if time.monotonic() - _local.used_at < IDLE_CHECK_SECONDS or _alive(backend):
            _local.used_at = time.monotonic()
            return backend
    close_mail_connection()
    backend = get_connection(fail_silently=False)
    backend.open()
    _local.mail = (key, backend)
    _local.used_at = time.monotonic()
    return backend


def _open(backend: Any) -> bool:
    """False when smtplib has closed the socket itself (after a 421, "closing channel")."""
    smtp = getattr(backend, "connection", None)
    return smtp is None or getattr(smtp, "sock", True) is not None


def _alive(backend: Any) -> bool:
    smtp = getattr(backend, "connection", None)
    if smtp is None:  # not an SMTP backend (tests' locmem): nothing to check
        return True
    try:
        return smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def close_mail_connection() -> None:
    held = getattr(_local, "mail", None)
    _local.mail = None
    if held is not None:
        try:
            held[1].close()
        except Exception:  # noqa: BLE001, S110 - closing a broken connection: nothing to keep
            pass


def send_mail_reusing(send: Callable[[Any], None]) -> None:
    """`send(connection)` over this thread's mail connection. Any failure other than the
    server's answer about this one email (a refused address, a full mailbox) closes the
    connection, so the next delivery opens a new one; the failure is raised either way (the
    caller records the attempt and retries it later, with the same Message-ID)."""
    connection = mail_connection()
    try:
        send(connection)
    except _ANSWERS as error:
        if getattr(error, "smtp_code", None) == 421:  # the server is closing the connection
            close_mail_connection()
        raise
    except Exception:
        close_mail_connection()
        raise


def push_session() -> requests.Session:
    """This thread's HTTP session for push services (keep-alive connections per host)."""
    session = getattr(_local, "push", None)
    if session is None:
        session = requests.Session()
        _local.push = session
    return session


def drop_push_session() -> None:
    session = getattr(_local, "push", None)
    _local.push = None
    if session is not None:
        session.close()
