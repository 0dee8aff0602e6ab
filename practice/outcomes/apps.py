from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "practice.outcomes"
    label = "outcomes"
    verbose_name = "Episodes of care and outcome reports"
