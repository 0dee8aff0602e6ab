"""Outcome pages (`/outcomes/`, namespace "outcomes"): episodes of care for owner and
clinicians; the reports and exports sit under the "assessments" namespace too, so the module
gate answers 404 for them while the practice has the module off."""

from django.urls import include, path

from practice.outcomes.views import episodes

report_patterns: list = []

urlpatterns = [
    path("clients/<int:client_id>/episodes/", episodes.client_episodes, name="episodes"),
    path("clients/<int:client_id>/episodes/open/", episodes.episode_open, name="episode_open"),
    path("episodes/<int:episode_id>/close/", episodes.episode_close, name="episode_close"),
    path("", include((report_patterns, "assessments"))),
]
