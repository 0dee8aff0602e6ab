from django.apps import AppConfig


class FormbuilderConfig(AppConfig):
    name = "practice.formbuilder"
    label = "formbuilder"
    verbose_name = "Forms and e-signature"
