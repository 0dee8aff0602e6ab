"""Outcome pages (`/outcomes/`, namespace "outcomes"): episodes of care for owner and
clinicians; the reports and exports sit under the "assessments" namespace too, so the module
gate answers 404 for them while the practice has the module off."""

from django.urls import include, path

from practice.outcomes.views import client_reports, episodes, export, reports

report_patterns = [
    path("reports/", reports.outcome_report, name="report"),
    path("clients/<int:client_id>/progress/", client_reports.progress_report,
         name="progress_report"),
    path("clients/<int:client_id>/utilization-review/", client_reports.utilization_review,
         name="utilization_review"),
]

urlpatterns = [
    path("clients/<int:client_id>/episodes/", episodes.client_episodes, name="episodes"),
    path("clients/<int:client_id>/episodes/open/", episodes.episode_open, name="episode_open"),
    path("episodes/<int:episode_id>/close/", episodes.episode_close, name="episode_close"),
    path("practice-export/", export.practice_export, name="practice_export"),
    path("practice-export/request/", export.practice_export_request,
         name="practice_export_request"),
    path("practice-export/<int:export_id>/download/", export.practice_export_download,
         name="practice_export_download"),
    path("", include((report_patterns, "assessments"))),
]
