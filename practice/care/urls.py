"""Staff pages for care between sessions (`/care/`, namespace "care"). Each module's pages sit
under the module's key as namespace, so the module gate answers 404 while it is off."""

from django.urls import include, path

from practice.care import views

goal_patterns = [
    path("clients/<int:client_id>/goals/", views.goals, name="client"),
    path("goals/<int:goal_id>/progress/", views.goal_progress, name="progress"),
    path("goals/<int:goal_id>/status/", views.goal_status, name="status"),
]

homework_patterns = [
    path("homework/", views.homework_caseload, name="caseload"),
    path("clients/<int:client_id>/homework/", views.homework, name="client"),
    path("homework/<int:homework_id>/end/", views.homework_end, name="end"),
]

journal_patterns = [
    path("clients/<int:client_id>/journal/", views.journal, name="client"),
]

resource_patterns = [
    path("resources/", views.library, name="library"),
    path("resources/<int:resource_id>/archive/", views.resource_archive, name="archive"),
    path("resources/<int:resource_id>/file/", views.resource_file, name="file"),
    path("clients/<int:client_id>/resources/", views.client_resources, name="client"),
    path("clients/<int:client_id>/resources/<int:resource_id>/remove/",
         views.client_resource_remove, name="remove"),
]

safety_plan_patterns = [
    path("clients/<int:client_id>/safety-plan/", views.safety_plan, name="client"),
]

urlpatterns = [
    path("", include((goal_patterns, "goals"))),
    path("", include((homework_patterns, "homework"))),
    path("", include((journal_patterns, "journal"))),
    path("", include((resource_patterns, "resources"))),
    path("", include((safety_plan_patterns, "safety_plan"))),
]
