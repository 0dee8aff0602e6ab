from django.urls import path

from practice.audit_trail import api

urlpatterns = [
    path("audit-events", api.AuditEventListView.as_view(), name="audit_events"),
]
