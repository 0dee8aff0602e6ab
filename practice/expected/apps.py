from django.apps import AppConfig


class ExpectedConfig(AppConfig):
    name = "practice.expected"
    label = "expected"
    verbose_name = "Expected-recovery paths"
