"""Startup checks of the Web Push settings: a public key that does not belong to the private key
would let browsers subscribe and then have every push refused by the push service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from config.vapid import public_key_for


@register()
def vapid_keys_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    private_key = settings.WEBPUSH_VAPID_PRIVATE_KEY
    public_key = settings.WEBPUSH_VAPID_PUBLIC_KEY
    subject = settings.WEBPUSH_VAPID_SUBJECT
    errors = []
    try:
        matches = public_key_for(private_key) == public_key
    except ValueError:
        matches = False
    if not private_key and not public_key:
        errors.append(Error("WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_PUBLIC_KEY are not set",
                            hint="Generate a pair: see WEBPUSH_VAPID_PRIVATE_KEY in "
                                 "docs/deployment.md.", id="notifications.E001"))
    elif not matches:
        errors.append(Error("WEBPUSH_VAPID_PUBLIC_KEY does not belong to "
                            "WEBPUSH_VAPID_PRIVATE_KEY", id="notifications.E002"))
    if not subject.startswith(("mailto:", "https://")):
        errors.append(Error("WEBPUSH_VAPID_SUBJECT is a mailto: or https: URL",
                            id="notifications.E003"))
    return errors
