from django.apps import AppConfig


class FamilyConfig(AppConfig):
    name = "practice.family"
    label = "family"
    verbose_name = "Family and proxies"
