from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "practice.disclosure"
    label = "disclosure"
    verbose_name = "Releases of information, disclosures and 42 CFR Part 2"

    def ready(self) -> None:
        from practice.disclosure import dashboard_card  # noqa: F401  (registers the card)
