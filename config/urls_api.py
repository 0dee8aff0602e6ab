"""The REST API (`/api/v1/`), documented by drf-spectacular at `/api/v1/schema/`.

Assessment endpoints sit under the "assessments" namespace, so the module gate answers 404 for
them while a practice has the module off (their paths do not change). Risk alerts are never
behind a module."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from practice.measurement.api import views as api

assessment_patterns = [
    path("instruments", api.InstrumentListView.as_view(), name="instrument_list"),
    path("instruments/definition-schema", api.DefinitionSchemaView.as_view(),
         name="instrument_definition_schema"),
    path("instruments/<slug:key>", api.InstrumentDetailView.as_view(), name="instrument_detail"),
    path("instruments/<slug:key>/score", api.ScorePreviewView.as_view(),
         name="instrument_score"),
    path("instruments/<slug:key>/draft", api.InstrumentDraftView.as_view(),
         name="instrument_draft"),
    path("instruments/<slug:key>/publish", api.InstrumentPublishView.as_view(),
         name="instrument_publish"),
    path("clients/<int:client_id>/assignments", api.ClientAssignmentsView.as_view(),
         name="client_assignments"),
    path("assignments/<int:assignment_id>/end", api.AssignmentEndView.as_view(),
         name="assignment_end"),
    path("clients/<int:client_id>/responses", api.ClientResponsesView.as_view(),
         name="client_responses"),
    path("responses/<int:response_id>", api.ResponseDetailView.as_view(),
         name="response_detail"),
    path("responses/<int:response_id>/entered-in-error",
         api.ResponseEnteredInErrorView.as_view(), name="response_entered_in_error"),
    path("clients/<int:client_id>/fhir", api.ClientFhirView.as_view(), name="client_fhir"),
]

alert_patterns = [
    path("alerts", api.AlertInboxView.as_view(), name="alert_inbox"),
    path("alerts/<int:alert_id>/acknowledge", api.AlertAcknowledgeView.as_view(),
         name="alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve", api.AlertResolveView.as_view(), name="alert_resolve"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include((assessment_patterns, "assessments"))),
    *alert_patterns,
    path("", include(("practice.messaging.api_urls", "messaging"))),
    path("", include(([
        path("", include("practice.documents.api_urls")),
        path("", include("practice.formbuilder.api_urls")),
    ], "documents"))),
    path("", include(("practice.appointments.api_urls", "booking"))),
    path("", include(("practice.invoices.api_urls", "billing"))),
    path("", include(("practice.notifications.api_urls", "notifications"))),
    path("", include(("practice.engagement.api_urls", "engagement"))),
    path("", include(("practice.outcomes.api_urls", "outcomes"))),
    path("", include(("practice.family.api_urls", "family"))),
    path("", include(("practice.expected.api_urls", "expected"))),
    path("", include(("practice.disclosure.api_urls", "disclosure"))),
    path("", include("practice.audit_trail.api_urls")),
]
