"""API of the alert engine (namespace `api:engagement`): rule settings, snoozing an alert,
journaling assigned to a client."""

from django.urls import URLPattern, URLResolver, path

from practice.engagement import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("engagement/rules", api.RuleListView.as_view(), name="rule_list"),
    path("engagement/rules/<slug:key>", api.RuleDetailView.as_view(), name="rule_detail"),
    path("alerts/<int:alert_id>/snooze", api.AlertSnoozeView.as_view(), name="alert_snooze"),
    path("clients/<int:client_id>/journaling", api.JournalingView.as_view(),
         name="client_journaling"),
]
