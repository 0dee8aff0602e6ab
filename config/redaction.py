"""Secrets that travel in a URL's path never reach a log.

Four links carry a secret in their path: a password reset (`/accounts/password-reset/<uid>/
<token>/`, on every host), a staff invitation, a client's portal invitation and a disclosure's
download link (`/shared/<token>/`). Django's reset
view swaps the token for `set-password` in the session and redirects at once, so only that first
request carries it; the invitations are single use. Every log that may hold a path (gunicorn's
access and error logs, Django's loggers, Sentry's request URL, Caddy's access log with the same
patterns in infra/Caddyfile) is rewritten with `redact()`.

Pure: no Django import, gunicorn's master process loads this before the application.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# (pattern, replacement): the prefix is kept, the secret segment replaced. `set-password` is
# the reset view's own placeholder, not a secret.
_SECRET_PATHS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(/accounts/password-reset/[^/?#\s\"]+/)(?!set-password/)[^/?#\s\"]+"),
     rf"\g<1>{REDACTED}"),
    (re.compile(r"(/staff/invitations/accept/)[^/?#\s\"]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/portal/invitation/)[^/?#\s\"]+"), rf"\g<1>{REDACTED}"),
    # A disclosure's download link (practice.disclosure): the token finds the package.
    (re.compile(r"(/shared/)[^/?#\s\"]+"), rf"\g<1>{REDACTED}"),
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record whose message holds a secret path (message and args merged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
