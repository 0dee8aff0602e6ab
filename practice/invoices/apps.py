from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "practice.invoices"
    label = "invoices"
    verbose_name = "Client invoices"

    def ready(self) -> None:
        from practice.invoices import notifications  # noqa: F401  (registers kinds)
