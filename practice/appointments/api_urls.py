"""The booking API (`/api/v1/`, namespace "api:booking": the module gate answers 404 while the
practice has booking off)."""

from django.urls import URLPattern, URLResolver, path

from practice.appointments import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("appointments", api.AppointmentListView.as_view(), name="appointment_list"),
    path("appointments/<int:appointment_id>", api.AppointmentDetailView.as_view(),
         name="appointment_detail"),
    path("appointments/<int:appointment_id>/cancel", api.AppointmentCancelView.as_view(),
         name="appointment_cancel"),
    path("appointments/<int:appointment_id>/outcome", api.AppointmentOutcomeView.as_view(),
         name="appointment_outcome"),
    path("appointments/<int:appointment_id>/reschedule",
         api.AppointmentRescheduleView.as_view(), name="appointment_reschedule"),
    path("appointments/<int:appointment_id>/series-change", api.SeriesChangeView.as_view(),
         name="series_change"),
    path("appointments/<int:appointment_id>/series-cancel", api.SeriesCancelView.as_view(),
         name="series_cancel"),
    path("appointment-series", api.SeriesListView.as_view(), name="series_list"),
    path("waitlist", api.WaitlistView.as_view(), name="waitlist"),
    path("waitlist/<int:entry_id>", api.WaitlistEntryView.as_view(), name="waitlist_entry"),
    path("waitlist-offers", api.OfferListView.as_view(), name="offer_list"),
    path("waitlist-offers/stats", api.OfferStatsView.as_view(), name="offer_stats"),
    path("waitlist-offers/<int:offer_id>", api.OfferAnswerView.as_view(), name="offer_answer"),
    path("booking/week", api.WeekView.as_view(), name="week"),
    path("appointment-types", api.AppointmentTypeListView.as_view(),
         name="appointment_type_list"),
    path("booking/slots", api.SlotListView.as_view(), name="slot_list"),
    path("booking/settings", api.BookingSettingsView.as_view(), name="settings"),
    path("booking/availability/<int:clinician_id>", api.AvailabilityView.as_view(),
         name="availability"),
]
