from django.apps import AppConfig


class FormbuilderConfig(AppConfig):
    name = "practice.formbuilder"
    label = "formbuilder"
    verbose_name = "Forms and e-signature"

    def ready(self) -> None:
        from practice.formbuilder import notifications  # noqa: F401  (registers kinds)
