from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "practice.engagement"
    label = "engagement"
    verbose_name = "Engagement alerts"
