"""The client's portal (`/portal/`). Module pages sit under their module's namespace, so turning
a module off answers 404 here at once. Crisis help is under no module: it is never off."""

from django.urls import include, path

from portal.views import assessments, crisis, dashboard, mood, progress

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

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("help/", crisis.crisis_help, name="help"),
    path("assessments/", include((assessment_patterns, "assessments"))),
    path("mood/", include((mood_patterns, "mood_checkin"))),
]
