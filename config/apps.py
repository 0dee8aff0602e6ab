from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Project machinery"

    def ready(self) -> None:
        from config import broker

        broker.setup()
