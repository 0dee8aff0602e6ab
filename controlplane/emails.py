"""Email through Django's framework, sent in the name of the practice (or of the platform)."""

from __future__ import annotations

from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def sender_for(display_name: str) -> str:
    return formataddr((display_name, settings.PLATFORM_EMAIL_ADDRESS))


def send_templated_email(
    *, sender_name: str, to: str, subject: str, template: str, context: dict[str, Any]
) -> None:
    """Render `<template>.txt` and `<template>.html` and send both parts.

    Callers put no PHI in subject or body: links and the practice's name only.
    """
    context = {"sender_name": sender_name, **context}
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=sender_for(sender_name), to=[to]
    )
    message.attach_alternative(html, "text/html")
    message.send()
