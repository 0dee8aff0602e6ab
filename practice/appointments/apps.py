from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "practice.appointments"
    label = "appointments"
    verbose_name = "Appointments"
