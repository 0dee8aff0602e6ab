"""Family endpoints (`/api/v1/family/...`, namespace `family`)."""

from django.urls import path

from practice.family import api

urlpatterns = [
    path("family/clients", api.FamilyClientsView.as_view(), name="clients"),
    path("family/clients/<int:client_id>/<slug:kind>", api.FamilyRecordView.as_view(),
         name="record"),
]
