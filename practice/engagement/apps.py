from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "practice.engagement"
    label = "engagement"
    verbose_name = "Engagement alerts"

    def ready(self) -> None:
        from practice.engagement import notifications  # noqa: F401  (registers kinds, sections)
