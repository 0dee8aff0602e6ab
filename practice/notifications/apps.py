from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "practice.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Registers the built-in kinds and the VAPID settings check.
        from practice.notifications import builtin_kinds, checks  # noqa: F401
