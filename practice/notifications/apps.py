from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "practice.notifications"
    label = "notifications"
    verbose_name = "Notifications"
