"""Email through Django's framework, in the practice's name and look (or the platform's)."""

from __future__ import annotations

from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from branding.values import Branding


def sender_for(display_name: str) -> str:
    return formataddr((display_name, settings.PLATFORM_EMAIL_ADDRESS))


def branding_email_context(branding: Branding | None) -> dict[str, Any]:
    if branding is None:
        return {"branding": None, "logo_src": None}
    return {
        "branding": branding,
        "logo_src": branding.asset_url("email") if branding.has_logo else None,
        "site_name": branding.display_name,
    }


def send_branded_email(
    *, branding: Branding | None, to: str, subject: str, template: str, context: dict[str, Any],
    headers: dict[str, str] | None = None, connection: Any = None,
) -> None:
    """Render `<template>.txt` and `<template>.html` and send both parts.

    Callers put no PHI in subject or body: links and the practice's name only. `headers` are
    extra headers (a Message-ID fixed by the caller makes a resent email the same message).
    `connection` is an open mail backend to send through (a worker reuses one per thread);
    without it Django opens and closes one for this email.
    """
    context = {**branding_email_context(branding), **context}
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    sender = sender_for(branding.sender_name if branding else "Tandem")
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=sender, to=[to],
                                     headers=headers, connection=connection)
    message.attach_alternative(html, "text/html")
    message.send()
