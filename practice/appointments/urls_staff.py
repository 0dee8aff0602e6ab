"""Staff pages of booking (`/appointments/`, namespace "booking")."""

from django.urls import URLPattern, URLResolver, path

from practice.appointments import views_schedule as schedule
from practice.appointments import views_staff as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.schedule, name="schedule"),
    path("week/", schedule.week_view, name="week"),
    path("book/", schedule.book, name="book"),
    path("<int:appointment_id>/series/change/", schedule.series_change, name="series_change"),
    path("<int:appointment_id>/series/cancel/", schedule.series_cancel, name="series_cancel"),
    path("waitlist/", schedule.waitlist, name="waitlist"),
    path("clients/<int:client_id>/waitlist/", schedule.waitlist_add, name="waitlist_add"),
    path("waitlist/<int:entry_id>/remove/", schedule.waitlist_remove, name="waitlist_remove"),
    path("offers/", schedule.offers, name="offers"),
    path("clients/<int:client_id>/online-approval/", schedule.online_approval,
         name="online_approval"),
    path("clients/", views.client_list, name="clients"),
    path("clients/<int:client_id>/", views.client_appointments, name="client"),
    path("clients/<int:client_id>/questionnaires/", views.questionnaire_add,
         name="questionnaire_add"),
    path("questionnaires/<int:questionnaire_id>/end/", views.questionnaire_end,
         name="questionnaire_end"),
    path("<int:appointment_id>/", views.appointment_detail, name="detail"),
    path("<int:appointment_id>/cancel/", views.appointment_cancel, name="cancel"),
    path("<int:appointment_id>/outcome/", views.appointment_outcome, name="outcome"),
    path("<int:appointment_id>/reschedule/", views.appointment_reschedule, name="reschedule"),
    path("availability/", views.availability_home, name="availability_home"),
    path("availability/<int:clinician_id>/", views.availability, name="availability"),
    path("availability/<int:clinician_id>/exceptions/", views.exception_add,
         name="exception_add"),
    path("exceptions/<int:exception_id>/remove/", views.exception_remove,
         name="exception_remove"),
    path("types/", views.types, name="types"),
    path("types/<int:type_id>/", views.type_edit, name="type_edit"),
    path("types/<int:type_id>/active/", views.type_active, name="type_active"),
    path("settings/", views.booking_settings, name="settings"),
    path("calendar/", views.calendar_feed, name="calendar"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
