"""Staff URLs of the alert engine (`/engagement/`, namespace `engagement`). Not a module:
alerts are never off; each rule has its own switch."""

from django.urls import URLPattern, URLResolver, path

from practice.engagement import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("rules/", views.rule_settings, name="rules"),
    path("clients/<int:client_id>/journaling/", views.journaling, name="journaling"),
]
