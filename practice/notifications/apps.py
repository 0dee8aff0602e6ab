from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "practice.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from practice.notifications import builtin_kinds  # noqa: F401  (registers kinds)
