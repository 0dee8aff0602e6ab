from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "practice.appointments"
    label = "appointments"
    verbose_name = "Appointments"

    def ready(self) -> None:
        # Registers the notification kinds, the digest's counts and the portal home's card.
        from practice.appointments import dashboard, notifications  # noqa: F401
