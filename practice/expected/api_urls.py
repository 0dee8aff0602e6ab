"""API of expected paths (namespace `api:expected`)."""

from django.urls import URLPattern, URLResolver, path

from practice.expected import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("clients/<int:client_id>/expected-paths", api.ClientPathsView.as_view(),
         name="client_paths"),
    path("alerts/<int:alert_id>/support", api.SupportView.as_view(), name="alert_support"),
    path("expected-paths/calibrations", api.CalibrationListView.as_view(),
         name="calibration_list"),
    path("expected-paths/calibrations/<int:calibration_id>/adopt",
         api.CalibrationAdoptView.as_view(), name="calibration_adopt"),
]
