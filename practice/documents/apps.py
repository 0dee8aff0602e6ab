from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "practice.documents"
    label = "documents"
    verbose_name = "Documents"
