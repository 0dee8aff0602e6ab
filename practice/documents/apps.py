from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "practice.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from practice.documents import notifications  # noqa: F401  (registers kinds, digest)
