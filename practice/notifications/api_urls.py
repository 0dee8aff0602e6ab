"""API of notifications (`/api/v1/notifications/...`, namespace `api:notifications`)."""

from django.urls import URLPattern, URLResolver, path

from practice.notifications import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/deliveries", api.DeliveryLogView.as_view(), name="delivery_log"),
    path("notifications/deliveries/<int:notification_id>", api.DeliveryDetailView.as_view(),
         name="delivery_detail"),
    path("notifications/preferences", api.PreferencesView.as_view(), name="preferences"),
    path("notifications/settings", api.PracticeSettingsView.as_view(), name="settings"),
]
