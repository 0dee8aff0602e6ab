from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "practice.invoices"
    label = "invoices"
    verbose_name = "Client invoices"
