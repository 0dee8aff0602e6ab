"""urls_staff of documents (filled in as the feature lands)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
