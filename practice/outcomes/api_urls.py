from django.urls import path

from practice.outcomes import api

urlpatterns = [
    path("clients/<int:client_id>/episodes", api.ClientEpisodesView.as_view(),
         name="client_episodes"),
    path("episodes/<int:episode_id>/close", api.EpisodeCloseView.as_view(),
         name="episode_close"),
    path("outcomes/report", api.OutcomeReportView.as_view(), name="outcome_report"),
]
