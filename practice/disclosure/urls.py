"""The recipient's download page (`/shared/`, namespace "shared")."""

from django.urls import URLPattern, URLResolver, path

from practice.disclosure import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:token>/", views.download, name="download"),
]
