"""Family endpoints (`/api/v1/family/...`, namespace `family`)."""

from django.urls import path

from practice.family import api

urlpatterns = [
    path("family/clients", api.FamilyClientsView.as_view(), name="clients"),
    path("family/releases/<int:release_id>/revoke", api.FamilyReleaseRevokeView.as_view(),
         name="release_revoke"),
    path("family/clients/<int:client_id>/messages", api.FamilyMessagesView.as_view(),
         name="messages"),
    path("family/clients/<int:client_id>/messages/read", api.FamilyMessagesReadView.as_view(),
         name="messages_read"),
    path("family/clients/<int:client_id>/questionnaires", api.FamilyQuestionnairesView.as_view(),
         name="questionnaires"),
    path("family/clients/<int:client_id>/questionnaires/<int:assignment_id>",
         api.FamilyQuestionnaireAnswerView.as_view(), name="questionnaire_answer"),
    path("family/clients/<int:client_id>/<slug:kind>", api.FamilyRecordView.as_view(),
         name="record"),
]
