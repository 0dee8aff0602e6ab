"""The client's portal (`/portal/`). Module pages sit under their module's namespace, so turning
a module off answers 404 here at once. Crisis help is under no module: it is never off."""

from django.urls import include, path

from portal.views import (
    account,
    assessments,
    crisis,
    dashboard,
    goals,
    homework,
    journal,
    mood,
    onboarding,
    progress,
    pwa,
    resources,
    safety_plan,
)

app_name = "portal"

assessment_patterns = [
    path("", assessments.assessment_list, name="list"),
    path("progress/", progress.progress, name="progress"),
    path("<int:response_id>/", assessments.answer, name="answer"),
    path("<int:response_id>/review/", assessments.review, name="review"),
    path("<int:response_id>/submit/", assessments.submit, name="submit"),
    path("<int:response_id>/result/", assessments.result, name="result"),
]

mood_patterns = [
    path("", mood.checkin, name="checkin"),
]

goal_patterns = [
    path("", goals.goal_list, name="list"),
    path("<int:goal_id>/progress/", goals.goal_progress, name="progress"),
]

homework_patterns = [
    path("", homework.homework_list, name="list"),
    path("<int:homework_id>/done/", homework.homework_done, name="done"),
]

journal_patterns = [
    path("", journal.journal, name="list"),
    path("<int:entry_id>/sharing/", journal.sharing, name="sharing"),
]

resource_patterns = [
    path("", resources.resource_list, name="list"),
    path("<int:resource_id>/", resources.resource_detail, name="detail"),
    path("<int:resource_id>/file/", resources.resource_file, name="file"),
]

safety_plan_patterns = [
    path("", safety_plan.plan, name="plan"),
    path("add/", safety_plan.add, name="add"),
]

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("help/", crisis.crisis_help, name="help"),
    path("urgent-contact/", crisis.urgent_contact, name="urgent_contact"),
    path("assessments/", include((assessment_patterns, "assessments"))),
    path("mood/", include((mood_patterns, "mood_checkin"))),
    path("goals/", include((goal_patterns, "goals"))),
    path("homework/", include((homework_patterns, "homework"))),
    path("journal/", include((journal_patterns, "journal"))),
    path("resources/", include((resource_patterns, "resources"))),
    path("safety-plan/", include((safety_plan_patterns, "safety_plan"))),
    path("messages/", include(("practice.messaging.urls_portal", "messaging"))),
    path("disclosures/", include(("practice.disclosure.urls_portal", "disclosure"))),
    path("documents/", include(([
        path("files/", include(("practice.documents.urls_portal", "files"))),
        path("forms/", include(("practice.formbuilder.urls_portal", "forms"))),
    ], "documents"))),
    path("appointments/", include(("practice.appointments.urls_portal", "booking"))),
    path("invoices/", include(("practice.invoices.urls_portal", "billing"))),
    # Joining, consent, settings and sign-in security.
    path("invitation/<str:token>/", onboarding.invitation_accept, name="invitation_accept"),
    path("consent/", onboarding.consent, name="consent"),
    path("settings/", account.settings_page, name="settings"),
    path("account/verify/", account.verify, name="account_verify"),
    path("account/mfa/", account.mfa, name="account_mfa"),
    path("account/sign-out-everywhere/", account.sign_out_everywhere,
         name="account_sign_out_everywhere"),
    path("account/staff-mfa/", account.staff_mfa_rule, name="account_staff_mfa"),
    # The installable app: its service worker, its page with no network, how to install it.
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("install/", pwa.install, name="install"),
]
