from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "practice.messaging"
    label = "messaging"
    verbose_name = "Messaging"
