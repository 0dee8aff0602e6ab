from typing import Any

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Client portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_session_start, dispatch_uid="portal.session_start")


def _session_start(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Every sign-in (the form, the hand-off, an accepted invitation) starts the session's
    clocks and records what the middleware must know about this person."""
    if request is None or not hasattr(request, "session"):
        return
    from portal.security import session_start

    session_start(request, user)
