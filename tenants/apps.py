from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Practices (tenants)"

    def ready(self) -> None:
        from tenants import lookups

        lookups.register()
