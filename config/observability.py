"""Sentry, started only when SENTRY_DSN is set, and kept free of PHI."""

from __future__ import annotations

from typing import Any

from config.redaction import redact

SCRUBBED = "[scrubbed]"


def scrub_event(event: dict[str, Any], _hint: dict[str, Any] | None = None) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        if isinstance(request.get("url"), str):
            request["url"] = redact(request["url"])
        for key in ("data", "cookies", "query_string", "env"):
            if key in request:
                request[key] = SCRUBBED
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() in {"cookie", "authorization", "x-csrftoken", "referer"}:
                    headers[name] = SCRUBBED
    event.pop("user", None)
    for exception in (event.get("exception") or {}).get("values", []) or []:
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)
    return event


def init_sentry(dsn: str, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,  # type: ignore[arg-type]  # reads the event as a plain dict
        traces_sample_rate=0.0,
    )
