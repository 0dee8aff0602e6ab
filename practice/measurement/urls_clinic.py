"""Staff clinical pages for measurement (`/clinic/`, namespace "clinic").

The caseload and the alert inbox are never behind a module: risk alerts are never off. The
assessment pages (a client's scores, assigning, the pre-session review, instruments and the
scoring preview) sit under the "assessments" namespace, so the module gate answers 404 for them
while the practice has the module off."""

from django.urls import include, path

from practice.measurement import views_clinic as views

assessment_patterns = [
    path("clients/<int:client_id>/", views.client_detail, name="client"),
    path("clients/<int:client_id>/review/", views.review, name="review"),
    path("clients/<int:client_id>/assign/", views.assign, name="assign"),
    path("assignments/<int:assignment_id>/end/", views.assignment_end, name="assignment_end"),
    path("responses/<int:response_id>/entered-in-error/", views.response_entered_in_error,
         name="response_entered_in_error"),
    path("instruments/", views.instrument_list, name="instrument_list"),
    path("instruments/new/", views.instrument_create, name="instrument_create"),
    path("instruments/<slug:key>/edit/", views.instrument_edit, name="instrument_edit"),
    path("instruments/<slug:key>/publish/", views.instrument_publish, name="instrument_publish"),
    path("instruments/<slug:key>/preview/", views.instrument_preview,
         name="instrument_preview"),
]

urlpatterns = [
    path("clients/", views.caseload, name="caseload"),
    path("alerts/", views.alert_inbox, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge,
         name="alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("alerts/<int:alert_id>/snooze/", views.alert_snooze, name="alert_snooze"),
    path("", include((assessment_patterns, "assessments"))),
]
