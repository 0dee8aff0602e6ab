"""URLs of notifications (`/notifications/`, namespace `notifications`): staff and clients."""

from django.urls import URLPattern, URLResolver, path

from practice.notifications import push_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("preferences/", views.preferences, name="preferences"),
    path("quiet-hours/", views.client_quiet_hours, name="quiet_hours"),
    path("settings/", views.practice_settings, name="settings"),
    path("log/", views.delivery_log, name="log"),
    # Web Push on the person's own devices.
    path("push/", push_views.push_devices, name="push_devices"),
    path("push/subscribe/", push_views.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", push_views.push_unsubscribe, name="push_unsubscribe"),
    path("push/test/", push_views.push_test, name="push_test"),
]
