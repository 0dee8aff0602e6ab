from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "practice.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # Registers the "new secure message" notice, the digest's unread count and the portal
        # home's unread card.
        from practice.messaging import dashboard_card, notifications  # noqa: F401
