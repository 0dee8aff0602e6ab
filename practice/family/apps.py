from django.apps import AppConfig


class FamilyConfig(AppConfig):
    name = "practice.family"
    label = "family"
    verbose_name = "Family and proxies"

    def ready(self) -> None:
        # Registers the "a questionnaire is waiting for you" notice to proxies.
        from practice.family import notifications  # noqa: F401
